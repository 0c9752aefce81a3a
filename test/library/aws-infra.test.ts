import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DefaultTokenResolver, StringConcat, TerraformStack, Testing, Tokenization } from "cdktf";
import { describe, expect, test } from "vitest";
import { EksCluster, type EksClusterProps } from "../../lib/cluster/eks";
import { Karpenter } from "../../lib/cluster/karpenter";
import { Naming } from "../../lib/core/naming";
import { ByocStack } from "../../lib/core/stack";
import { AwsKeys, type IAwsKey } from "../../lib/data/keys/aws";
import { AwsDns } from "../../lib/dns/aws";
import { AwsNetwork } from "../../lib/network/aws";
import { AwsPlatformTarget } from "../../lib/platform/targets/aws";
import { AwsSiteToSiteVpn } from "../../lib/vpn/aws";
import { StackJson } from "../support/synth";

const naming = new Naming("acme");
const key = (name: string): IAwsKey => ({ arn: `arn:aws:kms:us-east-1:111122223333:key/${name}` });
const secretsKey = key("secrets");
const volumesKey = key("volumes");
const logsKey = key("logs");

/** An existing VPC, given by ids only. */
const vpc = AwsNetwork.fromVpcAttributes({
  vpcId: "vpc-0123456789abcdef0",
  cidr: "10.20.0.0/16",
  privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
  privateRouteTableIds: ["rtb-a", "rtb-b"],
  zones: ["us-east-1a", "us-east-1b"],
});

/** A plain TerraformStack with just the AWS provider, in us-east-1. */
function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), "test");
  new AwsProvider(s, "aws", { region: "us-east-1" });
  return s;
}
const synthesized = (s: TerraformStack) => new StackJson("test", JSON.parse(Testing.synth(s)), s);
const cluster = (s: TerraformStack, over: Partial<EksClusterProps> = {}, id = "Cluster") =>
  new EksCluster(s, id, { naming, network: vpc, secretsKey, volumesKey, ...over });

describe("AwsNetwork alone", () => {
  test("with no props but a naming: a 10.0.0.0/16 VPC over the region's first three zones, one NAT gateway, the default endpoints", () => {
    // GIVEN a plain stack in us-east-1 WHEN the network gets only a naming
    const s = stack();
    const network = new AwsNetwork(s, "Network", { naming });
    const json = synthesized(s);

    // THEN the defaults: the range, three zones, the small tier's single NAT gateway
    expect(json.resource("aws_vpc").cidr_block).toBe("10.0.0.0/16");
    expect(network.zones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    const subnets = json.resources("aws_subnet");
    expect(subnets).toHaveLength(9);
    for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(json.resources("aws_nat_gateway").map((n) => n.tags.Name)).toEqual(["acme-nat-us-east-1a"]);
    expect(json.resource("aws_default_security_group")).toMatchObject({ ingress: [], egress: [] });
    const services = json.resources("aws_vpc_endpoint").map((e) => e.service_name.replace("com.amazonaws.us-east-1.", "")).sort();
    expect(services).toEqual(["ec2", "ecr.api", "ecr.dkr", "eks", "eks-auth", "elasticloadbalancing", "kms", "logs", "s3", "secretsmanager", "sqs", "ssm", "sts"]);
    // The private subnets carry the discovery tag of the cluster the naming names.
    expect(json.resource("aws_subnet", (x) => x.tags.Name === "acme-private-us-east-1a").tags["karpenter.sh/discovery"]).toBe("acme-cluster");

    // AND flow logs of all traffic, without a logs key in CloudWatch's own encryption, trusted for this account only
    expect(json.resource("aws_flow_log").traffic_type).toBe("ALL");
    const group = json.resource("aws_cloudwatch_log_group");
    expect(group).toMatchObject({ retention_in_days: 365 });
    expect(group.kms_key_id).toBeUndefined();
    const trust = json.data("aws_iam_policy_document").find((d) => d.tfAddress.includes("FlowLogTrust"))!;
    expect(trust.statement[0].condition[0].values).toEqual([json.ref(json.data("aws_caller_identity")[0], "account_id")]);
    expect(json.resources("aws_kms_key")).toEqual([]);
  });

  test("the ids it exposes are those of its own resources, in zone order", () => {
    const s = stack();
    const network = new AwsNetwork(s, "Network", { naming, zones: ["us-east-1b", "us-east-1c"], logsKey });
    const json = synthesized(s);
    const ids = (kind: string) => network.zones.map((z) => json.ref(json.resource("aws_subnet", (x) => x.tags.Name === `acme-${kind}-${z}`), "id"));
    const resolve = (v: unknown) => Tokenization.resolve(v, { scope: s, resolver: new DefaultTokenResolver(new StringConcat()) });
    expect(resolve(network.privateSubnetIds)).toEqual(ids("private"));
    expect(resolve(network.dataSubnetIds)).toEqual(ids("data"));
    expect(resolve(network.publicSubnetIds)).toEqual(ids("public"));
    expect(network.dataSubnetCidrs).toEqual(["10.0.228.0/22", "10.0.232.0/22"]);
    expect(json.resource("aws_cloudwatch_log_group").kms_key_id).toBe(logsKey.arn);
  });

  test("naming comes from the enclosing ByocStack; in a plain stack without one it is asked for", () => {
    const byoc = new ByocStack(Testing.app(), "shop", { deployment: "shop" });
    new AwsProvider(byoc, "aws", { region: "eu-west-1" });
    new AwsNetwork(byoc, "Network");
    expect(new StackJson("shop", JSON.parse(Testing.synth(byoc)), byoc).resource("aws_vpc").tags.Name).toBe("shop-vpc");
    expect(() => new AwsNetwork(stack(), "Network")).toThrow(
      'AwsNetwork test/Network: no naming: pass props.naming (new Naming("<deployment>")), or create it inside a ByocStack',
    );
  });

  test("a region that disagrees with the provider's is refused", () => {
    expect(() => new AwsNetwork(stack(), "Network", { naming, region: "eu-west-1" })).toThrow(
      'AwsNetwork test/Network: region "eu-west-1" differs from the aws provider\'s region "us-east-1"; give the provider\'s region or leave region unset',
    );
  });

  test.each([
    [{ cidr: "10.0.0.0/8" }, 'AwsNetwork test/Network: cidr must be a private IPv4 range from /16 to /20, such as 10.0.0.0/16 (got "10.0.0.0/8")'],
    [{ cidr: "8.8.0.0/16" }, 'AwsNetwork test/Network: cidr must be a private IPv4 range from /16 to /20, such as 10.0.0.0/16 (got "8.8.0.0/16")'],
    [{ zones: ["us-east-1a"] }, 'AwsNetwork test/Network: zones must be 2 to 6 distinct zones of us-east-1, such as us-east-1a (got ["us-east-1a"])'],
    [{ zones: ["us-east-1a", "us-west-2b"] }, 'AwsNetwork test/Network: zones must be 2 to 6 distinct zones of us-east-1, such as us-east-1a (got ["us-east-1a","us-west-2b"])'],
    [{ endpoints: ["s3", "dynamodb"] }, 'AwsNetwork test/Network: endpoints: "dynamodb" is not a service this construct knows; use some of s3, ecr, sts, logs, ec2, eks, eks-auth, elasticloadbalancing, autoscaling, secretsmanager, kms, ssm, sqs, ebs, monitoring'],
    [{ flowLogRetentionDays: 2 }, "AwsNetwork test/Network: flowLogRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 2)"],
  ])("bad props are refused, naming the prop and the value: %j", (props, message) => {
    expect(() => new AwsNetwork(stack(), "Network", { naming, ...props })).toThrow(message);
  });

  test("a region this version does not know needs its zones listed", () => {
    const s = new TerraformStack(Testing.app(), "test");
    new AwsProvider(s, "aws", { region: "xx-new-1" });
    expect(() => new AwsNetwork(s, "Network", { naming })).toThrow(
      'AwsNetwork test/Network: zones are required: region "xx-new-1" is not one this version knows the zones of; list them, e.g. ["xx-new-1a", "xx-new-1b"]',
    );
    expect(() => new AwsNetwork(s, "Network2", { naming, zones: ["xx-new-1a", "xx-new-1b"] })).not.toThrow();
  });
});

describe("EksCluster alone", () => {
  test("in an existing VPC given by ids, with keys given by ARN: private API, encrypted secrets, no key of its own", () => {
    // GIVEN a plain stack and an existing VPC WHEN the cluster gets only the network and its two keys
    const s = stack();
    const eks = cluster(s);
    const json = synthesized(s);

    // THEN it is private, in the given subnets, encrypted with the given key, protected
    const resource = json.resource("aws_eks_cluster");
    expect(resource).toMatchObject({
      name: "acme-cluster",
      version: "1.35",
      encryption_config: { provider: { key_arn: secretsKey.arn }, resources: ["secrets"] },
      access_config: { authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false },
      deletion_protection: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(resource.vpc_config).toMatchObject({ subnet_ids: vpc.privateSubnetIds, endpoint_private_access: true, endpoint_public_access: false });
    expect(json.resources("aws_kms_key")).toEqual([]);
    for (const group of json.resources("aws_security_group")) expect(group.vpc_id).toBe(vpc.vpcId);
    // The API admits the VPC's range; the nodes' root volumes use the volumes key.
    expect(json.resources("aws_vpc_security_group_ingress_rule").map((r) => r.cidr_ipv4)).toContain("10.20.0.0/16");
    expect(json.resource("aws_launch_template").block_device_mappings[0].ebs.kms_key_id).toBe(volumesKey.arn);
    // The small tier's system pool; the control-plane logs without a logs key in CloudWatch's own encryption.
    expect(json.resource("aws_launch_template").instance_type).toBe("t3.large");
    expect(json.resource("aws_eks_node_group").scaling_config).toEqual({ min_size: 2, max_size: 3, desired_size: 2 });
    expect(json.resource("aws_cloudwatch_log_group").kms_key_id).toBeUndefined();
    // Account and partition are read once; the exec credential names the provider's region.
    expect(eks.region).toBe("us-east-1");
    expect(json.data("aws_partition")).toHaveLength(1);
    expect(json.data("aws_caller_identity")).toHaveLength(1);
    expect(eks.connection).toMatchObject({ exec: { args: ["eks", "get-token", "--cluster-name", "acme-cluster", "--region", "us-east-1", "--output", "json"] } });
    // Nodes launched by the node group carry the deployment's tags outside a ByocStack too.
    expect(json.resource("aws_launch_template").tag_specifications[0].tags).toMatchObject({ deployment: "acme", environment: "production", "managed-by": "cdktf-byoc" });
  });

  test("two clusters in one stack get distinct outputs, named after their paths", () => {
    const s = stack();
    cluster(s, { naming: new Naming("blue") }, "Blue");
    cluster(s, { naming: new Naming("green") }, "Green");
    const outputs = synthesized(s).json.output;
    const names = ["name", "endpoint", "arn", "security_group_id", "node_security_group_id", "oidc_issuer_url"];
    expect(Object.keys(outputs).sort()).toEqual([...names.map((n) => `blue_${n}`), ...names.map((n) => `green_${n}`)].sort());
  });

  test("a region that disagrees with the provider's is refused", () => {
    expect(() => cluster(stack(), { region: "eu-west-1" })).toThrow(
      'EksCluster test/Cluster: region "eu-west-1" differs from the aws provider\'s region "us-east-1"; give the provider\'s region or leave region unset',
    );
  });

  test.each([
    [{ endpoint: "public-restricted" as const }, 'EksCluster test/Cluster: endpoint "public-restricted" needs allowedCidrs: list the public ranges allowed to reach the API server (got [])'],
    [{ allowedCidrs: ["203.0.113.0/24"] }, 'EksCluster test/Cluster: allowedCidrs ["203.0.113.0/24"] need endpoint "public-restricted"; a private API server admits the network and the peers only'],
    [{ endpoint: "public-restricted" as const, allowedCidrs: ["0.0.0.0/0"] }, 'EksCluster test/Cluster: allowedCidrs: "0.0.0.0/0" must be an IPv4 range of /8 or narrower, such as 203.0.113.0/24'],
    [{ admins: ["platform-admin"] }, 'EksCluster test/Cluster: admins: "platform-admin" must be an IAM role or user ARN such as arn:aws:iam::111122223333:role/platform-admin'],
    [{ version: "1.35.2" }, 'EksCluster test/Cluster: version must be a Kubernetes minor version such as 1.35 (got "1.35.2")'],
    [{ systemPool: { instanceType: "t3.large", min: 0, max: 3, diskGb: 100 } }, "EksCluster test/Cluster: systemPool needs 1 <= min <= max and diskGb of at least 20 (got min 0, max 3, diskGb 100)"],
    [{ network: { ...vpc, privateSubnetIds: ["subnet-priv-a"] } }, 'EksCluster test/Cluster: network.privateSubnetIds must name subnets in at least two zones, as EKS requires (got ["subnet-priv-a"])'],
  ])("bad props are refused, naming the prop and the value: %j", (props, message) => {
    expect(() => cluster(stack(), props)).toThrow(message);
  });
});

describe("Karpenter alone", () => {
  test("on a cluster of the user's stack: the queue under the events key, the node role joining through an access entry", () => {
    const s = stack();
    const eks = cluster(s);
    new Karpenter(s, "Karpenter", { naming, cluster: eks, volumesKey, eventsKey: key("events") });
    const json = synthesized(s);
    expect(json.resource("aws_sqs_queue").kms_master_key_id).toBe(key("events").arn);
    const nodeRole = json.resource("aws_iam_role", (r) => r.name === "acme-karpenter-node");
    const entry = json.resource("aws_eks_access_entry", (e) => e.type === "EC2_LINUX");
    expect(entry).toMatchObject({ principal_arn: json.ref(nodeRole, "arn"), cluster_name: json.ref(json.resource("aws_eks_cluster"), "name") });
    expect(entry.tfAddress).toMatch(/^aws_eks_access_entry\.Karpenter_NodeAccessEntry_/);
  });

  test("the small tier's workloads pool by default: its CPU limit is max x vCPUs", () => {
    const s = stack();
    const karpenter = new Karpenter(s, "Karpenter", { naming, cluster: cluster(s), volumesKey, eventsKey: key("events") });
    expect(karpenter.workloadsPool.instanceType).toBe("t3.large");
    expect(karpenter.cpuLimit).toBe(16);
  });

  test("a workloads type without a vCPU size is refused", () => {
    const s = stack();
    expect(
      () => new Karpenter(s, "Karpenter", { naming, cluster: cluster(s), volumesKey, eventsKey: key("events"), workloadsPool: { instanceType: "m6i.metal", min: 0, max: 4, diskGb: 100 } }),
    ).toThrow('Karpenter test/Karpenter: workloadsPool.instanceType must be a medium, large or <n>xlarge size such as m6i.xlarge: the NodePool\'s CPU limit is max x the size\'s vCPUs (got "m6i.metal")');
  });
});

describe("AwsDns alone", () => {
  test("a private zone on a VPC given by id, named after the deployment without a domain", () => {
    const s = stack();
    new AwsDns(s, "Dns", { naming, vpcId: vpc.vpcId });
    const json = synthesized(s);
    expect(json.resource("aws_route53_zone")).toMatchObject({ name: "acme.internal", vpc: [{ vpc_id: vpc.vpcId }] });
    expect(json.json.output).toBeUndefined();
  });

  test("with a domain: the public zone's name servers as an output named after the path; no certificate when ACM is off", () => {
    const s = stack();
    new AwsDns(s, "Names", { naming, vpcId: vpc.vpcId, domain: "acme.example.com", acmCertificate: false });
    const json = synthesized(s);
    const zone = json.resource("aws_route53_zone", (z) => z.vpc === undefined);
    expect(json.json.output.names_public_zone_name_servers.value).toBe(json.ref(zone, "name_servers"));
    expect(json.resource("aws_route53_zone", (z) => z.vpc !== undefined).name).toBe("internal.acme.example.com");
    expect(json.resources("aws_acm_certificate")).toEqual([]);
  });

  test("in another region: the query logs and DNSSEC key go through the given us-east-1 provider, in the given account", () => {
    const s = new TerraformStack(Testing.app(), "test");
    new AwsProvider(s, "aws", { region: "eu-west-1" });
    const usEast1Provider = new AwsProvider(s, "aws-use1", { alias: "use1", region: "us-east-1" });
    new AwsDns(s, "Dns", { naming, vpcId: vpc.vpcId, domain: "acme.example.com", acmCertificate: false, dnssec: true, usEast1Provider, accountId: "111122223333", partition: "aws", queryLogRetentionDays: 90 });
    const json = synthesized(s);
    expect(json.data("aws_caller_identity")).toEqual([]);
    expect(json.data("aws_partition")).toEqual([]);
    expect(json.resource("aws_cloudwatch_log_group")).toMatchObject({ provider: "aws.use1", name: "/aws/route53/acme.example.com", retention_in_days: 90 });
    for (const k of json.resources("aws_kms_key")) expect(k.provider, k.tags.Name).toBe("aws.use1");
    expect(json.resource("aws_cloudwatch_log_resource_policy").provider).toBe("aws.use1");
    const keyPolicy = json.data("aws_iam_policy_document").find((d) => d.statement.some((st: Record<string, unknown>) => st.sid === "CloudWatchLogsForTheQueryLogGroup"))!;
    expect(keyPolicy.statement.find((st: Record<string, unknown>) => st.sid === "CloudWatchLogsForTheQueryLogGroup").condition[0].values).toEqual([
      "arn:aws:logs:us-east-1:111122223333:log-group:/aws/route53/acme.example.com",
    ]);
    expect(json.resource("aws_route53_key_signing_key").status).toBe("ACTIVE");
  });

  test("a private zone named like the domain is refused", () => {
    expect(() => new AwsDns(stack(), "Dns", { naming, vpcId: vpc.vpcId, domain: "acme.example.com", privateZone: "acme.example.com" })).toThrow(
      'AwsDns test/Dns: privateZone must differ from domain, or the private zone hides the public records (got "acme.example.com" for both); e.g. internal.acme.example.com',
    );
  });
});

describe("AwsSiteToSiteVpn alone", () => {
  const peer = { name: "hq", cidrs: ["192.168.0.0/20"], gatewayIp: "198.51.100.10", pskSecret: "acme/vpn/hq-psk" };

  test("on an existing VPC: routes propagate into each given route table, keyed by zone; the key is read from Secrets Manager", () => {
    const s = stack();
    new AwsSiteToSiteVpn(s, "Vpn", { naming, network: vpc, peers: [peer] });
    const json = synthesized(s);
    expect(json.resource("aws_vpn_gateway").vpc_id).toBe(vpc.vpcId);
    const propagations = json.resources("aws_vpn_gateway_route_propagation");
    expect(propagations.map((p) => p.route_table_id)).toEqual(["rtb-a", "rtb-b"]);
    expect(propagations[0].tfAddress).toMatch(/Propagation-us-east-1a/);
    const psk = json.data("aws_secretsmanager_secret_version")[0];
    expect(psk.secret_id).toBe("acme/vpn/hq-psk");
    expect(json.resource("aws_vpn_connection").tunnel1_preshared_key).toBe(json.ref(psk, "secret_string"));
    expect(json.resource("aws_cloudwatch_log_group").retention_in_days).toBe(365);
  });

  test.each([
    [{ ...peer, gatewayIp: "10.0.0.1" }, 'AwsSiteToSiteVpn test/Vpn: peers[0].gatewayIp must be the public IPv4 address of the peer\'s VPN device (got "10.0.0.1")'],
    [{ ...peer, bgpAsn: 64512 }, "AwsSiteToSiteVpn test/Vpn: peers[0].bgpAsn 64512 is the gateway's own ASN; pick another"],
    [{ ...peer, name: "HQ" }, 'AwsSiteToSiteVpn test/Vpn: peers[0].name must be 1-24 characters of a-z, 0-9 and "-", starting with a letter (got "HQ")'],
  ])("a bad peer is refused: %j", (bad, message) => {
    expect(() => new AwsSiteToSiteVpn(stack(), "Vpn", { naming, network: vpc, peers: [bad] })).toThrow(message);
  });
});

describe("AwsKeys alone", () => {
  test("one rotating, protected key per purpose, the logs key admitting the provider's region's CloudWatch Logs", () => {
    const s = stack();
    new AwsKeys(s, "Keys", { naming });
    const json = synthesized(s);
    const keys = json.resources("aws_kms_key");
    expect(keys.map((k) => k.tags.Name).sort()).toEqual(["acme-data", "acme-data-secrets", "acme-eks-secrets", "acme-events", "acme-logs", "acme-volumes"]);
    for (const k of keys) expect(k).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    const logs = json.data("aws_iam_policy_document").find((d) => d.tfAddress.includes("LogsKeyPolicy"))!;
    expect(logs.statement[1].principals[0].identifiers).toEqual(["logs.us-east-1.amazonaws.com"]);
  });

  test("a disaster-recovery region that is the keys' own is refused", () => {
    const s = stack();
    const provider = new AwsProvider(s, "aws-dr", { alias: "dr", region: "us-east-1" });
    expect(() => new AwsKeys(s, "Keys", { naming, disasterRecovery: { region: "us-east-1", provider } })).toThrow(
      'AwsKeys test/Keys: disasterRecovery.region must be another region than the keys\' own (got "us-east-1" for both)',
    );
  });
});

describe("AwsPlatformTarget alone", () => {
  test("without Karpenter or a data layer: the load balancer controller and the StorageClass are the prerequisites; tenants reach the given ranges", () => {
    const s = stack();
    const eks = cluster(s);
    const target = new AwsPlatformTarget(s, "Target", { naming, cluster: eks, network: vpc, volumesKey, dataSubnetCidrs: ["10.20.224.0/22"], endpointSubnetCidrs: ["10.20.0.0/19"] });
    const json = synthesized(s);
    expect(target.karpenter).toBeUndefined();
    expect(target.prerequisites).toHaveLength(2);
    expect(json.resource("kubernetes_storage_class_v1").parameters).toEqual({ type: "gp3", encrypted: "true", kmsKeyId: volumesKey.arn });
    expect(target.tenantEgress).toEqual([
      { cidr: "10.20.224.0/22" },
      { cidr: "10.20.0.0/19", ports: [{ port: 443, protocol: "TCP" }] },
      { cidr: "169.254.170.23/32", ports: [{ port: 80, protocol: "TCP" }] },
    ]);
    expect(target.loadBalancerSources).toEqual([]);
    expect(target.dns01Solver(s, { namespace: "cert-manager", name: "cert-manager" })).toBeUndefined();
  });
});
