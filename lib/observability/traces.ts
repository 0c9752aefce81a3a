import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { PersistentVolumeClaimV1 } from "@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1";
import type { Release } from "@cdktf/provider-helm/lib/release";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { CHARTS } from "../platform/charts";
import { stringify } from "yaml";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { protect } from "../core/protect";
import { label, requireInt, requireProp } from "../core/validate";
import { platformLabels, type INamespace } from "../platform/namespaces";
import type { ObjectStorage } from "./storage";
import {
  JAEGER_CHART,
  MEMORY,
  TEMPO_CHART,
  jaegerValues,
  tempoValues,
  type ContainerResources,
} from "./traces-backends";
import { CONTAINER_SECURITY, POD_SECURITY } from "./pods";

export { JAEGER_CHART, JAEGER_IMAGE, TEMPO_CHART, TEMPO_IMAGE, type ContainerResources } from "./traces-backends";

// The collector chart ships no default image: the k8s distribution is set explicitly
// (core plus the Kubernetes components: k8s_attributes), at the chart's appVersion.
export const OTEL_COLLECTOR_CHART = CHARTS.otelCollector;
export const OTEL_COLLECTOR_IMAGE = {
  repository: "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-k8s",
  tag: "0.158.0",
  command: "otelcol-k8s",
} as const;

export type TraceBackend = "jaeger" | "tempo";

export interface TracesProps {
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Where everything runs: a namespace enforcing Pod Security `restricted`. */
  readonly namespace: INamespace;
  /** Jaeger v2 (Badger on a volume) or Tempo (object storage). */
  readonly backend: TraceBackend;
  /**
   * Tempo's bucket, key prefix and how its pods reach it (an ObjectStorageBinding's
   * `storage`, bound to `Traces.TEMPO_SERVICE_ACCOUNT` in `namespace`). Required with
   * `tempo`; refused with `jaeger`, which has no object-storage backend.
   * @default - none
   */
  readonly storage?: ObjectStorage;
  /** Days traces are kept: Badger's TTL, or Tempo's compactor block retention. @default 7 */
  readonly retentionDays?: number;
  /** StorageClass of Jaeger's store or Tempo's write-ahead log (use an encrypted one). @default - the cluster's default */
  readonly storageClass?: string;
  /** Size of that volume. @default "10Gi" */
  readonly volumeSize?: string;
  /** Two collector replicas on different nodes, with a PodDisruptionBudget. @default false */
  readonly highAvailability?: boolean;
  /** The release installing the Prometheus operator's CRDs: the ServiceMonitors need them. */
  readonly metricsCrds: ITerraformDependable;
  /**
   * Tempo: a Prometheus remote-write URL (the receiver must be enabled) for span metrics
   * and the service graph Grafana draws. @default - none: no service graph
   */
  readonly spanMetricsRemoteWrite?: string;
  /** The collector's container. @default - 100m / 256Mi requested, 512Mi limit */
  readonly collectorResources?: ContainerResources;
  /** Jaeger's or Tempo's container. @default - Jaeger 200m / 512Mi, 1Gi limit; Tempo 250m / 1Gi, 2Gi limit */
  readonly backendResources?: ContainerResources;
  /** `prevent_destroy` on Jaeger's volume (Tempo's volume belongs to its StatefulSet). @default true */
  readonly protection?: boolean;
  /** What the releases wait for besides the namespace and the CRDs. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** Labels, selectors and port names the Jaeger chart gives its Service (release `jaeger`). */
const JAEGER_SERVICE = {
  matchLabels: { "app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": "jaeger", "app.kubernetes.io/component": "all-in-one" },
  metricsPort: "internal-metrics",
};

/**
 * Traces: an OpenTelemetry Collector receiving OTLP (gRPC 4317, HTTP 4318) from inside
 * the cluster only, adding Kubernetes metadata and forwarding to Jaeger v2 (one pod,
 * Badger on a volume: Jaeger has no object-storage backend) or Tempo (single binary,
 * blocks in the object store through workload identity), and a Grafana data source
 * (uid `traces`) linking spans to the pod's logs (uid `logs`) and metrics (uid
 * `prometheus`). Nothing is exposed outside the cluster: every Service is ClusterIP and
 * no Ingress or route is created. The collector's and the backend's own metrics are
 * scraped through ServiceMonitors. Only traces: OTLP metrics and logs sent to the
 * collector are refused (no pipeline takes them).
 */
export class Traces extends Construct {
  /** The collector's Service. */
  static readonly COLLECTOR = "otel-collector";
  /** The service account Tempo runs as: bind its `storage` to this one. */
  static readonly TEMPO_SERVICE_ACCOUNT = "tempo";
  /** The Grafana data source's uid. */
  static readonly DATASOURCE_UID = "traces";
  static readonly DEFAULT_RETENTION_DAYS = 7;
  static readonly DEFAULT_VOLUME_SIZE = "10Gi";
  static readonly DEFAULT_COLLECTOR_RESOURCES: ContainerResources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } };
  static readonly DEFAULT_JAEGER_RESOURCES: ContainerResources = { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } };
  static readonly DEFAULT_TEMPO_RESOURCES: ContainerResources = { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } };

  /** Where applications send OTLP over gRPC, e.g. as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly otlpGrpcEndpoint: string;
  /** Where applications send OTLP over HTTP. */
  readonly otlpHttpEndpoint: string;
  readonly backend: TraceBackend;
  readonly retentionDays: number;
  readonly highAvailability: boolean;
  readonly collector: Release;
  /** Jaeger's or Tempo's release. */
  readonly store: Release;
  /** Every release this construct creates. */
  readonly releases: Release[];
  readonly datasource: ConfigMapV1;

  constructor(scope: Construct, id: string, props: TracesProps) {
    super(scope, id);
    this.validate(props);
    const ns = props.namespace;
    const deployment = namingOf(this, props.naming).deployment;
    const labels = platformLabels(deployment, "traces");
    // The backend charts set name, instance, component and managed-by themselves.
    const chartLabels = { "app.kubernetes.io/part-of": deployment };
    this.backend = props.backend;
    this.retentionDays = props.retentionDays ?? Traces.DEFAULT_RETENTION_DAYS;
    this.highAvailability = props.highAvailability ?? false;
    const volumeSize = props.volumeSize ?? Traces.DEFAULT_VOLUME_SIZE;
    const base = [ns.ready, ...(props.dependsOn ?? [])];
    // The collector's and Tempo's charts create ServiceMonitors.
    const monitored = [...base, props.metricsCrds];
    const service = (name: string) => `${name}.${ns.name}.svc`;

    if (props.backend === "jaeger") {
      const claim = protect(
        new PersistentVolumeClaimV1(this, "JaegerVolume", {
          metadata: { name: "jaeger-badger", namespace: ns.reference, labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: volumeSize } },
            ...(props.storageClass ? { storageClassName: props.storageClass } : {}),
          },
          // The claim binds when Jaeger's pod mounts it (WaitForFirstConsumer): waiting here would deadlock.
          waitUntilBound: false,
        }),
        props.protection ?? true,
      );
      this.store = new HelmChart(this, "Jaeger", {
        chart: JAEGER_CHART,
        namespace: ns.name,
        values: jaegerValues({
          retentionDays: this.retentionDays,
          resources: props.backendResources ?? Traces.DEFAULT_JAEGER_RESOURCES,
          labels: chartLabels,
          claimName: claim.metadata.name,
        }),
        dependsOn: [...base, claim],
      }).release;
      // The Jaeger chart has no ServiceMonitor of its own.
      const monitor = new Manifests(this, "JaegerMonitor", {
        name: "jaeger-monitor",
        namespace: ns.name,
        objects: [
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: "jaeger", namespace: ns.name, labels },
            spec: { selector: { matchLabels: JAEGER_SERVICE.matchLabels }, endpoints: [{ port: JAEGER_SERVICE.metricsPort }] },
          },
        ],
        dependsOn: [props.metricsCrds, this.store],
      }).release;
      this.collector = this.collectorChart(props, labels, monitored, service("jaeger"));
      this.releases = [this.collector, this.store, monitor];
    } else {
      const storage = props.storage!;
      this.store = new HelmChart(this, "Tempo", {
        chart: TEMPO_CHART,
        namespace: ns.name,
        values: tempoValues({
          retentionDays: this.retentionDays,
          resources: props.backendResources ?? Traces.DEFAULT_TEMPO_RESOURCES,
          labels: chartLabels,
          storage,
          serviceAccount: Traces.TEMPO_SERVICE_ACCOUNT,
          volume: { size: volumeSize, storageClass: props.storageClass },
          spanMetricsRemoteWrite: props.spanMetricsRemoteWrite,
        }),
        dependsOn: [...monitored, ...storage.grants],
      }).release;
      this.collector = this.collectorChart(props, labels, monitored, service("tempo"));
      this.releases = [this.collector, this.store];
    }

    this.otlpGrpcEndpoint = `http://${service(Traces.COLLECTOR)}:4317`;
    this.otlpHttpEndpoint = `http://${service(Traces.COLLECTOR)}:4318`;
    this.datasource = new ConfigMapV1(this, "Datasource", {
      metadata: { name: "traces-datasource", namespace: ns.reference, labels: { ...labels, grafana_datasource: "1" } },
      data: {
        "traces-datasource.yaml": stringify(
          grafanaDatasource(props.backend, props.backend === "jaeger" ? `http://${service("jaeger")}:16686` : `http://${service("tempo")}:3200`, {
            serviceMap: props.spanMetricsRemoteWrite !== undefined,
          }),
        ),
      },
    });
  }

  private collectorChart(props: TracesProps, labels: Record<string, string>, dependsOn: ITerraformDependable[], backendHost: string): Release {
    const replicas = this.highAvailability ? 2 : 1;
    return new HelmChart(this, "Collector", {
      chart: OTEL_COLLECTOR_CHART,
      name: Traces.COLLECTOR,
      namespace: props.namespace.name,
      values: {
        fullnameOverride: Traces.COLLECTOR,
        mode: "deployment",
        replicaCount: replicas,
        image: { repository: OTEL_COLLECTOR_IMAGE.repository, tag: OTEL_COLLECTOR_IMAGE.tag },
        command: { name: OTEL_COLLECTOR_IMAGE.command },
        // The preset grants the ClusterRole k8s_attributes reads pods and replica sets with.
        presets: { kubernetesAttributes: { enabled: true } },
        // The whole configuration, not merged with the chart's (which adds Jaeger, Zipkin
        // and Prometheus receivers and debug exporters).
        alternateConfig: collectorConfig(`${backendHost}:4317`),
        ports: {
          otlp: { enabled: true },
          "otlp-http": { enabled: true },
          "jaeger-compact": { enabled: false },
          "jaeger-thrift": { enabled: false },
          "jaeger-grpc": { enabled: false },
          zipkin: { enabled: false },
          metrics: { enabled: true },
        },
        service: { type: "ClusterIP" },
        ingress: { enabled: false },
        httproute: { enabled: false },
        serviceMonitor: { enabled: true, metricsEndpoints: [{ port: "metrics" }] },
        podDisruptionBudget: replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false },
        topologySpreadConstraints:
          replicas > 1
            ? [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": Traces.COLLECTOR } } }]
            : [],
        resources: props.collectorResources ?? Traces.DEFAULT_COLLECTOR_RESOURCES,
        podSecurityContext: POD_SECURITY,
        securityContext: CONTAINER_SECURITY,
        podLabels: labels,
      },
      dependsOn,
    }).release;
  }

  private validate(props: TracesProps): void {
    requireProp(this, "backend", props.backend, (b) => b === "jaeger" || b === "tempo", `"jaeger" or "tempo"`);
    requireInt(this, "retentionDays", props.retentionDays, 1, 3650);
    requireProp(this, "volumeSize", props.volumeSize, (s) => /^[1-9]\d*(Mi|Gi|Ti)$/.test(s), "a size in Mi, Gi or Ti, e.g. 20Gi");
    for (const key of ["collectorResources", "backendResources"] as const) {
      const memory = [props[key]?.requests.memory, props[key]?.limits.memory];
      for (const m of memory) requireProp(this, `${key} memory`, m, (v) => MEMORY.test(v), "a quantity in Mi or Gi, e.g. 512Mi");
    }
    if (props.backend === "jaeger") {
      for (const key of ["storage", "spanMetricsRemoteWrite"] as const) {
        if (props[key] !== undefined) throw new Error(`${label(this)}: ${key} is for the tempo backend; jaeger keeps traces on a volume (got backend "jaeger")`);
      }
      return;
    }
    requireProp(this, "spanMetricsRemoteWrite", props.spanMetricsRemoteWrite, (u) => /^https?:\/\/[^/]+\/.+/.test(u), "an http(s) URL with a path, e.g. http://prometheus:9090/api/v1/write");
    const storage = props.storage;
    if (!storage) throw new Error(`${label(this)}: storage is required with the tempo backend (its bucket and identity, e.g. an ObjectStorageBinding's) (got none)`);
    const { access } = storage;
    if (access.api === "s3" && access.endpoint === undefined && access.region === undefined) {
      throw new Error(`${label(this)}: storage.access needs a region (AWS) or an endpoint (S3-compatible store) for api "s3" (got neither)`);
    }
    requireProp(this, "storage.access.endpoint", access.endpoint, (e) => access.api !== "s3" || /^https:\/\/[^/]+\/?$/.test(e), "an https:// URL without a path");
    if (access.api === "azure-blob" && !access.account) {
      throw new Error(`${label(this)}: storage.access.account (the storage account's name) is required for api "azure-blob" (got ${JSON.stringify(access.account)})`);
    }
  }
}

/**
 * The collector's configuration: OTLP in; memory_limiter first (refuses data before the
 * pod runs out of memory), Kubernetes metadata (namespace, pod: what the log and metric
 * links match on), batches; OTLP over gRPC to the backend inside the cluster.
 */
export function collectorConfig(backendEndpoint: string): Record<string, unknown> {
  return {
    extensions: { health_check: { endpoint: "0.0.0.0:13133" } },
    receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } } },
    processors: {
      memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
      k8s_attributes: {
        passthrough: false,
        // Spans come straight from the pods: the connection's address identifies the pod.
        pod_association: [
          { sources: [{ from: "resource_attribute", name: "k8s.pod.ip" }] },
          { sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] },
          { sources: [{ from: "connection" }] },
        ],
        extract: {
          metadata: [
            "k8s.namespace.name",
            "k8s.pod.name",
            "k8s.pod.uid",
            "k8s.node.name",
            "k8s.deployment.name",
            "k8s.statefulset.name",
            "k8s.daemonset.name",
            "k8s.job.name",
            "k8s.cronjob.name",
          ],
        },
      },
      batch: {},
    },
    exporters: {
      otlp_grpc: {
        endpoint: backendEndpoint,
        // Plain gRPC inside the cluster network; the backend's Service is ClusterIP.
        tls: { insecure: true },
        sending_queue: { enabled: true },
        retry_on_failure: { enabled: true },
      },
    },
    service: {
      extensions: ["health_check"],
      telemetry: { metrics: { readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }] } },
      pipelines: { traces: { receivers: ["otlp"], processors: ["memory_limiter", "k8s_attributes", "batch"], exporters: ["otlp_grpc"] } },
    },
  };
}

/**
 * The Grafana data source (provisioning file format). Links match the span's pod to the
 * `namespace` and `pod` labels Loki and cAdvisor metrics carry. `$$` is Grafana's escape
 * for a literal `$` in provisioning files.
 */
export function grafanaDatasource(backend: TraceBackend, url: string, options: { serviceMap: boolean }): Record<string, unknown> {
  const podTags = [
    { key: "k8s.namespace.name", value: "namespace" },
    { key: "k8s.pod.name", value: "pod" },
  ];
  const window = { spanStartTimeShift: "-5m", spanEndTimeShift: "5m" };
  return {
    apiVersion: 1,
    datasources: [
      {
        name: backend === "jaeger" ? "Jaeger" : "Tempo",
        type: backend,
        uid: Traces.DATASOURCE_UID,
        access: "proxy",
        url,
        editable: false,
        jsonData: {
          tracesToLogsV2: { datasourceUid: "logs", tags: podTags, filterByTraceID: false, filterBySpanID: false, ...window },
          tracesToMetrics: {
            datasourceUid: "prometheus",
            tags: podTags,
            ...window,
            queries: [
              // container!="" leaves out the pod-level cgroup series, which would count twice.
              { name: "Pod CPU", query: 'sum(rate(container_cpu_usage_seconds_total{$$__tags, container!=""}[5m]))' },
              { name: "Pod memory", query: 'sum(container_memory_working_set_bytes{$$__tags, container!=""})' },
            ],
          },
          nodeGraph: { enabled: true },
          ...(options.serviceMap ? { serviceMap: { datasourceUid: "prometheus" } } : {}),
        },
      },
    ],
  };
}
