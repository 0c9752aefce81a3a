import { CHARTS } from "../platform/charts";
import { CONTAINER_SECURITY, POD_SECURITY, storagePodAccess } from "./pods";
import type { ObjectStorage } from "./storage";

/**
 * Loki 3.7 from grafana-community (the chart moved there from grafana/helm-charts in
 * March 2026). Chart 18.x offers Monolithic and Distributed; SimpleScalable is
 * deprecated and leaves with Loki 4, so it is never used here.
 */
export const LOKI_CHART = CHARTS.loki;

/** Images pinned here rather than left to the chart's defaults, so a chart bump shows them changing. */
export const LOKI_IMAGES = {
  loki: { registry: "docker.io", repository: "grafana/loki", tag: "3.7.6" },
  // The official Docker Library image (not Bitnami's).
  memcached: { registry: "docker.io", repository: "library/memcached", tag: "1.6.45-alpine" },
  memcachedExporter: { registry: "docker.io", repository: "prom/memcached-exporter", tag: "v0.17.0" },
} as const;

/** The release name: the chart then names its Services `loki`, `loki-distributor`, `loki-query-frontend`. */
export const LOKI_RELEASE = "loki";
export const LOKI_PORT = 3100;

export type LokiMode = "monolithic" | "distributed";

export interface LokiValuesOptions {
  readonly storage: ObjectStorage;
  readonly mode: LokiMode;
  readonly highAvailability: boolean;
  readonly retentionDays: number;
  readonly storageClass?: string;
  readonly volumeSize: string;
  readonly serviceAccount: string;
  readonly serviceMonitors: boolean;
}

type Resources = { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): Resources => ({
  requests: { cpu, memory },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

/** The distributed components, their size, and how many run with high availability. */
const DISTRIBUTED = {
  distributor: { replicas: 3, resources: resources("250m", "256Mi", "1", "1Gi") },
  ingester: { replicas: 3, resources: resources("500m", "2Gi", "2", "4Gi") },
  querier: { replicas: 3, resources: resources("500m", "1Gi", "2", "4Gi") },
  queryFrontend: { replicas: 2, resources: resources("250m", "256Mi", "1", "1Gi") },
  queryScheduler: { replicas: 2, resources: resources("100m", "128Mi", "500m", "512Mi") },
  indexGateway: { replicas: 2, resources: resources("250m", "512Mi", "1", "2Gi") },
  // Retention is applied by exactly one compactor (HA or not).
  compactor: { replicas: 1, resources: resources("250m", "512Mi", "1", "2Gi") },
} as const;

/** Where Loki's pods find the CA of an on-prem store's certificate. */
const CA_DIR = "/etc/loki/object-store-ca";

/** The object store's name in Loki's schema and compactor settings, per API. */
const STORE: Record<ObjectStorage["access"]["api"], string> = { s3: "s3", "azure-blob": "azure", gcs: "gcs" };

/** Loki's storage settings for one object store: the pod's identity signs in, never a key in the values. */
function storageValues(storage: ObjectStorage): Record<string, unknown> {
  const { access, bucket } = storage;
  const common = { type: STORE[access.api], bucketNames: { chunks: bucket } };
  switch (access.api) {
    case "s3":
      // Loki 3.6+ signs S3 requests with the AWS SDK for Go v2, whose default chain reads
      // EKS Pod Identity's container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI and the
      // token file) and, on-prem, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the Secret.
      if (!access.endpoint) return { ...common, s3: { region: access.region, s3ForcePathStyle: false, insecure: false } };
      return {
        ...common,
        s3: {
          endpoint: access.endpoint,
          // Signing needs a region; S3-compatible stores ignore it.
          region: access.region ?? "us-east-1",
          s3ForcePathStyle: true,
          insecure: false,
          ...(storage.caCertKey ? { http_config: { ca_file: `${CA_DIR}/ca.crt` } } : {}),
        },
      };
    case "azure-blob":
      // The federated token Azure Workload Identity's webhook mounts (AZURE_CLIENT_ID,
      // AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE), exchanged for an Entra token.
      return { ...common, azure: { accountName: access.account, useFederatedToken: true, useManagedIdentity: false } };
    case "gcs":
      // No service_account: Application Default Credentials, i.e. GKE Workload Identity.
      return { ...common, gcs: {} };
  }
}

/**
 * The Loki chart's values: single tenant, TSDB schema v13 on the object store,
 * retention by the compactor, no gateway, canary, Helm test, rules sidecar or MinIO, and
 * every pod hardened (non-root, read-only root filesystem, no capabilities, seccomp).
 */
export function lokiValues(o: LokiValuesOptions): Record<string, unknown> {
  const { storage, highAvailability: ha } = o;
  const monolithic = o.mode === "monolithic";
  const store = STORE[storage.access.api];
  // Three copies of each stream across three pods with HA; one otherwise.
  const replicationFactor = ha ? 3 : 1;
  const pod = storagePodAccess(storage, CA_DIR);
  const ca = pod.volumes.length ? { extraVolumes: pod.volumes, extraVolumeMounts: pod.volumeMounts } : {};
  // `claims: []` drops the chart's own claim list, so size and class below apply.
  const volume = { enabled: true, size: o.volumeSize, storageClass: o.storageClass ?? null, claims: [] };
  const replicas = (n: number) => (ha ? n : 1);
  const off = { replicas: 0 };

  // One pod of each component may be down for a node drain; the chart adds the budget only above one replica.
  const component = (name: keyof typeof DISTRIBUTED, extra: Record<string, unknown> = {}) => ({
    replicas: replicas(DISTRIBUTED[name].replicas),
    resources: DISTRIBUTED[name].resources,
    podDisruptionBudget: { maxUnavailable: 1 },
    ...extra,
  });
  const distributed = monolithic
    ? Object.fromEntries(Object.keys(DISTRIBUTED).map((k) => [k, off]))
    : {
        distributor: component("distributor"),
        // Zone-aware ingesters need Grafana's rollout-operator (from the retired
        // grafana/helm-charts) to roll out; Loki is meant to run in one zone anyway.
        ingester: component("ingester", { zoneAwareReplication: { enabled: false }, persistence: volume }),
        querier: component("querier"),
        queryFrontend: component("queryFrontend"),
        queryScheduler: component("queryScheduler"),
        indexGateway: component("indexGateway", { persistence: volume }),
        compactor: component("compactor", { replicas: 1, persistence: volume }),
      };

  // Memcached in front of the object store pays off only at Distributed's volume and
  // query fan-out; a monolithic Loki keeps its small working set in memory instead of
  // running two more pods (the chart's default chunks cache alone asks for 8 GiB).
  const cache = (allocatedMemory: number, memory: string) => ({
    enabled: !monolithic,
    replicas: ha ? 2 : 1,
    allocatedMemory,
    resources: resources("250m", memory, "1", memory),
  });

  return {
    deploymentMode: monolithic ? "Monolithic" : "Distributed",
    loki: {
      image: LOKI_IMAGES.loki,
      // One tenant ("fake"): the cluster's own logs, one audience (the operators through
      // Grafana), no gateway to authenticate tenants. Access is limited by the network.
      auth_enabled: false,
      commonConfig: { replication_factor: replicationFactor, path_prefix: "/var/loki" },
      storage: storageValues(storage),
      // Every key Loki writes (chunks, index, delete requests) under the component's
      // prefix, so the bucket can hold other components' objects.
      ...(storage.prefix ? { storage_config: { object_prefix: storage.prefix } } : {}),
      schemaConfig: {
        configs: [{ from: "2024-04-01", store: "tsdb", object_store: store, schema: "v13", index: { prefix: "loki_index_", period: "24h" } }],
      },
      compactor: {
        working_directory: "/var/loki/compactor",
        compaction_interval: "10m",
        retention_enabled: true,
        retention_delete_delay: "2h",
        delete_request_store: store,
      },
      limits_config: {
        retention_period: `${o.retentionDays * 24}h`,
        // The one tenant carries the whole cluster: Loki's per-tenant defaults (4 MB/s,
        // 5000 streams) are sized for one application.
        ingestion_rate_mb: monolithic ? 10 : 50,
        ingestion_burst_size_mb: monolithic ? 20 : 100,
        max_global_streams_per_user: monolithic ? 20000 : 100000,
      },
      // No usage reports to Grafana Labs from the customer's cluster.
      analytics: { reporting_enabled: false },
      podSecurityContext: POD_SECURITY,
      containerSecurityContext: CONTAINER_SECURITY,
    },
    // Loki's own pods (not the caches) carry the object store's identity, env and keys.
    // Loki never calls the Kubernetes API, so no API token is mounted; the identity
    // webhooks mount their own projected tokens.
    defaults: { podLabels: storage.identity.podLabels, extraEnv: pod.env, extraEnvFrom: pod.envFrom, ...ca, automountServiceAccountToken: false },
    serviceAccount: {
      create: true,
      name: o.serviceAccount,
      annotations: storage.identity.serviceAccountAnnotations,
      automountServiceAccountToken: false,
    },
    singleBinary: monolithic
      ? {
          replicas: replicationFactor,
          resources: resources("500m", "1Gi", "2", "4Gi"),
          podDisruptionBudget: { maxUnavailable: 1 },
          persistence: volume,
          // The rules sidecar serves the ruler, which is off.
          sidecar: false,
        }
      : off,
    // SimpleScalable is deprecated: none of its targets run.
    read: off,
    write: off,
    backend: off,
    ...distributed,
    // Nothing shipped here evaluates LogQL rules; the ruler would need its own storage.
    ruler: { enabled: false, replicas: 0 },
    // Clients reach Loki's Services inside the cluster; no nginx in front, nothing public.
    gateway: { enabled: false },
    ingress: { enabled: false },
    // The canary writes and queries synthetic streams all day: cost and noise, where
    // Loki's own metrics show it is healthy. The Helm test needs the canary.
    lokiCanary: { enabled: false },
    test: { enabled: false },
    sidecar: { rules: { enabled: false } },
    minio: { enabled: false },
    memcached: { enabled: !monolithic, image: LOKI_IMAGES.memcached },
    memcachedExporter: { image: LOKI_IMAGES.memcachedExporter, resources: resources("10m", "32Mi", "100m", "64Mi") },
    chunksCache: cache(1024, "1229Mi"),
    resultsCache: cache(256, "308Mi"),
    monitoring: {
      serviceMonitor: { enabled: o.serviceMonitors },
      dashboards: { enabled: false },
      rules: { enabled: false },
      alerts: { enabled: false },
    },
  };
}

/** The Services clients reach Loki at inside the cluster (port `LOKI_PORT`): pushes and queries. */
export function lokiHosts(namespace: string, mode: LokiMode): { push: string; query: string } {
  const host = (service: string) => `${service}.${namespace}.svc`;
  return mode === "monolithic"
    ? { push: host(LOKI_RELEASE), query: host(LOKI_RELEASE) }
    : { push: host(`${LOKI_RELEASE}-distributor`), query: host(`${LOKI_RELEASE}-query-frontend`) };
}
