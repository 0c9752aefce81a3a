import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import { ByocStack } from "../lib/core/stack";

/**
 * On-prem: the cluster and its network exist already, so there is no infra stack.
 * The platform stack reaches the cluster through the kubeconfig named in the spec: a
 * path read at plan time, so no credential is copied into the state.
 */
export function onpremStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "onprem") throw new Error(`onpremStacks needs an onprem target, got ${spec.target.cloud}`);
  const { kubeconfig, context } = spec.target;
  const platform = new ByocStack(scope, spec, "platform");
  new KubernetesProvider(platform, "kubernetes", { configPath: kubeconfig, configContext: context });
  new HelmProvider(platform, "helm", { kubernetes: { configPath: kubeconfig, configContext: context } });
  return [platform];
}
