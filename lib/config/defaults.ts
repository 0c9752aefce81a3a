import type { SpecInput } from "./schema";

/** The default region per cloud for the embedded deployment. */
const DEFAULT_REGION = { aws: "us-west-2", azure: "westeurope", gcp: "us-central1" } as const;

export const TARGET_CLOUDS = ["aws", "azure", "gcp", "onprem"] as const;

/**
 * The product's namespace in the embedded deployment, with its quota, limit ranges and
 * default-deny policies: half of the small tier's smallest workload pool at its largest
 * (aws: 8 nodes of 2 vCPUs and 8 GiB), so the platform's own pods and a second tenant fit.
 */
const DEFAULT_TENANT = { name: "product", cpu: "8", memory: "32Gi", storage: "100Gi" } as const;

/**
 * The embedded deployment `npm run synth` builds when no spec is given: every default,
 * one per target, and one tenant namespace to show what the product is deployed into.
 * Credentials, subscription and project come from the clouds' usual environment
 * variables at plan time.
 */
export function defaultSpec(cloud: (typeof TARGET_CLOUDS)[number]): SpecInput {
  return {
    name: "byoc",
    target: cloud === "onprem" ? { cloud } : { cloud, region: DEFAULT_REGION[cloud] },
    platform: { tenants: [{ ...DEFAULT_TENANT }] },
  };
}
