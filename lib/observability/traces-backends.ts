import { CHARTS } from "../platform/charts";
import { CONTAINER_SECURITY, POD_SECURITY, storagePodAccess } from "./pods";
import type { ObjectStorage } from "./storage";

// Jaeger v2 (chart 4.x deploys only v2; v1 reached end-of-life on 2025-12-31). The chart
// pulls Bitnami's `common` library chart for its templates only; no Bitnami image runs.
export const JAEGER_CHART = CHARTS.jaeger;
/** The chart's appVersion, pinned so a chart bump never changes the image unseen. */
export const JAEGER_IMAGE = { registry: "docker.io", repository: "jaegertracing/jaeger", tag: "2.19.0" } as const;

// Tempo single binary from grafana-community (the grafana/helm-charts copy is frozen).
// tempo-distributed 3.x needs Kafka, which this kit does not run.
export const TEMPO_CHART = CHARTS.tempo;
export const TEMPO_IMAGE = { registry: "docker.io", repository: "grafana/tempo", tag: "2.10.8" } as const;

/** A container's CPU and memory: requests always, a memory limit (the OOM bound), CPU limit optional. */
export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}


/** Quantities this module accepts for memory, e.g. 512Mi, 2Gi. */
export const MEMORY = /^[1-9]\d*(Mi|Gi)$/;

/**
 * GOMEMLIMIT at 80% of the memory limit: Go collects garbage harder before the kernel
 * kills the pod, instead of growing its heap to twice the live set.
 */
export function goMemLimit(memory: string): string {
  const mib = Number(memory.slice(0, -2)) * (memory.endsWith("Gi") ? 1024 : 1);
  return `${Math.floor(mib * 0.8)}MiB`;
}

/** The receivers every backend runs: OTLP from the collector only (the Service is ClusterIP). */
const OTLP_RECEIVER = { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } };

/** Where Jaeger's Badger store lives in the pod: the volume's root, keys and values apart. */
const BADGER_MOUNT = "/badger";

export interface JaegerOptions {
  readonly retentionDays: number;
  readonly resources: ContainerResources;
  /** Added to the chart's own labels: none of the keys it sets (a duplicate key fails the install). */
  readonly labels: Record<string, string>;
  /** The PersistentVolumeClaim holding the Badger store. */
  readonly claimName: string;
}

/**
 * Jaeger v2 as one pod storing spans in Badger on a persistent volume. Jaeger v2 keeps
 * traces only in a database (Elasticsearch, OpenSearch, Cassandra, ClickHouse), in
 * memory (lost on every restart) or in Badger, an embedded store on local disk; it has
 * no object-storage backend. Badger needs no database to run and survives restarts,
 * at the price of one writer: one replica, replaced (Recreate) rather than rolled.
 * Spans expire after the retention (Badger's TTL).
 */
export function jaegerValues(o: JaegerOptions): Record<string, unknown> {
  return {
    fullnameOverride: "jaeger",
    commonLabels: o.labels,
    jaeger: {
      replicas: 1,
      strategy: { type: "Recreate" },
      image: JAEGER_IMAGE,
      serviceAccount: { automountServiceAccountToken: false },
      service: { type: "ClusterIP" },
      ingress: { enabled: false },
      httproute: { enabled: false },
      resources: o.resources,
      extraEnv: [{ name: "GOMEMLIMIT", value: goMemLimit(o.resources.limits.memory) }],
      podSecurityContext: POD_SECURITY,
      securityContext: CONTAINER_SECURITY,
      extraVolumes: [
        { name: "badger", persistentVolumeClaim: { claimName: o.claimName } },
        { name: "tmp", emptyDir: {} },
      ],
      extraVolumeMounts: [
        { name: "badger", mountPath: BADGER_MOUNT },
        { name: "tmp", mountPath: "/tmp" },
      ],
    },
    userconfig: jaegerConfig(o.retentionDays),
  };
}

/** Jaeger's own (OpenTelemetry Collector-style) configuration: OTLP in, Badger, the query UI. */
function jaegerConfig(retentionDays: number): Record<string, unknown> {
  return {
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }] },
        logs: { level: "info" },
      },
    },
    extensions: {
      // The chart's probes ask /status on 13133.
      healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
      jaeger_query: { storage: { traces: "badger" } },
      jaeger_storage: {
        backends: {
          badger: {
            badger: {
              ephemeral: false,
              directories: { keys: `${BADGER_MOUNT}/keys`, values: `${BADGER_MOUNT}/values` },
              ttl: { spans: `${retentionDays * 24}h` },
            },
          },
        },
      },
    },
    receivers: { otlp: OTLP_RECEIVER },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "badger" } },
  };
}

export interface TempoOptions {
  readonly retentionDays: number;
  readonly resources: ContainerResources;
  /** Added to the chart's own labels: none of the keys it sets. */
  readonly labels: Record<string, string>;
  readonly storage: ObjectStorage;
  readonly serviceAccount: string;
  /** Volume for the write-ahead log. */
  readonly volume: { readonly size: string; readonly storageClass?: string };
  /** Prometheus remote-write URL for span metrics and the service graph. @default none */
  readonly spanMetricsRemoteWrite?: string;
}

/**
 * Tempo in single-binary mode: traces in the object store through the pod's workload
 * identity (keys only on-prem, from a Secret), the write-ahead log on a persistent
 * volume, blocks deleted by the compactor after the retention. With a remote-write
 * URL, its metrics generator sends span metrics and service-graph edges to Prometheus.
 */
export function tempoValues(o: TempoOptions): Record<string, unknown> {
  const { storage } = o;
  const generator = o.spanMetricsRemoteWrite !== undefined;
  const pod = storagePodAccess(storage, CA_DIR);
  // On-prem S3-compatible stores: keys in the environment, where Tempo's S3 client looks after Pod Identity's variables.
  const keys = storage.credentialsSecret
    ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: storage.credentialsSecret, key } } }))
    : [];
  // The chart mounts its own /tmp when the generator runs.
  const volumes = [...(generator ? [] : [{ name: "tmp", emptyDir: {} }]), ...pod.volumes];
  const mounts = [...(generator ? [] : [{ name: "tmp", mountPath: "/tmp" }]), ...pod.volumeMounts];
  return {
    fullnameOverride: "tempo",
    replicas: 1,
    extraLabels: o.labels,
    tempo: {
      ...TEMPO_IMAGE,
      resources: o.resources,
      // GOMEMLIMIT replaces the memory ballast.
      memBallastSizeMbs: 0,
      // No usage reports to Grafana Labs from a customer's cluster.
      reportingEnabled: false,
      retention: `${o.retentionDays * 24}h`,
      // The chart's Jaeger receivers stay (its Service template reads them); the collector sends OTLP.
      receivers: { otlp: OTLP_RECEIVER },
      // null drops the chart's default local-disk backend from the merged values.
      storage: { trace: { local: null, ...tempoBackend(storage, pod.caFile !== undefined), wal: { path: "/var/tempo/wal" } } },
      securityContext: CONTAINER_SECURITY,
      extraEnv: [...pod.env, ...keys, { name: "GOMEMLIMIT", value: goMemLimit(o.resources.limits.memory) }],
      extraVolumeMounts: mounts,
      metricsGenerator: generator ? { enabled: true, remoteWriteUrl: o.spanMetricsRemoteWrite } : { enabled: false },
      overrides: { defaults: generator ? { metrics_generator: { processors: ["service-graphs", "span-metrics"] } } : {} },
    },
    securityContext: POD_SECURITY,
    serviceAccount: {
      create: true,
      name: o.serviceAccount,
      annotations: storage.identity.serviceAccountAnnotations,
      // Tempo never calls the Kubernetes API; cloud identity tokens are projected separately.
      automountServiceAccountToken: false,
    },
    podLabels: storage.identity.podLabels,
    extraVolumes: volumes,
    service: { type: "ClusterIP" },
    serviceMonitor: { enabled: true },
    persistence: {
      enabled: true,
      accessModes: ["ReadWriteOnce"],
      size: o.volume.size,
      ...(o.volume.storageClass ? { storageClassName: o.volume.storageClass } : {}),
    },
    tempoQuery: { enabled: false },
  };
}

/** Where the object store's CA certificate is mounted. */
const CA_DIR = "/etc/tempo/object-store-ca";

/** Tempo's `storage.trace` backend for the store's API; identity everywhere but on-prem. */
function tempoBackend(storage: ObjectStorage, customCa: boolean): Record<string, unknown> {
  const { access, bucket, prefix } = storage;
  const prefixed = prefix ? { prefix } : {};
  switch (access.api) {
    case "s3": {
      // Tempo's S3 client (minio-go) takes a host, not a URL; it finds Pod Identity,
      // then the environment's keys, through its credential chain.
      const endpoint = access.endpoint ? access.endpoint.replace(/^https:\/\//, "").replace(/\/$/, "") : `s3.${access.region}.amazonaws.com`;
      return {
        backend: "s3",
        s3: {
          bucket,
          endpoint,
          region: access.region,
          insecure: false,
          ...(access.endpoint ? { forcepathstyle: true } : {}),
          ...(customCa ? { tls_ca_path: `${CA_DIR}/ca.crt` } : {}),
          ...prefixed,
        },
      };
    }
    case "azure-blob":
      // Workload identity: the federated token the webhook projects into the pod.
      return { backend: "azure", azure: { storage_account_name: access.account, container_name: bucket, use_federated_token: true, ...prefixed } };
    case "gcs":
      // Application Default Credentials: GKE's metadata server answers as the bound service account.
      return { backend: "gcs", gcs: { bucket_name: bucket, ...prefixed } };
  }
}
