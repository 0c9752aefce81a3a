import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import { withProviders } from "../lib/core/provider-packages";
import type { ByocStack } from "../lib/core/stack";

/**
 * Builds the stacks of one deployment. Only the chosen target's module is loaded:
 * each provider package costs hundreds of MB when required (DESIGN.md, Conventions).
 * A provider package that is not installed is a MissingProviderError naming it.
 */
export async function buildStacks(scope: Construct, spec: DeploymentSpec): Promise<ByocStack[]> {
  const cloud = spec.target.cloud;
  switch (cloud) {
    case "aws":
      return (await withProviders(cloud, () => import("./aws"))).awsStacks(scope, spec);
    case "azure":
      return (await withProviders(cloud, () => import("./azure"))).azureStacks(scope, spec);
    case "gcp":
      return (await withProviders(cloud, () => import("./gcp"))).gcpStacks(scope, spec);
    case "onprem":
      return (await withProviders(cloud, () => import("./onprem"))).onpremStacks(scope, spec);
  }
}
