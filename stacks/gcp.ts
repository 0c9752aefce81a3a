import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import type { Construct } from "constructs";
import { GkeCluster } from "../lib/cluster/gke";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { GcpDataLayer } from "../lib/data/gcp";
import { GcpKeys } from "../lib/data/keys/gcp";
import { GcpDns } from "../lib/dns/gcp";
import { GcpNetwork } from "../lib/network/gcp";
import { GcpAuditLogins } from "../lib/audit/sql/gcp";
import { PlatformNamespace } from "../lib/platform/namespaces";
import { Platform } from "../lib/platform/platform";
import { SecureNodes } from "../lib/secure-nodes/secure-nodes";
import { GcpPlatformTarget } from "../lib/platform/targets/gcp";
import { GcpCloudAlerts } from "../lib/observability/cloud/gcp";
import { Observability } from "../lib/observability/observability";
import { GcpSiteToSiteVpn } from "../lib/vpn/gcp";
import { gcpCloudAlertsProps, gcpDataProps, gcpDnsProps, gcpKeysProps, gcpNetworkProps, gcpTargetProps, gcpVpnProps, gkeClusterProps, isGcpSpec } from "./gcp-props";
import { observabilityProps } from "./observability-props";
import { platformProps } from "./platform-props";
import { secureNodesProps } from "./secure-nodes-props";
import { auditBackend, cloudAuditLedger } from "./audit";
import { cloudLedgerProps } from "./audit-props";
import { specStack } from "./spec-stack";

/**
 * GCP: infra (VPC, DNS, VPN, keys, GKE, data stores and buckets) and platform (in-cluster
 * add-ons on the GKE cluster). Both stacks' google provider carries the spec's region and
 * project; without a project, the constructs read the credentials' at plan time.
 */
export function gcpStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (!isGcpSpec(spec)) throw new Error(`gcpStacks needs a gcp target, got ${spec.target.cloud}`);
  const provider = (stack: ByocStack) => new GoogleProvider(stack, "google", { project: spec.target.project, region: spec.target.region });

  const infra = specStack(scope, spec, "infra");
  provider(infra);
  const network = new GcpNetwork(infra, "Network", gcpNetworkProps(spec));
  const dns = new GcpDns(infra, "Dns", gcpDnsProps(spec, network));
  const vpnProps = gcpVpnProps(spec, network);
  const vpn = vpnProps && new GcpSiteToSiteVpn(infra, "SiteToSiteVpn", vpnProps);
  const keys = new GcpKeys(infra, "Keys", gcpKeysProps(spec, network));
  const cluster = new GkeCluster(infra, "Cluster", gkeClusterProps(spec, network, keys));
  const ledger = cloudLedgerProps(spec);
  const data = new GcpDataLayer(infra, "Data", { ...gcpDataProps(spec, network, keys), audit: ledger !== undefined });
  const observability = observabilityProps(spec);
  if (observability) new GcpCloudAlerts(infra, "CloudAlerts", gcpCloudAlertsProps(spec, { network, vpn, cluster, data }));

  const platform = specStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const target = new GcpPlatformTarget(platform, "Target", { ...gcpTargetProps(spec, network), cluster, controlPlaneCidr: cluster.controlPlaneCidr, data, publicZoneName: dns.publicZone?.name });
  const addons = new Platform(platform, "Platform", { ...platformProps(spec), target });
  const monitoring = observability && new Observability(platform, "Observability", { ...observability, target, secrets: addons.secrets, addons: addons.metrics });
  const auditNamespace = ledger && data.postgres && new PlatformNamespace(platform, "AuditNamespace", { name: "audit", component: "audit" });
  const auditLogins = auditNamespace && data.postgres && new GcpAuditLogins(platform, "AuditLogins", { cluster, namespace: auditNamespace, server: data.postgres.auditServer });
  const audit = ledger && auditNamespace && auditLogins && cloudAuditLedger(platform, spec, { ledger, namespace: auditNamespace, logins: auditLogins, target });
  auditBackend(platform, spec, {
    secrets: addons.secrets,
    metricsCrds: monitoring ? monitoring.metrics.crds : undefined,
    tenants: addons.tenants,
    stores: data.stores,
    storageClass: cluster.storageClass,
    ledger: audit ? audit.access : undefined,
  });
  const nodes = secureNodesProps(spec, target);
  if (nodes) new SecureNodes(platform, "SecureNodes", { ...nodes, target, secrets: addons.secrets, monitoring: monitoring && { crds: monitoring.metrics.crds, dependsOn: [monitoring.metrics.release] } });
  return [infra, platform];
}
