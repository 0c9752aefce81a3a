import { describe, expect, test } from "vitest";
import { problems } from "../support/problems";
import { DEFAULT_KUBERNETES_VERSION } from "../../lib/config/cluster";
import { nodePools, parseSpec } from "../../lib/config/spec";
import { awsVcpus } from "../../lib/config/tiers";

const aws = { name: "acme", target: { cloud: "aws", region: "us-west-2" } };
const azure = { name: "acme", target: { cloud: "azure", region: "westeurope" } };
const gcp = { name: "acme", target: { cloud: "gcp", region: "europe-west4" } };
const onprem = { name: "acme", target: { cloud: "onprem" } };
const tenant = { name: "app", cpu: "40", memory: "160Gi" };


describe("cluster, platform and remote-access defaults", () => {
  test("a cloud cluster is private, on the default version, sized by the tier, with the cloud's autoscaler", () => {
    const spec = parseSpec(aws);
    expect(spec.cluster).toMatchObject({ version: DEFAULT_KUBERNETES_VERSION, endpoint: "private", allowedCidrs: [], admins: [], autoscaling: "karpenter" });
    expect(nodePools(spec).system).toEqual({ instanceType: "t3.large", min: 2, max: 3, diskGb: 100 });
    expect(parseSpec(azure).cluster.autoscaling).toBe("cluster-autoscaler");
    expect(parseSpec(gcp).cluster.autoscaling).toBe("cluster-autoscaler");
  });

  test("each tier sizes the pools; a field the spec sets wins over the tier", () => {
    const small = nodePools(parseSpec(gcp));
    const large = nodePools(parseSpec({ ...gcp, tier: "large" }));
    expect(large.workloads.max).toBeGreaterThan(small.workloads.max);
    expect(large.system.min).toBeGreaterThanOrEqual(3);
    const custom = nodePools(parseSpec({ ...gcp, tier: "large", cluster: { nodePools: { workloads: { instanceType: "c3-standard-8", max: 20 } } } }));
    expect(custom.workloads).toEqual({ ...large.workloads, instanceType: "c3-standard-8", max: 20 });
  });

  test("on-prem has no node pools; its load balancer defaults to node ports", () => {
    const spec = parseSpec(onprem);
    expect(spec.cluster.nodePools).toBeUndefined();
    expect(() => nodePools(spec)).toThrow("onprem has no node pools");
    expect(spec.target).toMatchObject({ distribution: "kubernetes", loadBalancer: "nodeport" });
  });

  test("the ingress defaults to GKE Gateway on gcp, Envoy Gateway elsewhere", () => {
    expect(parseSpec(aws).platform.ingress).toBe("envoy-gateway");
    expect(parseSpec({ ...aws, platform: { ingress: "aws-load-balancer-controller" } }).platform.ingress).toBe("aws-load-balancer-controller");
    expect(parseSpec(gcp).platform.ingress).toBe("gke-gateway");
    expect(parseSpec(azure).platform.ingress).toBe("envoy-gateway");
    expect(parseSpec(onprem).platform.ingress).toBe("envoy-gateway");
    expect(parseSpec({ ...aws, platform: { ingress: "envoy-gateway" } }).platform.ingress).toBe("envoy-gateway");
  });

  test("tenants keep their quotas; CPU given as a number becomes a quantity; internet egress is on unless turned off", () => {
    const spec = parseSpec({ ...aws, platform: { tenants: [{ name: "app", cpu: 8, memory: "32Gi" }, { ...tenant, name: "batch", internetEgress: false }] } });
    expect(spec.platform.tenants).toEqual([
      { name: "app", cpu: "8", memory: "32Gi", internetEgress: true },
      { name: "batch", cpu: "40", memory: "160Gi", internetEgress: false },
    ]);
    expect(spec.platform.policy).toBe("kyverno");
  });
});

describe("awsVcpus", () => {
  test.each([
    ["t3.large", 2],
    ["t3.medium", 2],
    ["m6i.medium", 1],
    ["m6i.xlarge", 4],
    ["m6i.2xlarge", 8],
    ["c7g.16xlarge", 64],
    ["m6i.metal", undefined],
  ])("%s has %s vCPUs", (type, vcpus) => {
    expect(awsVcpus(type)).toBe(vcpus);
  });
});

describe("a bad cluster, platform or remote-access section is rejected with the path, the value and what is accepted", () => {
  test.each<[string, unknown, string]>([
    ["an unsupported Kubernetes version", { ...aws, cluster: { version: "1.29" } }, 'cluster.version: expected one of "1.33", "1.34", "1.35", "1.36" (got "1.29")'],
    ["an unknown endpoint mode", { ...aws, cluster: { endpoint: "public" } }, 'cluster.endpoint: expected one of "private", "public-restricted" (got "public")'],
    ["a public API without an allowlist", { ...aws, cluster: { endpoint: "public-restricted" } }, "cluster.allowedCidrs: required with endpoint public-restricted: list the public ranges allowed to reach the API server (missing)"],
    ["an allowlist on a private API", { ...aws, cluster: { allowedCidrs: ["198.51.100.0/24"] } }, 'cluster.allowedCidrs: only used with endpoint public-restricted; a private API server is reached from the network and the site-to-site peers (got ["198.51.100.0/24"])'],
    ["the whole internet on the API", { ...aws, cluster: { endpoint: "public-restricted", allowedCidrs: ["0.0.0.0/0"] } }, 'cluster.allowedCidrs[0]: is too broad for an API server allowlist; list ranges of /8 or narrower (got "0.0.0.0/0")'],
    ["Karpenter on azure", { ...azure, cluster: { autoscaling: "karpenter" } }, 'cluster.autoscaling: azure supports "cluster-autoscaler" (got "karpenter")'],
    ["node auto-provisioning on aws", { ...aws, cluster: { autoscaling: "node-auto-provisioning" } }, 'cluster.autoscaling: aws supports "karpenter" (got "node-auto-provisioning")'],
    ["an Azure VM size on aws", { ...aws, cluster: { nodePools: { system: { instanceType: "Standard_D4s_v5" } } } }, 'cluster.nodePools.system.instanceType: is not a valid aws instance type; expected the form m6i.xlarge (got "Standard_D4s_v5")'],
    ["min above the tier's max", { ...gcp, cluster: { nodePools: { workloads: { min: 20 } } } }, "cluster.nodePools.workloads.min: min (20) must not exceed max (8) (got 20)"],
    ["an empty system pool", { ...azure, cluster: { nodePools: { system: { min: 0 } } } }, "cluster.nodePools.system.min: the system pool runs the cluster's add-ons; keep at least 1 node (got 0)"],
    ["min for Karpenter's workloads", { ...aws, cluster: { nodePools: { workloads: { min: 2 } } } }, "cluster.nodePools.workloads.min: Karpenter starts workload nodes on demand; min applies to the azure and gcp pools (got 2)"],
    ["a Karpenter type without a vCPU size", { ...aws, cluster: { nodePools: { workloads: { instanceType: "m6i.metal" } } } }, 'cluster.nodePools.workloads.instanceType: must be a medium, large or <n>xlarge size: Karpenter\'s vCPU budget is max x the size\'s vCPUs (got "m6i.metal")'],
    ["a disk too small", { ...aws, cluster: { nodePools: { system: { diskGb: 10 } } } }, "cluster.nodePools.system.diskGb: at least 30 (got 10)"],
    ["an admin that is not an IAM ARN", { ...aws, cluster: { admins: ["alice"] } }, 'cluster.admins[0]: must be an IAM role or user ARN such as arn:aws:iam::111122223333:role/platform-admin (got "alice")'],
    ["an admin that is not an Entra group id", { ...azure, cluster: { admins: ["platform-admins"] } }, 'cluster.admins[0]: must be the object id (a GUID) of an Entra ID group (got "platform-admins")'],
    ["an admin without a member type on gcp", { ...gcp, cluster: { admins: ["ops@example.com"] } }, 'cluster.admins[0]: must be an IAM member such as group:platform@example.com (got "ops@example.com")'],
    ["more GKE nodes than the pod range holds", { ...gcp, tier: "medium", network: { cidr: "10.80.0.0/20" } }, "cluster.nodePools.workloads.max: the pools may grow to 50 nodes, but a /20 network's pod range holds 16 GKE nodes; use a larger network.cidr or lower the pools' max (missing)"],
    ["node pools on-prem", { ...onprem, cluster: { nodePools: { system: { min: 3 } } } }, 'cluster.nodePools: applies to cloud targets only; the existing cluster\'s own tooling manages it (got {"system":{"min":3}})'],
    ["MetalLB without addresses", { name: "acme", target: { cloud: "onprem", loadBalancer: "metallb" } }, "target.loadBalancerAddresses: required with loadBalancer metallb: the address ranges MetalLB may hand out (missing)"],
    ["addresses without MetalLB", { name: "acme", target: { cloud: "onprem", loadBalancerAddresses: ["192.0.2.0/28"] } }, 'target.loadBalancerAddresses: only used with loadBalancer metallb (got ["192.0.2.0/28"])'],
    ["an unknown distribution", { name: "acme", target: { cloud: "onprem", distribution: "rancher" } }, 'target.distribution: expected one of "kubernetes", "openshift", "vmware" (got "rancher")'],
    ["the AWS controller on gcp", { ...gcp, platform: { ingress: "aws-load-balancer-controller" } }, 'platform.ingress: "aws-load-balancer-controller" runs on aws only; use "envoy-gateway" on gcp (got "aws-load-balancer-controller")'],
    ["ingress-nginx", { ...aws, platform: { ingress: "ingress-nginx" } }, 'platform.ingress: expected one of "envoy-gateway", "aws-load-balancer-controller", "gke-gateway" (got "ingress-nginx")'],
    ["Gatekeeper next to AKS's Azure Policy", { ...azure, platform: { policy: "gatekeeper" } }, 'platform.policy: azure runs Gatekeeper as its Azure Policy add-on, which cannot share the cluster with another; use "kyverno" (got "gatekeeper")'],
    ["an unknown policy engine", { ...aws, platform: { policy: "opa" } }, 'platform.policy: expected one of "kyverno", "gatekeeper" (got "opa")'],
    ["a tenant named after a platform namespace", { ...aws, platform: { tenants: [{ ...tenant, name: "argocd" }] } }, 'platform.tenants[0].name: is a namespace the platform or Kubernetes uses; pick another name (got "argocd")'],
    ["two tenants with one name", { ...aws, platform: { tenants: [tenant, tenant] } }, 'platform.tenants[1].name: another tenant has this name; tenant names must be unique (got "app")'],
    ["a memory quota without a unit", { ...aws, platform: { tenants: [{ ...tenant, memory: "160" }] } }, 'platform.tenants[0].memory: must be a quantity such as "160Gi" (Ki, Mi, Gi or Ti) (got "160")'],
    ["GitOps without a tenant to deploy into", { ...aws, platform: { gitops: { repo: "https://git.example.com/acme/deploy.git" } } }, 'platform.gitops: needs at least one entry in platform.tenants: Argo CD deploys only into tenant namespaces (got {"repo":"https://git.example.com/acme/deploy.git"})'],
    ["a Git URL with a password", { ...aws, platform: { tenants: [tenant], gitops: { repo: "https://bob:hunter2@git.example.com/x.git" } } }, 'platform.gitops.repo: must be an https:// or ssh Git URL without credentials, e.g. https://git.example.com/acme/deploy.git (got a value that looks like a secret, not shown)'],
    ["a Vault store on a cloud", { ...aws, platform: { secretStore: { vault: { server: "https://vault.example.com", role: "byoc" } } } }, 'platform.secretStore: applies to onprem only; on aws External Secrets reads the cloud\'s secret manager (got {"vault":{"server":"https://vault.example.com","role":"byoc"}})'],
    ["a connector secret outside the deployment's prefix", { ...aws, vpn: { remoteAccess: { provider: "twingate", network: "acme", tokens: { secretRef: "shared/twingate" } } } }, 'vpn.remoteAccess.tokens.secretRef: must start with "acme/": External Secrets may read only the deployment\'s own secrets (value not shown)'],
    ["an unknown remote-access provider", { ...aws, vpn: { remoteAccess: { provider: "openvpn", network: "acme", tokens: { secretRef: "acme/t" } } } }, 'vpn.remoteAccess.provider: expected one of "twingate" (got "openvpn")'],
    ["a connector secret on-prem without a store", { ...onprem, vpn: { remoteAccess: { provider: "twingate", network: "acme", tokens: { secretRef: "twingate" } } } }, 'vpn.remoteAccess.tokens.secretRef: needs platform.secretStore on onprem: External Secrets has no store to read it from (value not shown)'],
  ])("%s", (_, input, message) => {
    expect(problems(input)).toContain(message);
  });
});
