import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { DefaultTokenResolver, StringConcat, TerraformStack, Testing, Tokenization } from "cdktf";
import { Construct } from "constructs";
import { describe, expect, test } from "vitest";
import { EksCluster } from "../../lib/cluster/eks";
import { ExistingCluster } from "../../lib/cluster/existing";
import { AwsNetwork } from "../../lib/network/aws";
import type { IPlatformTarget, UdpServiceExposure, UdpServiceRequest } from "../../lib/platform/target";
import { AwsPlatformTarget } from "../../lib/platform/targets/aws";
import { GcpPlatformTarget } from "../../lib/platform/targets/gcp";
import { OnpremPlatformTarget, type OnpremLoadBalancer } from "../../lib/platform/targets/onprem";
import { StackJson, type Block } from "../support/synth";
import { cloudTargets, naming } from "../support/targets";

/**
 * Each target's exposure of a UDP service to trusted peers: the load balancer's kind,
 * scheme and health check (annotations), the cloud firewall layer the kit writes (the
 * peers' allow, everyone else's deny, in-cluster traffic and health checks left
 * through), and where health checks reach the pods from.
 */

const PEERS = ["198.51.100.0/24", "203.0.113.7/32"];
const request = (over: Partial<UdpServiceRequest> = {}): UdpServiceRequest => ({
  name: "b4ae",
  namespace: "secure-nodes",
  udpPort: 4000,
  healthPort: 8080,
  healthPath: "/health",
  peers: PEERS,
  internal: true,
  ...over,
});

interface Exposed {
  readonly stack: StackJson;
  readonly exposures: UdpServiceExposure[];
  /** A value with tokens as the stack writes it, e.g. `${aws_security_group.x.id}`. */
  readonly resolve: (value: unknown) => any;
}

/** Synthesizes a stack holding the target and the exposure of each request, as the secure-node tier asks for it. */
function expose(make: (s: TerraformStack) => IPlatformTarget, ...requests: UdpServiceRequest[]): Exposed {
  const s = new TerraformStack(Testing.app(), "udp");
  const target = make(s);
  const exposures = requests.map((r) => target.udpService(new Construct(s, `SecureNodes-${r.name}`), r));
  const stack = new StackJson("udp", JSON.parse(Testing.synth(s)), s);
  const resolve = (value: unknown) => Tokenization.resolve(value, { scope: s, resolver: new DefaultTokenResolver(new StringConcat()) });
  return { stack, exposures, resolve };
}

/** The addresses of the resources the Service is told to wait for. */
const grantAddresses = ({ exposures, resolve }: Exposed, i = 0) => exposures[i].grants.map((g) => (resolve(g.fqn) as string).replace(/^\$\{(.*)\}$/, "$1")).sort();
/** The resources `udpService` created for the service named `name`. */
const exposureResources = (stack: StackJson, name = "b4ae") => stack.allResources().filter((r) => r.tfAddress.includes(`UdpExposure-${name}_`));
const tfAddresses = (blocks: Block[]) => blocks.map((b) => b.tfAddress).sort();

const cloud = cloudTargets([]);
const azure = (s: TerraformStack) => cloud.azure(s).target;
const gcp = (s: TerraformStack) => cloud.gcp(s).target;

/** AWS around an existing VPC with two zones, public subnets in each, and an EKS cluster. */
const aws =
  (props: { publicSubnetIds?: string[]; protection?: boolean } = {}) =>
  (s: TerraformStack) => {
    new AwsProvider(s, "aws", { region: "us-east-1" });
    const network = AwsNetwork.fromVpcAttributes({
      vpcId: "vpc-0123456789abcdef0",
      cidr: "10.20.0.0/16",
      privateSubnetIds: ["subnet-a", "subnet-b"],
      publicSubnetIds: props.publicSubnetIds ?? ["subnet-pub-a", "subnet-pub-b"],
      privateRouteTableIds: ["rtb-a", "rtb-b"],
      zones: ["us-east-1a", "us-east-1b"],
    });
    const key = (name: string) => ({ arn: `arn:aws:kms:us-east-1:111122223333:key/${name}` });
    const cluster = new EksCluster(s, "Cluster", { naming, network, secretsKey: key("secrets"), volumesKey: key("volumes") });
    return new AwsPlatformTarget(s, "Target", { naming, cluster, network, volumesKey: key("volumes"), protection: props.protection });
  };

const onprem = (loadBalancer: OnpremLoadBalancer) => (s: TerraformStack) =>
  new OnpremPlatformTarget(s, "Target", {
    naming,
    cluster: new ExistingCluster({ kubeconfig: "~/.kube/lab" }),
    loadBalancer,
    loadBalancerAddresses: loadBalancer === "metallb" ? ["192.0.2.10-192.0.2.20"] : undefined,
  });

describe("AwsPlatformTarget.udpService", () => {
  const LB = "service.beta.kubernetes.io/aws-load-balancer";
  const ruleRow = (r: Block) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4 ?? r.referenced_security_group_id];
  const rulesOn = (stack: StackJson, kind: "ingress" | "egress", group: Block) =>
    stack.resources(`aws_vpc_security_group_${kind}_rule`).filter((r) => r.security_group_id === stack.ref(group, "id"));

  test.each([
    [true, "internal"],
    [false, "internet-facing"],
  ])("internal %s: an NLB of the load balancer controller, %s, IP targets, checked over HTTP on the health port", (internal, scheme) => {
    // GIVEN an EKS cluster WHEN a UDP service is exposed
    const exposed = expose(aws(), request({ internal }));
    const group = exposed.stack.resource("aws_security_group", (g) => g.tfAddress.includes("LoadBalancerSecurityGroup"));
    // THEN the controller builds an NLB whose target group checks the pods' TCP health port over HTTP, never UDP
    expect(exposed.resolve(exposed.exposures[0].annotations)).toEqual({
      [`${LB}-type`]: "external",
      [`${LB}-nlb-target-type`]: "ip",
      [`${LB}-scheme`]: scheme,
      [`${LB}-healthcheck-protocol`]: "http",
      [`${LB}-healthcheck-port`]: "8080",
      [`${LB}-healthcheck-path`]: "/health",
      [`${LB}-security-groups`]: exposed.stack.ref(group, "id"),
      [`${LB}-manage-backend-security-group-rules`]: "false",
    });
    expect(exposed.exposures[0].type).toBe("LoadBalancer");
  });

  test("the NLB's own security group admits the UDP port from the peers alone, and reaches the VPC on the UDP and health ports only", () => {
    const { stack } = expose(aws(), request());
    const group = stack.resource("aws_security_group", (g) => g.tfAddress.includes("LoadBalancerSecurityGroup"));
    expect(group.vpc_id).toBe("vpc-0123456789abcdef0");
    expect(rulesOn(stack, "ingress", group).map(ruleRow).sort()).toEqual(PEERS.map((cidr) => ["udp", 4000, 4000, cidr]).sort());
    // Health checks obey the NLB's outbound rules: without the TCP one every target is unhealthy.
    expect(rulesOn(stack, "egress", group).map(ruleRow).sort()).toEqual([
      ["tcp", 8080, 8080, "10.20.0.0/16"],
      ["udp", 4000, 4000, "10.20.0.0/16"],
    ]);
  });

  test("the nodes' security group, on every node (managed and Karpenter's), admits the UDP port from the peers and the health port from the VPC only", () => {
    const exposed = expose(aws(), request());
    const { stack } = exposed;
    const nodes = stack.resource("aws_security_group", (g) => g.name === "acme-eks-nodes");
    // Karpenter's EC2NodeClass selects groups by this tag; the managed nodes' launch template names the group.
    expect(nodes.tags["karpenter.sh/discovery"]).toBe("acme-cluster");
    expect(stack.resource("aws_launch_template").vpc_security_group_ids).toEqual([stack.ref(nodes, "id")]);
    const added = rulesOn(stack, "ingress", nodes).filter((r) => r.tfAddress.includes("UdpExposure-b4ae_"));
    expect(added.map(ruleRow).sort()).toEqual([...PEERS.map((cidr) => ["udp", 4000, 4000, cidr]), ["tcp", 8080, 8080, "10.20.0.0/16"]].sort());
    // The NLB's health checks come from its addresses in the VPC: the pods' NetworkPolicy admits that range on the health port.
    expect(exposed.exposures[0].healthCheckSources).toEqual(["10.20.0.0/16"]);
  });

  test("the Service waits for every group, rule and address the exposure creates", () => {
    const exposed = expose(aws(), request({ internal: false, staticAddresses: true }));
    const created = exposureResources(exposed.stack);
    expect(created.map((r) => r.tfAddress.split(".")[0]).sort()).toEqual([
      "aws_eip",
      "aws_eip",
      "aws_security_group",
      "aws_vpc_security_group_egress_rule",
      "aws_vpc_security_group_egress_rule",
      ...Array(5).fill("aws_vpc_security_group_ingress_rule"),
    ]);
    expect(grantAddresses(exposed)).toEqual(tfAddresses(created));
  });

  test("static addresses: an Elastic IP per public subnet, kept from deletion, named with those subnets in the same order", () => {
    const exposed = expose(aws(), request({ internal: false, staticAddresses: true }));
    const eips = exposed.stack.resources("aws_eip").sort((a, b) => a.tags.Name.localeCompare(b.tags.Name));
    expect(eips.map((e) => [e.domain, e.lifecycle?.prevent_destroy, e.tags.Name])).toEqual([
      ["vpc", true, "acme-nlb-secure-nodes-b4ae-us-east-1a"],
      ["vpc", true, "acme-nlb-secure-nodes-b4ae-us-east-1b"],
    ]);
    const annotations = exposed.resolve(exposed.exposures[0].annotations);
    expect(annotations[`${LB}-subnets`]).toBe("subnet-pub-a,subnet-pub-b");
    expect(annotations[`${LB}-eip-allocations`]).toBe(eips.map((e) => exposed.stack.ref(e, "allocation_id")).join(","));
  });

  test("static addresses without protection can be released", () => {
    const { stack } = expose(aws({ protection: false }), request({ internal: false, staticAddresses: true }));
    expect(stack.resources("aws_eip").map((e) => e.lifecycle?.prevent_destroy)).toEqual([undefined, undefined]);
  });

  test("no static addresses: no Elastic IP, and the controller picks the subnets", () => {
    const exposed = expose(aws(), request({ internal: false }));
    expect(exposed.stack.resources("aws_eip")).toEqual([]);
    expect(Object.keys(exposed.exposures[0].annotations).filter((k) => /subnets|eip/.test(k))).toEqual([]);
  });

  test("refuses static addresses on an internal load balancer, or without public subnets", () => {
    expect(() => expose(aws(), request({ internal: true, staticAddresses: true }))).toThrow(
      "AwsPlatformTarget udpService secure-nodes/b4ae: staticAddresses need an internet-facing load balancer (internal: false)",
    );
    expect(() => expose(aws({ publicSubnetIds: [] }), request({ internal: false, staticAddresses: true }))).toThrow(
      "AwsPlatformTarget udpService secure-nodes/b4ae: staticAddresses need the network's public subnets (it has none)",
    );
  });
});

describe("AzurePlatformTarget.udpService", () => {
  test.each([
    [
      true,
      {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
        "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges": "true",
      },
    ],
    [false, {}],
  ])("internal %s: a Standard load balancer with these annotations", (internal, annotations) => {
    const { exposures } = expose(azure, request({ internal }));
    expect(exposures[0].annotations).toEqual(annotations);
    expect(exposures[0].type).toBe("LoadBalancer");
  });

  test("health: the Local policy's probe of the nodes stays the UDP rule's probe; nothing reaches the pods to admit", () => {
    const { exposures } = expose(azure, request());
    // cloud-provider-azure skips per-port probe settings on UDP ports; a floating-IP or probe opt-out would drop the Local probe.
    expect(Object.keys(exposures[0].annotations).filter((k) => /probe|no_lb_rule|floating-ip/.test(k))).toEqual([]);
    expect(exposures[0].exposeHealthPort ?? false).toBe(false);
    expect(exposures[0].healthCheckSources).toEqual([]);
  });

  test("no NSG rule in the platform stack: the nodes subnet's NSG keeps its rules inline, in the infra stack (AzureNetwork udpServices)", () => {
    // azurerm cannot mix inline rules and separate rule resources on one NSG: each apply would undo the other's.
    const { stack, exposures } = expose(azure, request());
    expect(stack.resources("azurerm_network_security_rule")).toEqual([]);
    expect(exposureResources(stack)).toEqual([]);
    expect(exposures[0].grants).toEqual([]);
  });
});

describe("GcpPlatformTarget.udpService", () => {
  const CLUSTER = ["10.30.0.0/20", "10.30.128.0/17"];
  const NODES = ["gke-nodes@acme-prod.iam.gserviceaccount.com"];

  test.each([
    [true, { "networking.gke.io/load-balancer-type": "Internal" }],
    [false, { "cloud.google.com/l4-rbs": "enabled" }],
  ])("internal %s: a backend-service-based passthrough load balancer", (internal, annotations) => {
    const { exposures } = expose(gcp, request({ internal }));
    expect(exposures[0].annotations).toEqual(annotations);
    expect(exposures[0].type).toBe("LoadBalancer");
    // GKE checks the nodes' healthCheckNodePort and opens that port to its checkers: nothing reaches the pods.
    expect(exposures[0].healthCheckSources).toEqual([]);
  });

  test("VPC firewall on the nodes only, ahead of GKE's rules: UDP 4000 from the peers and the cluster, then denied from everywhere else", () => {
    const exposed = expose(gcp, request());
    const allow = exposed.stack.resource("google_compute_firewall", (f) => f.allow !== undefined);
    const deny = exposed.stack.resource("google_compute_firewall", (f) => f.deny !== undefined);
    for (const f of [allow, deny]) {
      expect([f.network, f.direction, f.target_service_accounts, f.target_tags]).toEqual(["projects/acme-prod/global/networks/shared", "INGRESS", NODES, undefined]);
    }
    // UDP on the one port only: GKE's HTTP health checks and every other port are untouched.
    expect(allow.allow).toEqual([{ protocol: "udp", ports: ["4000"] }]);
    expect(deny.deny).toEqual([{ protocol: "udp", ports: ["4000"] }]);
    expect(allow.source_ranges).toEqual([...PEERS, ...CLUSTER]);
    expect(deny.source_ranges).toEqual(["0.0.0.0/0"]);
    // GKE's own allows for LoadBalancer Services sit at 1000 (999 for mixed protocols): the kit's rules are read first.
    expect(allow.priority).toBeLessThan(deny.priority);
    expect(deny.priority).toBeLessThan(999);
    expect(grantAddresses(exposed)).toEqual(tfAddresses([allow, deny]));
  });

  test("refuses without the VPC or the nodes' service account", () => {
    const bare = (s: TerraformStack) => {
      new GoogleProvider(s, "google", { project: "acme-prod", region: "europe-west4" });
      const cluster = {
        name: "main",
        distribution: "gke" as const,
        connection: { configPath: "~/.kube/config" },
        storageClass: "cmek-rwo",
        project: "acme-prod",
        location: "europe-west4",
        workloadPool: "acme-prod.svc.id.goog",
        diskEncryptionKey: "projects/acme-prod/locations/europe-west4/keyRings/acme/cryptoKeys/disks",
        nodeServiceAccountEmail: "gke-nodes@acme-prod.iam.gserviceaccount.com",
      };
      return new GcpPlatformTarget(s, "Target", { naming, cluster, controlPlaneCidr: "172.16.0.32/28", networkCidr: "10.30.0.0/16" });
    };
    expect(() => expose(bare, request())).toThrow("GcpPlatformTarget udpService secure-nodes/b4ae: needs networkId, the VPC the firewall rules go in");
  });
});

describe("OnpremPlatformTarget.udpService", () => {
  test.each([
    ["nodeport", "NodePort"],
    ["metallb", "LoadBalancer"],
    ["provided", "LoadBalancer"],
  ] as const)("loadBalancer %s: a %s Service, no cloud firewall, no health-check source", (loadBalancer, type) => {
    const { stack, exposures } = expose(onprem(loadBalancer), request());
    expect(exposures[0]).toEqual({ type, annotations: {}, healthCheckSources: [], grants: [] });
    expect(exposureResources(stack)).toEqual([]);
  });
});

describe("udpService on every target", () => {
  const targets = { aws: aws(), azure, gcp, onprem: onprem("metallb") };

  test.each(Object.entries(targets))("%s refuses an empty peer list (a load balancer without source ranges admits everyone) and a malformed range", (_, make) => {
    expect(() => expose(make, request({ peers: [] }))).toThrow(/udpService secure-nodes\/b4ae: peers must list at least one range/);
    expect(() => expose(make, request({ peers: ["198.51.100.0/24", "198.51.100.300/32"] }))).toThrow(
      /udpService secure-nodes\/b4ae: peers\[1\] must be an IPv4 range such as 198\.51\.100\.0\/24 \(got "198\.51\.100\.300\/32"\)/,
    );
  });

  test.each(Object.entries(targets))("%s refuses ports out of range and a relative health path", (_, make) => {
    expect(() => expose(make, request({ udpPort: 0 }))).toThrow(/udpPort must be a port from 1 to 65535 \(got 0\)/);
    expect(() => expose(make, request({ healthPort: 70000 }))).toThrow(/healthPort must be a port from 1 to 65535 \(got 70000\)/);
    expect(() => expose(make, request({ healthPath: "health" }))).toThrow(/healthPath must be an absolute HTTP path/);
  });

  test.each(Object.entries({ azure, gcp, onprem: onprem("metallb") }))("%s refuses static addresses: Elastic IPs are AWS's", (_, make) => {
    expect(() => expose(make, request({ internal: false, staticAddresses: true }))).toThrow(/udpService secure-nodes\/b4ae: staticAddresses are Elastic IPs, on AWS only/);
  });
});
