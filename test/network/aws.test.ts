import { beforeAll, describe, expect, test } from "vitest";
import { synth, type StackJson } from "../support/synth";

const spec = (network: Record<string, unknown> = {}, tier = "medium") => ({
  name: "acme",
  tier,
  target: { cloud: "aws", region: "us-west-2" },
  network: { cidr: "10.42.0.0/16", ...network },
});

describe("AwsNetwork", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth(spec()));
  });

  test("the VPC has the spec's range and DNS resolution on", () => {
    const vpc = infra.resource("aws_vpc");
    expect(vpc.cidr_block).toBe("10.42.0.0/16");
    expect(vpc.enable_dns_support).toBe(true);
    expect(vpc.enable_dns_hostnames).toBe(true);
  });

  test("three zones get public, private and isolated data subnets at fixed ranges", () => {
    const byName = Object.fromEntries(infra.resources("aws_subnet").map((s) => [s.tags.Name, s]));
    // /19 private blocks from the bottom; /22 public and data blocks in the top quarter.
    expect(byName["acme-private-us-west-2a"].cidr_block).toBe("10.42.0.0/19");
    expect(byName["acme-private-us-west-2b"].cidr_block).toBe("10.42.32.0/19");
    expect(byName["acme-private-us-west-2c"].cidr_block).toBe("10.42.64.0/19");
    expect(byName["acme-public-us-west-2a"].cidr_block).toBe("10.42.192.0/22");
    expect(byName["acme-public-us-west-2c"].cidr_block).toBe("10.42.200.0/22");
    expect(byName["acme-data-us-west-2a"].cidr_block).toBe("10.42.224.0/22");
    expect(byName["acme-data-us-west-2c"].cidr_block).toBe("10.42.232.0/22");
    expect(Object.keys(byName)).toHaveLength(9);
    expect(byName["acme-private-us-west-2b"].availability_zone).toBe("us-west-2b");
  });

  test("no subnet gives instances a public IP on launch", () => {
    for (const s of infra.resources("aws_subnet")) expect(s.map_public_ip_on_launch, s.tags.Name).toBe(false);
  });

  test("subnets carry the load-balancer and Karpenter discovery tags", () => {
    for (const s of infra.resources("aws_subnet")) {
      const kind = s.tags.Name.split("-")[1];
      expect(s.tags["kubernetes.io/role/elb"]).toBe(kind === "public" ? "1" : undefined);
      expect(s.tags["kubernetes.io/role/internal-elb"]).toBe(kind === "private" ? "1" : undefined);
      expect(s.tags["karpenter.sh/discovery"]).toBe(kind === "private" ? "acme-cluster" : undefined);
    }
  });

  test("medium tier: a NAT gateway per zone, each zone's private route through its own", () => {
    const nats = infra.resources("aws_nat_gateway");
    expect(nats).toHaveLength(3);
    const routes = infra.resources("aws_route").filter((r) => r.nat_gateway_id);
    expect(routes).toHaveLength(3);
    for (const zone of ["a", "b", "c"]) {
      const nat = nats.find((n) => n.tags.Name === `acme-nat-us-west-2${zone}`)!;
      const subnet = infra.resource("aws_subnet", (s) => s.tags.Name === `acme-public-us-west-2${zone}`);
      expect(nat.subnet_id).toBe(infra.ref(subnet, "id"));
      const table = infra.resource("aws_route_table", (t) => t.tags.Name === `acme-private-us-west-2${zone}`);
      const route = routes.find((r) => r.route_table_id === infra.ref(table, "id"))!;
      expect(route.nat_gateway_id).toBe(infra.ref(nat, "id"));
    }
  });

  test("public subnets route to the internet gateway; data subnets have no route out", () => {
    const igw = infra.resource("aws_internet_gateway");
    const publicTable = infra.resource("aws_route_table", (t) => t.tags.Name === "acme-public");
    const dataTable = infra.resource("aws_route_table", (t) => t.tags.Name === "acme-data");
    const routes = infra.resources("aws_route");
    expect(routes.find((r) => r.route_table_id === infra.ref(publicTable, "id"))).toMatchObject({
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: infra.ref(igw, "id"),
    });
    expect(routes.filter((r) => r.route_table_id === infra.ref(dataTable, "id"))).toEqual([]);
  });

  test("the default security group has no rules", () => {
    const sg = infra.resource("aws_default_security_group");
    expect(sg.ingress).toEqual([]);
    expect(sg.egress).toEqual([]);
  });

  test("S3 is a gateway endpoint on the private and data route tables", () => {
    const s3 = infra.resource("aws_vpc_endpoint", (e) => e.service_name === "com.amazonaws.us-west-2.s3");
    expect(s3.vpc_endpoint_type).toBe("Gateway");
    const tables = infra.resources("aws_route_table").filter((t) => !t.tags.Name.endsWith("public"));
    expect([...s3.route_table_ids].sort()).toEqual(tables.map((t) => infra.ref(t, "id")).sort());
  });

  test("interface endpoints for a private cluster, with private DNS, in the private subnets", () => {
    const iface = infra.resources("aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface");
    const services = iface.map((e) => e.service_name.replace("com.amazonaws.us-west-2.", "")).sort();
    expect(services).toEqual(
      ["ec2", "ecr.api", "ecr.dkr", "eks", "eks-auth", "elasticloadbalancing", "kms", "logs", "secretsmanager", "sqs", "ssm", "sts"].sort(),
    );
    const privateIds = infra.resources("aws_subnet").filter((s) => s.tags.Name.includes("private")).map((s) => infra.ref(s, "id"));
    for (const e of iface) {
      expect(e.private_dns_enabled).toBe(true);
      expect([...e.subnet_ids].sort()).toEqual([...privateIds].sort());
    }
  });

  test("endpoints accept HTTPS from the VPC only", () => {
    const sg = infra.resource("aws_security_group", (g) => g.name === "acme-endpoints");
    const rules = infra.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === infra.ref(sg, "id"));
    expect(rules).toEqual([expect.objectContaining({ cidr_ipv4: "10.42.0.0/16", ip_protocol: "tcp", from_port: 443, to_port: 443 })]);
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  test("flow logs capture all traffic into a KMS-encrypted log group with retention", () => {
    const flow = infra.resource("aws_flow_log");
    const group = infra.resource("aws_cloudwatch_log_group", (g) => g.name.includes("flow-logs"));
    const key = infra.resource("aws_kms_key", (k) => k.tags.Name === "acme-logs");
    expect(flow.traffic_type).toBe("ALL");
    expect(flow.vpc_id).toBe(infra.ref(infra.resource("aws_vpc"), "id"));
    expect(flow.log_destination).toBe(infra.ref(group, "arn"));
    expect(group.kms_key_id).toBe(infra.ref(key, "arn"));
    expect(group.retention_in_days).toBe(365);
  });

  test("the flow-log role can write only to its log group and only this account's flow logs assume it", () => {
    const policy = infra.data("aws_iam_policy_document").find((d) => d.tfAddress.includes("FlowLogWrite"))!;
    const group = infra.resource("aws_cloudwatch_log_group", (g) => g.name.includes("flow-logs"));
    expect(policy.statement[0].resources).toEqual([`${infra.ref(group, "arn")}:*`]);
    const trust = infra.data("aws_iam_policy_document").find((d) => d.tfAddress.includes("FlowLogTrust"))!;
    expect(trust.statement[0].condition[0]).toMatchObject({ test: "StringEquals", variable: "aws:SourceAccount" });
  });

  test("the logs key rotates, waits 30 days before deletion and cannot be destroyed by a plan", () => {
    const key = infra.resource("aws_kms_key", (k) => k.tags.Name === "acme-logs");
    expect(key.enable_key_rotation).toBe(true);
    expect(key.deletion_window_in_days).toBe(30);
    expect(key.lifecycle.prevent_destroy).toBe(true);
  });
});

describe("AwsNetwork address stability", () => {
  const addresses = (stack: StackJson, type: string) =>
    Object.fromEntries(stack.resources(type).map((r) => [r.tfAddress, r.cidr_block ?? r.subnet_id ?? r.allocation_id]));

  test("adding a zone adds resources and changes none of the existing ones", async () => {
    const two = (await synth(spec({ zones: ["us-west-2a", "us-west-2b"] }))).infra;
    const three = (await synth(spec({ zones: ["us-west-2a", "us-west-2b", "us-west-2c"] }))).infra;
    for (const type of ["aws_subnet", "aws_nat_gateway", "aws_eip", "aws_route_table", "aws_route_table_association"]) {
      expect(addresses(three, type), type).toMatchObject(addresses(two, type));
      expect(Object.keys(addresses(three, type)).length, type).toBeGreaterThan(Object.keys(addresses(two, type)).length);
    }
  });

  test("a zone keeps its ranges when an earlier zone is left out", async () => {
    const bc = (await synth(spec({ zones: ["us-west-2b", "us-west-2c"] }))).infra;
    const abc = (await synth(spec({ zones: ["us-west-2a", "us-west-2b", "us-west-2c"] }))).infra;
    const cidrs = (s: StackJson) => Object.fromEntries(s.resources("aws_subnet").map((r) => [r.tags.Name, r.cidr_block]));
    expect(cidrs(abc)).toMatchObject(cidrs(bc));
  });

  test("small tier: one NAT gateway, in the first zone; growing to one per zone keeps it", async () => {
    const small = (await synth(spec({}, "small"))).infra;
    const medium = (await synth(spec({}, "medium"))).infra;
    const nats = small.resources("aws_nat_gateway");
    expect(nats).toHaveLength(1);
    expect(nats[0].tags.Name).toBe("acme-nat-us-west-2a");
    for (const route of small.resources("aws_route").filter((r) => r.nat_gateway_id)) {
      expect(route.nat_gateway_id).toBe(small.ref(nats[0], "id"));
    }
    expect(medium.resources("aws_nat_gateway").map((n) => n.tfAddress)).toContain(nats[0].tfAddress);
  });
});
