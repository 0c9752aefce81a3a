import { DataAzurermKeyVaultSecret } from "@cdktf/provider-azurerm/lib/data-azurerm-key-vault-secret";
import { LocalNetworkGateway } from "@cdktf/provider-azurerm/lib/local-network-gateway";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { VirtualNetworkGateway } from "@cdktf/provider-azurerm/lib/virtual-network-gateway";
import { VirtualNetworkGatewayConnection } from "@cdktf/provider-azurerm/lib/virtual-network-gateway-connection";
import { Construct } from "constructs";
import type { PeerSpec } from "../config/schema";
import type { Tier } from "../config/tiers";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AzureNetwork } from "../network/azure";
import { IPSEC } from "./ipsec";

export interface AzureSiteToSiteVpnProps {
  readonly naming: Naming;
  readonly network: AzureNetwork;
  readonly peers: readonly PeerSpec[];
  /** Key Vault holding the pre-shared keys (ARM id). */
  readonly keyVaultId: string;
  /** small: VpnGw1AZ; medium and large: VpnGw2AZ (Generation2). */
  readonly tier: Tier;
}

/**
 * A route-based VPN gateway in the VNet's GatewaySubnet (zone-redundant in zonal
 * regions) and, per peer, a local network gateway and an IKEv2 connection with a
 * custom IPsec policy (GCM-AES-256, ECP384, PFS). The pre-shared key is read from Key
 * Vault at plan time; the synthesized JSON holds only the reference.
 */
export class AzureSiteToSiteVpn extends Construct {
  readonly gateway: VirtualNetworkGateway;

  constructor(scope: Construct, id: string, props: AzureSiteToSiteVpnProps) {
    super(scope, id);
    setComponent(this, "vpn");
    const { naming, network } = props;
    const location = network.location;
    const resourceGroupName = network.resourceGroup.name;
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
    const small = props.tier === "small";
    this.gateway = new VirtualNetworkGateway(this, "Gateway", {
      name: naming.name("vpn", "gw", 80),
      location,
      resourceGroupName,
      type: "Vpn",
      vpnType: "RouteBased",
      sku: small ? "VpnGw1AZ" : "VpnGw2AZ",
      generation: small ? undefined : "Generation2",
      activeActive: false,
      ipConfiguration: [
        { name: "default", publicIpAddressId: ip.id, subnetId: network.gatewaySubnet().id, privateIpAddressAllocation: "Dynamic" },
      ],
    });

    for (const peer of props.peers) {
      const local = new LocalNetworkGateway(this, `LocalGateway-${peer.name}`, {
        name: naming.name("lgw", peer.name, 80),
        location,
        resourceGroupName,
        gatewayAddress: peer.gatewayIp,
        addressSpace: peer.cidrs,
      });
      const psk = new DataAzurermKeyVaultSecret(this, `Psk-${peer.name}`, {
        name: peer.psk.secretRef,
        keyVaultId: props.keyVaultId,
      }).value;
      const p = IPSEC.azure;
      new VirtualNetworkGatewayConnection(this, `Connection-${peer.name}`, {
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
      });
    }
  }
}
