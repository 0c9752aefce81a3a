import { DataAzurermKeyVaultSecret } from "@cdktf/provider-azurerm/lib/data-azurerm-key-vault-secret";
import { LocalNetworkGateway } from "@cdktf/provider-azurerm/lib/local-network-gateway";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { VirtualNetworkGateway } from "@cdktf/provider-azurerm/lib/virtual-network-gateway";
import { VirtualNetworkGatewayConnection } from "@cdktf/provider-azurerm/lib/virtual-network-gateway-connection";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { IAzureNetwork } from "../network/azure";
import { IPSEC } from "./ipsec";
import { requireProp } from "../core/validate";

/** A network reached over the VPN, routed statically (this version has no BGP on Azure). */
export interface AzureVpnPeer {
  /** Names the peer's local gateway and connection: 1-24 of a-z, 0-9 and "-". */
  readonly name: string;
  /** The peer's address ranges. */
  readonly cidrs: readonly string[];
  /** The public address of the peer's VPN device. */
  readonly gatewayIp: string;
  /** The secret in `keyVaultId` holding the IPsec pre-shared key. */
  readonly pskSecretName: string;
}

export interface AzureSiteToSiteVpnProps {
  /** The gateway's resource group, region and zones. */
  readonly network: IAzureNetwork;
  /** The VNet's `GatewaySubnet` (AzureNetwork.gatewaySubnet() creates it). */
  readonly gatewaySubnetId: string;
  readonly peers: readonly AzureVpnPeer[];
  /** Key Vault holding the pre-shared keys (resource id); read at plan time. */
  readonly keyVaultId: string;
  /**
   * The gateway SKU, an AZ SKU (the only ones Azure still creates). VpnGw1AZ's
   * generation is left to Azure; larger SKUs are Generation2.
   * @default AzureSiteToSiteVpn.DEFAULT_SKU ("VpnGw1AZ")
   */
  readonly sku?: string;
  /** Names the gateway, its IP and the connections. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * A route-based VPN gateway in the VNet's GatewaySubnet (zone-redundant in zonal
 * regions) and, per peer, a local network gateway and an IKEv2 connection with a
 * custom IPsec policy (GCM-AES-256, ECP384, PFS). The pre-shared key is read from Key
 * Vault at plan time; the synthesized JSON holds only the reference.
 */
export class AzureSiteToSiteVpn extends Construct {
  static readonly DEFAULT_SKU = "VpnGw1AZ";
  static readonly SKUS = ["VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"];
  readonly gateway: VirtualNetworkGateway;
  readonly sku: string;
  /** Each peer's connection id, for its health alert. */
  readonly connectionIds: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: AzureSiteToSiteVpnProps) {
    super(scope, id);
    requireProp(this, "sku", props.sku, (s) => AzureSiteToSiteVpn.SKUS.includes(s), `one of ${AzureSiteToSiteVpn.SKUS.join(", ")}`);
    requireProp(this, "peers", props.peers, (peers) => peers.length > 0, "at least one peer");
    props.peers.forEach((peer, i) => {
      requireProp(this, `peers[${i}].name`, peer.name, (n) => /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/.test(n), '1-24 characters of a-z, 0-9 and "-", starting with a letter');
      requireProp(this, `peers[${i}].pskSecretName`, peer.pskSecretName, (n) => /^[0-9A-Za-z-]{1,127}$/.test(n), "a Key Vault secret name, 1-127 letters, digits and -");
    });
    setComponent(this, "vpn");
    const naming = namingOf(this, props.naming);
    const { network } = props;
    this.sku = props.sku ?? AzureSiteToSiteVpn.DEFAULT_SKU;
    const location = network.location;
    const resourceGroupName = network.resourceGroupName;
    const zonal = network.zones.length > 0;
    const ip = new PublicIp(this, "GatewayIp", {
      name: naming.name("vpn", "ip", 80),
      location,
      resourceGroupName,
      sku: "Standard",
      allocationMethod: "Static",
      zones: zonal ? ["1", "2", "3"] : undefined,
    });
    // AZ SKUs are the only ones Azure still creates; in regions without zones they
    // are simply regional. VpnGw1AZ's generation is left to Azure, which is moving
    // gateways to Generation2 (pinning it would force a rebuild when that happens).
    this.gateway = new VirtualNetworkGateway(this, "Gateway", {
      name: naming.name("vpn", "gw", 80),
      location,
      resourceGroupName,
      type: "Vpn",
      vpnType: "RouteBased",
      sku: this.sku,
      generation: this.sku === "VpnGw1AZ" ? undefined : "Generation2",
      activeActive: false,
      ipConfiguration: [{ name: "default", publicIpAddressId: ip.id, subnetId: props.gatewaySubnetId, privateIpAddressAllocation: "Dynamic" }],
    });

    for (const peer of props.peers) {
      const local = new LocalNetworkGateway(this, `LocalGateway-${peer.name}`, {
        name: naming.name("lgw", peer.name, 80),
        location,
        resourceGroupName,
        gatewayAddress: peer.gatewayIp,
        addressSpace: [...peer.cidrs],
      });
      const psk = new DataAzurermKeyVaultSecret(this, `Psk-${peer.name}`, {
        name: peer.pskSecretName,
        keyVaultId: props.keyVaultId,
      }).value;
      const p = IPSEC.azure;
      this.connectionIds[peer.name] = new VirtualNetworkGatewayConnection(this, `Connection-${peer.name}`, {
        name: naming.name("vpn", peer.name, 80),
        location,
        resourceGroupName,
        type: "IPsec",
        virtualNetworkGatewayId: this.gateway.id,
        localNetworkGatewayId: local.id,
        connectionProtocol: "IKEv2",
        sharedKey: psk,
        ipsecPolicy: {
          ikeEncryption: p.ikeEncryption,
          ikeIntegrity: p.ikeIntegrity,
          dhGroup: p.dhGroup,
          ipsecEncryption: p.ipsecEncryption,
          ipsecIntegrity: p.ipsecIntegrity,
          pfsGroup: p.pfsGroup,
          saLifetime: p.saLifetime,
        },
      }).id;
    }
  }
}
