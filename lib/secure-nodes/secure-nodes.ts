import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../core/helm";
import { namingOf } from "../core/naming";
import { setComponent } from "../core/tags";
import { PlatformNamespace, platformLabels } from "../platform/namespaces";
import { AddonNetworkPolicy } from "../platform/network-policies";
import type { UdpServiceExposure } from "../platform/target";
import { AUDIT_CA_KEY, CONFIG_KEY, HSM_CONFIG_KEY, HSM_PIN_KEY, renderConfig } from "./config";
import { secureNodesDashboard } from "./dashboard";
import { nodeAllows } from "./network";
import type { SecureNodesProps } from "./props";
import { secureNodesRuleGroups } from "./rules";
import { resolveSettings, type SecureNodesSettings } from "./settings";
import { NodeWorkload, PORT_NAMES } from "./workload";

/**
 * The UDP secure-node tier (B4AE nodes): a namespace of its own under restricted Pod
 * Security and default-deny NetworkPolicies; the nodes as a StatefulSet (`single`,
 * `hub`) or an autoscaled Deployment (`gateway`), hardened, configured by a mounted
 * config.toml and environment variables, their long-term keys synced from the secret
 * manager (or held in an HSM through PKCS#11); and a Service only trusted peers reach,
 * at three layers: the load balancer's source ranges, the cloud firewall the target
 * creates, and the pods' NetworkPolicy. The Service keeps the client address
 * (`externalTrafficPolicy: Local`), and the load balancer checks health over HTTP on
 * the TCP health port: a UDP port cannot be health-checked. With `monitoring`, a
 * PodMonitor and the tier's alerts; its Grafana dashboard always ships.
 */
export class SecureNodes extends Construct {
  /** The pods' `app.kubernetes.io/name` label (with `app.kubernetes.io/instance`: the name, their selector). */
  static readonly APP = "secure-node";
  /** The props, validated, with every default filled in. */
  readonly settings: SecureNodesSettings;
  readonly namespace: PlatformNamespace;
  readonly configMap: ConfigMapV1;
  readonly workload: NodeWorkload;
  /** The Service peers send to. */
  readonly service: ServiceV1;
  /** How the target exposes it (load balancer kind, health check, firewall). */
  readonly exposure: UdpServiceExposure;
  readonly networkPolicy: AddonNetworkPolicy;
  readonly dashboard: ConfigMapV1;
  /** The PodMonitor and PrometheusRule, with `monitoring`. */
  readonly monitoring?: Manifests["release"];
  /** For the compliance checks (IComplianceFacts): where the nodes' security events go. */
  readonly complianceFacts: { readonly kind: "secure-nodes"; readonly attrs: { readonly auditSink?: string } };

  constructor(scope: Construct, id: string, props: SecureNodesProps) {
    super(scope, id);
    setComponent(this, "secure-nodes");
    const settings = (this.settings = resolveSettings(this, props));
    this.complianceFacts = { kind: "secure-nodes", attrs: { auditSink: settings.audit && `${settings.audit.host}:${settings.audit.port}` } };
    const { target, secrets } = props;
    const naming = namingOf(this, props.naming);
    const component = "secure-nodes";
    const labels = platformLabels(naming.deployment, component);
    const selector = { "app.kubernetes.io/name": SecureNodes.APP, "app.kubernetes.io/instance": settings.name };
    const dependsOn = props.dependsOn ?? target.prerequisites;

    const namespace = (this.namespace = new PlatformNamespace(this, "Namespace", { name: settings.namespace, naming, component, openshift: target.openshift }));
    const ns = namespace.reference;
    const ready = [namespace.ready, ...dependsOn];

    this.exposure = target.udpService(this, {
      name: settings.name,
      namespace: settings.namespace,
      udpPort: settings.udpPort,
      healthPort: settings.healthPort,
      healthPath: settings.readinessPath,
      peers: settings.peers,
      internal: settings.internal,
      staticAddresses: settings.staticAddresses,
    });
    this.networkPolicy = new AddonNetworkPolicy(this, "NetworkPolicy", {
      namespace,
      naming,
      component,
      allows: nodeAllows(settings, { matchLabels: selector }, this.exposure.healthCheckSources),
    });

    const sync = (id: string, name: string, remoteKey: string, properties?: Record<string, string>) =>
      secrets.sync(this, id, { namespace: settings.namespace, name, remoteKey, properties, dependsOn: [namespace.ready] });
    const synced: ITerraformDependable[] = [];
    const secretNames: { keys?: string; hsmPin?: string; auditCa?: string } = {};
    if (settings.keys) {
      secretNames.keys = `${settings.name}-keys`;
      synced.push(sync("NodeKeys", secretNames.keys, settings.keys.remoteKey, settings.keys.properties));
    }
    if (settings.hsm) {
      secretNames.hsmPin = `${settings.name}-hsm-pin`;
      // An empty property takes the whole value.
      synced.push(sync("HsmPin", secretNames.hsmPin, settings.hsm.pin.remoteKey, { [HSM_PIN_KEY]: settings.hsm.pin.property ?? "" }));
    }
    if (settings.audit?.ca) {
      secretNames.auditCa = `${settings.name}-audit-ca`;
      synced.push(sync("AuditCa", secretNames.auditCa, settings.audit.ca.remoteKey, { [AUDIT_CA_KEY]: settings.audit.ca.property ?? "" }));
    }

    const account = new ServiceAccountV1(this, "ServiceAccount", {
      metadata: { name: settings.name, namespace: ns, labels, annotations: props.serviceAccountAnnotations ?? {} },
      // The nodes never call the Kubernetes API.
      automountServiceAccountToken: false,
      dependsOn: ready,
    });
    const hsmFile = settings.hsm?.configFile;
    this.configMap = new ConfigMapV1(this, "Config", {
      metadata: { name: `${settings.name}-config`, namespace: ns, labels },
      data: { [CONFIG_KEY]: renderConfig(settings), ...(hsmFile ? { [HSM_CONFIG_KEY]: hsmFile.content } : {}) },
      dependsOn: ready,
    });

    this.workload = new NodeWorkload(this, "Workload", {
      settings,
      namespace: ns,
      labels,
      selector,
      podLabels: props.podLabels ?? {},
      serviceAccount: account.metadata.name,
      configMap: this.configMap.metadata.name,
      configChecksum: Fn.sha256(Fn.jsonencode(this.configMap.data)),
      secrets: secretNames,
      // Pods start under their NetworkPolicies, with their Secrets synced.
      dependsOn: [...ready, ...this.networkPolicy.policies, ...synced],
    });

    this.service = new ServiceV1(this, "Service", {
      metadata: { name: settings.name, namespace: ns, labels: { ...labels, ...selector }, annotations: this.exposure.annotations },
      spec: {
        type: this.exposure.type,
        selector,
        // Kubernetes accepts a load balancer's class and source ranges on LoadBalancer Services only.
        ...(this.exposure.type === "LoadBalancer"
          ? { loadBalancerClass: this.exposure.loadBalancerClass, loadBalancerSourceRanges: [...settings.peers] }
          : {}),
        // The peer's address reaches the pod: the NetworkPolicy admits peers by it.
        externalTrafficPolicy: "Local",
        port: [
          { name: PORT_NAMES.udp, port: settings.udpPort, targetPort: PORT_NAMES.udp, protocol: "UDP" },
          ...(this.exposure.exposeHealthPort ? [{ name: PORT_NAMES.health, port: settings.healthPort, targetPort: PORT_NAMES.health, protocol: "TCP" }] : []),
        ],
      },
      // Created after the cloud firewall and (on AWS) the controller whose webhook handles it.
      dependsOn: [...new Set([...ready, ...target.prerequisites, ...this.exposure.grants])],
    });

    this.dashboard = new ConfigMapV1(this, "Dashboard", {
      metadata: { name: `dashboard-${settings.name}`, namespace: ns, labels: { ...labels, grafana_dashboard: "1" } },
      data: { [`${settings.name}.json`]: JSON.stringify(secureNodesDashboard(settings), null, 2) },
      dependsOn: ready,
    });

    if (props.monitoring) {
      this.monitoring = new Manifests(this, "Monitoring", {
        name: `${settings.name}-monitoring`,
        namespace: settings.namespace,
        objects: [
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: { name: settings.name, namespace: settings.namespace, labels },
            spec: {
              selector: { matchLabels: selector },
              podMetricsEndpoints: [{ port: PORT_NAMES.metrics, path: settings.metricsPath, interval: "30s" }],
            },
          },
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: settings.name, namespace: settings.namespace, labels },
            spec: { groups: secureNodesRuleGroups(settings) },
          },
        ],
        dependsOn: [namespace.ready, props.monitoring.crds, ...(props.monitoring.dependsOn ?? [])],
      }).release;
    }
  }
}
