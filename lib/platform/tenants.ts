import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { NAMESPACE_NAME, PlatformNamespace, platformLabels } from "./namespaces";
import { DENY_ALL, INTERNET, egressRules, networkPolicySpec, sameNamespaceAllow, tcp, udpAndTcp, type NetworkAllow } from "./network-policies";
import type { TenantEgress } from "./target";

/** The label that marks a tenant namespace: policies and gateways select on it. */
export const TENANT_LABEL = "cdktf-byoc/tenant";

/** Where traffic into a tenant's pods may come from, besides the namespace itself. */
export interface TenantIngressSources {
  /** Namespaces whose pods may connect (the gateway's). */
  readonly namespaces: string[];
  /** Address ranges a cloud load balancer and its health checks come from (ip targets). */
  readonly cidrs: string[];
}

/** A tenant namespace's name and quota: what a Platform's `tenants` lists. */
export interface TenantOptions {
  /** The namespace's name: a DNS label, at most 63 characters. */
  readonly name: string;
  /** Total CPU requests and limits the namespace may claim, e.g. "40" or "500m". */
  readonly cpu: string;
  /** Total memory requests and limits, e.g. "160Gi". */
  readonly memory: string;
  /** Most pods. @default - 10 per requested CPU, at least 10 */
  readonly pods?: number;
  /** Total persistent volume claims, e.g. "500Gi". @default - no limit beyond the cluster's */
  readonly storage?: string;
  /** Allow HTTPS (443) to the internet; DNS, the namespace itself and `egress` are always allowed. @default true */
  readonly internetEgress?: boolean;
}

export interface TenantProps extends TenantOptions {
  /** The deployment the namespace belongs to (its labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The cluster is OpenShift: the namespace keeps its Pod Security labels as set here. @default false */
  readonly openshift?: boolean;
  /** Ranges the tenant may reach besides the internet: data stores, endpoints, site-to-site peers. @default [] */
  readonly egress?: TenantEgress[];
  /** Where traffic into the tenant's pods may come from besides the namespace itself. @default - nowhere else */
  readonly ingressFrom?: TenantIngressSources;
}

const CPU_QUANTITY = /^\d+(\.\d+)?m?$/;
const BYTES_QUANTITY = /^\d+(Ki|Mi|Gi|Ti)$/;

/** Default per-container requests and limits, for pods that declare none. */
const CONTAINER_DEFAULTS = {
  defaultRequest: { cpu: "100m", memory: "128Mi" },
  default: { cpu: "500m", memory: "512Mi" },
};

/**
 * A namespace for the product: Pod Security `restricted` enforced, a ResourceQuota and
 * LimitRange from the spec, and NetworkPolicies that deny everything and then allow
 * the namespace itself, DNS, the gateway, the data stores' and endpoints' ranges, the
 * site-to-site peers and, unless turned off, HTTPS to the internet. Tenants get no LoadBalancer
 * or NodePort Services: traffic enters through the gateway.
 */
export class Tenant extends Construct {
  readonly namespace: PlatformNamespace;
  readonly pods: number;
  readonly internetEgress: boolean;
  private readonly labels: Record<string, string>;

  constructor(scope: Construct, id: string, props: TenantProps) {
    super(scope, id);
    const invalid = (value: string | undefined, pattern: RegExp) => value !== undefined && !Token.isUnresolved(value) && !pattern.test(value);
    if (invalid(props.name, NAMESPACE_NAME)) {
      throw new Error(`Tenant ${id}: name must be a DNS label of a-z, 0-9 and "-", at most 63 characters (got ${JSON.stringify(props.name)})`);
    }
    if (invalid(props.cpu, CPU_QUANTITY)) {
      throw new Error(`Tenant ${props.name}: cpu must be a CPU quantity such as "40" or "500m" (got ${JSON.stringify(props.cpu)})`);
    }
    for (const prop of ["memory", "storage"] as const) {
      if (invalid(props[prop], BYTES_QUANTITY)) {
        throw new Error(`Tenant ${props.name}: ${prop} must be a quantity such as "160Gi" (Ki, Mi, Gi or Ti) (got ${JSON.stringify(props[prop])})`);
      }
    }
    if (props.pods !== undefined && !(Number.isInteger(props.pods) && props.pods >= 1)) {
      throw new Error(`Tenant ${props.name}: pods must be a whole number of at least 1 (got ${props.pods})`);
    }
    this.pods = props.pods ?? Math.max(10, Math.ceil(Number.parseFloat(props.cpu) * (props.cpu.endsWith("m") ? 0.01 : 10)));
    this.internetEgress = props.internetEgress ?? true;
    const naming = namingOf(this, props.naming);
    this.namespace = new PlatformNamespace(this, "Namespace", {
      name: props.name,
      naming,
      component: "tenant",
      podSecurity: "restricted",
      openshift: props.openshift,
      labels: { [TENANT_LABEL]: props.name },
      sccGrant: false,
    });
    this.labels = platformLabels(naming.deployment, "tenant");
    const metadata = (name: string) => ({ name, namespace: this.namespace.reference, labels: this.labels });

    new ResourceQuotaV1(this, "Quota", {
      metadata: metadata("tenant-quota"),
      spec: {
        hard: {
          "requests.cpu": props.cpu,
          "limits.cpu": props.cpu,
          "requests.memory": props.memory,
          "limits.memory": props.memory,
          pods: String(this.pods),
          ...(props.storage ? { "requests.storage": props.storage } : {}),
          "services.loadbalancers": "0",
          "services.nodeports": "0",
        },
      },
    });
    new LimitRangeV1(this, "Limits", {
      metadata: metadata("tenant-defaults"),
      spec: { limit: [{ type: "Container", ...CONTAINER_DEFAULTS }] },
    });

    const policy = (key: string, allow: NetworkAllow) => new NetworkPolicyV1(this, key, { metadata: metadata(allow.name), spec: networkPolicySpec(allow) });
    new NetworkPolicyV1(this, "DenyAll", { metadata: metadata("default-deny-all"), spec: DENY_ALL });
    policy("AllowNamespace", sameNamespaceAllow());
    // Cluster DNS answers on 53 (5353 behind OpenShift's DNS service); where it runs differs by distribution.
    policy("AllowDns", { name: "allow-dns", egress: [{ ports: udpAndTcp(53, 5353) }] });
    const { namespaces, cidrs } = props.ingressFrom ?? { namespaces: [], cidrs: [] };
    if (namespaces.length + cidrs.length > 0) {
      policy("AllowGateway", {
        name: "allow-from-gateway",
        ingress: [{ peers: [...namespaces.map((namespace) => ({ namespace })), ...cidrs.map((cidr) => ({ cidr }))] }],
      });
    }
    policy("AllowNetwork", { name: "allow-to-network", egress: egressRules(props.egress ?? []) });
    if (this.internetEgress) {
      policy("AllowInternetHttps", { name: "allow-internet-https", egress: [{ peers: [INTERNET], ports: tcp(443) }] });
    }
  }

  /**
   * One more way out of the namespace, beside what its own policies allow (NetworkPolicies
   * add up): e.g. the audit chain's JSON-RPC for the applications that write to it.
   */
  allowEgress(allow: NetworkAllow): NetworkPolicyV1 {
    if (!allow.egress) throw new Error(`Tenant ${this.node.id}: allowEgress(${allow.name}) names no egress rules`);
    return new NetworkPolicyV1(this, allow.name, { metadata: { name: allow.name, namespace: this.namespace.reference, labels: this.labels }, spec: networkPolicySpec(allow) });
  }
}
