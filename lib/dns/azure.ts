import { DnsZone } from "@cdktf/provider-azurerm/lib/dns-zone";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AzureNetwork } from "../network/azure";
import type { IDns } from "./dns";

export interface AzureDnsProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
}

/**
 * Azure DNS: a private zone linked to the VNet (no auto-registration of VMs) and,
 * with a domain, a public zone to delegate to. Certificates come from cert-manager
 * in the cluster.
 */
export class AzureDns extends Construct implements IDns {
  readonly privateZone: PrivateDnsZone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: DnsZone;

  constructor(scope: Construct, id: string, props: AzureDnsProps) {
    super(scope, id);
    setComponent(this, "dns");
    const { dns } = props.spec;
    const resourceGroupName = props.network.resourceGroup.name;
    this.privateZoneName = dns.privateZone;
    this.domain = dns.domain;
    this.privateZone = new PrivateDnsZone(this, "PrivateZone", { name: dns.privateZone, resourceGroupName });
    new PrivateDnsZoneVirtualNetworkLink(this, "PrivateZoneLink", {
      name: props.naming.name("vnet-link", undefined, 80),
      resourceGroupName,
      privateDnsZoneName: this.privateZone.name,
      virtualNetworkId: props.network.vnet.id,
      registrationEnabled: false,
    });
    if (!dns.domain) return;
    this.publicZone = new DnsZone(this, "PublicZone", { name: dns.domain, resourceGroupName });
    const nameServers = new TerraformOutput(this, "public_zone_name_servers", {
      value: this.publicZone.nameServers,
      description: `Delegate ${dns.domain} to these name servers (NS records in the parent zone).`,
    });
    // A flat, documented output name, as modules name theirs.
    nameServers.overrideLogicalId("public_zone_name_servers");
  }
}
