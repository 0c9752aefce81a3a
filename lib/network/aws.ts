import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { INetwork } from "./network";
import { awsPlan } from "./plan";

/**
 * An AWS network as the rest of the kit uses it: ids only, so the kit's own AwsNetwork
 * and an existing VPC (AwsNetwork.fromVpcAttributes) fit alike.
 */
export interface IAwsNetwork extends INetwork {
  readonly vpcId: string;
  /** Subnets for internet-facing load balancers. */
  readonly publicSubnetIds: string[];
  /** Subnets for nodes, pods and internal load balancers, with a route out through NAT. */
  readonly privateSubnetIds: string[];
  /** Isolated subnets for data stores, with no route to the internet. */
  readonly dataSubnetIds: string[];
  /** Route tables of the private subnets, where site-to-site VPN routes propagate. */
  readonly privateRouteTableIds: string[];
}

export interface AwsNetworkProps {
  readonly spec: DeploymentSpec;
  readonly region: string;
  readonly naming: Naming;
  /** Encrypts the flow-log group. */
  readonly logsKey: KmsKey;
  /** The account id, to keep the flow-log service from acting for other accounts. */
  readonly accountId: string;
}

/** Interface endpoint service names behind each spec endpoint name. */
const INTERFACE_SERVICES: Record<string, string[]> = { ecr: ["ecr.api", "ecr.dkr"] };

/**
 * A VPC across the spec's zones: public subnets for load balancers and NAT, private
 * subnets for nodes and pods, isolated data subnets with no route to the internet.
 * Every per-zone resource is keyed by zone name, so adding a zone adds resources and
 * changes none. No subnet assigns public IPs on launch; the default security group is
 * stripped of its rules; flow logs go to a KMS-encrypted log group.
 */
export class AwsNetwork extends Construct implements INetwork {
  readonly vpc: Vpc;
  readonly cidr: string;
  readonly zones: readonly string[];
  readonly peerCidrs: readonly string[];
  readonly publicSubnets: Subnet[] = [];
  readonly privateSubnets: Subnet[] = [];
  readonly dataSubnets: Subnet[] = [];
  /** Route tables of the private subnets, one per zone (VPN routes propagate into them). */
  readonly privateRouteTables: RouteTable[] = [];
  readonly dataRouteTable: RouteTable;

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    setComponent(this, "network");
    const { spec, naming } = props;
    const net = spec.network;
    this.cidr = net.cidr;
    this.zones = net.zones;
    this.peerCidrs = net.peers.flatMap((p) => p.cidrs);
    const plan = awsPlan(net.cidr, net.zones);
    const cluster = naming.cluster;

    this.vpc = new Vpc(this, "Vpc", {
      cidrBlock: net.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: naming.name("vpc") },
    });
    new DefaultSecurityGroup(this, "DefaultSecurityGroup", {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: naming.name("default-deny") },
    });
    const igw = new InternetGateway(this, "InternetGateway", { vpcId: this.vpc.id, tags: { Name: naming.name("igw") } });

    const publicRoutes = new RouteTable(this, "PublicRouteTable", { vpcId: this.vpc.id, tags: { Name: naming.name("public") } });
    new Route(this, "PublicDefaultRoute", { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });
    this.dataRouteTable = new RouteTable(this, "DataRouteTable", { vpcId: this.vpc.id, tags: { Name: naming.name("data") } });

    const nats: Record<string, NatGateway> = {};
    for (const zone of net.zones) {
      const subnet = (kind: string, cidrBlock: string, tags: Record<string, string>) =>
        new Subnet(this, `${kind}-${zone}`, {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock,
          mapPublicIpOnLaunch: false,
          tags: { Name: naming.name(kind.toLowerCase(), zone), ...tags },
        });
      const pub = subnet("Public", plan.public[zone], { "kubernetes.io/role/elb": "1" });
      const priv = subnet("Private", plan.private[zone], {
        "kubernetes.io/role/internal-elb": "1",
        "karpenter.sh/discovery": cluster,
      });
      const data = subnet("Data", plan.data[zone], {});
      this.publicSubnets.push(pub);
      this.privateSubnets.push(priv);
      this.dataSubnets.push(data);
      new RouteTableAssociation(this, `PublicAssoc-${zone}`, { subnetId: pub.id, routeTableId: publicRoutes.id });
      new RouteTableAssociation(this, `DataAssoc-${zone}`, { subnetId: data.id, routeTableId: this.dataRouteTable.id });

      // The single NAT gateway is the first zone's; switching to one per zone keeps it.
      if (net.natGateways === "one-per-zone" || zone === net.zones[0]) {
        const eip = new Eip(this, `NatIp-${zone}`, { domain: "vpc", tags: { Name: naming.name("nat", zone) } });
        nats[zone] = new NatGateway(this, `Nat-${zone}`, {
          allocationId: eip.allocationId,
          subnetId: pub.id,
          tags: { Name: naming.name("nat", zone) },
          dependsOn: [igw],
        });
      }
      const privRoutes = new RouteTable(this, `PrivateRouteTable-${zone}`, {
        vpcId: this.vpc.id,
        tags: { Name: naming.name("private", zone) },
      });
      new Route(this, `PrivateDefaultRoute-${zone}`, {
        routeTableId: privRoutes.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: (nats[zone] ?? nats[net.zones[0]]).id,
      });
      new RouteTableAssociation(this, `PrivateAssoc-${zone}`, { subnetId: priv.id, routeTableId: privRoutes.id });
      this.privateRouteTables.push(privRoutes);
    }

    this.endpoints(props.region, net.endpoints, naming);
    this.flowLogs(naming, props.logsKey, props.accountId, net.flowLogRetentionDays);
  }

  private endpoints(region: string, services: readonly string[], naming: Naming) {
    if (services.includes("s3")) {
      // Gateway endpoint: free, and ECR image layers come from S3.
      new VpcEndpoint(this, "Endpoint-s3", {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [...this.privateRouteTables.map((t) => t.id), this.dataRouteTable.id],
        tags: { Name: naming.name("s3") },
      });
    }
    const iface = services.filter((s) => s !== "s3").flatMap((s) => INTERFACE_SERVICES[s] ?? [s]);
    if (iface.length === 0) return;
    const sg = new SecurityGroup(this, "EndpointSecurityGroup", {
      name: naming.name("endpoints"),
      description: "HTTPS from inside the VPC to AWS service endpoints",
      vpcId: this.vpc.id,
      tags: { Name: naming.name("endpoints") },
    });
    new VpcSecurityGroupIngressRule(this, "EndpointHttpsFromVpc", {
      securityGroupId: sg.id,
      description: "HTTPS from the VPC",
      cidrIpv4: this.cidr,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    });
    for (const service of iface) {
      new VpcEndpoint(this, `Endpoint-${service.replace(/\./g, "-")}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: this.privateSubnets.map((s) => s.id),
        securityGroupIds: [sg.id],
        tags: { Name: naming.name(service.replace(/\./g, "-")) },
      });
    }
  }

  private flowLogs(naming: Naming, key: KmsKey, accountId: string, retentionInDays: number) {
    const group = new CloudwatchLogGroup(this, "FlowLogGroup", {
      name: `/aws/vpc/${naming.name("flow-logs")}`,
      retentionInDays,
      kmsKeyId: key.arn,
    });
    const trust = new DataAwsIamPolicyDocument(this, "FlowLogTrust", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
        },
      ],
    });
    const role = new IamRole(this, "FlowLogRole", {
      name: naming.name("flow-logs", undefined, 64),
      assumeRolePolicy: trust.json,
    });
    const write = new DataAwsIamPolicyDocument(this, "FlowLogWrite", {
      statement: [
        {
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [`${group.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, "FlowLogRolePolicy", { role: role.id, name: "write-flow-logs", policy: write.json });
    new FlowLog(this, "FlowLog", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: { Name: naming.name("flow-logs") },
    });
  }
}
