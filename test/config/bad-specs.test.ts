import { describe, expect, test } from "vitest";
import { problems } from "../support/problems";
import { parseSpec } from "../../lib/config/spec";

/** A valid AWS spec to break one field at a time. */
const aws = { name: "acme", target: { cloud: "aws", region: "us-west-2" } };
const peer = { name: "hq", cidrs: ["192.168.0.0/20"], gatewayIp: "198.51.100.10", psk: { secretRef: "vpn/hq" } };
const with_ = (patch: Record<string, unknown>) => ({ ...aws, ...patch });


describe("a bad spec is rejected with the path, the value and what is accepted", () => {
  test.each<[string, unknown, string]>([
    ["missing name", { target: aws.target }, "name: required, missing"],
    ["upper-case name", with_({ name: "Acme" }), 'name: must be 3-20 characters of a-z, 0-9 and "-", starting with a letter and not ending with "-" (got "Acme")'],
    ["unknown tier", with_({ tier: "huge" }), 'tier: expected one of "small", "medium", "large" (got "huge")'],
    ["unknown environment", with_({ environment: "prod" }), 'environment: expected one of "development", "staging", "production" (got "prod")'],
    ["unknown cloud", { name: "acme", target: { cloud: "mars" } }, 'target.cloud: expected one of "aws", "azure", "gcp", "onprem" (got "mars")'],
    ["malformed AWS region", with_({ target: { cloud: "aws", region: "uswest2" } }), 'target.region: not a valid aws region name; expected the form "us-west-2" (got "uswest2")'],
    ["unknown AWS region", with_({ target: { cloud: "aws", region: "us-west-9" } }), 'target.region: is not a region this version knows for aws; check the name, or list network.zones by name to use a new region (got "us-west-9")'],
    ["a /28 network", with_({ network: { cidr: "10.0.0.0/28" } }), 'network.cidr: a /28 network is too small; use a prefix from /16 to /20, e.g. 10.0.0.0/16 (got "10.0.0.0/28")'],
    ["a /8 network", with_({ network: { cidr: "10.0.0.0/8" } }), 'network.cidr: a /8 network is too large; use a prefix from /16 to /20, e.g. 10.0.0.0/16 (got "10.0.0.0/8")'],
    ["host bits set", with_({ network: { cidr: "10.0.0.1/16" } }), 'network.cidr: network.cidr has host bits set; did you mean 10.0.0.0/16? (got "10.0.0.1/16")'],
    ["not a CIDR", with_({ network: { cidr: "10.0.0.0" } }), 'network.cidr: network.cidr must be an IPv4 CIDR block such as 10.0.0.0/16 (got "10.0.0.0")'],
    ["public network range", with_({ network: { cidr: "8.8.0.0/16" } }), 'network.cidr: must be a private range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10 (got "8.8.0.0/16")'],
    ["more zones than the region has", with_({ target: { cloud: "aws", region: "eu-west-1" }, network: { zones: 4 } }), "network.zones: eu-west-1 has only 3 zones (eu-west-1a, eu-west-1b, eu-west-1c); use at most 3 (got 4)"],
    ["one zone on AWS", with_({ network: { zones: 1 } }), "network.zones: aws needs at least 2 zones (EKS and load balancers span two) (got 1)"],
    ["a zone of another region", with_({ network: { zones: ["us-east-1a", "us-west-2b"] } }), 'network.zones[0]: not a zone of us-west-2; expected us-west-2a and the like (got "us-east-1a")'],
    ["a zone letter the region lacks", with_({ target: { cloud: "aws", region: "ca-central-1" }, network: { zones: ["ca-central-1a", "ca-central-1c"] } }), 'network.zones[1]: ca-central-1 has no zone ca-central-1c; it has ca-central-1a, ca-central-1b, ca-central-1d (got "ca-central-1c")'],
    ["zones in an Azure region without zones", { name: "acme", target: { cloud: "azure", region: "westus" }, network: { zones: 2 } }, "network.zones: westus has no availability zones; remove network.zones or pick a zonal region such as westeurope (got 2)"],
    ["NAT setting on GCP", { name: "acme", target: { cloud: "gcp", region: "europe-west4" }, network: { natGateways: "single" } }, 'network.natGateways: applies to aws only; gcp uses one regional NAT (got "single")'],
    ["unknown endpoint", with_({ network: { endpoints: ["s3", "dynamo"] } }), 'network.endpoints[1]: expected one of "s3", "ecr", "sts", "logs", "ec2", "eks", "eks-auth", "elasticloadbalancing", "autoscaling", "secretsmanager", "kms", "ssm", "sqs", "ebs", "monitoring" (got "dynamo")'],
    ["flow-log retention CloudWatch refuses", with_({ network: { flowLogRetentionDays: 100 } }), "network.flowLogRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 100)"],
    ["a peer range inside the VPC", with_({ network: { cidr: "10.0.0.0/16", peers: [{ ...peer, cidrs: ["10.0.8.0/24"] }] } }), 'network.peers[0].cidrs[0]: overlaps network.cidr 10.0.0.0/16; a peer\'s range must lie outside the network (got "10.0.8.0/24")'],
    ["overlapping peer ranges", with_({ network: { peers: [peer, { ...peer, name: "branch", gatewayIp: "198.51.100.11", cidrs: ["192.168.8.0/24"] }] } }), 'network.peers[1].cidrs[0]: overlaps network.peers[0].cidrs[0] 192.168.0.0/20; peer ranges must not overlap (got "192.168.8.0/24")'],
    ["duplicate peer names", with_({ network: { peers: [peer, { ...peer, cidrs: ["172.20.0.0/16"] }] } }), 'network.peers[1].name: another peer has this name; peer names must be unique (got "hq")'],
    ["a private peer gateway", with_({ network: { peers: [{ ...peer, gatewayIp: "192.168.1.1" }] } }), "network.peers[0].gatewayIp: must be the public IPv4 address of the peer's VPN device (got \"192.168.1.1\")"],
    ["a literal pre-shared key", with_({ network: { peers: [{ ...peer, psk: "hunter2hunter2" }] } }), "network.peers[0].psk: takes a reference to a secret, never the secret itself: write { secretRef: <the secret's name in the cloud's secret manager> } (value not shown)"],
    ["GCP peer without BGP", { name: "acme", target: { cloud: "gcp", region: "europe-west4" }, network: { peers: [peer] } }, "network.peers[0].bgpAsn: required on gcp: HA VPN exchanges routes over BGP only (missing)"],
    ["tunnel range outside link-local", with_({ network: { peers: [{ ...peer, bgpAsn: 65010, tunnelInsideCidrs: ["10.1.0.0/30", "169.254.10.4/30"] }] } }), 'network.peers[0].tunnelInsideCidrs[0]: must be a /30 inside 169.254.0.0/16 (got "10.1.0.0/30")'],
    ["peer ASN equal to the gateway's", with_({ network: { peers: [{ ...peer, bgpAsn: 64512 }] } }), "network.peers[0].bgpAsn: 64512 is the aws gateway's own ASN; pick another (got 64512)"],
    ["Azure peer without a Key Vault", { name: "acme", target: { cloud: "azure", region: "westeurope" }, network: { peers: [peer] } }, "network.peers[0].psk: on azure, target.keyVaultId must name the Key Vault that holds this secret (value not shown)"],
    ["an Azure secret name with a slash", { name: "acme", target: { cloud: "azure", region: "westeurope", keyVaultId: "/subscriptions/x/resourceGroups/g/providers/Microsoft.KeyVault/vaults/acme-kv" }, network: { peers: [peer] } }, "network.peers[0].psk.secretRef: Key Vault secret names are 1-127 letters, digits and - (value not shown)"],
    ["ACM outside AWS", { name: "acme", target: { cloud: "gcp", region: "europe-west4" }, dns: { domain: "acme.example.com", certificates: "acm" } }, 'dns.certificates: "acm" is available on aws only; use "cert-manager" on gcp (got "acm")'],
    ["ACM without a domain", with_({ dns: { certificates: "acm" } }), 'dns.certificates: "acm" needs dns.domain to issue a certificate for (got "acm")'],
    ["a domain that is not a DNS name", with_({ dns: { domain: "https://acme.com" } }), 'dns.domain: must be a lower-case DNS name such as app.example.com (got "https://acme.com")'],
    ["a reserved tag", with_({ tags: { environment: "prod" } }), 'tags.environment: the key is set by cdktf-byoc itself (deployment, component, environment, managed-by); use the top-level field instead'],
    ["an unknown field (typo)", with_({ netwrok: {} }), 'netwrok: unknown field; did you mean "network"?'],
    ["network fields on-prem", { name: "acme", target: { cloud: "onprem" }, network: { zones: 3 } }, "network.zones: applies to cloud targets only; on-prem has no cloud network (got 3)"],
    ["an unknown state backend", with_({ state: { backend: "consul" } }), 'state.backend: expected one of "local", "s3", "azurerm", "gcs" (got "consul")'],
    ["an S3 backend without a bucket", with_({ state: { backend: "s3" } }), "state.bucket: required, missing"],
  ])("%s", (_, input, message) => {
    expect(problems(input)).toContain(message);
  });

  test("every problem of a spec is reported at once", () => {
    const found = problems({
      name: "x",
      tier: "huge",
      target: { cloud: "aws", region: "us-west-2" },
      network: { cidr: "10.0.0.0/28", peers: [{ ...peer, cidrs: ["10.0.0.0/24"] }] },
    });
    expect(found.map((p) => p.split(":")[0])).toEqual(
      expect.arrayContaining(["name", "tier", "network.cidr", "network.peers[0].cidrs[0]"]),
    );
    expect(found).toHaveLength(4);
  });

  test("the error message lists each problem on its own line, without a stack trace", () => {
    expect(() => parseSpec(with_({ tier: "huge", environment: "prod" }), "byoc.yaml")).toThrow(
      /^byoc\.yaml has 2 problems:\n {2}- environment: .*\n {2}- tier: .*$/,
    );
  });
});

describe("values the clouds would refuse at apply time are refused here", () => {
  const onprem = (loadBalancerAddresses: string[]) => ({ name: "acme", target: { cloud: "onprem", loadBalancer: "metallb", loadBalancerAddresses } });
  const azure = (tags: Record<string, string>) => ({ name: "acme", target: { cloud: "azure", region: "westeurope" }, tags });
  const gcp = (tags: Record<string, string>) => ({ name: "acme", target: { cloud: "gcp", region: "us-central1" }, tags });
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
  const tenant = (cpu: unknown) => with_({ platform: { tenants: [{ name: "app", cpu, memory: "8Gi" }] } });

  test.each<[string, unknown, string]>([
    ["a reversed address range", onprem(["192.0.2.20-192.0.2.10"]), 'target.loadBalancerAddresses[0]: runs backwards: 192.0.2.20 comes after 192.0.2.10; write 192.0.2.10-192.0.2.20 (got "192.0.2.20-192.0.2.10")'],
    ["a range of non-addresses", onprem(["999.0.0.0/24"]), 'target.loadBalancerAddresses[0]: is not made of IPv4 addresses (each number 0-255, a prefix 0-32) (got "999.0.0.0/24")'],
    ["a range that is not a range", onprem(["192.0.2.0"]), 'target.loadBalancerAddresses[0]: must be a CIDR (192.0.2.0/28) or a range (192.0.2.10-192.0.2.20) (got "192.0.2.0")'],
    ["a range with host bits", onprem(["192.0.2.1/28"]), 'target.loadBalancerAddresses[0]: has host bits set; did you mean 192.0.2.0/28? (got "192.0.2.1/28")'],
    ["overlapping ranges", onprem(["192.0.3.0/24", "192.0.2.0/28", "192.0.3.5-192.0.3.9"]), 'target.loadBalancerAddresses[2]: overlaps target.loadBalancerAddresses[0] 192.0.3.0/24; MetalLB refuses overlapping ranges (got "192.0.3.5-192.0.3.9")'],
    ["a disaster-recovery region misspelled", with_({ data: { disasterRecovery: { region: "us-est-1" } } }), 'data.disasterRecovery.region: is not a region this version knows for aws; did you mean "us-east-1"? (got "us-est-1")'],
    ["a disaster-recovery region that does not exist", { name: "acme", target: { cloud: "gcp", region: "us-central1" }, data: { disasterRecovery: { region: "mars-north1" } } }, 'data.disasterRecovery.region: is not a region this version knows for gcp; check the name (got "mars-north1")'],
    ["a tenant with no CPU", tenant("0"), 'platform.tenants[0].cpu: must be more than 0: a namespace with no CPU cannot run a pod (got "0")'],
    ["a tenant with 0m CPU", tenant("0m"), 'platform.tenants[0].cpu: must be more than 0: a namespace with no CPU cannot run a pod (got "0m")'],
    ["a tenant with CPU 0 as a number", tenant(0), 'platform.tenants[0].cpu: must be a CPU quantity such as "40" or "500m", more than 0 (got 0)'],
    ["an Azure tag name with a slash", azure({ "cost/center": "x" }), 'tags.cost/center: azure refuses tag names with < > % & \\ ? or /; use another separator such as "-" or "." (got "x")'],
    ["an Azure tag name with Azure's prefix", azure({ microsoftTeam: "x" }), 'tags.microsoftTeam: azure reserves tag names starting with "microsoft", "azure" or "windows" (got "x")'],
    ["Azure tag names equal but for case", azure({ Team: "a", team: "b" }), 'tags.team: is the same tag as "Team" on azure, which compares tag names without case; keep one (got "b")'],
    ["an Azure tag the kit sets, in capitals", azure({ Environment: "prod" }), 'tags.Environment: becomes "environment" on azure, which cdktf-byoc sets itself; use the top-level field instead, or another name (got "prod")'],
    ["GCP labels equal after lower-casing", gcp({ Team: "a", team: "b" }), 'tags.team: becomes the label "team" on gcp, like the tag "Team"; rename one (got "b")'],
    ["GCP labels equal after replacing characters", gcp({ "Cost Center": "a", cost_center: "b" }), 'tags.cost_center: becomes the label "cost_center" on gcp, like the tag "Cost Center"; rename one (got "b")'],
    ["a GCP label the kit sets", gcp({ "Managed-By": "me" }), 'tags.Managed-By: becomes "managed-by" on gcp, which cdktf-byoc sets itself; use the top-level field instead, or another name (got "me")'],
  ])("%s", (_, input, message) => {
    expect(problems(input)).toContain(message);
  });

  test.each<[string, (n: number) => unknown, number]>([
    ["aws", (n) => with_({ tags: many(n) }), 40],
    ["azure", (n) => azure(many(n)), 46],
    ["gcp", (n) => gcp(many(n)), 60],
  ])("%s: tags up to the cloud's limit less the kit's own", (cloud, spec, most) => {
    expect(() => parseSpec(spec(most))).not.toThrow();
    expect(problems(spec(most + 1))).toEqual([expect.stringMatching(new RegExp(`^tags: ${most + 1} (tags|labels) are too many on ${cloud}: a resource takes (50|64), and the kit adds up to \\d+ of its own; keep at most ${most} \\(got `))]);
  });
});

