import type { SpecInput } from "./schema";

/** The default region per cloud for the embedded deployment. */
const DEFAULT_REGION = { aws: "us-west-2", azure: "westeurope", gcp: "us-central1" } as const;

export const TARGET_CLOUDS = ["aws", "azure", "gcp", "onprem"] as const;

/**
 * The embedded deployment `npm run synth` builds when no spec is given: every default,
 * one per target. Credentials, subscription and project come from the clouds' usual
 * environment variables at plan time.
 */
export function defaultSpec(cloud: (typeof TARGET_CLOUDS)[number]): SpecInput {
  return {
    name: "byoc",
    target: cloud === "onprem" ? { cloud } : { cloud, region: DEFAULT_REGION[cloud] },
  };
}
