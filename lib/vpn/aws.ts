import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CustomerGateway } from "@cdktf/provider-aws/lib/customer-gateway";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { VpnConnection } from "@cdktf/provider-aws/lib/vpn-connection";
import { VpnConnectionRoute } from "@cdktf/provider-aws/lib/vpn-connection-route";
import { VpnGateway } from "@cdktf/provider-aws/lib/vpn-gateway";
import { VpnGatewayRoutePropagation } from "@cdktf/provider-aws/lib/vpn-gateway-route-propagation";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../config/schema";
import { CLOUD_BGP_ASN } from "../config/validate";
import { contains, isPublicAddress, parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { IAwsKey } from "../data/keys/aws";
import type { IAwsNetwork } from "../network/aws";
import { IPSEC } from "./ipsec";

/** A site-to-site peer: one gateway address, an IPsec connection with two tunnels. */
export interface AwsVpnPeer {
  /** Names the peer's resources: 1-24 of a-z, 0-9 and "-". */
  readonly name: string;
  /** The peer's ranges, routed over the tunnels (statically without `bgpAsn`). */
  readonly cidrs: readonly string[];
  /** The public IPv4 address of the peer's VPN device. */
  readonly gatewayIp: string;
  /** The Secrets Manager secret (name or ARN) holding the IPsec pre-shared key; read at plan time. */
  readonly pskSecret: string;
  /** The peer's BGP ASN. @default - none: routes are static */
  readonly bgpAsn?: number;
  /** The link-local /30 (in 169.254.0.0/16) of each tunnel. @default - chosen by AWS */
  readonly tunnelInsideCidrs?: readonly [string, string];
}

export interface AwsSiteToSiteVpnProps {
  /** The VPC the gateway attaches to, and the private route tables peer routes propagate into. */
  readonly network: IAwsNetwork;
  readonly peers: readonly AwsVpnPeer[];
  /** Encrypts the tunnel log group. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: IAwsKey;
  /** Days to keep tunnel logs, one of LOG_RETENTION_DAYS. @default 365 */
  readonly logRetentionDays?: number;
  /** The virtual private gateway's own BGP ASN. @default AwsSiteToSiteVpn.DEFAULT_ASN */
  readonly amazonSideAsn?: number;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

const LINK_LOCAL = parseIpv4Cidr("169.254.0.0/16")!;

/**
 * A virtual private gateway on the VPC and, per peer, a customer gateway and an
 * IPsec connection with two tunnels: IKEv2 only, AES-GCM/SHA-2 with elliptic-curve DH
 * groups, tunnel logs to an encrypted log group. The pre-shared key is read from
 * Secrets Manager at plan time; the synthesized JSON holds only the reference.
 * Peer routes propagate into the private route tables (keyed by the network's zones
 * when there is one table per zone); the data subnets stay reachable from inside the
 * VPC only.
 */
export class AwsSiteToSiteVpn extends Construct {
  static readonly DEFAULT_ASN = CLOUD_BGP_ASN.aws;
  static readonly DEFAULT_LOG_RETENTION_DAYS = 365;

  readonly gateway: VpnGateway;
  readonly amazonSideAsn: number;
  readonly logRetentionDays: number;
  /** Each peer's VPN connection id, for tunnel alarms. */
  readonly connectionIds: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: AwsSiteToSiteVpnProps) {
    super(scope, id);
    this.amazonSideAsn = props.amazonSideAsn ?? AwsSiteToSiteVpn.DEFAULT_ASN;
    this.logRetentionDays = props.logRetentionDays ?? AwsSiteToSiteVpn.DEFAULT_LOG_RETENTION_DAYS;
    this.validate(props.peers);
    setComponent(this, "vpn");
    const { network } = props;
    const naming = namingOf(this, props.naming);
    this.gateway = new VpnGateway(this, "Gateway", {
      vpcId: network.vpcId,
      amazonSideAsn: String(this.amazonSideAsn),
      tags: { Name: naming.name("vgw") },
    });
    const tables = network.privateRouteTableIds;
    const byZone = tables.length === network.zones.length;
    tables.forEach((routeTableId, i) => {
      new VpnGatewayRoutePropagation(this, `Propagation-${byZone ? network.zones[i] : i}`, { vpnGatewayId: this.gateway.id, routeTableId });
    });
    const logs = new CloudwatchLogGroup(this, "TunnelLogs", {
      name: `/aws/vpn/${naming.name("site-to-site")}`,
      retentionInDays: this.logRetentionDays,
      kmsKeyId: props.logsKey?.arn,
    });

    for (const peer of props.peers) {
      const customer = new CustomerGateway(this, `CustomerGateway-${peer.name}`, {
        // Static routing still needs an ASN on the customer gateway; 65000 is AWS's default.
        bgpAsn: String(peer.bgpAsn ?? 65000),
        ipAddress: peer.gatewayIp,
        type: "ipsec.1",
        tags: { Name: naming.name("cgw", peer.name) },
      });
      const psk = new DataAwsSecretsmanagerSecretVersion(this, `Psk-${peer.name}`, {
        secretId: peer.pskSecret,
      }).secretString;
      const { encryption, integrity, dhGroups } = IPSEC.aws;
      const logOptions = { cloudwatchLogOptions: { logEnabled: true, logGroupArn: logs.arn, logOutputFormat: "json" } };
      const connection = new VpnConnection(this, `Connection-${peer.name}`, {
        vpnGatewayId: this.gateway.id,
        customerGatewayId: customer.id,
        type: "ipsec.1",
        staticRoutesOnly: peer.bgpAsn === undefined,
        tunnel1PresharedKey: psk,
        tunnel2PresharedKey: psk,
        tunnel1InsideCidr: peer.tunnelInsideCidrs?.[0],
        tunnel2InsideCidr: peer.tunnelInsideCidrs?.[1],
        tunnel1IkeVersions: ["ikev2"],
        tunnel2IkeVersions: ["ikev2"],
        tunnel1Phase1EncryptionAlgorithms: [...encryption],
        tunnel2Phase1EncryptionAlgorithms: [...encryption],
        tunnel1Phase2EncryptionAlgorithms: [...encryption],
        tunnel2Phase2EncryptionAlgorithms: [...encryption],
        tunnel1Phase1IntegrityAlgorithms: [...integrity],
        tunnel2Phase1IntegrityAlgorithms: [...integrity],
        tunnel1Phase2IntegrityAlgorithms: [...integrity],
        tunnel2Phase2IntegrityAlgorithms: [...integrity],
        tunnel1Phase1DhGroupNumbers: [...dhGroups],
        tunnel2Phase1DhGroupNumbers: [...dhGroups],
        tunnel1Phase2DhGroupNumbers: [...dhGroups],
        tunnel2Phase2DhGroupNumbers: [...dhGroups],
        tunnel1LogOptions: logOptions,
        tunnel2LogOptions: logOptions,
        tags: { Name: naming.name("vpn", peer.name) },
      });
      this.connectionIds[peer.name] = connection.id;
      if (peer.bgpAsn === undefined) {
        for (const cidr of peer.cidrs) {
          new VpnConnectionRoute(this, `Route-${peer.name}-${cidr.replace(/[./]/g, "-")}`, {
            vpnConnectionId: connection.id,
            destinationCidrBlock: cidr,
          });
        }
      }
    }
  }

  private validate(peers: readonly AwsVpnPeer[]) {
    const label = `AwsSiteToSiteVpn ${this.node.path}`;
    if (!Token.isUnresolved(this.logRetentionDays) && !(LOG_RETENTION_DAYS as readonly number[]).includes(this.logRetentionDays)) {
      throw new Error(`${label}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${this.logRetentionDays})`);
    }
    peers.forEach((peer, i) => {
      const at = `${label}: peers[${i}]`;
      if (!/^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/.test(peer.name)) throw new Error(`${at}.name must be 1-24 characters of a-z, 0-9 and "-", starting with a letter (got ${JSON.stringify(peer.name)})`);
      if (peers.findIndex((p) => p.name === peer.name) !== i) throw new Error(`${at}.name ${JSON.stringify(peer.name)} is another peer's; peer names must be unique`);
      if (peer.cidrs.length === 0) throw new Error(`${at}.cidrs must list at least one range (got [])`);
      for (const cidr of peer.cidrs) {
        if (!Token.isUnresolved(cidr) && !parseIpv4Cidr(cidr)) throw new Error(`${at}.cidrs: ${JSON.stringify(cidr)} is not an IPv4 range such as 192.168.0.0/20`);
      }
      if (!Token.isUnresolved(peer.gatewayIp) && !isPublicAddress(peer.gatewayIp)) throw new Error(`${at}.gatewayIp must be the public IPv4 address of the peer's VPN device (got ${JSON.stringify(peer.gatewayIp)})`);
      if (peer.bgpAsn !== undefined && !Token.isUnresolved(peer.bgpAsn) && peer.bgpAsn === this.amazonSideAsn) throw new Error(`${at}.bgpAsn ${peer.bgpAsn} is the gateway's own ASN; pick another`);
      (peer.tunnelInsideCidrs ?? []).forEach((cidr, j) => {
        if (Token.isUnresolved(cidr)) return;
        const block = parseIpv4Cidr(cidr);
        if (!block || block.prefix !== 30 || !contains(LINK_LOCAL, block)) {
          throw new Error(`${at}.tunnelInsideCidrs[${j}] must be a /30 in 169.254.0.0/16, such as 169.254.10.0/30 (got ${JSON.stringify(cidr)})`);
        }
      });
    });
  }
}
