import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import { EksCluster } from "../lib/cluster/eks";
import { Karpenter } from "../lib/cluster/karpenter";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { specStack } from "./spec-stack";
import { AwsDataLayer } from "../lib/data/aws";
import { AwsKeys, type DisasterRecoveryRegion } from "../lib/data/keys/aws";
import { AwsDns } from "../lib/dns/aws";
import { AwsNetwork } from "../lib/network/aws";
import { Platform } from "../lib/platform/platform";
import { AwsPlatformTarget } from "../lib/platform/targets/aws";
import { AwsSiteToSiteVpn } from "../lib/vpn/aws";

/** AWS: infra (keys, VPC, DNS, VPN, EKS, Karpenter's AWS side, data stores) and platform (in-cluster add-ons). */
export function awsStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "aws") throw new Error(`awsStacks needs an aws target, got ${spec.target.cloud}`);
  const { region, accountId } = spec.target;
  const allowedAccountIds = accountId ? [accountId] : undefined;
  const provider = (stack: ByocStack) => new AwsProvider(stack, "aws", { region, allowedAccountIds });

  const infra = specStack(scope, spec, "infra");
  provider(infra);
  const naming = infra.naming;
  const disasterRecovery = drRegion(infra, spec, allowedAccountIds);
  const keys = new AwsKeys(infra, "Keys", { naming, region, protection: spec.data.protection, disasterRecovery });
  const network = new AwsNetwork(infra, "Network", { spec, region, naming, logsKey: keys.logs, accountId: keys.accountId });
  const dns = new AwsDns(infra, "Dns", { spec, naming, network });
  if (spec.network.peers.length > 0) {
    new AwsSiteToSiteVpn(infra, "SiteToSiteVpn", {
      naming,
      network,
      peers: spec.network.peers,
      logsKey: keys.logs,
      logRetentionDays: spec.network.flowLogRetentionDays,
    });
  }
  const cluster = new EksCluster(infra, "Cluster", { spec, naming, region, network, keys });
  const karpenter = new Karpenter(infra, "Karpenter", { spec, naming, cluster, keys });
  const data = new AwsDataLayer(infra, "Data", { spec, naming, region, network, keys, clients: cluster.securityGroups.nodes, disasterRecovery });

  const platform = specStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const target = new AwsPlatformTarget(platform, "Target", { spec, cluster, karpenter, network, dns, volumesKey: keys.volumes, data });
  new Platform(platform, "Platform", { spec, target });
  return [infra, platform];
}

/** A second provider for the disaster-recovery region, only when the spec copies backups there. */
function drRegion(infra: ByocStack, spec: DeploymentSpec, allowedAccountIds?: string[]): DisasterRecoveryRegion | undefined {
  const dr = spec.data.disasterRecovery;
  if (!dr) return undefined;
  if (!dr.region) throw new Error("data.disasterRecovery.region is required on aws");
  return { region: dr.region, provider: new AwsProvider(infra, "aws-dr", { alias: "dr", region: dr.region, allowedAccountIds }) };
}
