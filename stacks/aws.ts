import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import { ByocStack } from "../lib/core/stack";
import { AwsKeys } from "../lib/data/keys/aws";
import { AwsDns } from "../lib/dns/aws";
import { AwsNetwork } from "../lib/network/aws";
import { AwsSiteToSiteVpn } from "../lib/vpn/aws";

/** AWS: infra (keys, VPC, DNS, VPN) and platform (in-cluster add-ons, once the cluster lands). */
export function awsStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "aws") throw new Error(`awsStacks needs an aws target, got ${spec.target.cloud}`);
  const { region, accountId } = spec.target;
  const provider = (stack: ByocStack) =>
    new AwsProvider(stack, "aws", { region, allowedAccountIds: accountId ? [accountId] : undefined });

  const infra = new ByocStack(scope, spec, "infra");
  provider(infra);
  const keys = new AwsKeys(infra, "Keys", { naming: infra.naming, region });
  const network = new AwsNetwork(infra, "Network", {
    spec,
    region,
    naming: infra.naming,
    logsKey: keys.logs,
    accountId: keys.accountId,
  });
  new AwsDns(infra, "Dns", { spec, naming: infra.naming, network });
  if (spec.network.peers.length > 0) {
    new AwsSiteToSiteVpn(infra, "SiteToSiteVpn", {
      naming: infra.naming,
      network,
      peers: spec.network.peers,
      logsKey: keys.logs,
      logRetentionDays: spec.network.flowLogRetentionDays,
    });
  }

  const platform = new ByocStack(scope, spec, "platform");
  provider(platform);
  return [infra, platform];
}
