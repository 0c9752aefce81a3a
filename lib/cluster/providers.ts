import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Construct } from "constructs";
import type { ClusterConnection } from "./cluster";

/**
 * Configures the kubernetes and helm providers of a platform stack from the cluster's
 * connection. A managed cluster's endpoint and CA come from the infra stack as
 * cross-stack references; the token comes from an exec plugin at plan time.
 */
export function configureClusterProviders(scope: Construct, connection: ClusterConnection): void {
  if ("configPath" in connection) {
    const config = { configPath: connection.configPath, configContext: connection.configContext };
    new KubernetesProvider(scope, "kubernetes", config);
    new HelmProvider(scope, "helm", { kubernetes: config });
    return;
  }
  const { host, clusterCaCertificate, exec } = connection;
  new KubernetesProvider(scope, "kubernetes", { host, clusterCaCertificate, exec: [exec] });
  new HelmProvider(scope, "helm", { kubernetes: { host, clusterCaCertificate, exec } });
}
