import type { z } from "zod";
import { isNetworkAligned, parseIpv4Cidr } from "../core/cidr";
import { addressSpan } from "./fields";
import { RESERVED_NAMESPACES } from "./cluster";
import { awsVcpus, TIERS, type Tier } from "./tiers";

type Path = (string | number)[];
type Issue = (path: Path, message: string) => void;

interface LoosePool { instanceType?: string; min?: number; max?: number }
// The spec as the field-level parse left it: every rule checks the shape it relies on.
interface Loose {
  name?: string;
  tier?: string;
  network?: { cidr?: string };
  target?: { cloud?: string; loadBalancer?: string; loadBalancerAddresses?: string[] };
  cluster?: {
    version?: string;
    endpoint?: string;
    allowedCidrs?: string[];
    nodePools?: { system?: LoosePool; workloads?: LoosePool };
    autoscaling?: string;
    admins?: string[];
  };
  platform?: {
    gitops?: { credentials?: { secretRef?: string } };
    ingress?: string;
    policy?: string;
    tenants?: { name?: string }[];
    secretStore?: object;
  };
  vpn?: { remoteAccess?: { tokens?: { secretRef?: string } } };
}

/** Autoscaling modes each cloud supports; the first is the default. */
export const AUTOSCALING = {
  aws: ["karpenter"],
  azure: ["cluster-autoscaler"],
  gcp: ["cluster-autoscaler", "node-auto-provisioning"],
} as const;

/** How each cloud names an instance type, and an example. */
const INSTANCE_TYPE = {
  aws: { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "m6i.xlarge" },
  azure: { pattern: /^Standard_[A-Za-z0-9_]+$/, example: "Standard_D4s_v5" },
  gcp: { pattern: /^[a-z][a-z0-9]*-[a-z0-9-]+$/, example: "n2-standard-4" },
} as const;

/** Who may administer the cluster, per target. */
const ADMIN = {
  aws: { pattern: /^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/, example: "an IAM role or user ARN such as arn:aws:iam::111122223333:role/platform-admin" },
  azure: { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, example: "the object id (a GUID) of an Entra ID group" },
  gcp: { pattern: /^(user|group|serviceAccount):[^@\s]+@[^@\s]+\.[^@\s]+$/, example: "an IAM member such as group:platform@example.com" },
  onprem: { pattern: /^(user|group):\S+$/, example: "a Kubernetes subject such as group:platform-admins or user:alice" },
} as const;

/** Where each cloud keeps the secrets External Secrets may read, given the deployment name. */
export function clusterSecretPrefix(cloud: string, name: string): string | undefined {
  return cloud === "aws" ? `${name}/` : cloud === "gcp" ? `${name}-` : undefined;
}

/** Cross-field rules of the cluster, platform and remote-access sections. */
export function validateCluster(spec: Loose, addIssue: z.RefinementCtx["addIssue"]): void {
  const issue: Issue = (path, message) => addIssue({ code: "custom", path, message });
  const cloud = spec.target?.cloud;
  const cluster = spec.cluster ?? {};

  if (cloud === "onprem") {
    for (const field of ["version", "endpoint", "allowedCidrs", "nodePools", "autoscaling"] as const) {
      if (cluster[field] !== undefined) issue(["cluster", field], "applies to cloud targets only; the existing cluster's own tooling manages it");
    }
    validateOnprem(spec, issue);
  } else if (cloud === "aws" || cloud === "azure" || cloud === "gcp") {
    validateCloudCluster(cloud, spec, issue);
    if (spec.platform?.secretStore !== undefined) issue(["platform", "secretStore"], `applies to onprem only; on ${cloud} External Secrets reads the cloud's secret manager`);
  }

  const admin = cloud && cloud in ADMIN ? ADMIN[cloud as keyof typeof ADMIN] : undefined;
  (Array.isArray(cluster.admins) ? cluster.admins : []).forEach((a, i) => {
    if (admin && typeof a === "string" && !admin.pattern.test(a)) issue(["cluster", "admins", i], `must be ${admin.example}`);
  });

  validatePlatform(cloud, spec, issue);
}

function validateCloudCluster(cloud: "aws" | "azure" | "gcp", spec: Loose, issue: Issue) {
  const cluster = spec.cluster ?? {};
  const modes: readonly string[] = AUTOSCALING[cloud];
  if (cluster.autoscaling !== undefined && !modes.includes(cluster.autoscaling)) {
    issue(["cluster", "autoscaling"], `${cloud} supports ${modes.map((m) => `"${m}"`).join(" or ")}`);
  }

  const allowed = Array.isArray(cluster.allowedCidrs) ? cluster.allowedCidrs : [];
  if (cluster.endpoint === "public-restricted" && allowed.length === 0) {
    issue(["cluster", "allowedCidrs"], "required with endpoint public-restricted: list the public ranges allowed to reach the API server");
  }
  if (cluster.endpoint !== "public-restricted" && allowed.length > 0) {
    issue(["cluster", "allowedCidrs"], "only used with endpoint public-restricted; a private API server is reached from the network and the site-to-site peers");
  }
  allowed.forEach((c, i) => {
    const block = parseIpv4Cidr(c);
    if (block && block.prefix < 8) issue(["cluster", "allowedCidrs", i], "is too broad for an API server allowlist; list ranges of /8 or narrower");
  });

  const tier = (spec.tier && spec.tier in TIERS ? spec.tier : "small") as Tier;
  const maxNodes: number[] = [];
  for (const role of ["system", "workloads"] as const) {
    maxNodes.push({ ...TIERS[tier].nodePools[cloud][role], ...cluster.nodePools?.[role] }.max);
    const given = cluster.nodePools?.[role];
    if (!given || typeof given !== "object") continue;
    const at = (field: string): Path => ["cluster", "nodePools", role, field];
    const pool = { ...TIERS[tier].nodePools[cloud][role], ...given };
    const { pattern, example } = INSTANCE_TYPE[cloud];
    if (typeof given.instanceType === "string" && !pattern.test(given.instanceType)) issue(at("instanceType"), `is not a valid ${cloud} instance type; expected the form ${example}`);
    if (typeof pool.min === "number" && typeof pool.max === "number" && pool.min > pool.max) {
      issue(at(given.min !== undefined ? "min" : "max"), `min (${pool.min}) must not exceed max (${pool.max})`);
    }
    if (role === "system" && given.min === 0) issue(at("min"), "the system pool runs the cluster's add-ons; keep at least 1 node");
    if (cloud === "aws" && role === "workloads") {
      if (given.min !== undefined) issue(at("min"), "Karpenter starts workload nodes on demand; min applies to the azure and gcp pools");
      if (typeof given.instanceType === "string" && pattern.test(given.instanceType) && awsVcpus(given.instanceType) === undefined) {
        issue(at("instanceType"), "must be a medium, large or <n>xlarge size: Karpenter's vCPU budget is max x the size's vCPUs");
      }
    }
  }
  // GKE gives each node a /25 of the pods range (half the network) for its 64 pods.
  const network = typeof spec.network?.cidr === "string" ? parseIpv4Cidr(spec.network.cidr) : undefined;
  const total = maxNodes.reduce((a, b) => a + (typeof b === "number" ? b : 0), 0);
  if (cloud === "gcp" && network && network.prefix <= 24 && total > 2 ** (24 - network.prefix)) {
    issue(["cluster", "nodePools", "workloads", "max"], `the pools may grow to ${total} nodes, but a /${network.prefix} network's pod range holds ${2 ** (24 - network.prefix)} GKE nodes; use a larger network.cidr or lower the pools' max`);
  }
}

function validateOnprem(spec: Loose, issue: Issue) {
  const target = spec.target ?? {};
  if (target.loadBalancer === "metallb" && target.loadBalancerAddresses === undefined) {
    issue(["target", "loadBalancerAddresses"], "required with loadBalancer metallb: the address ranges MetalLB may hand out");
  }
  if (target.loadBalancer !== "metallb" && target.loadBalancerAddresses !== undefined) {
    issue(["target", "loadBalancerAddresses"], "only used with loadBalancer metallb");
  }
  // MetalLB refuses a pool whose ranges overlap; sorted, each range need only meet its predecessor.
  const spans = (Array.isArray(target.loadBalancerAddresses) ? target.loadBalancerAddresses : [])
    .map((text, i) => ({ text, i, span: typeof text === "string" ? addressSpan(text) : undefined }))
    // Entries with their own problem (backwards, host bits set) are left to that message.
    .filter((r) => r.span && r.span.first <= r.span.last && (r.text.includes("-") || isNetworkAligned(parseIpv4Cidr(r.text)!)))
    .sort((a, b) => a.span!.first - b.span!.first);
  let reach: (typeof spans)[number] | undefined; // the range reaching furthest so far
  for (const r of spans) {
    if (reach && reach.span!.last >= r.span!.first) {
      const [a, b] = reach.i < r.i ? [reach, r] : [r, reach];
      issue(["target", "loadBalancerAddresses", b.i], `overlaps target.loadBalancerAddresses[${a.i}] ${a.text}; MetalLB refuses overlapping ranges`);
    }
    if (!reach || r.span!.last > reach.span!.last) reach = r;
  }
}

function validatePlatform(cloud: string | undefined, spec: Loose, issue: Issue) {
  const platform = spec.platform ?? {};
  if (platform.ingress === "aws-load-balancer-controller" && cloud !== "aws") issue(["platform", "ingress"], `"aws-load-balancer-controller" runs on aws only; use "envoy-gateway" on ${cloud}`);
  // AKS's Azure Policy add-on is itself a Gatekeeper, in gatekeeper-system; a second one is unsupported.
  if (platform.policy === "gatekeeper" && cloud === "azure") issue(["platform", "policy"], 'azure runs Gatekeeper as its Azure Policy add-on, which cannot share the cluster with another; use "kyverno"');
  if (platform.ingress === "gke-gateway" && cloud !== "gcp") issue(["platform", "ingress"], `"gke-gateway" runs on gcp only; use "envoy-gateway" on ${cloud}`);

  const tenants = Array.isArray(platform.tenants) ? platform.tenants : [];
  tenants.forEach((t, i) => {
    if (typeof t?.name !== "string") return;
    if ((RESERVED_NAMESPACES as readonly string[]).includes(t.name) || /^(kube|openshift)-/.test(t.name)) {
      issue(["platform", "tenants", i, "name"], "is a namespace the platform or Kubernetes uses; pick another name");
    } else if (tenants.findIndex((o) => o?.name === t.name) !== i) {
      issue(["platform", "tenants", i, "name"], "another tenant has this name; tenant names must be unique");
    }
  });
  if (platform.gitops !== undefined && tenants.length === 0) {
    issue(["platform", "gitops"], "needs at least one entry in platform.tenants: Argo CD deploys only into tenant namespaces");
  }

  // Secrets the cluster reads through External Secrets, which may read only the deployment's own.
  const inCluster: [Path, string | undefined][] = [
    [["platform", "gitops", "credentials", "secretRef"], platform.gitops?.credentials?.secretRef],
    [["vpn", "remoteAccess", "tokens", "secretRef"], spec.vpn?.remoteAccess?.tokens?.secretRef],
  ];
  for (const [path, ref] of inCluster) {
    if (typeof ref !== "string") continue;
    const prefix = cloud && spec.name ? clusterSecretPrefix(cloud, spec.name) : undefined;
    if (prefix && !ref.startsWith(prefix)) issue(path, `must start with "${prefix}": External Secrets may read only the deployment's own secrets`);
    if (cloud === "gcp" && !/^[A-Za-z0-9_-]{1,255}$/.test(ref)) issue(path, "Secret Manager secret ids are letters, digits, _ and -");
    if (cloud === "azure" && !/^[0-9A-Za-z-]{1,127}$/.test(ref)) issue(path, "Key Vault secret names are 1-127 letters, digits and -");
    if (cloud === "onprem" && platform.secretStore === undefined) issue(path, "needs platform.secretStore on onprem: External Secrets has no store to read it from");
  }
}
