import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";

/**
 * Builds the stacks of one deployment. Only the chosen target's module is loaded:
 * each provider package costs hundreds of MB when required (DESIGN.md, Conventions).
 */
export async function buildStacks(scope: Construct, spec: DeploymentSpec): Promise<ByocStack[]> {
  switch (spec.target.cloud) {
    case "aws":
      return (await import("./aws")).awsStacks(scope, spec);
    case "azure":
      return (await import("./azure")).azureStacks(scope, spec);
    case "gcp":
      return (await import("./gcp")).gcpStacks(scope, spec);
    case "onprem":
      return (await import("./onprem")).onpremStacks(scope, spec);
  }
}
