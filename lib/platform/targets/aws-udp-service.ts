import { Eip } from "@cdktf/provider-aws/lib/eip";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { IEksCluster } from "../../cluster/eks";
import type { Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import type { IAwsNetwork } from "../../network/aws";
import type { UdpServiceExposure, UdpServiceRequest } from "../target";
import { checkUdpServiceRequest, peerKey } from "./udp-service";

/** What AwsPlatformTarget gives awsUdpService. */
export interface AwsUdpServiceContext {
  /** Its nodes' security group admits the UDP port from the peers. */
  readonly cluster: Pick<IEksCluster, "nodeSecurityGroupId">;
  /** The VPC (its range: where the NLB's health checks come from) and its public subnets, for static addresses. */
  readonly network: IAwsNetwork;
  readonly naming: Naming;
  /** Elastic IPs are `prevent_destroy`. */
  readonly protection: boolean;
}

/** The AWS Load Balancer Controller's Service annotations. */
const LB = "service.beta.kubernetes.io/aws-load-balancer";

/**
 * A UDP service behind an NLB of the AWS Load Balancer Controller with the pods as IP
 * targets (UDP target groups always keep the client's address), internal or
 * internet-facing, whose target group checks the pods over HTTP on their TCP health
 * port: target groups cannot check UDP, and the default (TCP on the traffic port) would
 * fail.
 *
 * The kit writes every security-group rule and the controller none. Left alone, the
 * controller (v3.5.0) builds the NLB's group from `loadBalancerSourceRanges` and, on the
 * nodes' group, admits its own backend group on both ports whatever
 * `manage-backend-security-group-rules` says: the nodes would take whatever the NLB
 * passes, and the peers would be checked once, by a group outside Terraform. Naming the
 * kit's own group (backend rules off) makes the peer allowlist two groups in Terraform:
 * the NLB's admits the UDP port from the peers (the controller then ignores
 * `loadBalancerSourceRanges`), and the nodes' group (every node's, Karpenter's included,
 * whose pods share its ENIs) admits the UDP port from the peers and the health port from
 * the VPC, where the NLB's health checks come from. Health checks obey the NLB group's
 * outbound rules: it reaches the VPC on those two ports only.
 *
 * `staticAddresses` (internet-facing only): an Elastic IP per public subnet, the subnets
 * named so the counts match, `prevent_destroy` unless `protection` is off.
 */
export function awsUdpService(scope: Construct, request: UdpServiceRequest, context: AwsUdpServiceContext): UdpServiceExposure {
  checkUdpServiceRequest("AwsPlatformTarget", request);
  const { network, cluster, naming } = context;
  const { udpPort, healthPort, peers } = request;
  const service = `${request.namespace}/${request.name}`;
  const staticAddresses = request.staticAddresses ?? false;
  if (staticAddresses && request.internal) {
    throw new Error(`AwsPlatformTarget udpService ${service}: staticAddresses need an internet-facing load balancer (internal: false)`);
  }
  if (staticAddresses && network.publicSubnetIds.length === 0) {
    throw new Error(`AwsPlatformTarget udpService ${service}: staticAddresses need the network's public subnets (it has none)`);
  }

  const exposure = new Construct(scope, `UdpExposure-${request.name}`);
  const groupName = naming.name("nlb", `${request.namespace}-${request.name}`, 255);
  const group = new SecurityGroup(exposure, "LoadBalancerSecurityGroup", {
    name: groupName,
    description: `${service}: UDP ${udpPort} from trusted peers only`,
    vpcId: network.vpcId,
    tags: { Name: groupName },
  });
  const udp = { ipProtocol: "udp", fromPort: udpPort, toPort: udpPort };
  const health = { ipProtocol: "tcp", fromPort: healthPort, toPort: healthPort };
  const fromPeers = (prefix: string, securityGroupId: string) =>
    peers.map(
      (cidr, i) =>
        new VpcSecurityGroupIngressRule(exposure, `${prefix}FromPeer-${peerKey(cidr, i)}`, {
          securityGroupId,
          description: `${service}: UDP ${udpPort} from trusted peer ${cidr}`,
          cidrIpv4: cidr,
          ...udp,
        }),
    );
  const rules = [
    ...fromPeers("LoadBalancer", group.id),
    new VpcSecurityGroupEgressRule(exposure, "LoadBalancerToPods", {
      securityGroupId: group.id,
      description: `${service}: to the pods on UDP ${udpPort}`,
      cidrIpv4: network.cidr,
      ...udp,
    }),
    new VpcSecurityGroupEgressRule(exposure, "LoadBalancerHealthChecks", {
      securityGroupId: group.id,
      description: `${service}: health checks to the pods on TCP ${healthPort}`,
      cidrIpv4: network.cidr,
      ...health,
    }),
    ...fromPeers("Nodes", cluster.nodeSecurityGroupId),
    new VpcSecurityGroupIngressRule(exposure, "NodesHealthChecks", {
      securityGroupId: cluster.nodeSecurityGroupId,
      description: `${service}: load balancer health checks on TCP ${healthPort}`,
      cidrIpv4: network.cidr,
      ...health,
    }),
  ];

  const annotations: Record<string, string> = {
    [`${LB}-type`]: "external",
    [`${LB}-nlb-target-type`]: "ip",
    [`${LB}-scheme`]: request.internal ? "internal" : "internet-facing",
    [`${LB}-healthcheck-protocol`]: "http",
    [`${LB}-healthcheck-port`]: String(healthPort),
    [`${LB}-healthcheck-path`]: request.healthPath,
    [`${LB}-security-groups`]: group.id,
    [`${LB}-manage-backend-security-group-rules`]: "false",
  };
  const subnets = network.publicSubnetIds;
  // Keyed by zone where the subnets follow the zones, so adding a zone moves no address.
  const keys = network.zones.length === subnets.length ? network.zones : subnets.map((_, i) => String(i));
  const addresses = staticAddresses
    ? keys.map((key) => {
        const name = naming.name("nlb", `${request.namespace}-${request.name}-${key}`, 255);
        return protect(new Eip(exposure, `Address-${key}`, { domain: "vpc", tags: { Name: name } }), context.protection);
      })
    : [];
  if (addresses.length > 0) {
    annotations[`${LB}-subnets`] = subnets.join(",");
    annotations[`${LB}-eip-allocations`] = addresses.map((a) => a.allocationId).join(",");
  }
  return { type: "LoadBalancer", annotations, healthCheckSources: [network.cidr], grants: [group, ...rules, ...addresses] };
}
