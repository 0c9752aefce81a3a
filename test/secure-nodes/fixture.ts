import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { TerraformStack, Testing, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { HelmChart } from "../../lib/core/helm";
import { Naming } from "../../lib/core/naming";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import type { UdpServiceExposure, UdpServiceRequest } from "../../lib/platform/target";
import type { SecureNodesProps } from "../../lib/secure-nodes/props";
import { SecureNodes } from "../../lib/secure-nodes/secure-nodes";
import { LabTarget } from "../support/lab-target";
import { StackJson, type Block } from "../support/synth";

/** What the fake target's load balancer health checks come from. */
export const HEALTH_CHECKERS = ["10.99.0.0/16", "35.191.0.0/16"];
export const PEERS = ["203.0.113.0/24", "198.51.100.7/32"];

/**
 * A lab target around a kubeconfig cluster whose `udpService` answers with fixed,
 * recognisable values (and records each request), a Vault-like secret store for
 * External Secrets, and a prerequisite release every LoadBalancer Service must wait for.
 */
export class FakeUdpTarget extends LabTarget {
  readonly requests: UdpServiceRequest[] = [];
  /** The firewall stand-in the last udpService call created. */
  grant?: ConfigMapV1;

  constructor(
    stack: TerraformStack,
    private readonly exposure: Partial<Omit<UdpServiceExposure, "grants">> = {},
  ) {
    super([
      new HelmChart(stack, "LoadBalancerController", {
        chart: { repository: "oci://registry.example/charts", chart: "lb-controller", version: "1.0.0" },
        namespace: "kube-system",
        values: {},
      }).release,
    ]);
  }

  udpService(scope: Construct, request: UdpServiceRequest): UdpServiceExposure {
    this.requests.push(request);
    // Stands in for a cloud firewall rule: something the Service must be created after.
    this.grant = new ConfigMapV1(scope, "FirewallStandIn", { metadata: { name: `${request.name}-firewall`, namespace: "default" }, data: {} });
    return {
      type: "LoadBalancer",
      annotations: { "lb.example/kind": "passthrough", "lb.example/health-check-port": String(request.healthPort) },
      loadBalancerClass: "lb.example/l4",
      healthCheckSources: HEALTH_CHECKERS,
      ...this.exposure,
      grants: [this.grant],
    };
  }
}

export const IMAGE = "registry.example/b4ae-node:2.1.3";

export interface Synthesized {
  readonly stack: StackJson;
  readonly nodes: SecureNodes;
  readonly target: FakeUdpTarget;
}

/** Stands in for the observability stack's release of the Prometheus operator's CRDs. */
export function operatorCrds(stack: TerraformStack): ITerraformDependable {
  return new HelmChart(stack, "OperatorCrds", {
    chart: { repository: "oci://registry.example/charts", chart: "operator-crds", version: "1.0.0" },
    namespace: "observability",
    values: {},
  }).release;
}

/**
 * A stack with External Secrets on the fake target and one SecureNodes: `props` (or a
 * function of the stack giving them) override the minimal ones.
 */
export function synthNodes(
  props: Partial<SecureNodesProps> | ((stack: TerraformStack) => Partial<SecureNodesProps>) = {},
  exposure: Partial<Omit<UdpServiceExposure, "grants">> = {},
): Synthesized {
  const stack = new TerraformStack(Testing.app(), "lab");
  const target = new FakeUdpTarget(stack, exposure);
  configureClusterProviders(stack, target.cluster.connection);
  const naming = new Naming("acme");
  const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target });
  const nodes = new SecureNodes(stack, "SecureNodes", {
    naming,
    target,
    secrets,
    image: IMAGE,
    peers: PEERS,
    keys: { remoteKey: "acme/secure-nodes/keys" },
    ...(typeof props === "function" ? props(stack) : props),
  });
  return { stack: new StackJson("lab", JSON.parse(Testing.synth(stack)), stack), nodes, target };
}

/** The pod template specs of the tier's StatefulSets and Deployments. */
export function podSpecs(stack: StackJson): Block[] {
  return [...stack.resources("kubernetes_stateful_set_v1"), ...stack.resources("kubernetes_deployment_v1")].map((w) => w.spec.template.spec);
}
