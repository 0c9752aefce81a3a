import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import { EksCluster } from "../lib/cluster/eks";
import { Karpenter } from "../lib/cluster/karpenter";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import { ByocStack } from "../lib/core/stack";
import { AwsKeys } from "../lib/data/keys/aws";
import { AwsDns } from "../lib/dns/aws";
import { AwsNetwork } from "../lib/network/aws";
import { Platform } from "../lib/platform/platform";
import { AwsPlatformTarget } from "../lib/platform/targets/aws";
import { AwsSiteToSiteVpn } from "../lib/vpn/aws";

/** AWS: infra (keys, VPC, DNS, VPN, EKS, Karpenter's AWS side) and platform (in-cluster add-ons). */
export function awsStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "aws") throw new Error(`awsStacks needs an aws target, got ${spec.target.cloud}`);
  const { region, accountId } = spec.target;
  const provider = (stack: ByocStack) =>
    new AwsProvider(stack, "aws", { region, allowedAccountIds: accountId ? [accountId] : undefined });

  const infra = new ByocStack(scope, spec, "infra");
  provider(infra);
  const naming = infra.naming;
  const keys = new AwsKeys(infra, "Keys", { naming, region });
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

  const platform = new ByocStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const target = new AwsPlatformTarget(platform, "Target", { spec, cluster, karpenter, network, dns, volumesKey: keys.volumes });
  new Platform(platform, "Platform", { spec, target });
  return [infra, platform];
}
