import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import { AwsAuditLogins } from "../lib/audit/sql/aws";
import { EksCluster } from "../lib/cluster/eks";
import { Karpenter } from "../lib/cluster/karpenter";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { AwsDataLayer } from "../lib/data/aws";
import { AwsKeys, type DisasterRecoveryRegion } from "../lib/data/keys/aws";
import { AwsDns, ROUTE53_LOGS_REGION } from "../lib/dns/aws";
import { AwsNetwork } from "../lib/network/aws";
import { AwsCloudAlarms } from "../lib/observability/cloud/aws";
import { Observability } from "../lib/observability/observability";
import { PlatformNamespace } from "../lib/platform/namespaces";
import { Platform } from "../lib/platform/platform";
import { SecureNodes } from "../lib/secure-nodes/secure-nodes";
import { AwsPlatformTarget } from "../lib/platform/targets/aws";
import { AwsSiteToSiteVpn } from "../lib/vpn/aws";
import { awsCloudAlarmsProps, awsDnsProps, awsKeysProps, awsNetworkProps, awsTargetProps, awsVpnProps, eksClusterProps, isAwsSpec, karpenterProps, type AwsSpec } from "./aws-props";
import { awsDataProps } from "./aws-data-props";
import { auditBackend, cloudAuditLedger } from "./audit";
import { cloudLedgerProps } from "./audit-props";
import { observabilityProps } from "./observability-props";
import { platformProps } from "./platform-props";
import { secureNodesProps } from "./secure-nodes-props";
import { specStack } from "./spec-stack";

/**
 * AWS: infra (keys, VPC, DNS, VPN, EKS, Karpenter's AWS side, data stores) and platform
 * (in-cluster add-ons). Both stacks' AWS provider carries the spec's region (and account
 * allowlist); every construct takes its region from it.
 */
export function awsStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (!isAwsSpec(spec)) throw new Error(`awsStacks needs an aws target, got ${spec.target.cloud}`);
  const { region, accountId } = spec.target;
  const allowedAccountIds = accountId ? [accountId] : undefined;
  const provider = (stack: ByocStack) => new AwsProvider(stack, "aws", { region, allowedAccountIds });

  const infra = specStack(scope, spec, "infra");
  provider(infra);
  const disasterRecovery = drRegion(infra, spec, allowedAccountIds);
  const keys = new AwsKeys(infra, "Keys", awsKeysProps(spec, disasterRecovery));
  const network = new AwsNetwork(infra, "Network", awsNetworkProps(spec, keys));
  const dns = new AwsDns(infra, "Dns", awsDnsProps(spec, network, keys, usEast1(infra, spec, allowedAccountIds)));
  const vpnProps = awsVpnProps(spec, network, keys);
  const vpn = vpnProps && new AwsSiteToSiteVpn(infra, "SiteToSiteVpn", vpnProps);
  const cluster = new EksCluster(infra, "Cluster", eksClusterProps(spec, network, keys));
  const karpenter = new Karpenter(infra, "Karpenter", karpenterProps(spec, cluster, keys));
  const ledger = cloudLedgerProps(spec);
  const data = new AwsDataLayer(infra, "Data", { ...awsDataProps(spec, { network, keys, clientSecurityGroupIds: [cluster.nodeSecurityGroupId], disasterRecovery }), audit: ledger !== undefined });
  const observability = observabilityProps(spec);
  if (observability) new AwsCloudAlarms(infra, "CloudAlarms", awsCloudAlarmsProps(spec, { network, vpn, cluster, data, keys }));

  const platform = specStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const auditNamespace = ledger && new PlatformNamespace(platform, "AuditNamespace", { name: "audit", component: "audit" });
  const auditLogins = auditNamespace && data.postgres && new AwsAuditLogins(platform, "AuditLogins", { cluster, namespace: auditNamespace, server: data.postgres.auditServer });
  const target = new AwsPlatformTarget(platform, "Target", { ...awsTargetProps(spec, network, dns, keys), cluster, karpenter, data, auditSignIn: auditLogins?.appStatement });
  const addons = new Platform(platform, "Platform", { ...platformProps(spec), target });
  const monitoring = observability && new Observability(platform, "Observability", { ...observability, target, secrets: addons.secrets, addons: addons.metrics });
  const nodes = secureNodesProps(spec, target);
  if (nodes) new SecureNodes(platform, "SecureNodes", { ...nodes, target, secrets: addons.secrets, monitoring: monitoring && { crds: monitoring.metrics.crds, dependsOn: [monitoring.metrics.release] } });
  const audit = ledger && auditNamespace && auditLogins && cloudAuditLedger(platform, spec, { ledger, namespace: auditNamespace, logins: auditLogins, target });
  auditBackend(platform, spec, {
    secrets: addons.secrets,
    metricsCrds: monitoring ? monitoring.metrics.crds : undefined,
    tenants: addons.tenants,
    stores: data.stores,
    storageClass: cluster.storageClass,
    ledger: audit ? audit.access : undefined,
  });
  return [infra, platform];
}

/**
 * A provider for us-east-1, where Route 53 writes query logs and DNSSEC keys live: only
 * with a public zone, in a stack of another region.
 */
function usEast1(infra: ByocStack, spec: AwsSpec, allowedAccountIds?: string[]): AwsProvider | undefined {
  if (!spec.dns.domain || !(spec.dns.queryLogs || spec.dns.dnssec) || spec.target.region === ROUTE53_LOGS_REGION) return undefined;
  return new AwsProvider(infra, "aws-us-east-1", { alias: "us_east_1", region: ROUTE53_LOGS_REGION, allowedAccountIds });
}

/** A second provider for the disaster-recovery region, only when the spec copies backups there. */
function drRegion(infra: ByocStack, spec: DeploymentSpec, allowedAccountIds?: string[]): DisasterRecoveryRegion | undefined {
  const dr = spec.data.disasterRecovery;
  if (!dr) return undefined;
  if (!dr.region) throw new Error("data.disasterRecovery.region is required on aws");
  return { region: dr.region, provider: new AwsProvider(infra, "aws-dr", { alias: "dr", region: dr.region, allowedAccountIds }) };
}
