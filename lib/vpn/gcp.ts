import { ComputeExternalVpnGateway } from "@cdktf/provider-google/lib/compute-external-vpn-gateway";
import { ComputeHaVpnGateway } from "@cdktf/provider-google/lib/compute-ha-vpn-gateway";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterInterface } from "@cdktf/provider-google/lib/compute-router-interface";
import { ComputeRouterPeer } from "@cdktf/provider-google/lib/compute-router-peer";
import { ComputeVpnTunnel } from "@cdktf/provider-google/lib/compute-vpn-tunnel";
import { DataGoogleSecretManagerSecretVersion } from "@cdktf/provider-google/lib/data-google-secret-manager-secret-version";
import { Construct } from "constructs";
import type { PeerSpec } from "../config/schema";
import { CLOUD_BGP_ASN } from "../config/validate";
import { host } from "../core/cidr";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { GcpNetwork } from "../network/gcp";

export interface GcpSiteToSiteVpnProps {
  readonly naming: Naming;
  readonly network: GcpNetwork;
  readonly peers: readonly PeerSpec[];
  readonly project: string;
}

/**
 * HA VPN: a two-interface gateway and a Cloud Router (BGP) and, per peer, an external
 * gateway and two IKEv2 tunnels, one from each interface, each with its BGP session
 * on the peer's link-local /30s. The shared secret is read from Secret Manager at plan
 * time; the synthesized JSON holds only the reference.
 */
export class GcpSiteToSiteVpn extends Construct {
  readonly gateway: ComputeHaVpnGateway;

  constructor(scope: Construct, id: string, props: GcpSiteToSiteVpnProps) {
    super(scope, id);
    setComponent(this, "vpn");
    const { naming, network, project } = props;
    const region = network.region;
    this.gateway = new ComputeHaVpnGateway(this, "Gateway", {
      name: naming.name("vpn"),
      project,
      region,
      network: network.network.id,
      stackType: "IPV4_ONLY",
    });
    const router = new ComputeRouter(this, "Router", {
      name: naming.name("vpn"),
      project,
      region,
      network: network.network.id,
      bgp: { asn: CLOUD_BGP_ASN.gcp, advertiseMode: "DEFAULT" },
    });

    for (const peer of props.peers) {
      // Validation guarantees both on gcp.
      const [asn, inside] = [peer.bgpAsn!, peer.tunnelInsideCidrs!];
      const external = new ComputeExternalVpnGateway(this, `PeerGateway-${peer.name}`, {
        name: naming.name("peer", peer.name),
        project,
        redundancyType: "SINGLE_IP_INTERNALLY_REDUNDANT",
        interface: [{ id: 0, ipAddress: peer.gatewayIp }],
      });
      const secret = new DataGoogleSecretManagerSecretVersion(this, `Psk-${peer.name}`, {
        project,
        secret: peer.psk.secretRef,
      }).secretData;
      [0, 1].forEach((i) => {
        const tunnel = new ComputeVpnTunnel(this, `Tunnel-${peer.name}-${i}`, {
          name: naming.name(peer.name, `tunnel${i}`),
          project,
          region,
          vpnGateway: this.gateway.id,
          vpnGatewayInterface: i,
          peerExternalGateway: external.id,
          peerExternalGatewayInterface: 0,
          sharedSecret: secret,
          router: router.id,
          ikeVersion: 2,
        });
        const iface = new ComputeRouterInterface(this, `Interface-${peer.name}-${i}`, {
          name: naming.name(peer.name, `if${i}`),
          project,
          region,
          router: router.name,
          ipRange: host(inside[i], 1).withPrefix,
          vpnTunnel: tunnel.name,
        });
        new ComputeRouterPeer(this, `BgpPeer-${peer.name}-${i}`, {
          name: naming.name(peer.name, `bgp${i}`),
          project,
          region,
          router: router.name,
          interface: iface.name,
          peerIpAddress: host(inside[i], 2).address,
          peerAsn: asn,
          advertisedRoutePriority: 100,
        });
      });
    }
  }
}
