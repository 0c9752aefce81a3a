import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { CHARTS } from "../platform/charts";
import { HelmChart, helmYaml, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import { label, requireInt, requireProp } from "../core/validate";
import type { IExternalSecrets } from "../platform/external-secrets";
import { platformLabels, type INamespace } from "../platform/namespaces";
import { ALERTMANAGER_SECRET_DIR, ALERTMANAGER_VERSION, alertmanagerConfig, receiverProblems, receiverSecrets } from "./alertmanager";
import type { AlertReceivers } from "./receivers";
import type { ObjectStorage } from "./storage";
import { objstoreSecret, storageAccess, Thanos, THANOS_IMAGE, THANOS_OBJSTORE, THANOS_VERSION } from "./thanos";

/**
 * kube-prometheus-stack 88.5.3 (Prometheus Operator v0.93.1, Prometheus 3.14, Grafana
 * 13.2 from grafana-community's chart), prometheus-community, Aug 2026.
 */
export const KUBE_PROMETHEUS_STACK_CHART = CHARTS.kubePrometheusStack;

/**
 * The same operator's CRDs (v0.93.1) as templates of their own release: Helm never
 * upgrades a chart's `crds/`, so the stack's CRDs would stay at their first version.
 */
export const PROMETHEUS_OPERATOR_CRDS_CHART = CHARTS.prometheusOperatorCrds;

/** CPU and memory, as Kubernetes quantities. */
export interface ResourceSize {
  readonly cpu: string;
  readonly memory: string;
}

/** Metrics kept past the local retention, in object storage (Thanos). */
export interface LongTermMetrics {
  /** The metrics bucket, bound to the service account `Metrics.SERVICE_ACCOUNT` in the metrics namespace. */
  readonly storage: ObjectStorage;
  /** Days the bucket keeps metrics, at full resolution and downsampled to 5m and 1h; at least the local retention. */
  readonly retentionDays: number;
  /** @default Thanos.DEFAULT_STORE_VOLUME_GB */
  readonly storeVolumeGb?: number;
  /** @default Thanos.DEFAULT_COMPACTOR_VOLUME_GB */
  readonly compactorVolumeGb?: number;
}

export interface MetricsProps {
  /** The deployment (labels, Prometheus' `cluster` label). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Where Prometheus, Alertmanager, Grafana and Thanos run (Pod Security restricted). */
  readonly namespace: INamespace;
  /** Where node-exporter runs: it needs the host's network and PID namespace (Pod Security privileged). */
  readonly nodeAgentsNamespace: INamespace;
  /** Syncs the receivers' secrets and Grafana's admin credentials, and generates the latter. */
  readonly secrets: IExternalSecrets;
  /** Days Prometheus keeps metrics on its volume. @default Metrics.DEFAULT_RETENTION_DAYS */
  readonly retentionDays?: number;
  /** Each Prometheus replica's volume; Prometheus deletes old data past 85% of it whatever the days. @default Metrics.DEFAULT_VOLUME_GB */
  readonly volumeGb?: number;
  /** StorageClass of every volume (Prometheus, Alertmanager, Thanos). @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** @default Metrics.DEFAULT_PROMETHEUS_REQUESTS */
  readonly prometheusRequests?: ResourceSize;
  /** @default Metrics.DEFAULT_PROMETHEUS_LIMITS */
  readonly prometheusLimits?: ResourceSize;
  /** Two replicas of Prometheus, Alertmanager (clustered) and Thanos Query/store, with disruption budgets. @default true */
  readonly highAvailability?: boolean;
  /**
   * Scrape the scheduler, controller manager, etcd and kube-proxy, and alert when they
   * are down. Only where they listen on the nodes' addresses: managed control planes
   * (EKS, AKS, GKE) expose none of them and kubeadm binds them to localhost, so they
   * would only raise false "down" alerts. @default false
   */
  readonly controlPlaneMetrics?: boolean;
  /**
   * Grafana's admin credentials: a secret-manager key whose JSON value has `username`
   * and `password`. @default - a password generated in the cluster once (External Secrets' Password generator), user `admin`
   */
  readonly grafanaAdminSecret?: string;
  /** Where alerts go. @default - none: alerts are visible in Alertmanager and Grafana only */
  readonly receivers?: AlertReceivers;
  /** @default - metrics live only as long as the local retention */
  readonly longTerm?: LongTermMetrics;
  /** What the releases wait for besides the namespaces (External Secrets, the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

const CPU = /^\d+(\.\d+)?m?$/;
const MEMORY = /^\d+(Ki|Mi|Gi|Ti)$/;
/**
 * Prometheus deletes the oldest blocks past this share of its volume: room for the WAL
 * and compaction. Its "GB" is 2^30 bytes, as a volume's "Gi".
 */
const RETENTION_SIZE_SHARE = 0.85;
/** Alertmanager keeps only silences and its notification log. */
const ALERTMANAGER_VOLUME_GB = 1;
const GRAFANA_ADMIN_SECRET = "grafana-admin";
const FULLNAME = "metrics";
const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
const size = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

/**
 * Metrics and alerting for the cluster: the Prometheus operator's CRDs as their own
 * release (`crds`, which every ServiceMonitor, PodMonitor or PrometheusRule waits for),
 * then kube-prometheus-stack. Prometheus keeps `retentionDays` (and at most 85% of its
 * volume) and selects every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and
 * PrometheusRule of every namespace and release. Alertmanager routes to `receivers`,
 * reading their secrets from files synced by External Secrets. Grafana is reachable only
 * inside the cluster (a ClusterIP Service: port-forward, or the internal gateway), with
 * no anonymous access and its admin credentials from a synced or generated Secret; its
 * sidecars load every ConfigMap labelled `grafana_dashboard` or `grafana_datasource`
 * "1" in any namespace. With `longTerm`, Thanos ships every block to the bucket and
 * Grafana queries Thanos Query.
 */
export class Metrics extends Construct {
  static readonly DEFAULT_RETENTION_DAYS = 15;
  static readonly DEFAULT_VOLUME_GB = 50;
  static readonly DEFAULT_PROMETHEUS_REQUESTS: ResourceSize = { cpu: "500m", memory: "2Gi" };
  static readonly DEFAULT_PROMETHEUS_LIMITS: ResourceSize = { cpu: "2", memory: "4Gi" };
  /** Prometheus' service account; long-term storage is bound to it (the sidecar uploads, Thanos store and compactor read). */
  static readonly SERVICE_ACCOUNT = "prometheus";
  /** Grafana's Service (ClusterIP): `kubectl -n <namespace> port-forward svc/grafana 3000:80`. */
  static readonly GRAFANA_SERVICE = { name: "grafana", port: 80 } as const;
  static readonly PROMETHEUS_SERVICE = { name: `${FULLNAME}-prometheus`, port: 9090 } as const;
  static readonly ALERTMANAGER_SERVICE = { name: `${FULLNAME}-alertmanager`, port: 9093 } as const;

  /** The operator's CRDs: a ServiceMonitor, PodMonitor or PrometheusRule is applied after it. */
  readonly crds: HelmChart["release"];
  readonly release: HelmChart["release"];
  readonly retentionDays: number;
  readonly volumeGb: number;
  /** Prometheus' `retentionSize`. */
  readonly retentionSize: string;
  readonly highAvailability: boolean;
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  readonly grafanaUrl: string;
  /** The Prometheus API dashboards and rules should query: Thanos Query with long-term storage, else Prometheus. */
  readonly queryUrl: string;
  /** Thanos, with `longTerm`. */
  readonly thanos?: Thanos;

  constructor(scope: Construct, id: string, props: MetricsProps) {
    super(scope, id);
    setComponent(this, "metrics");
    this.retentionDays = props.retentionDays ?? Metrics.DEFAULT_RETENTION_DAYS;
    this.volumeGb = props.volumeGb ?? Metrics.DEFAULT_VOLUME_GB;
    const requests = props.prometheusRequests ?? Metrics.DEFAULT_PROMETHEUS_REQUESTS;
    const limits = props.prometheusLimits ?? Metrics.DEFAULT_PROMETHEUS_LIMITS;
    const receivers = props.receivers ?? {};
    const { longTerm, storageClass } = props;
    requireInt(this, "retentionDays", this.retentionDays, 1, 3650);
    requireInt(this, "volumeGb", this.volumeGb, 5, 65536);
    for (const [name, value] of [["prometheusRequests", requests], ["prometheusLimits", limits]] as const) {
      requireProp(this, `${name}.cpu`, value.cpu, (v) => CPU.test(v), 'a CPU quantity such as "2" or "500m"');
      requireProp(this, `${name}.memory`, value.memory, (v) => MEMORY.test(v), 'a memory quantity such as "4Gi" or "512Mi"');
    }
    requireProp(this, "grafanaAdminSecret", props.grafanaAdminSecret, (v) => /^\S+$/.test(v), "a secret manager key without spaces");
    if (longTerm) requireInt(this, "longTerm.retentionDays", longTerm.retentionDays, this.retentionDays, 36500);
    const problems = receiverProblems(receivers);
    if (problems.length > 0) throw new Error(`${label(this)}: ${problems.join("; ")}`);

    const naming = namingOf(this, props.naming);
    const deployment = naming.deployment;
    this.highAvailability = props.highAvailability ?? true;
    const replicas = this.highAvailability ? 2 : 1;
    const controlPlane = { enabled: props.controlPlaneMetrics ?? false };
    this.retentionSize = `${Math.floor(this.volumeGb * RETENTION_SIZE_SHARE)}GB`;
    const { namespace, secrets } = props;
    const ns = namespace.name;
    const url = (service: { name: string; port: number }) => `http://${service.name}.${ns}.svc:${service.port}`;
    this.prometheusUrl = url(Metrics.PROMETHEUS_SERVICE);
    this.alertmanagerUrl = url(Metrics.ALERTMANAGER_SERVICE);
    this.grafanaUrl = url(Metrics.GRAFANA_SERVICE);
    this.queryUrl = longTerm ? Thanos.queryUrl(ns) : this.prometheusUrl;
    const dependsOn = props.dependsOn ?? [];

    // Kept on uninstall: deleting a CRD deletes every object of its kind in the cluster.
    this.crds = new HelmChart(this, "Crds", {
      chart: PROMETHEUS_OPERATOR_CRDS_CHART,
      namespace: ns,
      values: { crds: { annotations: { "helm.sh/resource-policy": "keep" } } },
      dependsOn: [namespace.ready, ...dependsOn],
    }).release;

    const admin = this.grafanaAdmin(props, deployment);
    const mounted = receiverSecrets(receivers);
    const receiverSyncs = mounted.map((s) =>
      secrets.sync(this, `Receiver-${s.name}`, { namespace: ns, name: s.name, remoteKey: s.remoteKey, properties: s.properties, dependsOn: [namespace.ready] }),
    );
    const storage = longTerm?.storage;
    const objstore = storage && objstoreSecret(this, "ThanosObjectStore", { namespace, deployment, storage });
    const access = storage && storageAccess(storage);
    const volumeClaim = (gb: number) => ({
      volumeClaimTemplate: { spec: { ...(storageClass ? { storageClassName: storageClass } : {}), accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${gb}Gi` } } } },
    });
    const selectAll = Object.fromEntries(
      ["serviceMonitor", "podMonitor", "probe", "scrapeConfig", "rule"].flatMap((kind) => [
        [`${kind}SelectorNilUsesHelmValues`, false],
        [`${kind}Selector`, {}],
        [`${kind}NamespaceSelector`, {}],
      ]),
    );

    this.release = new HelmChart(this, "Chart", {
      chart: KUBE_PROMETHEUS_STACK_CHART,
      name: "kube-prometheus-stack",
      namespace: ns,
      values: {
        fullnameOverride: FULLNAME,
        crds: { enabled: false },
        kubeControllerManager: controlPlane,
        kubeScheduler: controlPlane,
        kubeEtcd: controlPlane,
        kubeProxy: controlPlane,
        prometheusOperator: {
          resources: size("100m", "128Mi", "500m", "512Mi"),
          prometheusConfigReloader: { resources: size("10m", "32Mi", "100m", "64Mi") },
          admissionWebhooks: { patch: { resources: size("10m", "32Mi", "100m", "64Mi") } },
        },
        prometheus: {
          serviceAccount: { create: true, name: Metrics.SERVICE_ACCOUNT, annotations: storage?.identity.serviceAccountAnnotations ?? {} },
          podDisruptionBudget: { enabled: this.highAvailability, minAvailable: 1 },
          // The sidecars' gRPC endpoints, for Thanos Query.
          thanosService: { enabled: storage !== undefined },
          prometheusSpec: {
            replicas,
            retention: `${this.retentionDays}d`,
            retentionSize: this.retentionSize,
            resources: { requests, limits },
            storageSpec: volumeClaim(this.volumeGb),
            externalLabels: { cluster: deployment },
            ...selectAll,
            podMetadata: { labels: storage?.identity.podLabels ?? {} },
            ...(storage && access
              ? {
                  thanos: {
                    image: THANOS_IMAGE,
                    version: THANOS_VERSION,
                    objectStorageConfig: { existingSecret: { name: THANOS_OBJSTORE.secret, key: THANOS_OBJSTORE.key } },
                    resources: size("50m", "128Mi", "500m", "512Mi"),
                  },
                  // The operator merges these into its thanos-sidecar container by name.
                  containers: [{ name: "thanos-sidecar", env: access.env, volumeMounts: access.volumeMounts }],
                  volumes: access.volumes,
                }
              : {}),
          },
        },
        alertmanager: {
          podDisruptionBudget: { enabled: this.highAvailability, minAvailable: 1 },
          // The chart reads stringConfig only through tpl; the config holds no "{{" (the
          // receivers' settings are validated), so Alertmanager gets it as amtool checked
          // it. YAML 1.1, as Alertmanager's parser reads it.
          tplConfig: true,
          stringConfig: helmYaml(alertmanagerConfig(receivers, ALERTMANAGER_SECRET_DIR)),
          alertmanagerSpec: {
            image: { registry: "quay.io", repository: "prometheus/alertmanager", tag: ALERTMANAGER_VERSION },
            replicas,
            secrets: mounted.map((s) => s.name),
            storage: volumeClaim(ALERTMANAGER_VOLUME_GB),
            resources: size("20m", "64Mi", "200m", "256Mi"),
            // Routes and receivers are the config above: AlertmanagerConfig objects only from this namespace, never a tenant's.
            alertmanagerConfigNamespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
          },
        },
        grafana: this.grafanaValues(this.queryUrl, storage ? this.prometheusUrl : undefined),
        "kube-state-metrics": {
          fullnameOverride: "kube-state-metrics",
          resources: size("20m", "64Mi", "500m", "512Mi"),
          // The Besu alerts tell validators from RPC nodes by their StatefulSets' role label.
          metricLabelsAllowlist: ["statefulsets=[cdktf-byoc/besu-role]"],
        },
        "prometheus-node-exporter": {
          fullnameOverride: "node-exporter",
          namespaceOverride: props.nodeAgentsNamespace.name,
          resources: size("20m", "32Mi", "250m", "128Mi"),
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
          containerSecurityContext: hardened,
        },
      },
      dependsOn: [
        namespace.ready,
        props.nodeAgentsNamespace.ready,
        this.crds,
        admin,
        ...receiverSyncs,
        ...(objstore ? [objstore] : []),
        ...(storage?.grants ?? []),
        ...dependsOn,
      ],
    }).release;

    if (longTerm && storage && objstore) {
      this.thanos = new Thanos(this, "Thanos", {
        deployment,
        namespace,
        storage,
        retentionDays: longTerm.retentionDays,
        serviceAccount: Metrics.SERVICE_ACCOUNT,
        sidecarService: `${FULLNAME}-thanos-discovery`,
        storageClass,
        replicas,
        storeVolumeGb: longTerm.storeVolumeGb,
        compactorVolumeGb: longTerm.compactorVolumeGb,
        dependsOn: [this.release, objstore, ...storage.grants],
      });
    }
  }

  /** Grafana's admin Secret: synced from `grafanaAdminSecret`, or generated once in the cluster and never rotated. */
  private grafanaAdmin(props: MetricsProps, deployment: string): ITerraformDependable {
    const { namespace, secrets } = props;
    const ns = namespace.name;
    if (props.grafanaAdminSecret) {
      return secrets.sync(this, "GrafanaAdmin", {
        namespace: ns,
        name: GRAFANA_ADMIN_SECRET,
        remoteKey: props.grafanaAdminSecret,
        properties: { "admin-user": "username", "admin-password": "password" },
        dependsOn: [namespace.ready],
      });
    }
    const labels = platformLabels(deployment, "metrics");
    return new Manifests(this, "GrafanaAdminGenerated", {
      name: "grafana-admin",
      namespace: ns,
      objects: [
        {
          apiVersion: "generators.external-secrets.io/v1alpha1",
          kind: "Password",
          metadata: { name: GRAFANA_ADMIN_SECRET, namespace: ns, labels },
          spec: { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true, secretKeys: ["admin-password"] },
        },
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: GRAFANA_ADMIN_SECRET, namespace: ns, labels },
          spec: {
            // Generated once: a refresh would change the password under Grafana's feet.
            refreshPolicy: "CreatedOnce",
            target: {
              name: GRAFANA_ADMIN_SECRET,
              creationPolicy: "Owner",
              template: { engineVersion: "v2", mergePolicy: "Merge", data: { "admin-user": "admin" } },
            },
            dataFrom: [{ sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: GRAFANA_ADMIN_SECRET } } }],
          },
        },
      ],
      dependsOn: [secrets.release, namespace.ready],
    }).release;
  }

  /**
   * Grafana: one replica with its SQLite database on an emptyDir. Everything it shows is
   * provisioned from ConfigMaps (dashboards, data sources) and its admin from the
   * Secret, so a restart loses only edits made in the UI, which would drift from the
   * shipped dashboards anyway, and applies a changed admin Secret (Grafana reads it only
   * into a new database); a volume would pin the pod to one zone for no data of value.
   */
  private grafanaValues(queryUrl: string, localUrl?: string): Record<string, unknown> {
    const sidecar = (kind: "dashboard" | "datasource") => ({ enabled: true, label: `grafana_${kind}`, labelValue: "1", searchNamespace: "ALL" });
    return {
      fullnameOverride: Metrics.GRAFANA_SERVICE.name,
      replicas: 1,
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
      "grafana.ini": {
        "auth.anonymous": { enabled: false },
        users: { allow_sign_up: false },
        analytics: { check_for_updates: false, reporting_enabled: false },
      },
      ingress: { enabled: false },
      service: { type: "ClusterIP", port: Metrics.GRAFANA_SERVICE.port },
      persistence: { enabled: false },
      initChownData: { enabled: false },
      testFramework: { enabled: false },
      resources: size("50m", "128Mi", "500m", "512Mi"),
      securityContext: { runAsNonRoot: true, runAsUser: 472, runAsGroup: 472, fsGroup: 472, seccompProfile: { type: "RuntimeDefault" } },
      containerSecurityContext: { ...hardened, seccompProfile: { type: "RuntimeDefault" } },
      extraEmptyDirMounts: [{ name: "tmp", mountPath: "/tmp" }],
      sidecar: {
        resources: size("10m", "64Mi", "100m", "128Mi"),
        securityContext: { ...hardened, seccompProfile: { type: "RuntimeDefault" } },
        dashboards: sidecar("dashboard"),
        datasources: {
          ...sidecar("datasource"),
          // The default data source (uid "prometheus", which dashboards name) queries Thanos when there is long-term storage.
          url: queryUrl,
        },
      },
      additionalDataSources: localUrl
        ? [{ name: "Prometheus (local)", uid: "prometheus-local", type: "prometheus", access: "proxy", url: localUrl, isDefault: false, jsonData: { httpMethod: "POST" } }]
        : [],
    };
  }
}
