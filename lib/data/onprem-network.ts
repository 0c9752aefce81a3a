import { NetworkPolicyV1, type NetworkPolicyV1Spec } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { setComponent } from "../core/tags";
import { platformLabels, type INamespace } from "../platform/namespaces";
import { TENANT_LABEL } from "../platform/tenants";
import { DATA_NAMESPACE } from "./onprem-plan";

/** Marks the namespaces of the metrics and log stores, which reach the data layer's object store and metrics. */
export const OBSERVABILITY_LABEL = "cdktf-byoc/observability";

export interface OnpremDataNetworkProps {
  /** The deployment (labels). */
  readonly deployment: string;
  /** The ports tenants connect to: the stores' and the in-cluster object store's. */
  readonly storePorts: number[];
  /** Operator webhooks the API server calls (its address is not known here). @default [] */
  readonly webhookPorts?: number[];
  /**
   * Ports the platform's metrics and log stores reach in `data` (the object store, the
   * stores' metrics), from the namespaces labelled `cdktf-byoc/observability`. @default []
   */
  readonly platformPorts?: number[];
  /** Tenant namespaces: each gets egress to `data` on the store ports. @default [] */
  readonly tenantNamespaces?: INamespace[];
  /** The `data` namespace. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Who reaches the stores. In `data`, everything inbound is denied except the namespace
 * itself (operators, replication, backups), tenants on the stores' ports and the API
 * server on the operators' webhook ports; SeaweedFS's unauthenticated filer and volume
 * ports stay inside. Each tenant's default-deny egress gets one allow: `data` on the
 * stores' ports. Outbound traffic from `data` is not limited (API server, the external
 * object store). NetworkPolicies need a CNI that enforces them.
 */
export class OnpremDataNetwork extends Construct {
  constructor(scope: Construct, id: string, props: OnpremDataNetworkProps) {
    super(scope, id);
    setComponent(this, "data");
    const labels = platformLabels(props.deployment, "data");
    const webhookPorts = props.webhookPorts ?? [];
    const dependsOn = props.dependsOn ?? [];
    const everyPod = { matchLabels: {} };
    const tcp = (ports: number[]) => ports.map((port) => ({ port: String(port), protocol: "TCP" }));
    const policy = (key: string, namespace: string, name: string, spec: NetworkPolicyV1Spec, dependsOn: ITerraformDependable[]) =>
      new NetworkPolicyV1(this, key, { metadata: { name, namespace, labels }, spec, dependsOn });

    policy("DenyIngress", DATA_NAMESPACE, "default-deny-ingress", { podSelector: everyPod, policyTypes: ["Ingress"] }, dependsOn);
    policy("AllowNamespace", DATA_NAMESPACE, "allow-same-namespace", { podSelector: everyPod, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: everyPod }] }] }, dependsOn);
    if (webhookPorts.length > 0) {
      policy("AllowWebhooks", DATA_NAMESPACE, "allow-webhooks", { podSelector: everyPod, policyTypes: ["Ingress"], ingress: [{ ports: tcp(webhookPorts) }] }, dependsOn);
    }
    const platformPorts = props.platformPorts ?? [];
    if (platformPorts.length > 0) {
      policy(
        "AllowObservability",
        DATA_NAMESPACE,
        "allow-from-observability",
        {
          podSelector: everyPod,
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { [OBSERVABILITY_LABEL]: "true" } } }], ports: tcp(platformPorts) }],
        },
        dependsOn,
      );
    }
    // An empty port list would allow every port: without stores in the cluster tenants get nothing.
    if (props.storePorts.length === 0) return;
    policy(
      "AllowTenants",
      DATA_NAMESPACE,
      "allow-from-tenants",
      {
        podSelector: everyPod,
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] } }], ports: tcp(props.storePorts) }],
      },
      dependsOn,
    );

    for (const tenant of props.tenantNamespaces ?? []) {
      policy(
        `AllowToData-${tenant.name}`,
        tenant.reference,
        "allow-to-data",
        {
          podSelector: everyPod,
          policyTypes: ["Egress"],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": DATA_NAMESPACE } } }], ports: tcp(props.storePorts) }],
        },
        [tenant.ready],
      );
    }
  }
}
