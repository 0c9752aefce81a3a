import { DnsZone } from "@cdktf/provider-azurerm/lib/dns-zone";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { setComponent } from "../core/tags";
import type { IAzureNetwork } from "../network/azure";
import type { IDns } from "./dns";

/** An Azure DNS zone by its ids (a DnsZone fits): where cert-manager answers DNS-01 challenges. */
export interface IAzureDnsZone {
  readonly id: string;
  readonly name: string;
  readonly resourceGroupName: string;
}

export interface AzureDnsProps {
  /** The zones go in its resource group; the private zone is linked to its VNet. */
  readonly network: IAzureNetwork;
  /** The product's public domain: a public zone is created to delegate it to. @default - no public zone */
  readonly domain?: string;
  /** The private zone, resolvable inside the VNet. @default - `internal.<domain>`, or `<deployment>.internal` without a domain */
  readonly privateZoneName?: string;
  /** Names the VNet link. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * Azure DNS: a private zone linked to the VNet (no auto-registration of VMs) and,
 * with a domain, a public zone to delegate to (output `public_zone_name_servers`).
 * Certificates come from cert-manager in the cluster.
 */
export class AzureDns extends Construct implements IDns {
  readonly privateZone: PrivateDnsZone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: DnsZone;

  constructor(scope: Construct, id: string, props: AzureDnsProps) {
    super(scope, id);
    setComponent(this, "dns");
    const naming = namingOf(this, props.naming);
    const resourceGroupName = props.network.resourceGroupName;
    this.domain = props.domain;
    this.privateZoneName = props.privateZoneName ?? (props.domain ? `internal.${props.domain}` : `${naming.deployment}.internal`);
    this.privateZone = new PrivateDnsZone(this, "PrivateZone", { name: this.privateZoneName, resourceGroupName });
    new PrivateDnsZoneVirtualNetworkLink(this, "PrivateZoneLink", {
      name: naming.name("vnet-link", undefined, 80),
      resourceGroupName,
      privateDnsZoneName: this.privateZone.name,
      virtualNetworkId: props.network.vnetId,
      registrationEnabled: false,
    });
    if (!props.domain) return;
    this.publicZone = new DnsZone(this, "PublicZone", { name: props.domain, resourceGroupName });
    constructOutput(this, "public_zone_name_servers", {
      value: this.publicZone.nameServers,
      description: `Delegate ${props.domain} to these name servers (NS records in the parent zone).`,
    });
  }
}
