import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
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
import { Token } from "cdktf";
import { Construct } from "constructs";
import { knownZones, ZONE_FORMAT } from "../config/regions";
import { AWS_ENDPOINTS, DEFAULT_AWS_ENDPOINTS, LOG_RETENTION_DAYS } from "../config/schema";
import { TIERS } from "../config/tiers";
import { NETWORK_PREFIX } from "../config/validate";
import { isNetworkAligned, isPrivate, parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import type { IAwsKey } from "../data/keys/aws";
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

/** An existing VPC's ids, for AwsNetwork.fromVpcAttributes. */
export interface AwsVpcAttributes {
  readonly vpcId: string;
  /** The VPC's range: the EKS API and the interface endpoints admit it. */
  readonly cidr: string;
  /** Subnets for nodes, pods and internal load balancers (the EKS cluster's). */
  readonly privateSubnetIds: string[];
  /** Isolated subnets for data stores. @default [] - none: give them to place data stores */
  readonly dataSubnetIds?: string[];
  /** @default [] */
  readonly publicSubnetIds?: string[];
  /** Route tables of the private subnets, in the order of `zones` (site-to-site VPN routes propagate into them). @default [] */
  readonly privateRouteTableIds?: string[];
  /** Zone names the subnets are in. @default [] */
  readonly zones?: readonly string[];
  /** Ranges of site-to-site peers: the EKS API and the nodes admit them. @default [] */
  readonly peerCidrs?: readonly string[];
}

export interface AwsNetworkProps {
  /**
   * The VPC's range: a private IPv4 range from /16 to /20. Subnets are carved from it by
   * awsPlan: per zone a private /p+3, public and data /p+6.
   * @default AwsNetwork.DEFAULT_CIDR
   */
  readonly cidr?: string;
  /**
   * Zone names, 2 to 6 of the region. Every per-zone resource is keyed by its zone, so
   * adding a zone later changes none of the others.
   * @default - the region's first AwsNetwork.DEFAULT_ZONE_COUNT zones (knownZones)
   */
  readonly zones?: readonly string[];
  /**
   * One NAT gateway in the first zone (cheaper; that zone's outage cuts egress), or one
   * per zone. Switching to one per zone keeps the first zone's.
   * @default - the small tier's, TIERS.small.natGateways ("single")
   */
  readonly natGateways?: "single" | "one-per-zone";
  /**
   * Services reached through VPC endpoints (s3 as a gateway endpoint, the others as
   * interface endpoints), from AWS_ENDPOINTS.
   * @default DEFAULT_AWS_ENDPOINTS - what a private EKS cluster needs
   */
  readonly endpoints?: readonly string[];
  /** Days the flow-log group keeps events, one of LOG_RETENTION_DAYS. @default 365 */
  readonly flowLogRetentionDays?: number;
  /** Encrypts the flow-log group; its policy must admit `logs.<region>.amazonaws.com` (AwsKeys' `logs` key does). @default - CloudWatch Logs' own encryption */
  readonly logsKey?: IAwsKey;
  /** Ranges of site-to-site peers, which the EKS API and nodes admit. @default [] */
  readonly peerCidrs?: readonly string[];
  /** The EKS cluster's name, tagged on the private subnets for Karpenter's discovery. @default - the naming's cluster name (`<deployment>-cluster`) */
  readonly clusterName?: string;
  /** The account id, to keep the flow-log service from acting for other accounts. @default - read with an `aws_caller_identity` data source */
  readonly accountId?: string;
  /** @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** Interface endpoint service names behind each endpoint name. */
const INTERFACE_SERVICES: Record<string, string[]> = { ecr: ["ecr.api", "ecr.dkr"] };

/**
 * A VPC across the zones: public subnets for load balancers and NAT, private subnets
 * for nodes and pods, isolated data subnets with no route to the internet.
 * Every per-zone resource is keyed by zone name, so adding a zone adds resources and
 * changes none. No subnet assigns public IPs on launch; the default security group is
 * stripped of its rules; flow logs go to a log group encrypted with `logsKey`.
 */
export class AwsNetwork extends Construct implements IAwsNetwork {
  static readonly DEFAULT_CIDR = "10.0.0.0/16";
  static readonly DEFAULT_ZONE_COUNT = 3;
  static readonly DEFAULT_FLOW_LOG_RETENTION_DAYS = 365;

  /** An existing VPC, for the constructs that take an IAwsNetwork. */
  static fromVpcAttributes(attrs: AwsVpcAttributes): IAwsNetwork {
    return {
      vpcId: attrs.vpcId,
      cidr: attrs.cidr,
      privateSubnetIds: attrs.privateSubnetIds,
      dataSubnetIds: attrs.dataSubnetIds ?? [],
      publicSubnetIds: attrs.publicSubnetIds ?? [],
      privateRouteTableIds: attrs.privateRouteTableIds ?? [],
      zones: attrs.zones ?? [],
      peerCidrs: attrs.peerCidrs ?? [],
    };
  }

  readonly vpc: Vpc;
  readonly vpcId: string;
  readonly cidr: string;
  /** The NAT gateways' ids by zone (one, or one per zone), for alarms on them. */
  readonly natGatewayIds: Record<string, string> = {};
  readonly zones: readonly string[];
  readonly peerCidrs: readonly string[];
  readonly region: string;
  readonly natGateways: "single" | "one-per-zone";
  readonly endpoints: readonly string[];
  readonly flowLogRetentionDays: number;
  readonly publicSubnets: Subnet[] = [];
  readonly privateSubnets: Subnet[] = [];
  readonly dataSubnets: Subnet[] = [];
  readonly publicSubnetIds: string[] = [];
  readonly privateSubnetIds: string[] = [];
  readonly dataSubnetIds: string[] = [];
  /** The private subnets' ranges, in zone order (literal: what NetworkPolicies may name). */
  readonly privateSubnetCidrs: string[];
  /** The data subnets' ranges, in zone order. */
  readonly dataSubnetCidrs: string[];
  /** Route tables of the private subnets, one per zone (VPN routes propagate into them). */
  readonly privateRouteTables: RouteTable[] = [];
  readonly privateRouteTableIds: string[] = [];
  readonly dataRouteTable: RouteTable;

  constructor(scope: Construct, id: string, props: AwsNetworkProps = {}) {
    super(scope, id);
    this.cidr = props.cidr ?? AwsNetwork.DEFAULT_CIDR;
    this.natGateways = props.natGateways ?? TIERS.small.natGateways;
    this.endpoints = props.endpoints ?? DEFAULT_AWS_ENDPOINTS;
    this.flowLogRetentionDays = props.flowLogRetentionDays ?? AwsNetwork.DEFAULT_FLOW_LOG_RETENTION_DAYS;
    this.peerCidrs = props.peerCidrs ?? [];
    this.region = resolveRegion(this, "aws", props.region);
    this.zones = props.zones ?? this.defaultZones();
    this.validate();
    setComponent(this, "network");
    const naming = namingOf(this, props.naming);
    const zones = this.zones;
    const plan = awsPlan(this.cidr, zones);
    this.privateSubnetCidrs = zones.map((z) => plan.private[z]);
    this.dataSubnetCidrs = zones.map((z) => plan.data[z]);
    const cluster = props.clusterName ?? naming.cluster;

    this.vpc = new Vpc(this, "Vpc", {
      cidrBlock: this.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: naming.name("vpc") },
    });
    this.vpcId = this.vpc.id;
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
    for (const zone of zones) {
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
      this.publicSubnetIds.push(pub.id);
      this.privateSubnetIds.push(priv.id);
      this.dataSubnetIds.push(data.id);
      new RouteTableAssociation(this, `PublicAssoc-${zone}`, { subnetId: pub.id, routeTableId: publicRoutes.id });
      new RouteTableAssociation(this, `DataAssoc-${zone}`, { subnetId: data.id, routeTableId: this.dataRouteTable.id });

      // The single NAT gateway is the first zone's; switching to one per zone keeps it.
      if (this.natGateways === "one-per-zone" || zone === zones[0]) {
        const eip = new Eip(this, `NatIp-${zone}`, { domain: "vpc", tags: { Name: naming.name("nat", zone) } });
        nats[zone] = new NatGateway(this, `Nat-${zone}`, {
          allocationId: eip.allocationId,
          subnetId: pub.id,
          tags: { Name: naming.name("nat", zone) },
          dependsOn: [igw],
        });
        this.natGatewayIds[zone] = nats[zone].id;
      }
      const privRoutes = new RouteTable(this, `PrivateRouteTable-${zone}`, {
        vpcId: this.vpc.id,
        tags: { Name: naming.name("private", zone) },
      });
      new Route(this, `PrivateDefaultRoute-${zone}`, {
        routeTableId: privRoutes.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: (nats[zone] ?? nats[zones[0]]).id,
      });
      new RouteTableAssociation(this, `PrivateAssoc-${zone}`, { subnetId: priv.id, routeTableId: privRoutes.id });
      this.privateRouteTables.push(privRoutes);
      this.privateRouteTableIds.push(privRoutes.id);
    }

    this.endpointsFor(this.region, this.endpoints, naming);
    const accountId = props.accountId ?? new DataAwsCallerIdentity(this, "Account").accountId;
    this.flowLogs(naming, props.logsKey, accountId, this.flowLogRetentionDays);
  }

  /** The region's first zones, when it is one this version knows. */
  private defaultZones(): string[] {
    const known = Token.isUnresolved(this.region) ? undefined : knownZones("aws", this.region);
    if (!known) {
      throw new Error(`AwsNetwork ${this.node.path}: zones are required: region ${JSON.stringify(this.region)} is not one this version knows the zones of; list them, e.g. ["${this.region}a", "${this.region}b"]`);
    }
    return known.slice(0, AwsNetwork.DEFAULT_ZONE_COUNT);
  }

  private validate() {
    const label = `AwsNetwork ${this.node.path}`;
    if (!Token.isUnresolved(this.cidr)) {
      const block = parseIpv4Cidr(this.cidr);
      if (!block || !isNetworkAligned(block) || !isPrivate(block) || block.prefix < NETWORK_PREFIX.min || block.prefix > NETWORK_PREFIX.max) {
        throw new Error(`${label}: cidr must be a private IPv4 range from /${NETWORK_PREFIX.min} to /${NETWORK_PREFIX.max}, such as ${AwsNetwork.DEFAULT_CIDR} (got ${JSON.stringify(this.cidr)})`);
      }
    }
    const zones = this.zones;
    const format = Token.isUnresolved(this.region) ? /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-f]$/ : ZONE_FORMAT.aws(this.region);
    const bad = zones.find((z, i) => !format.test(z) || zones.indexOf(z) !== i);
    if (zones.length < 2 || zones.length > 6 || bad !== undefined) {
      throw new Error(`${label}: zones must be 2 to 6 distinct zones of ${this.region}, such as ${this.region}a (got ${JSON.stringify(zones)})`);
    }
    if (!["single", "one-per-zone"].includes(this.natGateways)) {
      throw new Error(`${label}: natGateways must be "single" or "one-per-zone" (got ${JSON.stringify(this.natGateways)})`);
    }
    const unknown = this.endpoints.find((e) => !(AWS_ENDPOINTS as readonly string[]).includes(e));
    if (unknown !== undefined) {
      throw new Error(`${label}: endpoints: ${JSON.stringify(unknown)} is not a service this construct knows; use some of ${AWS_ENDPOINTS.join(", ")}`);
    }
    const days = this.flowLogRetentionDays;
    if (!Token.isUnresolved(days) && !(LOG_RETENTION_DAYS as readonly number[]).includes(days)) {
      throw new Error(`${label}: flowLogRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${days})`);
    }
  }

  private endpointsFor(region: string, services: readonly string[], naming: Naming) {
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

  private flowLogs(naming: Naming, key: IAwsKey | undefined, accountId: string, retentionInDays: number) {
    const group = new CloudwatchLogGroup(this, "FlowLogGroup", {
      name: `/aws/vpc/${naming.name("flow-logs")}`,
      retentionInDays,
      kmsKeyId: key?.arn,
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
