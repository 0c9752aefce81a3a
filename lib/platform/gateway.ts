import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { CHARTS } from "./charts";
import { PlatformNamespace, platformLabels } from "./namespaces";
import { AddonNetworkPolicy, apiServerAllow, scrapeAllows, tcp, webhookAllow, type AddonMetrics, type ClusterNetwork } from "./network-policies";
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
  /** The NetworkPolicies' sources and destinations. @default - the target's; Prometheus in `observability` scrapes */
  readonly clusterNetwork?: ClusterNetwork;
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
  /** The Gateway's HTTPS listener port. */
  static readonly LISTENER_PORT = 443;
  /** The proxies' container port for it: Envoy Gateway adds 10000 to ports below 1024, so Envoy needs no privilege to bind. */
  static readonly PROXY_PORT = EnvoyGateway.LISTENER_PORT + 10000;
  /** The controller's pods (the chart's selector labels; the release is named after the chart). */
  static readonly CONTROLLER = { "control-plane": "envoy-gateway", "app.kubernetes.io/instance": "gateway-helm" };
  /** The proxies' pods, as the controller labels them. */
  static readonly PROXIES = { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway" };
  /** Installs the Gateway API and Envoy Gateway CRDs. */
  readonly release: HelmChart["release"];
  readonly highAvailability: boolean;
  /** The controller's and the proxies' metrics. */
  readonly metrics: AddonMetrics[];
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
    const controller = { matchLabels: EnvoyGateway.CONTROLLER };
    const proxies = { matchLabels: EnvoyGateway.PROXIES };
    this.metrics = [
      { name: "envoy-gateway", namespace, pods: controller, endpoints: [{ port: "metrics", number: 19001 }] },
      { name: "envoy-proxy", namespace, pods: proxies, endpoints: [{ port: "metrics", number: 19001, path: "/stats/prometheus" }] },
    ];
    const network = props.clusterNetwork ?? props.target;
    const policy = new AddonNetworkPolicy(this, "NetworkPolicy", {
      namespace,
      naming,
      component: "gateway",
      allows: [
        // The controller and its certgen job; the proxies get their configuration over xDS.
        apiServerAllow(network, { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "NotIn", values: ["proxy"] }] }),
        // The topology injector, a mutating webhook on pod bindings in this namespace.
        webhookAllow(network, controller, [9443]),
        { name: "allow-xds", pods: controller, ingress: [{ peers: [{ pods: proxies }], ports: tcp(18000) }] },
        { name: "allow-to-xds", pods: proxies, egress: [{ peers: [{ pods: controller }], ports: tcp(18000) }] },
        // Clients reach the internal load balancer or node ports from anywhere private
        // (VPN, peers, the VPC) with their own addresses kept: the listener port only.
        { name: "allow-listeners", pods: proxies, ingress: [{ peers: [{ cidr: "0.0.0.0/0" }], ports: tcp(EnvoyGateway.PROXY_PORT) }] },
        // Routes are accepted from tenant namespaces only; their pods admit the gateway.
        { name: "allow-to-backends", pods: proxies, egress: [{ peers: [{ namespaces: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] } }] }] },
        ...scrapeAllows(this.metrics, network),
      ],
    });
    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.envoyGateway,
      namespace: EnvoyGateway.NAMESPACE,
      values: {
        crds: { enabled: true },
        deployment: { replicas },
        podDisruptionBudget: { minAvailable: replicas > 1 ? 1 : 0 },
      },
      dependsOn: [namespace.ready, ...policy.policies, ...(props.dependsOn ?? [])],
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
              port: EnvoyGateway.LISTENER_PORT,
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
