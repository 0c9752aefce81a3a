import { DataGoogleClientConfig } from "@cdktf/provider-google/lib/data-google-client-config";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import { ByocStack } from "../lib/core/stack";
import { GcpDns } from "../lib/dns/gcp";
import { GcpNetwork } from "../lib/network/gcp";
import { GcpSiteToSiteVpn } from "../lib/vpn/gcp";

/** GCP: infra (VPC, DNS, VPN) and platform (in-cluster add-ons, once the cluster lands). */
export function gcpStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "gcp") throw new Error(`gcpStacks needs a gcp target, got ${spec.target.cloud}`);
  const target = spec.target;
  const provider = (stack: ByocStack) =>
    new GoogleProvider(stack, "google", {
      project: target.project,
      region: target.region,
    });

  const infra = new ByocStack(scope, spec, "infra");
  provider(infra);
  // Without a project in the spec, the provider's (GOOGLE_PROJECT) is used.
  const project = target.project ?? new DataGoogleClientConfig(infra, "Client").project;
  const network = new GcpNetwork(infra, "Network", { spec, region: target.region, naming: infra.naming, project });
  new GcpDns(infra, "Dns", { spec, naming: infra.naming, network, project });
  if (spec.network.peers.length > 0) {
    new GcpSiteToSiteVpn(infra, "SiteToSiteVpn", { naming: infra.naming, network, peers: spec.network.peers, project });
  }

  const platform = new ByocStack(scope, spec, "platform");
  provider(platform);
  return [infra, platform];
}
