import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import type { IAzureNetwork } from "../network/azure";

export interface AzurePrivateEndpointProps {
  /** Names the endpoint and the zone link. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The endpoint goes in its private-endpoints subnet, the zone is linked to its VNet. */
  readonly network: IAzureNetwork;
  /** Short name of the store, for the endpoint's and the link's names (e.g. "redis"). */
  readonly name: string;
  /** The resource the endpoint connects to. */
  readonly resourceId: string;
  /** Its private-link sub-resource, e.g. "blob", "redisEnterprise", "MongoCluster". */
  readonly subresource: string;
  /** The service's privatelink zone, e.g. "privatelink.blob.core.windows.net". */
  readonly zoneName: string;
}

/**
 * A store's private endpoint in the private-endpoints subnet and its privatelink DNS
 * zone linked to the VNet: inside the network (and for the site-to-site peers that
 * resolve through it) the store's public name resolves to the private address, and
 * nothing outside reaches it once its public access is off.
 */
export class AzurePrivateEndpoint extends Construct {
  readonly endpoint: PrivateEndpoint;
  readonly zone: PrivateDnsZone;

  constructor(scope: Construct, id: string, props: AzurePrivateEndpointProps) {
    super(scope, id);
    const { network, name } = props;
    const naming = namingOf(this, props.naming);
    const resourceGroupName = network.resourceGroupName;
    this.zone = new PrivateDnsZone(this, "Zone", { name: props.zoneName, resourceGroupName });
    const link = new PrivateDnsZoneVirtualNetworkLink(this, "ZoneLink", {
      name: naming.name(name, "vnet-link", 80),
      resourceGroupName,
      privateDnsZoneName: this.zone.name,
      virtualNetworkId: network.vnetId,
      registrationEnabled: false,
    });
    this.endpoint = new PrivateEndpoint(this, "Endpoint", {
      name: naming.name(name, "pe", 80),
      location: network.location,
      resourceGroupName,
      subnetId: network.privateEndpointsSubnetId,
      privateServiceConnection: {
        name: naming.name(name, "psc", 80),
        privateConnectionResourceId: props.resourceId,
        subresourceNames: [props.subresource],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name, privateDnsZoneIds: [this.zone.id] },
      dependsOn: [link],
    });
  }
}
