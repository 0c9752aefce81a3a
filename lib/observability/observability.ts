import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import { OBSERVABILITY_LABEL } from "../data/onprem-network";
import type { IExternalSecrets } from "../platform/external-secrets";
import { PlatformNamespace } from "../platform/namespaces";
import {
  AddonNetworkPolicy,
  apiServerAllow,
  egressRules,
  EVERY_POD,
  PROMETHEUS,
  sameNamespaceAllow,
  tcp,
  webhookAllow,
  type AddonMetrics,
  type NetworkAllow,
  type NetworkRule,
} from "../platform/network-policies";
import type { IPlatformTarget } from "../platform/target";
import { AddonMonitors } from "./addon-monitors";
import { Logs } from "./logs";
import { Metrics } from "./metrics";
import type { AlertReceivers } from "./receivers";
import { RulesAndDashboards } from "./rules";
import { ObjectStorageBinding } from "./storage";
import { Traces } from "./traces";

export interface ObservabilityProps {
  /** The deployment: labels, the cluster name on logs. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The cluster's target: bucket access through workload identity, the data layer's buckets. */
  readonly target: IPlatformTarget;
  /** Syncs Grafana's admin and the alert receivers' secrets. */
  readonly secrets: IExternalSecrets;
  /** Two or more replicas of Prometheus, Alertmanager, Loki and the collector. @default false */
  readonly highAvailability?: boolean;
  /** Days Prometheus keeps metrics on its volume. @default 15 */
  readonly metricsRetentionDays?: number;
  /** Days metrics are kept in the data layer's `metrics` bucket (Thanos); 0 keeps none there. @default 395 */
  readonly longTermMetricsDays?: number;
  /** Prometheus's volume in GB. @default 50 */
  readonly metricsVolumeGb?: number;
  /** Days Loki keeps logs (chunks in the data layer's `logs` bucket). @default 30 */
  readonly logsRetentionDays?: number;
  /** @default "monolithic" */
  readonly logsMode?: "monolithic" | "distributed";
  /** Where traces go: Tempo on the `logs` bucket, Jaeger on a volume, or nowhere. @default "tempo" */
  readonly traces?: "tempo" | "jaeger" | "none";
  /** @default 7 */
  readonly tracesRetentionDays?: number;
  /** Where alerts go. @default - none: alerts show in Grafana and Alertmanager only */
  readonly receivers?: AlertReceivers;
  /** A secret with Grafana's admin `username` and `password`. @default - generated in the cluster */
  readonly grafanaAdminSecret?: string;
  /** The StorageClass of every volume. @default - the cluster's default (encrypted with the deployment's key on clouds) */
  readonly storageClass?: string;
  /** Jaeger's volume survives `terraform destroy` (prevent_destroy). @default true */
  readonly protection?: boolean;
  /** The add-ons' metrics endpoints (the Platform's `metrics`): PodMonitors scrape them. @default [] */
  readonly addons?: readonly AddonMetrics[];
  /** What every release waits for. @default - the target's prerequisites */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Metrics, logs and traces for the cluster, the platform and the product, with
 * Grafana on top and alerts routed to the receivers: kube-prometheus-stack (Thanos for
 * the long term), Loki and Fluent Bit, the OpenTelemetry Collector with Tempo or Jaeger,
 * and the kit's own rules and dashboards. Everything runs in the `observability`
 * namespace (Pod Security restricted) except the node agents (node-exporter and Fluent
 * Bit, which read the host), which get `node-agents`. Stores reach their buckets through
 * the target's workload identity, never a static key.
 */
export class Observability extends Construct {
  static readonly NAMESPACE = "observability";
  static readonly NODE_AGENTS = "node-agents";
  readonly metrics: Metrics;
  readonly logs: Logs;
  readonly traces?: Traces;
  readonly rules: RulesAndDashboards;
  readonly namespace: PlatformNamespace;
  readonly nodeAgentsNamespace: PlatformNamespace;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    setComponent(this, "observability");
    const { target, secrets } = props;
    const naming = namingOf(this, props.naming);
    const highAvailability = props.highAvailability ?? false;
    const storageClass = props.storageClass;
    const dependsOn = props.dependsOn ?? target.prerequisites;
    const openshift = target.openshift;
    // The label admits both to the on-prem data layer's object store and metrics.
    const labels = { [OBSERVABILITY_LABEL]: "true" };
    const namespace = (this.namespace = new PlatformNamespace(this, "Namespace", { name: Observability.NAMESPACE, naming, component: "observability", openshift, labels }));
    const nodeAgents = (this.nodeAgentsNamespace = new PlatformNamespace(this, "NodeAgentsNamespace", {
      name: Observability.NODE_AGENTS,
      naming,
      component: "observability",
      podSecurity: "privileged",
      openshift,
      labels,
    }));
    const policies = this.networkPolicies(target, naming);
    const bucket = (id: string, ns: PlatformNamespace, serviceAccount: string, purpose: string, prefix: string) =>
      new ObjectStorageBinding(this, id, { target, secrets, serviceAccount: { namespace: ns.name, name: serviceAccount }, bucket: purpose, prefix, dependsOn: [ns.ready] }).storage;

    const longTermDays = props.longTermMetricsDays ?? 395;
    this.metrics = new Metrics(this, "Metrics", {
      naming,
      namespace,
      nodeAgentsNamespace: nodeAgents,
      secrets,
      retentionDays: props.metricsRetentionDays,
      volumeGb: props.metricsVolumeGb,
      storageClass,
      highAvailability,
      grafanaAdminSecret: props.grafanaAdminSecret,
      receivers: props.receivers,
      longTerm: longTermDays > 0 ? { storage: bucket("MetricsBucket", namespace, Metrics.SERVICE_ACCOUNT, "metrics", "thanos"), retentionDays: longTermDays } : undefined,
      dependsOn: [...dependsOn, ...policies],
    });
    const crds = this.metrics.crds;
    new AddonMonitors(this, "AddonMonitors", { addons: props.addons ?? [], crds, namespace, naming });

    this.logs = new Logs(this, "Logs", {
      naming,
      namespace,
      nodeAgentsNamespace: nodeAgents,
      storage: bucket("LogsBucket", namespace, Logs.LOKI_SERVICE_ACCOUNT, "logs", "loki"),
      // Fluent Bit's copy goes where it can sign in with its identity (S3); elsewhere Loki's bucket is the archive.
      archive: target.data?.objectStore.api === "s3" ? bucket("LogsArchive", nodeAgents, Logs.FLUENT_BIT_SERVICE_ACCOUNT, "logs", "archive") : undefined,
      retentionDays: props.logsRetentionDays,
      mode: props.logsMode,
      highAvailability,
      storageClass,
      openshift,
      monitoringCrds: crds,
      dependsOn: [...dependsOn, ...policies],
    });

    const backend = props.traces ?? "tempo";
    if (backend !== "none") {
      this.traces = new Traces(this, "Traces", {
        naming,
        namespace,
        backend,
        storage: backend === "tempo" ? bucket("TracesBucket", namespace, Traces.TEMPO_SERVICE_ACCOUNT, "logs", "tempo") : undefined,
        retentionDays: props.tracesRetentionDays,
        storageClass,
        highAvailability,
        metricsCrds: crds,
        protection: props.protection,
        dependsOn: [...dependsOn, ...policies],
      });
    }

    // The operator's admission webhook validates PrometheusRules: it runs with the stack's release.
    this.rules = new RulesAndDashboards(this, "Rules", { naming, namespace, crds, dependsOn: [this.metrics.release] });
  }

  /**
   * Default-deny in both namespaces, then what the stack needs: the API server (the
   * operator, service discovery, Grafana's sidecars, the collector's pod metadata), each
   * other, the operator's webhook from the control plane, object storage and the cloud
   * APIs, Prometheus to every pod and node it scrapes, Alertmanager to the receivers,
   * OTLP from every namespace, and Fluent Bit to Loki.
   */
  private networkPolicies(target: IPlatformTarget, naming: Naming) {
    const store = objectStoreEgress(target);
    const observability: NetworkAllow[] = [
      apiServerAllow(target),
      sameNamespaceAllow(),
      webhookAllow(target, EVERY_POD, [10250]),
      { name: "allow-object-store", egress: [...egressRules(target.cloudApiEgress), ...store] },
      {
        name: "allow-scrape",
        pods: PROMETHEUS.pods,
        // Any pod's metrics port, and the nodes' kubelet, node-exporter and kube-proxy.
        egress: [{ peers: [{ namespaces: {} }] }, { peers: [{ cidr: "0.0.0.0/0" }], ports: tcp(10250, 9100, 10249) }],
      },
      {
        name: "allow-receivers",
        pods: { matchLabels: { "app.kubernetes.io/name": "alertmanager" } },
        // PagerDuty, Slack and webhooks on HTTPS; mail relays on submission, SMTPS and SMTP.
        egress: [{ peers: [{ cidr: "0.0.0.0/0" }], ports: tcp(443, 587, 465, 25) }],
      },
      { name: "allow-otlp", pods: { matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector" } }, ingress: [{ peers: [{ namespaces: {} }], ports: tcp(4317, 4318) }] },
      { name: "allow-log-shipping", pods: { matchLabels: { "app.kubernetes.io/name": "loki" } }, ingress: [{ peers: [{ namespace: Observability.NODE_AGENTS }], ports: tcp(3100) }] },
    ];
    const nodeAgents: NetworkAllow[] = [
      apiServerAllow(target),
      { name: "allow-loki", egress: [{ peers: [{ namespace: Observability.NAMESPACE, pods: { matchLabels: { "app.kubernetes.io/name": "loki" } } }], ports: tcp(3100) }] },
      { name: "allow-object-store", egress: [...egressRules(target.cloudApiEgress), ...store] },
      { name: "allow-scrape", ingress: [{ peers: [PROMETHEUS] }] },
    ];
    return [
      ...new AddonNetworkPolicy(this, "NetworkPolicy", { namespace: this.namespace, component: "observability", naming, allows: observability }).policies,
      ...new AddonNetworkPolicy(this, "NodeAgentsNetworkPolicy", { namespace: this.nodeAgentsNamespace, component: "observability", naming, allows: nodeAgents }).policies,
    ];
  }
}

/** Where the data layer's object store answers when it has an endpoint of its own (on-prem): its port, in the cluster or beyond. */
function objectStoreEgress(target: IPlatformTarget): NetworkRule[] {
  const endpoint = target.data?.objectStore.endpoint;
  if (!endpoint || !/^https?:\/\//.test(endpoint)) return [];
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return [{ peers: [{ namespaces: {} }, { cidr: "0.0.0.0/0" }], ports: tcp(port) }];
}
