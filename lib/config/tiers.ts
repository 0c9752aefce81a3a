/**
 * Sizing tiers from the seed deployments: small (3-10 nodes), medium (10-50),
 * large (50+). A tier only supplies defaults; every value it sets can be overridden in
 * the spec. Values enter here as the code that uses them lands.
 */
import type { Cloud } from "./regions";

export type Tier = "small" | "medium" | "large";

export interface NodePoolSize {
  readonly instanceType: string;
  readonly min: number;
  readonly max: number;
  readonly diskGb: number;
}

/** Data-store sizes of a tier; instance classes per cloud (on-prem: CPU/memory per instance). */
export interface DataSizes {
  readonly postgres: {
    readonly instanceClass: Record<Cloud | "onprem", string>;
    readonly storageGb: number;
    readonly maxStorageGb: number;
    readonly ha: boolean;
    readonly backupDays: number;
  };
  readonly redis: { readonly nodeType: Record<Cloud | "onprem", string>; readonly ha: boolean };
  /** GCP's Firestore is serverless: no class. */
  readonly documents: { readonly instanceClass: Partial<Record<Cloud | "onprem", string>>; readonly instances: number };
}

/** Observability sizes of a tier: Prometheus's volume and how Loki is deployed. */
export interface ObservabilitySizes {
  readonly metricsVolumeGb: number;
  /** Loki's deployment: one process (monolithic) or each component scaled alone (distributed). */
  readonly logsMode: "monolithic" | "distributed";
}

export interface TierDefaults {
  /** NAT gateways on AWS: one shared (cheaper, one zone's outage cuts egress) or one per zone. */
  readonly natGateways: "single" | "one-per-zone";
  readonly data: DataSizes;
  readonly observability: ObservabilitySizes;
  /** Node pools per cloud: `system` runs the add-ons, `workloads` the product. */
  readonly nodePools: Record<Cloud, { readonly system: NodePoolSize; readonly workloads: NodePoolSize }>;
}

// System pools span three zones, so their minimum is at least one node a zone from
// medium up. The seed sizes small nodes as t3.large with 100 GB gp3; larger tiers use
// non-burstable general-purpose types of the same family generation on each cloud.
export const TIERS: Record<Tier, TierDefaults> = {
  small: {
    natGateways: "single",
    data: {
      // The seed's db.t3.medium class, on the current (Graviton) generation.
      postgres: { instanceClass: { aws: "db.t4g.medium", azure: "B_Standard_B2ms", gcp: "db-custom-2-8192", onprem: "2" }, storageGb: 100, maxStorageGb: 1000, ha: false, backupDays: 7 },
      redis: { nodeType: { aws: "cache.t4g.small", azure: "Balanced_B1", gcp: "1", onprem: "1Gi" }, ha: false },
      documents: { instanceClass: { aws: "db.t4g.medium", azure: "M30", onprem: "2" }, instances: 1 },
    },
    // About 1-2 GB a day for a 10-node cluster's series: 15 days fit with room to spare.
    observability: { metricsVolumeGb: 50, logsMode: "monolithic" },
    nodePools: {
      aws: { system: pool("t3.large", 2, 3), workloads: pool("t3.large", 1, 8) },
      azure: { system: pool("Standard_D2s_v5", 2, 3), workloads: pool("Standard_D4s_v5", 1, 8) },
      gcp: { system: pool("e2-standard-2", 2, 3), workloads: pool("e2-standard-4", 1, 8) },
    },
  },
  medium: {
    natGateways: "one-per-zone",
    data: {
      postgres: { instanceClass: { aws: "db.m7g.large", azure: "GP_Standard_D4ds_v5", gcp: "db-custom-4-16384", onprem: "4" }, storageGb: 200, maxStorageGb: 2000, ha: true, backupDays: 14 },
      redis: { nodeType: { aws: "cache.m7g.large", azure: "Balanced_B5", gcp: "5", onprem: "4Gi" }, ha: true },
      documents: { instanceClass: { aws: "db.r6g.large", azure: "M40", onprem: "4" }, instances: 3 },
    },
    observability: { metricsVolumeGb: 100, logsMode: "monolithic" },
    nodePools: {
      aws: { system: pool("m6i.large", 3, 5), workloads: pool("m6i.xlarge", 3, 45) },
      azure: { system: pool("Standard_D4s_v5", 3, 5), workloads: pool("Standard_D8s_v5", 3, 45) },
      gcp: { system: pool("n2-standard-4", 3, 5), workloads: pool("n2-standard-8", 3, 45) },
    },
  },
  large: {
    natGateways: "one-per-zone",
    data: {
      postgres: { instanceClass: { aws: "db.r7g.xlarge", azure: "MO_Standard_E8ds_v5", gcp: "db-custom-8-32768", onprem: "8" }, storageGb: 500, maxStorageGb: 4000, ha: true, backupDays: 35 },
      redis: { nodeType: { aws: "cache.r7g.xlarge", azure: "MemoryOptimized_M20", gcp: "13", onprem: "8Gi" }, ha: true },
      documents: { instanceClass: { aws: "db.r6g.xlarge", azure: "M50", onprem: "8" }, instances: 3 },
    },
    // Loki's monolithic mode is meant for about 20 GB of logs a day; 50+ nodes pass that.
    observability: { metricsVolumeGb: 250, logsMode: "distributed" },
    nodePools: {
      aws: { system: pool("m6i.xlarge", 3, 6, 200), workloads: pool("m6i.2xlarge", 6, 200, 200) },
      azure: { system: pool("Standard_D8s_v5", 3, 6, 200), workloads: pool("Standard_D16s_v5", 6, 200, 200) },
      gcp: { system: pool("n2-standard-8", 3, 6, 200), workloads: pool("n2-standard-16", 6, 200, 200) },
    },
  },
};

function pool(instanceType: string, min: number, max: number, diskGb = 100): NodePoolSize {
  return { instanceType, min, max, diskGb };
}

/**
 * vCPUs of an AWS instance type from its size (t3.large: 2, m6i.2xlarge: 8), for the
 * Karpenter NodePool's CPU budget. `medium` is 2 vCPUs on burstable t-types, else 1.
 * Undefined for sizes that do not follow the pattern (metal, nano).
 */
export function awsVcpus(instanceType: string): number | undefined {
  const m = /^([a-z][a-z0-9-]*)\.(medium|large|(\d*)xlarge)$/.exec(instanceType);
  if (!m) return undefined;
  if (m[2] === "medium") return m[1].startsWith("t") ? 2 : 1;
  if (m[2] === "large") return 2;
  return 4 * Number(m[3] || 1);
}
