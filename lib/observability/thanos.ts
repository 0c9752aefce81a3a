import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { platformLabels, type INamespace } from "../platform/namespaces";
import type { ObjectStorage } from "./storage";

/**
 * Thanos (quay.io/thanos/thanos, Apache-2.0), the release of October 2026: the sidecar
 * in each Prometheus pod and the query, store and compactor below. The components are
 * the kit's own Kubernetes objects: Bitnami's Thanos chart, the only complete chart, is
 * no longer maintained for free (see RETIRED_CHARTS), and kube-prometheus-stack ships
 * only the sidecar.
 */
export const THANOS_VERSION = "v0.42.5";
export const THANOS_IMAGE = `quay.io/thanos/thanos:${THANOS_VERSION}`;

/** The Secret holding the object-store config every Thanos component reads (bucket and endpoint, never a key). */
export const THANOS_OBJSTORE = { secret: "thanos-objstore", key: "objstore.yml" } as const;

/** Prometheus' replica label (the operator's default): Thanos Query merges the HA pair's series on it. */
const REPLICA_LABEL = "prometheus_replica";
const GRPC_PORT = 10901;
const HTTP_PORT = 10902;
/** Thanos' image runs as this user. */
const THANOS_UID = "1001";

/** Where pods reaching the bucket find the CA of an on-prem store's certificate. */
const CA_DIR = "/etc/thanos/ca";

/**
 * Thanos' object-store config (thanos.io/tip/thanos/storage.md) for `storage`: the
 * bucket, the component's prefix in it, where it is, and how to authenticate without a
 * key in the file. AWS: the AWS SDK's chain (`aws_sdk_auth`), which reads EKS Pod
 * Identity's credentials; Azure: DefaultAzureCredential, which takes the
 * workload-identity token the webhook mounts; GCS: application default credentials
 * (GKE's metadata server). On-prem S3-compatible stores: minio-go's chain reads the keys
 * from the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY env vars (`storageAccess`).
 */
export function objstoreConfig(storage: ObjectStorage): Record<string, unknown> {
  const { access, bucket, prefix } = storage;
  const fail = (message: string): never => {
    throw new Error(`object storage for ${bucket}: ${message}`);
  };
  const at = (type: string, config: Record<string, unknown>) => ({ type, config, prefix });
  switch (access.api) {
    case "s3": {
      const region = access.region;
      if (!access.endpoint) {
        if (!region) fail("an s3 bucket needs access.region or access.endpoint");
        return at("S3", { bucket, endpoint: `s3.${region}.amazonaws.com`, region, aws_sdk_auth: true });
      }
      if (Token.isUnresolved(access.endpoint) || !/^https?:\/\/[^/]+\/?$/.test(access.endpoint)) {
        fail(`access.endpoint must be an http(s) URL without a path such as https://s3.example.com:9000 (got ${JSON.stringify(access.endpoint)})`);
      }
      const [scheme, host] = access.endpoint.replace(/\/$/, "").split("://");
      return at("S3", {
        bucket,
        endpoint: host,
        ...(region ? { region } : {}),
        insecure: scheme === "http",
        // S3-compatible stores serve buckets by path, not as virtual hosts.
        bucket_lookup_type: "path",
        aws_sdk_auth: storage.credentialsSecret === undefined,
        ...(storage.caCertKey ? { http_config: { tls_config: { ca_file: `${CA_DIR}/ca.crt` } } } : {}),
      });
    }
    case "azure-blob":
      if (!access.account) fail("an azure-blob container needs access.account (the storage account's name)");
      return at("AZURE", { storage_account: access.account, container: bucket });
    case "gcs":
      return at("GCS", { bucket });
  }
}

/** The object-store config as a Secret in `namespace` (the sidecar's CRD field takes only a Secret). */
export function objstoreSecret(scope: Construct, id: string, props: { namespace: INamespace; deployment: string; storage: ObjectStorage }): SecretV1 {
  return new SecretV1(scope, id, {
    metadata: { name: THANOS_OBJSTORE.secret, namespace: props.namespace.reference, labels: platformLabels(props.deployment, "metrics") },
    data: { [THANOS_OBJSTORE.key]: stringify(objstoreConfig(props.storage)) },
  });
}

/** An environment variable: a value, or a key of a Secret. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

/** What a container reaching the bucket gets besides the config: the identity's env and, on-prem, the keys and the CA. */
export interface StorageAccess {
  readonly env: EnvVar[];
  readonly volumes: { readonly name: string; readonly secret: { readonly secretName: string; readonly items: { readonly key: string; readonly path: string }[] } }[];
  readonly volumeMounts: { readonly name: string; readonly mountPath: string; readonly readOnly: boolean }[];
}

export function storageAccess(storage: ObjectStorage): StorageAccess {
  const secret = storage.credentialsSecret;
  const key = (name: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret!, key: name } } });
  const ca = secret && storage.caCertKey;
  return {
    env: [...Object.entries(storage.env).map(([name, value]) => ({ name, value })), ...(secret ? [key("AWS_ACCESS_KEY_ID"), key("AWS_SECRET_ACCESS_KEY")] : [])],
    volumes: secret && ca ? [{ name: "objstore-ca", secret: { secretName: secret, items: [{ key: ca, path: "ca.crt" }] } }] : [],
    volumeMounts: ca ? [{ name: "objstore-ca", mountPath: CA_DIR, readOnly: true }] : [],
  };
}

export interface ThanosProps {
  /** The deployment (labels). */
  readonly deployment: string;
  readonly namespace: INamespace;
  /** The metrics bucket, bound to `serviceAccount`. */
  readonly storage: ObjectStorage;
  /** Days the bucket keeps raw, 5-minute and 1-hour data. */
  readonly retentionDays: number;
  /** The existing service account the bucket is bound to (Prometheus'). */
  readonly serviceAccount: string;
  /** The headless Service of the Prometheus sidecars' gRPC port (port name `grpc`). */
  readonly sidecarService: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Query and store gateway replicas. @default 1 */
  readonly replicas?: number;
  /** The store gateway's index cache volume. @default Thanos.DEFAULT_STORE_VOLUME_GB */
  readonly storeVolumeGb?: number;
  /** The compactor's scratch volume: it downloads the blocks it compacts. @default Thanos.DEFAULT_COMPACTOR_VOLUME_GB */
  readonly compactorVolumeGb?: number;
  /** The release creating `serviceAccount`, the object-store Secret, the cloud grants. */
  readonly dependsOn: ITerraformDependable[];
}

interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}
const QUERY_RESOURCES: Resources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };
const STORE_RESOURCES: Resources = { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } };
const COMPACTOR_RESOURCES: Resources = { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } };

/**
 * Thanos Query (the HA pair's series merged, and history from the bucket), the store
 * gateway (serves the bucket's blocks) and the compactor (compacts, downsamples to 5m
 * and 1h, and deletes data past the retention). Pods run as Thanos' non-root user with
 * a read-only root, no capabilities and no Kubernetes API token: they use only the
 * bucket's identity.
 */
export class Thanos extends Construct {
  static readonly DEFAULT_STORE_VOLUME_GB = 10;
  /** Days full-resolution blocks are kept, when the retention is longer. */
  static readonly RAW_DAYS = 30;
  /** Days 5-minute blocks are kept, when the retention is longer. */
  static readonly FIVE_MINUTE_DAYS = 120;
  static readonly DEFAULT_COMPACTOR_VOLUME_GB = 50;
  static readonly QUERY_SERVICE = "thanos-query";
  static readonly STORE_SERVICE = "thanos-store";
  static readonly COMPACTOR = "thanos-compact";
  /** Thanos Query's HTTP port (the Prometheus API Grafana queries). */
  static readonly QUERY_PORT = HTTP_PORT;
  readonly query: DeploymentV1;
  readonly store: StatefulSetV1;
  readonly compactor: StatefulSetV1;
  /** Thanos Query's Prometheus-compatible URL inside the cluster. */
  readonly queryUrl: string;

  /** Thanos Query's URL when it runs in `namespace`. */
  static queryUrl(namespace: string): string {
    return `http://${Thanos.QUERY_SERVICE}.${namespace}.svc:${HTTP_PORT}`;
  }

  constructor(scope: Construct, id: string, props: ThanosProps) {
    super(scope, id);
    const { namespace, dependsOn } = props;
    const ns = namespace.name;
    const replicas = props.replicas ?? 1;
    const labels = platformLabels(props.deployment, "metrics");
    const selector = (name: string) => ({ "app.kubernetes.io/name": "thanos", "app.kubernetes.io/instance": name });
    const metadata = (name: string) => ({ name, namespace: namespace.reference, labels: { ...labels, ...selector(name) } });
    const access = storageAccess(props.storage);
    const objstore = `--objstore.config-file=/etc/thanos/objstore/${THANOS_OBJSTORE.key}`;
    this.queryUrl = Thanos.queryUrl(ns);

    /** The pod of component `name` (`thanos <command>`); with `bucket`, it reads the bucket and has a data volume. */
    const pod = (name: string, args: string[], resources: Resources, bucket: boolean) => ({
      metadata: { labels: { ...labels, ...selector(name), ...(bucket ? props.storage.identity.podLabels : {}) } },
      spec: {
        serviceAccountName: bucket ? props.serviceAccount : name,
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: THANOS_UID, runAsGroup: THANOS_UID, fsGroup: THANOS_UID, seccompProfile: { type: "RuntimeDefault" } },
        container: [
          {
            name,
            image: THANOS_IMAGE,
            args: [name.replace("thanos-", ""), "--log.format=logfmt", `--http-address=0.0.0.0:${HTTP_PORT}`, `--grpc-address=0.0.0.0:${GRPC_PORT}`, ...args],
            port: [
              { name: "http", containerPort: HTTP_PORT },
              { name: "grpc", containerPort: GRPC_PORT },
            ],
            env: bucket ? access.env : [],
            readinessProbe: { httpGet: { path: "/-/ready", port: "http" }, periodSeconds: 10 },
            livenessProbe: { httpGet: { path: "/-/healthy", port: "http" }, periodSeconds: 30, failureThreshold: 4 },
            resources,
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMount: bucket
              ? [
                  { name: "objstore", mountPath: "/etc/thanos/objstore", readOnly: true },
                  { name: "data", mountPath: "/var/thanos" },
                  ...access.volumeMounts,
                ]
              : [],
          },
        ],
        volume: bucket ? [{ name: "objstore", secret: { secretName: THANOS_OBJSTORE.secret } }, ...access.volumes] : [],
      },
    });
    const service = (name: string, headless: boolean) =>
      new ServiceV1(this, `Service-${name}`, {
        metadata: metadata(name),
        spec: {
          ...(headless ? { clusterIp: "None" } : { type: "ClusterIP" }),
          selector: selector(name),
          port: [
            { name: "http", port: HTTP_PORT, targetPort: "http" },
            { name: "grpc", port: GRPC_PORT, targetPort: "grpc" },
          ],
        },
        dependsOn,
      });
    const statefulSet = (id: string, name: string, count: number, args: string[], resources: Resources, gb: number) =>
      new StatefulSetV1(this, id, {
        metadata: metadata(name),
        spec: {
          replicas: String(count),
          serviceName: name,
          selector: { matchLabels: selector(name) },
          template: pod(name, args, resources, true),
          volumeClaimTemplate: [
            {
              metadata: { name: "data", labels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(props.storageClass ? { storageClassName: props.storageClass } : {}),
                resources: { requests: { storage: `${gb}Gi` } },
              },
            },
          ],
        },
        dependsOn,
      });

    service(Thanos.STORE_SERVICE, true);
    service(Thanos.COMPACTOR, true);
    service(Thanos.QUERY_SERVICE, false);
    this.store = statefulSet("Store", Thanos.STORE_SERVICE, replicas, ["--data-dir=/var/thanos/store", objstore], STORE_RESOURCES, props.storeVolumeGb ?? Thanos.DEFAULT_STORE_VOLUME_GB);
    // One compactor only: two would compact the same blocks concurrently.
    this.compactor = statefulSet(
      "Compactor",
      Thanos.COMPACTOR,
      1,
      [
        "--wait",
        "--data-dir=/var/thanos/compact",
        objstore,
        // Full resolution for a month and 5-minute points for four, hourly points for the
        // rest: dashboards over long ranges read the downsampled blocks anyway.
        `--retention.resolution-raw=${Math.min(props.retentionDays, Thanos.RAW_DAYS)}d`,
        `--retention.resolution-5m=${Math.min(props.retentionDays, Thanos.FIVE_MINUTE_DAYS)}d`,
        `--retention.resolution-1h=${props.retentionDays}d`,
        // Blocks are deleted two days after they are marked, once no store gateway reads them.
        "--delete-delay=48h",
      ],
      COMPACTOR_RESOURCES,
      props.compactorVolumeGb ?? Thanos.DEFAULT_COMPACTOR_VOLUME_GB,
    );
    const queryAccount = new ServiceAccountV1(this, "QueryServiceAccount", {
      metadata: metadata(Thanos.QUERY_SERVICE),
      automountServiceAccountToken: false,
      dependsOn,
    });
    this.query = new DeploymentV1(this, "Query", {
      metadata: metadata(Thanos.QUERY_SERVICE),
      spec: {
        replicas: String(replicas),
        selector: { matchLabels: selector(Thanos.QUERY_SERVICE) },
        template: pod(
          Thanos.QUERY_SERVICE,
          [
            `--query.replica-label=${REPLICA_LABEL}`,
            "--query.auto-downsampling",
            // SRV records of the headless Services' grpc ports, through the pod's DNS search path.
            `--endpoint=dnssrv+_grpc._tcp.${props.sidecarService}.${ns}.svc`,
            `--endpoint=dnssrv+_grpc._tcp.${Thanos.STORE_SERVICE}.${ns}.svc`,
          ],
          QUERY_RESOURCES,
          false,
        ),
      },
      dependsOn: [queryAccount, ...dependsOn],
    });
    if (replicas > 1) {
      for (const name of [Thanos.STORE_SERVICE, Thanos.QUERY_SERVICE]) {
        new PodDisruptionBudgetV1(this, `Budget-${name}`, { metadata: metadata(name), spec: { minAvailable: "1", selector: { matchLabels: selector(name) } }, dependsOn });
      }
    }
  }
}
