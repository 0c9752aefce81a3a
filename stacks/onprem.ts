import type { Construct } from "constructs";
import { ExistingCluster } from "../lib/cluster/existing";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { specStack } from "./spec-stack";
import { OnpremDataLayer } from "../lib/data/onprem";
import { Platform } from "../lib/platform/platform";
import { OnpremPlatformTarget } from "../lib/platform/targets/onprem";

/**
 * On-prem: the cluster and its network exist already, so there is no infra stack.
 * The platform stack reaches the cluster through the kubeconfig named in the spec and
 * holds the data layer too: its stores run in the cluster, on the Platform's
 * cert-manager and External Secrets.
 */
export function onpremStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  const platform = specStack(scope, spec, "platform");
  const cluster = new ExistingCluster(spec);
  configureClusterProviders(platform, cluster.connection);
  const target = new OnpremPlatformTarget(platform, "Target", { spec, cluster });
  const addons = new Platform(platform, "Platform", { spec, target });
  new OnpremDataLayer(platform, "Data", {
    spec,
    plan: target.data,
    namespace: target.dataNamespace,
    certManager: addons.certManager,
    secrets: addons.secrets,
    tenants: addons.tenants,
  });
  return [platform];
}
