import type { Construct } from "constructs";
import { ExistingCluster } from "../lib/cluster/existing";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { OnpremDataLayer } from "../lib/data/onprem";
import { OnpremDataPlan } from "../lib/data/onprem-plan";
import { Observability } from "../lib/observability/observability";
import { Platform } from "../lib/platform/platform";
import { SecureNodes } from "../lib/secure-nodes/secure-nodes";
import { OnpremPlatformTarget } from "../lib/platform/targets/onprem";
import { existingClusterProps, isOnpremSpec, onpremDataPlanProps, onpremTargetProps } from "./onprem-props";
import { observabilityProps } from "./observability-props";
import { platformProps } from "./platform-props";
import { secureNodesProps } from "./secure-nodes-props";
import { auditBackend } from "./audit";
import { specStack } from "./spec-stack";

/**
 * On-prem: the cluster and its network exist already, so there is no infra stack.
 * The platform stack reaches the cluster through the kubeconfig named in the spec and
 * holds the data layer too: its stores run in the cluster, on the Platform's
 * cert-manager and External Secrets.
 */
export function onpremStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (!isOnpremSpec(spec)) throw new Error(`onpremStacks needs an onprem target, got ${spec.target.cloud}`);
  const platform = specStack(scope, spec, "platform");
  const cluster = new ExistingCluster(existingClusterProps(spec));
  configureClusterProviders(platform, cluster.connection);
  const plan = new OnpremDataPlan(onpremDataPlanProps(spec));
  const target = new OnpremPlatformTarget(platform, "Target", { ...onpremTargetProps(spec), cluster, data: plan });
  const addons = new Platform(platform, "Platform", { ...platformProps(spec), target });
  // The target made the data namespace, having been given the plan.
  const data =
    target.dataNamespace &&
    new OnpremDataLayer(platform, "Data", {
      plan,
      namespace: target.dataNamespace,
      certManager: addons.certManager,
      secrets: addons.secrets,
      tenantNamespaces: addons.tenants.map((t) => t.namespace),
      storageClass: cluster.storageClass,
      highAvailability: spec.tier !== "small",
    });
  const observability = observabilityProps(spec);
  const monitoring =
    observability &&
    new Observability(platform, "Observability", {
      ...observability,
      target,
      secrets: addons.secrets,
      addons: [...addons.metrics, ...(data?.metrics ?? [])],
      storageClass: cluster.storageClass,
      // The in-cluster object store holds the logs and metrics buckets: the stores wait for it.
      dependsOn: [...target.prerequisites, ...(data?.objectStorage.release ? [data.objectStorage.release] : [])],
    });
  auditBackend(platform, spec, {
    secrets: addons.secrets,
    metricsCrds: monitoring ? monitoring.metrics.crds : undefined,
    tenants: addons.tenants,
    stores: plan.stores,
    storageClass: cluster.storageClass,
    ledger: data?.auditAccess,
  });
  const nodes = secureNodesProps(spec, target);
  if (nodes) new SecureNodes(platform, "SecureNodes", { ...nodes, target, secrets: addons.secrets, monitoring: monitoring && { crds: monitoring.metrics.crds, dependsOn: [monitoring.metrics.release] } });
  return [platform];
}
