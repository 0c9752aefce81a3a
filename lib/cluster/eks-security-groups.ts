import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import type { IAwsNetwork } from "../network/aws";

export interface EksSecurityGroupsProps {
  /** The cluster's name, in the groups' descriptions and the nodes' Karpenter discovery tag. */
  readonly clusterName: string;
  /** The VPC the groups are in; its range and the peers' reach the API server. */
  readonly network: IAwsNetwork;
  /** A remote-access connector runs on the nodes: it also reaches Twingate's relays. @default false */
  readonly remoteAccess?: boolean;
  /** Argo CD fetches the GitOps repository over SSH: nodes also reach TCP 22. @default false */
  readonly gitOverSsh?: boolean;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** Twingate connectors reach the controller over 443 and its relays on TCP 30000-31000. */
const TWINGATE_RELAY_PORTS = { fromPort: 30000, toPort: 31000 } as const;

/**
 * Ports the control plane opens on nodes: kubelet (10250) and the webhook and
 * extension API servers add-ons run (443, 4443, 6443, 8443, 9443, 10251 for
 * metrics-server), the same set terraform-aws-modules/eks opens.
 */
export const CONTROL_PLANE_TO_NODE_PORTS = [443, 4443, 6443, 8443, 9443, 10250, 10251] as const;

/**
 * The cluster's two security groups, with every rule a separate resource (so rules the
 * load balancer controller adds to the node group are left alone).
 *
 * Control plane: HTTPS in from the nodes, the VPC and the site-to-site peers (VPN users
 * and CI runners reach a private API server through them); nothing else. EKS also
 * attaches the security group it creates itself, which carries the control plane's
 * egress.
 *
 * Nodes (managed and Karpenter's): the control-plane ports above, everything between
 * nodes (pods, DNS), and egress only to the VPC (endpoints, load balancers, the
 * control plane), the site-to-site peers, HTTPS anywhere (ECR, S3, STS and other AWS
 * APIs without an endpoint) and, where the spec needs them, Twingate's relay ports and
 * SSH to a GitOps repository. terraform-aws-modules/eks allows all egress; this does not.
 */
export class EksSecurityGroups extends Construct {
  readonly cluster: SecurityGroup;
  readonly nodes: SecurityGroup;

  constructor(scope: Construct, id: string, props: EksSecurityGroupsProps) {
    super(scope, id);
    const { network } = props;
    const naming = namingOf(this, props.naming);
    const vpcId = network.vpcId;

    this.cluster = new SecurityGroup(this, "ControlPlane", {
      name: naming.name("eks-control-plane"),
      description: `${props.clusterName}: Kubernetes API from nodes, the VPC and VPN peers`,
      vpcId,
      tags: { Name: naming.name("eks-control-plane") },
    });
    this.nodes = new SecurityGroup(this, "Nodes", {
      name: naming.name("eks-nodes"),
      description: `${props.clusterName}: nodes (managed and Karpenter)`,
      vpcId,
      // Karpenter's EC2NodeClass selects this group by the discovery tag.
      tags: { Name: naming.name("eks-nodes"), "karpenter.sh/discovery": props.clusterName },
    });

    const apiIn = (key: string, description: string, source: { cidrIpv4?: string; referencedSecurityGroupId?: string }) =>
      new VpcSecurityGroupIngressRule(this, `ApiFrom${key}`, {
        securityGroupId: this.cluster.id,
        description,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        ...source,
      });
    apiIn("Nodes", "Kubernetes API from nodes", { referencedSecurityGroupId: this.nodes.id });
    apiIn("Vpc", "Kubernetes API from the VPC", { cidrIpv4: network.cidr });
    for (const cidr of network.peerCidrs) apiIn(`Peer-${ruleKey(cidr)}`, `Kubernetes API from VPN peer ${cidr}`, { cidrIpv4: cidr });

    for (const port of CONTROL_PLANE_TO_NODE_PORTS) {
      new VpcSecurityGroupIngressRule(this, `NodePort${port}FromControlPlane`, {
        securityGroupId: this.nodes.id,
        description: `Control plane to nodes on ${port}`,
        referencedSecurityGroupId: this.cluster.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
      });
    }
    new VpcSecurityGroupIngressRule(this, "NodeToNode", {
      securityGroupId: this.nodes.id,
      description: "Node to node: pods, DNS, kubelet",
      referencedSecurityGroupId: this.nodes.id,
      ipProtocol: "-1",
    });

    new VpcSecurityGroupEgressRule(this, "NodesToVpc", {
      securityGroupId: this.nodes.id,
      description: "Nodes to the VPC: other nodes, the control plane, endpoints, DNS",
      cidrIpv4: network.cidr,
      ipProtocol: "-1",
    });
    new VpcSecurityGroupEgressRule(this, "NodesHttpsOut", {
      securityGroupId: this.nodes.id,
      description: "Nodes to HTTPS anywhere: ECR, S3, STS and AWS APIs without an endpoint",
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    });
    for (const cidr of network.peerCidrs) {
      new VpcSecurityGroupEgressRule(this, `NodesToPeer-${ruleKey(cidr)}`, {
        securityGroupId: this.nodes.id,
        description: `Nodes to VPN peer ${cidr}`,
        cidrIpv4: cidr,
        ipProtocol: "-1",
      });
    }
    if (props.gitOverSsh) {
      new VpcSecurityGroupEgressRule(this, "NodesToGitSsh", {
        securityGroupId: this.nodes.id,
        description: "Argo CD to the GitOps repository over SSH",
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
      });
    }
    if (props.remoteAccess) {
      new VpcSecurityGroupEgressRule(this, "NodesToTwingateRelays", {
        securityGroupId: this.nodes.id,
        description: "The remote-access connector to Twingate's relays",
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        ...TWINGATE_RELAY_PORTS,
      });
    }
  }
}

function ruleKey(cidr: string): string {
  return cidr.replace(/[./]/g, "-");
}
