import { DataGoogleClientConfig } from "@cdktf/provider-google/lib/data-google-client-config";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import type { Construct } from "constructs";
import { GkeCluster } from "../lib/cluster/gke";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { specStack } from "./spec-stack";
import { GcpDataLayer } from "../lib/data/gcp";
import { GcpKeys } from "../lib/data/keys/gcp";
import { GcpDns } from "../lib/dns/gcp";
import { GcpNetwork } from "../lib/network/gcp";
import { Platform } from "../lib/platform/platform";
import { GcpPlatformTarget } from "../lib/platform/targets/gcp";
import { GcpSiteToSiteVpn } from "../lib/vpn/gcp";

/** GCP: infra (VPC, DNS, VPN, keys, GKE, data stores and buckets) and platform (in-cluster add-ons on the GKE cluster). */
export function gcpStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "gcp") throw new Error(`gcpStacks needs a gcp target, got ${spec.target.cloud}`);
  const target = spec.target;
  const provider = (stack: ByocStack) =>
    new GoogleProvider(stack, "google", {
      project: target.project,
      region: target.region,
    });
  // Without a project in the spec, the provider's (GOOGLE_PROJECT) is used.
  const projectOf = (stack: ByocStack) => target.project ?? new DataGoogleClientConfig(stack, "Client").project;

  const infra = specStack(scope, spec, "infra");
  provider(infra);
  const project = projectOf(infra);
  const network = new GcpNetwork(infra, "Network", { spec, region: target.region, naming: infra.naming, project });
  const dns = new GcpDns(infra, "Dns", { spec, naming: infra.naming, network, project });
  if (spec.network.peers.length > 0) {
    new GcpSiteToSiteVpn(infra, "SiteToSiteVpn", { naming: infra.naming, network, peers: spec.network.peers, project });
  }
  const keys = new GcpKeys(infra, "Keys", { naming: infra.naming, project, region: target.region, computeApi: network.apis, data: spec.data });
  const cluster = new GkeCluster(infra, "Cluster", { spec, naming: infra.naming, network, keys, project });
  const data = new GcpDataLayer(infra, "Data", { spec, naming: infra.naming, project, network, keys });

  const platform = specStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const platformTarget = new GcpPlatformTarget(platform, "Target", { spec, cluster, project: projectOf(platform), publicZone: dns.publicZone, data });
  new Platform(platform, "Platform", { spec, target: platformTarget });
  return [infra, platform];
}
