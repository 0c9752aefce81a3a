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

export interface TierDefaults {
  /** NAT gateways on AWS: one shared (cheaper, one zone's outage cuts egress) or one per zone. */
  readonly natGateways: "single" | "one-per-zone";
  /** Node pools per cloud: `system` runs the add-ons, `workloads` the product. */
  readonly nodePools: Record<Cloud, { readonly system: NodePoolSize; readonly workloads: NodePoolSize }>;
}

// System pools span three zones, so their minimum is at least one node a zone from
// medium up. The seed sizes small nodes as t3.large with 100 GB gp3; larger tiers use
// non-burstable general-purpose types of the same family generation on each cloud.
export const TIERS: Record<Tier, TierDefaults> = {
  small: {
    natGateways: "single",
    nodePools: {
      aws: { system: pool("t3.large", 2, 3), workloads: pool("t3.large", 1, 8) },
      azure: { system: pool("Standard_D2s_v5", 2, 3), workloads: pool("Standard_D4s_v5", 1, 8) },
      gcp: { system: pool("e2-standard-2", 2, 3), workloads: pool("e2-standard-4", 1, 8) },
    },
  },
  medium: {
    natGateways: "one-per-zone",
    nodePools: {
      aws: { system: pool("m6i.large", 3, 5), workloads: pool("m6i.xlarge", 3, 45) },
      azure: { system: pool("Standard_D4s_v5", 3, 5), workloads: pool("Standard_D8s_v5", 3, 45) },
      gcp: { system: pool("n2-standard-4", 3, 5), workloads: pool("n2-standard-8", 3, 45) },
    },
  },
  large: {
    natGateways: "one-per-zone",
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
