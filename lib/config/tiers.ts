/**
 * Sizing tiers from the seed deployments: small (3-10 nodes), medium (10-50),
 * large (50+). A tier only supplies defaults; every value it sets can be overridden in
 * the spec. Values enter here as the code that uses them lands.
 */
export type Tier = "small" | "medium" | "large";

export interface TierDefaults {
  /** NAT gateways on AWS: one shared (cheaper, one zone's outage cuts egress) or one per zone. */
  readonly natGateways: "single" | "one-per-zone";
}

export const TIERS: Record<Tier, TierDefaults> = {
  small: { natGateways: "single" },
  medium: { natGateways: "one-per-zone" },
  large: { natGateways: "one-per-zone" },
};
