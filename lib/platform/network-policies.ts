import { NetworkPolicyV1, type NetworkPolicyV1Spec, type NetworkPolicyV1SpecPodSelector } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { PRIVATE_RANGES, parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { label } from "../core/validate";
import { NAMESPACE_NAME, platformLabels, type INamespace } from "./namespaces";
import type { TenantEgress } from "./target";

/** Pods or namespaces chosen by their labels (a Kubernetes LabelSelector). */
export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: readonly LabelRequirement[];
}

export interface LabelRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  /** For In and NotIn. @default none */
  readonly values?: readonly string[];
}

/** A port, or the ports from `port` to `endPort`. */
export interface PolicyPort {
  readonly port: number;
  /** @default - `port` alone */
  readonly endPort?: number;
  /** @default "TCP" */
  readonly protocol?: "TCP" | "UDP";
}

/** The other end of a connection: an IPv4 range, or pods by namespace and labels. */
export interface NetworkPeer {
  /** An IPv4 range; not together with the pod fields. @default - pods */
  readonly cidr?: string;
  /** Ranges inside `cidr` that are left out. @default none */
  readonly except?: readonly string[];
  /** Pods of the namespace of this name. @default - the policy's own namespace, unless `namespaces` */
  readonly namespace?: string;
  /** Pods of the namespaces with these labels (`{}`: every namespace). @default - see `namespace` */
  readonly namespaces?: LabelSelector;
  /** Pods with these labels. @default - every pod of the namespace(s) */
  readonly pods?: LabelSelector;
}

export interface NetworkRule {
  /** Who may connect (ingress) or be connected to (egress). Ingress rules must name them. @default - anyone (egress with `ports` only) */
  readonly peers?: readonly NetworkPeer[];
  /** Ports on the receiving side. @default - every port */
  readonly ports?: readonly PolicyPort[];
}

/** One NetworkPolicy: traffic allowed into and/or out of some pods of a namespace. */
export interface NetworkAllow {
  /** The policy's name: a DNS label, unique in the namespace, e.g. "allow-webhooks". */
  readonly name: string;
  /** The pods it applies to. @default - every pod of the namespace */
  readonly pods?: LabelSelector;
  /** Connections into the pods. @default - none */
  readonly ingress?: readonly NetworkRule[];
  /** Connections out of the pods. @default - none */
  readonly egress?: readonly NetworkRule[];
}

/**
 * Where an add-on namespace's traffic comes from and goes to outside the add-on: the
 * ranges an IPlatformTarget declares (a target fits as it is), and who scrapes metrics.
 */
export interface ClusterNetwork {
  /** Ranges the API server's calls to admission webhooks and aggregated APIs come from. */
  readonly controlPlaneSources: readonly string[];
  /** Where pods reach the Kubernetes API. */
  readonly apiServerEgress: readonly TenantEgress[];
  /** The cloud APIs add-ons call: secret manager, DNS, identity endpoints. */
  readonly cloudApiEgress: readonly TenantEgress[];
  /** Who scrapes the add-ons' metrics. @default [PROMETHEUS] */
  readonly scrapers?: readonly NetworkPeer[];
}

/** A container port serving Prometheus metrics. */
export interface MetricsEndpoint {
  /** The container port's name, as the chart declares it. */
  readonly port: string;
  /** Its number: NetworkPolicies open it. */
  readonly number: number;
  /** @default "/metrics" */
  readonly path?: string;
}

/** An add-on's metrics: what its scrape allow opens and what a PodMonitor scrapes. */
export interface AddonMetrics {
  /** The monitor's name, unique in the namespace, e.g. "cert-manager". */
  readonly name: string;
  readonly namespace: INamespace;
  readonly pods: LabelSelector;
  readonly endpoints: readonly MetricsEndpoint[];
}

export const EVERY_POD: LabelSelector = { matchLabels: {} };

/** Prometheus of kube-prometheus-stack: the operator labels its server pods so. */
export const PROMETHEUS: NetworkPeer = { namespace: "observability", pods: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };

/** Every address outside the private ranges. */
export const INTERNET: NetworkPeer = { cidr: "0.0.0.0/0", except: PRIVATE_RANGES };

/** Both protocols on each port: DNS answers on UDP and falls back to TCP. */
export const udpAndTcp = (...ports: number[]): PolicyPort[] => ports.flatMap((port) => [{ port, protocol: "UDP" as const }, { port, protocol: "TCP" as const }]);

export const tcp = (...ports: number[]): PolicyPort[] => ports.map((port) => ({ port }));

/**
 * The cluster's resolvers, wherever the distribution runs them: CoreDNS / kube-dns
 * (selected by the kube-dns Service's own selector, which EKS's policy agent needs to
 * admit the Service address too), OpenShift's (openshift-dns, 5353), NodeLocal DNSCache
 * (169.254.20.10, on by default on GKE) and GKE's Cloud DNS resolver on the node's
 * metadata server (169.254.169.254, DNS ports only). Host-network resolvers are
 * reached by address: no selector matches them.
 */
export const CLUSTER_DNS: NetworkRule = {
  peers: [
    { namespace: "kube-system", pods: { matchLabels: { "k8s-app": "kube-dns" } } },
    { namespace: "openshift-dns" },
    { cidr: "169.254.20.10/32" },
    { cidr: "169.254.169.254/32" },
  ],
  ports: udpAndTcp(53, 5353),
};

/** Rules for a list of ranges, each on its own ports (or every port). */
export function egressRules(egress: readonly TenantEgress[]): NetworkRule[] {
  return egress.map(({ cidr, ports }) => ({ peers: [{ cidr }], ports: ports?.map(({ port, protocol }) => ({ port, protocol })) }));
}

/** The Kubernetes API, for `pods` (every pod by default). */
export function apiServerAllow(network: ClusterNetwork, pods?: LabelSelector): NetworkAllow {
  return { name: "allow-api-server", pods, egress: egressRules(network.apiServerEgress) };
}

/** The API server's calls to the webhooks (or aggregated API) `pods` serve on `ports`. */
export function webhookAllow(network: ClusterNetwork, pods: LabelSelector, ports: number[]): NetworkAllow {
  return { name: "allow-webhooks", pods, ingress: [{ peers: network.controlPlaneSources.map((cidr) => ({ cidr })), ports: tcp(...ports) }] };
}

/** Scrapes of each add-on's metrics ports, from the scrapers only. */
export function scrapeAllows(metrics: readonly AddonMetrics[], network: ClusterNetwork): NetworkAllow[] {
  const peers = network.scrapers ?? [PROMETHEUS];
  return metrics.map((m) => ({ name: `allow-scrape-${m.name}`, pods: m.pods, ingress: [{ peers, ports: tcp(...new Set(m.endpoints.map((e) => e.number))) }] }));
}

/** The scrapers' side: egress from `pods` to every add-on's metrics ports. */
export function scrapeEgressAllow(metrics: readonly AddonMetrics[], pods: LabelSelector): NetworkAllow {
  return {
    name: "allow-scrape-addons",
    pods,
    egress: metrics.map((m) => ({ peers: [{ namespace: m.namespace.name, pods: m.pods }], ports: tcp(...new Set(m.endpoints.map((e) => e.number))) })),
  };
}

/** The namespace's pods with each other, on `ports` (every port by default). */
export function sameNamespaceAllow(ports?: number[]): NetworkAllow {
  const rule = { peers: [{ pods: EVERY_POD }], ports: ports && tcp(...ports) };
  return { name: "allow-same-namespace", ingress: [rule], egress: [rule] };
}

/** A NetworkPolicy denying all traffic of every pod that no other policy allows. */
export const DENY_ALL: NetworkPolicyV1Spec = { podSelector: { matchLabels: {} }, policyTypes: ["Ingress", "Egress"] };

/** The NetworkPolicy spec of an allow. */
export function networkPolicySpec(allow: NetworkAllow): NetworkPolicyV1Spec {
  return {
    podSelector: selector(allow.pods ?? EVERY_POD),
    policyTypes: [...(allow.ingress ? ["Ingress"] : []), ...(allow.egress ? ["Egress"] : [])],
    ingress: allow.ingress?.map((rule) => ({ from: rule.peers?.map(peer), ports: rule.ports?.map(port) })),
    egress: allow.egress?.map((rule) => ({ to: rule.peers?.map(peer), ports: rule.ports?.map(port) })),
  };
}

function selector(s: LabelSelector): NetworkPolicyV1SpecPodSelector {
  return {
    matchLabels: s.matchLabels,
    matchExpressions: s.matchExpressions?.map((e) => ({ key: e.key, operator: e.operator, values: e.values && [...e.values] })),
  };
}

function peer(p: NetworkPeer) {
  if (p.cidr !== undefined) return { ipBlock: { cidr: p.cidr, except: p.except && [...p.except] } };
  const namespaces = p.namespace !== undefined ? { matchLabels: { "kubernetes.io/metadata.name": p.namespace } } : p.namespaces && selector(p.namespaces);
  // Without a namespace selector, a pod selector (every pod by default) keeps the peer in the policy's namespace.
  return { namespaceSelector: namespaces, podSelector: p.pods ? selector(p.pods) : namespaces ? undefined : selector(EVERY_POD) };
}

function port(p: PolicyPort) {
  return { port: String(p.port), protocol: p.protocol ?? "TCP", endPort: p.endPort };
}

export interface AddonNetworkPolicyProps {
  /** The namespace the policies hold in. */
  readonly namespace: INamespace;
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The policies' `app.kubernetes.io/component` label, e.g. "cert-manager". */
  readonly component: string;
  /** What the pods need besides the cluster's DNS (always allowed). @default [] - nothing else */
  readonly allows?: readonly NetworkAllow[];
}

/**
 * Default-deny for an add-on namespace: a policy denying all ingress and egress of
 * every pod, one allowing the cluster's DNS, and one NetworkPolicy per explicit allow.
 * Ingress always names its sources; nothing is open to every peer on every port.
 * NetworkPolicies need a CNI that enforces them (EKS VPC CNI with network policy,
 * Dataplane V2, Cilium, OVN-Kubernetes, Calico).
 */
export class AddonNetworkPolicy extends Construct {
  static readonly DENY_ALL = "default-deny-all";
  static readonly DNS = "allow-dns";
  /** The policies: a release waits for them, so its pods start under the rules they keep. */
  readonly policies: NetworkPolicyV1[];

  constructor(scope: Construct, id: string, props: AddonNetworkPolicyProps) {
    super(scope, id);
    const allows = props.allows ?? [];
    validate(this, allows);
    const labels = platformLabels(namingOf(this, props.naming).deployment, props.component);
    const policy = (key: string, name: string, spec: NetworkPolicyV1Spec) =>
      new NetworkPolicyV1(this, key, { metadata: { name, namespace: props.namespace.reference, labels }, spec });
    this.policies = [
      policy(constructId(AddonNetworkPolicy.DENY_ALL), AddonNetworkPolicy.DENY_ALL, DENY_ALL),
      policy(constructId(AddonNetworkPolicy.DNS), AddonNetworkPolicy.DNS, networkPolicySpec({ name: AddonNetworkPolicy.DNS, egress: [CLUSTER_DNS] })),
      ...allows.map((allow) => policy(constructId(allow.name), allow.name, networkPolicySpec(allow))),
    ];
  }
}

/** A policy's construct id from its name, which is unique and stable: "allow-webhooks" is AllowWebhooks. */
function constructId(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase());
}

/** Refuses allows that would open more than they say, or that Kubernetes would reject. */
function validate(scope: Construct, allows: readonly NetworkAllow[]): void {
  const ids = new Set<string>([AddonNetworkPolicy.DENY_ALL, AddonNetworkPolicy.DNS].map(constructId));
  allows.forEach((allow, i) => {
    const fail = (message: string): never => {
      throw new Error(`${label(scope)}: allows[${i}] (${allow.name}) ${message}`);
    };
    if (!NAMESPACE_NAME.test(allow.name)) fail(`name must be a DNS label of a-z, 0-9 and "-", at most 63 characters (got ${JSON.stringify(allow.name)})`);
    if (ids.has(constructId(allow.name))) fail(`name is used by another policy in the namespace; pick another`);
    ids.add(constructId(allow.name));
    if (!allow.ingress && !allow.egress) fail("allows nothing: give ingress or egress rules");
    for (const [direction, rules] of [["ingress", allow.ingress], ["egress", allow.egress]] as const) {
      if (rules?.length === 0) fail(`${direction} is empty (got []): give at least one rule, e.g. the ranges of a target's apiServerEgress, or leave ${direction} out`);
      rules?.forEach((rule, r) => {
        const where = `${direction}[${r}]`;
        if (rule.peers?.length === 0) fail(`${where}.peers is empty (got []): give at least one source or destination, e.g. a target's controlPlaneSources`);
        if (direction === "ingress" && !rule.peers) fail(`${where} names no peers: ingress must say where it comes from`);
        if (!rule.peers && !rule.ports) fail(`${where} names neither peers nor ports: that allows everything`);
        if (rule.ports?.length === 0) fail(`${where}.ports is empty (got []): leave it out for every port`);
        rule.peers?.forEach((p, n) => checkPeer(p, (m) => fail(`${where}.peers[${n}] ${m}`)));
        rule.ports?.forEach((p, n) => {
          const valid = (v: number) => Number.isInteger(v) && v >= 1 && v <= 65535;
          if (!valid(p.port) || (p.endPort !== undefined && (!valid(p.endPort) || p.endPort < p.port))) {
            fail(`${where}.ports[${n}] must be a port from 1 to 65535, with endPort not below it (got ${JSON.stringify(p)})`);
          }
        });
      });
    }
  });
}

function checkPeer(p: NetworkPeer, fail: (message: string) => never): void {
  const cidrs = [p.cidr, ...(p.except ?? [])].filter((c): c is string => c !== undefined && !Token.isUnresolved(c));
  for (const cidr of cidrs) if (!parseIpv4Cidr(cidr)) fail(`must use IPv4 ranges such as 10.0.0.0/16 (got ${JSON.stringify(cidr)})`);
  if (p.cidr !== undefined && (p.namespace !== undefined || p.namespaces || p.pods)) fail("gives both a range and pods: use one peer for each");
  if (p.cidr === undefined && p.except) fail("gives except without cidr");
  if (p.namespace !== undefined && p.namespaces) fail("gives both namespace and namespaces: use one");
}
