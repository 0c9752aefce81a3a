import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { CHARTS } from "../platform/charts";
import { PLATFORM_BUCKETS } from "./data";
import { generatedSecret } from "./onprem-credentials";
import { DATA_NAMESPACE, OBJECT_STORE_KEYS, OBJECT_STORE_IDENTITIES, ONPREM_DATA, tlsSecret, type OnpremStoreProps } from "./onprem-plan";
import { serverCertificate, serviceNames } from "./onprem-tls";

/** The in-cluster object store's volume: room for the buckets and a month of database backups at the large tier. */
const OBJECT_STORE_VOLUME = "1Ti";

/** A key in a Secret of `data`, as barman-cloud's ObjectStore references credentials. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** How PostgreSQL's backups reach the object store (barman-cloud's `configuration`). */
export interface BackupTarget {
  readonly endpointURL: string;
  /** The CA that signed the endpoint's certificate. @default the system's trust store */
  readonly endpointCA?: SecretKeyRef;
  readonly s3Credentials: { readonly accessKeyId: SecretKeyRef; readonly secretAccessKey: SecretKeyRef; readonly region?: SecretKeyRef };
  /** What a backup must wait for: the store running, or its credentials synced. */
  readonly ready: ITerraformDependable[];
}

/**
 * S3-compatible object storage for the buckets and PostgreSQL's backups. With an
 * external store (the plan's `objectStore`), its access keys are synced from the
 * platform's secret store and the buckets must exist there (this kit holds no
 * credential that could create them; their names are the `buckets` output, e.g.
 * `data_object_store_buckets`). Without it, SeaweedFS runs
 * in the cluster (one all-in-one pod): S3 over HTTPS only, with a certificate from the
 * internal CA, two S3 identities generated in the cluster (the product's, limited to
 * its buckets: all but logs, metrics and, with PostgreSQL, backups; and PostgreSQL's
 * backups', limited to the backup bucket), versioned
 * buckets with the spec's retention, encrypted volume data, telemetry off. It lives and
 * dies with the cluster: it is no backup target for the cluster's own loss.
 */
export class OnpremObjectStore extends Construct {
  readonly backups: BackupTarget;
  /** The release holding the store's data (undefined for an external store). */
  readonly release?: HelmChart["release"];

  constructor(scope: Construct, id: string, props: OnpremStoreProps) {
    super(scope, id);
    setComponent(this, "data");
    const { plan } = props;
    const dependsOn = props.dependsOn ?? [];
    const buckets = new Map(plan.buckets.map((b) => [b.purpose, b.name]));
    // The database's backups go to the backup bucket even when the plan does not list it.
    if (plan.postgres) buckets.set("backups", plan.backupBucket);

    const external = plan.externalObjectStore;
    if (external) {
      const credentials = props.secrets.sync(this, "Credentials", {
        namespace: DATA_NAMESPACE,
        name: OBJECT_STORE_KEYS,
        remoteKey: external.credentialsSecret,
        properties: { accessKeyId: "accessKeyId", secretAccessKey: "secretAccessKey" },
        template: { data: { region: plan.objectStore.region } },
        dependsOn,
      });
      const key = (k: string) => ({ name: OBJECT_STORE_KEYS, key: k });
      this.backups = {
        endpointURL: plan.objectStore.endpoint,
        s3Credentials: { accessKeyId: key("accessKeyId"), secretAccessKey: key("secretAccessKey"), region: key("region") },
        ready: [credentials],
      };
      constructOutput(this, "buckets", {
        value: [...buckets.values()],
        description: "Buckets the external object store must hold (versioned, with lifecycle rules for the retention days) before the first apply",
      });
      return;
    }

    const service = `${ONPREM_DATA.seaweedfs}-all-in-one`;
    const tls = tlsSecret(ONPREM_DATA.seaweedfs);
    // With PostgreSQL, the backup bucket is the database's: the product cannot touch its backups.
    const product = [...buckets]
      .filter(([purpose]) => !PLATFORM_BUCKETS.includes(purpose) && !(plan.postgres && purpose === "backups"))
      .map(([, name]) => name);
    const platformBuckets = [...buckets].filter(([purpose]) => PLATFORM_BUCKETS.includes(purpose)).map(([, name]) => name);
    const prerequisites = new Manifests(this, "Prerequisites", {
      name: "seaweedfs-prerequisites",
      namespace: DATA_NAMESPACE,
      objects: [
        serverCertificate({ deployment: plan.deployment, store: ONPREM_DATA.seaweedfs, dnsNames: serviceNames(service) }),
        ...generatedSecret({
          deployment: plan.deployment,
          name: OBJECT_STORE_IDENTITIES,
          keys: ["accessKeyId", "secretAccessKey", "backupAccessKeyId", "backupSecretAccessKey", "platformAccessKeyId", "platformSecretAccessKey"],
          template: {
            seaweedfs_s3_config: s3Identities(product, plan.postgres ? plan.backupBucket : undefined, platformBuckets),
            accessKeyId: "{{ .accessKeyId }}",
            secretAccessKey: "{{ .secretAccessKey }}",
            backupAccessKeyId: "{{ .backupAccessKeyId }}",
            backupSecretAccessKey: "{{ .backupSecretAccessKey }}",
            platformAccessKeyId: "{{ .platformAccessKeyId }}",
            platformSecretAccessKey: "{{ .platformSecretAccessKey }}",
          },
        }),
      ],
      dependsOn: [props.certManager.release, props.certManager.issuers, props.secrets.release, ...dependsOn],
    }).release;
    protect(prerequisites, plan.protection);

    const runAs = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
    const container = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true };
    this.release = protect(
      new HelmChart(this, "Chart", {
        chart: CHARTS.seaweedfs,
        name: ONPREM_DATA.seaweedfs,
        namespace: DATA_NAMESPACE,
        values: {
          global: { seaweedfs: { createClusterRole: false, automountServiceAccountToken: false, enableSecurity: false, enableReplication: false } },
          master: { enabled: false },
          volume: { enabled: false, resizeHook: { enabled: false } },
          s3: { enabled: false },
          // Only the bucket hook reads these when the filer runs inside the all-in-one pod.
          filer: { enabled: false, encryptVolumeData: true, podSecurityContext: { enabled: true, ...runAs }, containerSecurityContext: { enabled: true, ...container } },
          allInOne: {
            enabled: true,
            s3: {
              enabled: true,
              enableAuth: true,
              existingConfigSecret: OBJECT_STORE_IDENTITIES,
              createBuckets: [...buckets].map(([purpose, name]) => ({ name, versioning: "Enabled", ...ttl(plan.retentionDays[purpose]) })),
            },
            // With a certificate and no separate HTTPS port, the S3 port serves HTTPS only.
            extraArgs: ["-s3.cert.file=/tls/tls.crt", "-s3.key.file=/tls/tls.key", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"],
            extraVolumes: `- name: s3-tls\n  secret:\n    secretName: ${tls}\n`,
            extraVolumeMounts: "- name: s3-tls\n  mountPath: /tls\n  readOnly: true\n",
            data: {
              type: "persistentVolumeClaim",
              // Fixed whatever the tier: a claim only grows, and only where its class allows expansion.
              size: OBJECT_STORE_VOLUME,
              ...(props.storageClass ? { storageClass: props.storageClass } : {}),
              // Uninstalling the release leaves the volume while protection is on.
              annotations: plan.protection ? { "helm.sh/resource-policy": "keep" } : {},
            },
            podSecurityContext: { enabled: true, ...runAs },
            containerSecurityContext: { enabled: true, ...container },
          },
        },
        dependsOn: [prerequisites, ...dependsOn],
      }).release,
      plan.protection,
    );
    this.backups = {
      endpointURL: plan.objectStore.endpoint,
      endpointCA: { name: tls, key: "ca.crt" },
      s3Credentials: {
        accessKeyId: { name: OBJECT_STORE_IDENTITIES, key: "backupAccessKeyId" },
        secretAccessKey: { name: OBJECT_STORE_IDENTITIES, key: "backupSecretAccessKey" },
      },
      ready: [this.release],
    };
  }
}

/**
 * SeaweedFS's identities file, as an External Secrets template over the generated keys:
 * the product may read, write, list and tag its buckets; PostgreSQL's backups may read,
 * write and list the backup bucket only; the platform (metrics and log stores) its own
 * logs and metrics buckets only. None is an administrator.
 */
function s3Identities(productBuckets: string[], backupBucket: string | undefined, platformBuckets: string[]): string {
  const identity = (name: string, keys: [string, string], actions: string[], buckets: string[]) => ({
    name,
    credentials: [{ accessKey: `{{ .${keys[0]} }}`, secretKey: `{{ .${keys[1]} }}` }],
    actions: buckets.flatMap((b) => actions.map((a) => `${a}:${b}`)),
  });
  const identities = [identity("workloads", ["accessKeyId", "secretAccessKey"], ["Read", "Write", "List", "Tagging"], productBuckets)];
  if (backupBucket) identities.push(identity("postgres-backups", ["backupAccessKeyId", "backupSecretAccessKey"], ["Read", "Write", "List"], [backupBucket]));
  if (platformBuckets.length) identities.push(identity("platform", ["platformAccessKeyId", "platformSecretAccessKey"], ["Read", "Write", "List"], platformBuckets));
  return JSON.stringify({ identities });
}

/** SeaweedFS TTLs count at most 255 of a unit: longer retentions round up to whole months. */
function ttl(days: number | undefined): { ttl?: string } {
  if (days === undefined) return {};
  return { ttl: days <= 255 ? `${days}d` : `${Math.ceil(days / 30)}M` };
}
