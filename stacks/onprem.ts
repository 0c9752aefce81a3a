import type { Construct } from "constructs";
import { ExistingCluster } from "../lib/cluster/existing";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import { ByocStack } from "../lib/core/stack";
import { Platform } from "../lib/platform/platform";
import { OnpremPlatformTarget } from "../lib/platform/targets/onprem";

/**
 * On-prem: the cluster and its network exist already, so there is no infra stack.
 * The platform stack reaches the cluster through the kubeconfig named in the spec.
 */
export function onpremStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  const platform = new ByocStack(scope, spec, "platform");
  const cluster = new ExistingCluster(spec);
  configureClusterProviders(platform, cluster.connection);
  const target = new OnpremPlatformTarget(platform, "Target", { spec, cluster });
  new Platform(platform, "Platform", { spec, target });
  return [platform];
}
