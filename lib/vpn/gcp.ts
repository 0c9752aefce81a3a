import { ComputeExternalVpnGateway } from "@cdktf/provider-google/lib/compute-external-vpn-gateway";
import { ComputeHaVpnGateway } from "@cdktf/provider-google/lib/compute-ha-vpn-gateway";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterInterface } from "@cdktf/provider-google/lib/compute-router-interface";
import { ComputeRouterPeer } from "@cdktf/provider-google/lib/compute-router-peer";
import { ComputeVpnTunnel } from "@cdktf/provider-google/lib/compute-vpn-tunnel";
import { DataGoogleSecretManagerSecretVersion } from "@cdktf/provider-google/lib/data-google-secret-manager-secret-version";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { CLOUD_BGP_ASN } from "../config/validate";
import { contains, host, isPublicAddress, parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { resolveProject } from "../network/gcp-context";

/** A site-to-site peer of HA VPN: one gateway address, two tunnels, a BGP session on each. */
export interface GcpVpnPeer {
  /** Names the peer's resources: 1-24 of a-z, 0-9 and "-". */
  readonly name: string;
  /** The public IPv4 address of the peer's VPN device. */
  readonly gatewayIp: string;
  /** The Secret Manager secret holding the IPsec pre-shared key (its id, or `projects/<project>/secrets/<id>`); read at plan time. */
  readonly pskSecret: string;
  /** The peer's BGP ASN: HA VPN routes by BGP only. */
  readonly bgpAsn: number;
  /** The link-local /30 (in 169.254.0.0/16) of each tunnel's BGP session: the router takes the first address, the peer the second. */
  readonly tunnelInsideCidrs: readonly [string, string];
}

export interface GcpSiteToSiteVpnProps {
  /** The VPC the gateway and router attach to: its id (`projects/<project>/global/networks/<name>`). */
  readonly networkId: string;
  readonly peers: readonly GcpVpnPeer[];
  /** The Cloud Router's own BGP ASN. @default GcpSiteToSiteVpn.DEFAULT_ASN */
  readonly asn?: number;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * HA VPN: a two-interface gateway and a Cloud Router (BGP) and, per peer, an external
 * gateway and two IKEv2 tunnels, one from each interface, each with its BGP session
 * on the peer's link-local /30s. The shared secret is read from Secret Manager at plan
 * time; the synthesized JSON holds only the reference.
 */
export class GcpSiteToSiteVpn extends Construct {
  static readonly DEFAULT_ASN = CLOUD_BGP_ASN.gcp;

  readonly gateway: ComputeHaVpnGateway;
  readonly region: string;
  readonly project: string;
  readonly asn: number;
  /** Every tunnel's name (`<peer>-0`, `<peer>-1`), for alerts on their state. */
  readonly tunnelNames: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: GcpSiteToSiteVpnProps) {
    super(scope, id);
    this.asn = props.asn ?? GcpSiteToSiteVpn.DEFAULT_ASN;
    validatePeers(this, props.peers, this.asn);
    setComponent(this, "vpn");
    const naming = namingOf(this, props.naming);
    const region = (this.region = resolveRegion(this, "google", props.region));
    const project = (this.project = resolveProject(this, props.project));
    this.gateway = new ComputeHaVpnGateway(this, "Gateway", {
      name: naming.name("vpn"),
      project,
      region,
      network: props.networkId,
      stackType: "IPV4_ONLY",
    });
    const router = new ComputeRouter(this, "Router", {
      name: naming.name("vpn"),
      project,
      region,
      network: props.networkId,
      bgp: { asn: this.asn, advertiseMode: "DEFAULT" },
    });

    for (const peer of props.peers) {
      const inside = peer.tunnelInsideCidrs;
      const external = new ComputeExternalVpnGateway(this, `PeerGateway-${peer.name}`, {
        name: naming.name("peer", peer.name),
        project,
        redundancyType: "SINGLE_IP_INTERNALLY_REDUNDANT",
        interface: [{ id: 0, ipAddress: peer.gatewayIp }],
      });
      const secret = new DataGoogleSecretManagerSecretVersion(this, `Psk-${peer.name}`, {
        project,
        secret: peer.pskSecret,
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
        this.tunnelNames[`${peer.name}-${i}`] = tunnel.name;
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
          peerAsn: peer.bgpAsn,
          advertisedRoutePriority: 100,
        });
      });
    }
  }
}

const LINK_LOCAL = parseIpv4Cidr("169.254.0.0/16")!;

function validatePeers(vpn: GcpSiteToSiteVpn, peers: readonly GcpVpnPeer[], asn: number): void {
  const label = `GcpSiteToSiteVpn ${vpn.node.path}`;
  peers.forEach((peer, i) => {
    const at = `${label}: peers[${i}]`;
    if (!/^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/.test(peer.name)) throw new Error(`${at}.name must be 1-24 characters of a-z, 0-9 and "-", starting with a letter (got ${JSON.stringify(peer.name)})`);
    if (peers.findIndex((p) => p.name === peer.name) !== i) throw new Error(`${at}.name ${JSON.stringify(peer.name)} is another peer's; peer names must be unique`);
    if (!Token.isUnresolved(peer.gatewayIp) && !isPublicAddress(peer.gatewayIp)) throw new Error(`${at}.gatewayIp must be the public IPv4 address of the peer's VPN device (got ${JSON.stringify(peer.gatewayIp)})`);
    if (!Token.isUnresolved(peer.bgpAsn) && peer.bgpAsn === asn) throw new Error(`${at}.bgpAsn ${peer.bgpAsn} is the Cloud Router's own ASN; pick another`);
    peer.tunnelInsideCidrs.forEach((cidr, j) => {
      if (Token.isUnresolved(cidr)) return;
      const block = parseIpv4Cidr(cidr);
      if (!block || block.prefix !== 30 || !contains(LINK_LOCAL, block)) {
        throw new Error(`${at}.tunnelInsideCidrs[${j}] must be a /30 in 169.254.0.0/16, such as 169.254.10.0/30 (got ${JSON.stringify(cidr)})`);
      }
    });
  });
}
