import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CustomerGateway } from "@cdktf/provider-aws/lib/customer-gateway";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { VpnConnection } from "@cdktf/provider-aws/lib/vpn-connection";
import { VpnConnectionRoute } from "@cdktf/provider-aws/lib/vpn-connection-route";
import { VpnGateway } from "@cdktf/provider-aws/lib/vpn-gateway";
import { VpnGatewayRoutePropagation } from "@cdktf/provider-aws/lib/vpn-gateway-route-propagation";
import { Construct } from "constructs";
import type { PeerSpec } from "../config/schema";
import { CLOUD_BGP_ASN } from "../config/validate";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AwsNetwork } from "../network/aws";
import { IPSEC } from "./ipsec";

export interface AwsSiteToSiteVpnProps {
  readonly naming: Naming;
  readonly network: AwsNetwork;
  readonly peers: readonly PeerSpec[];
  /** Encrypts the tunnel log group. */
  readonly logsKey: KmsKey;
  /** Days to keep tunnel logs. */
  readonly logRetentionDays: number;
}

/**
 * A virtual private gateway on the VPC and, per peer, a customer gateway and an
 * IPsec connection with two tunnels: IKEv2 only, AES-GCM/SHA-2 with elliptic-curve DH
 * groups, tunnel logs to an encrypted log group. The pre-shared key is read from
 * Secrets Manager at plan time; the synthesized JSON holds only the reference.
 * Peer routes propagate into the private route tables; the data subnets stay
 * reachable from inside the VPC only.
 */
export class AwsSiteToSiteVpn extends Construct {
  readonly gateway: VpnGateway;

  constructor(scope: Construct, id: string, props: AwsSiteToSiteVpnProps) {
    super(scope, id);
    setComponent(this, "vpn");
    const { naming, network } = props;
    this.gateway = new VpnGateway(this, "Gateway", {
      vpcId: network.vpc.id,
      amazonSideAsn: String(CLOUD_BGP_ASN.aws),
      tags: { Name: naming.name("vgw") },
    });
    network.privateRouteTables.forEach((table, i) => {
      new VpnGatewayRoutePropagation(this, `Propagation-${network.zones[i]}`, {
        vpnGatewayId: this.gateway.id,
        routeTableId: table.id,
      });
    });
    const logs = new CloudwatchLogGroup(this, "TunnelLogs", {
      name: `/aws/vpn/${naming.name("site-to-site")}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKey.arn,
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
        secretId: peer.psk.secretRef,
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
}
