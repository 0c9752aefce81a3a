import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { NetworkPolicyV1, type NetworkPolicyV1Spec } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { Construct } from "constructs";
import type { TenantSpec } from "../config/cluster";
import { PRIVATE_RANGES } from "../core/cidr";
import { PlatformNamespace, platformLabels } from "./namespaces";
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

export interface TenantProps {
  readonly tenant: TenantSpec;
  readonly deployment: string;
  readonly openshift: boolean;
  /** Ranges the tenant may reach besides the internet: data stores, endpoints, site-to-site peers. */
  readonly egress: TenantEgress[];
  readonly ingressFrom: TenantIngressSources;
}

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

  constructor(scope: Construct, id: string, props: TenantProps) {
    super(scope, id);
    const { tenant } = props;
    this.namespace = new PlatformNamespace(this, "Namespace", {
      name: tenant.name,
      deployment: props.deployment,
      component: "tenant",
      podSecurity: "restricted",
      openshift: props.openshift,
      labels: { [TENANT_LABEL]: tenant.name },
      sccGrant: false,
    });
    const metadata = (name: string) => ({
      name,
      namespace: this.namespace.namespace.metadata.name,
      labels: platformLabels(props.deployment, "tenant"),
    });

    new ResourceQuotaV1(this, "Quota", {
      metadata: metadata("tenant-quota"),
      spec: {
        hard: {
          "requests.cpu": tenant.cpu,
          "limits.cpu": tenant.cpu,
          "requests.memory": tenant.memory,
          "limits.memory": tenant.memory,
          pods: String(tenant.pods ?? Math.max(10, Math.ceil(Number.parseFloat(tenant.cpu) * (tenant.cpu.endsWith("m") ? 0.01 : 10)))),
          ...(tenant.storage ? { "requests.storage": tenant.storage } : {}),
          "services.loadbalancers": "0",
          "services.nodeports": "0",
        },
      },
    });
    new LimitRangeV1(this, "Limits", {
      metadata: metadata("tenant-defaults"),
      spec: { limit: [{ type: "Container", ...CONTAINER_DEFAULTS }] },
    });

    const policy = (key: string, name: string, spec: NetworkPolicyV1Spec) =>
      new NetworkPolicyV1(this, key, { metadata: metadata(name), spec });
    const everyPod = { matchLabels: {} };
    policy("DenyAll", "default-deny-all", { podSelector: everyPod, policyTypes: ["Ingress", "Egress"] });
    policy("AllowNamespace", "allow-same-namespace", {
      podSelector: everyPod,
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: everyPod }] }],
      egress: [{ to: [{ podSelector: everyPod }] }],
    });
    // Cluster DNS answers on 53 (5353 behind OpenShift's DNS service); where it runs differs by distribution.
    policy("AllowDns", "allow-dns", {
      podSelector: everyPod,
      policyTypes: ["Egress"],
      egress: [{ ports: [53, 5353].flatMap((port) => ["UDP", "TCP"].map((protocol) => ({ port: String(port), protocol }))) }],
    });
    const { namespaces, cidrs } = props.ingressFrom;
    if (namespaces.length + cidrs.length > 0) {
      policy("AllowGateway", "allow-from-gateway", {
        podSelector: everyPod,
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              ...namespaces.map((ns) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } })),
              ...cidrs.map((cidr) => ({ ipBlock: { cidr } })),
            ],
          },
        ],
      });
    }
    policy("AllowNetwork", "allow-to-network", {
      podSelector: everyPod,
      policyTypes: ["Egress"],
      egress: props.egress.map(({ cidr, ports }) => ({
        to: [{ ipBlock: { cidr } }],
        ports: ports?.map((p) => ({ port: String(p.port), protocol: p.protocol })),
      })),
    });
    if (tenant.internetEgress) {
      policy("AllowInternetHttps", "allow-internet-https", {
        podSelector: everyPod,
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }], ports: [{ port: "443", protocol: "TCP" }] }],
      });
    }
  }
}
