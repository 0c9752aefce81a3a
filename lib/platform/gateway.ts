import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { CHARTS } from "./charts";
import { PlatformNamespace, platformLabels } from "./namespaces";
import type { GatewayService, IPlatformTarget } from "./target";
import { TENANT_LABEL } from "./tenants";

export interface EnvoyGatewayProps {
  /** The deployment (labels, the Gateway's name). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** How the target exposes the proxies' Service, and whether it is OpenShift. */
  readonly target: IPlatformTarget;
  /** Two controller and proxy replicas. @default false */
  readonly highAvailability?: boolean;
  /** What the release waits for besides its namespace (the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

export interface GatewayListenerProps {
  /** Names the gateway serves, e.g. the product's domain and its wildcard. */
  readonly hostnames: string[];
  /** The ClusterIssuer that signs the gateway's certificate. */
  readonly issuer: string;
  /** The issuers' release (cert-manager must run, with Gateway API support, first). */
  readonly issuers: ITerraformDependable;
}

/**
 * Envoy Gateway, the maintained Gateway API implementation (ingress-nginx is retired),
 * with the Gateway API CRDs. Its proxies' Service is internal on every cloud (the
 * target's annotations) or a NodePort on-prem without a load balancer.
 */
export class EnvoyGateway extends Construct {
  static readonly NAMESPACE = "envoy-gateway-system";
  static readonly CLASS = "envoy";
  /** Installs the Gateway API and Envoy Gateway CRDs. */
  readonly release: HelmChart["release"];
  readonly highAvailability: boolean;
  private readonly deployment: string;
  private readonly service: GatewayService;

  constructor(scope: Construct, id: string, props: EnvoyGatewayProps) {
    super(scope, id);
    const naming = namingOf(this, props.naming);
    this.deployment = naming.deployment;
    this.service = props.target.gatewayService;
    this.highAvailability = props.highAvailability ?? false;
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: EnvoyGateway.NAMESPACE,
      naming,
      component: "gateway",
      openshift: props.target.openshift,
    });
    const replicas = this.highAvailability ? 2 : 1;
    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.envoyGateway,
      namespace: EnvoyGateway.NAMESPACE,
      values: {
        crds: { enabled: true },
        deployment: { replicas },
        podDisruptionBudget: { minAvailable: replicas > 1 ? 1 : 0 },
      },
      dependsOn: [namespace.ready, ...(props.dependsOn ?? [])],
    }).release;
  }

  /**
   * The shared Gateway: HTTPS on 443 for `hostnames`, its certificate issued by
   * cert-manager from the listener (gateway-shim), routes accepted from tenant
   * namespaces only.
   */
  addGateway(listener: GatewayListenerProps): Manifests["release"] {
    if (listener.hostnames.length === 0) throw new Error(`EnvoyGateway ${this.node.path}: addGateway needs at least one hostname (got none)`);
    const { deployment, service, highAvailability } = this;
    const labels = platformLabels(deployment, "gateway");
    return new Manifests(this, "Gateway", {
      name: "gateway",
      namespace: EnvoyGateway.NAMESPACE,
      objects: [
        {
          apiVersion: "gateway.envoyproxy.io/v1alpha1",
          kind: "EnvoyProxy",
          metadata: { name: "proxy", namespace: EnvoyGateway.NAMESPACE, labels },
          spec: {
            provider: {
              type: "Kubernetes",
              kubernetes: {
                envoyService: { type: service.type, annotations: service.annotations, externalTrafficPolicy: "Local" },
                envoyDeployment: { replicas: highAvailability ? 2 : 1 },
                envoyPDB: { minAvailable: highAvailability ? 1 : 0 },
              },
            },
          },
        },
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "GatewayClass",
          metadata: { name: EnvoyGateway.CLASS, labels },
          spec: {
            controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
            parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "proxy", namespace: EnvoyGateway.NAMESPACE },
          },
        },
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "Gateway",
          metadata: { name: deployment, namespace: EnvoyGateway.NAMESPACE, labels, annotations: { "cert-manager.io/cluster-issuer": listener.issuer } },
          spec: {
            gatewayClassName: EnvoyGateway.CLASS,
            listeners: listener.hostnames.map((hostname, i) => ({
              name: `https-${i}`,
              hostname,
              port: 443,
              protocol: "HTTPS",
              tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: `${deployment}-gateway-tls` }] },
              allowedRoutes: { namespaces: { from: "Selector", selector: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] } } },
            })),
          },
        },
      ],
      dependsOn: [this.release, listener.issuers],
    }).release;
  }
}
