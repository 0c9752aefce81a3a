import { ROLE_LABEL } from "../../lib/audit/besu/pod";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { parseSpec } from "../../lib/config/spec";
import { helmYaml } from "../../lib/core/helm";
import { Naming } from "../../lib/core/naming";
import { OnpremDataPlan } from "../../lib/data/onprem-plan";
import { ALERTMANAGER_SECRET_DIR, ALERTMANAGER_VERSION, alertmanagerConfig, receiverSecrets } from "../../lib/observability/alertmanager";
import { KUBE_PROMETHEUS_STACK_CHART, Metrics, PROMETHEUS_OPERATOR_CRDS_CHART, type MetricsProps } from "../../lib/observability/metrics";
import type { AlertReceivers } from "../../lib/observability/receivers";
import { ObjectStorageBinding } from "../../lib/observability/storage";
import { THANOS_IMAGE } from "../../lib/observability/thanos";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import type { IPlatformTarget } from "../../lib/platform/target";
import { AwsPlatformTarget } from "../../lib/platform/targets/aws";
import { AzurePlatformTarget } from "../../lib/platform/targets/azure";
import { GcpPlatformTarget } from "../../lib/platform/targets/gcp";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { buildStacks } from "../../stacks";
import { AMTOOL, ensureAmtool } from "../support/amtool";
import { releases, type ReleaseView } from "../support/helm";
import { roleOf, StackJson, type Block } from "../support/synth";

const naming = new Naming("lab");
const ALL: AlertReceivers = {
  pagerduty: { secretRef: "lab/pagerduty" },
  slack: { secretRef: "lab/slack", channel: "#alerts" },
  email: { to: ["ops@example.com"], smtp: { from: "alerts@example.com", smarthost: "smtp.example.com:587", username: "alerts", secretRef: "lab/smtp" } },
  webhook: { secretRef: "lab/webhook" },
};

/** The Metrics construct's releases (a stack may hold others), by chart name or Manifests release name. */
class MetricsView {
  constructor(readonly stack: StackJson, private readonly scope = "") {}
  private get all(): ReleaseView[] {
    return releases(this.stack).filter((r) => r.block.tfAddress.includes(this.scope));
  }
  release(name: string): ReleaseView {
    const found = this.all.filter((r) => r.block.chart === name || r.block.name === name);
    if (found.length !== 1) throw new Error(`expected one release ${name}, found ${found.length}`);
    return found[0];
  }
  get kps() {
    return this.release("kube-prometheus-stack").values;
  }
  object(kind: string, name: string): Record<string, any> {
    const found = this.all.flatMap((r) => r.objects).filter((o) => o.kind === kind && o.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
    return found[0];
  }
  /** A Deployment or StatefulSet of the kit's own (Thanos), as Terraform writes it (snake_case). */
  workload(name: string): Block {
    const found = ["kubernetes_stateful_set_v1", "kubernetes_deployment_v1"]
      .flatMap((type) => this.stack.resources(type))
      .filter((w) => w.metadata.name === name && w.tfAddress.includes(this.scope));
    if (found.length !== 1) throw new Error(`expected one workload ${name}, found ${found.length}`);
    return found[0];
  }
  /** The Thanos object-store config, parsed from its Secret. */
  get objstore(): Record<string, any> {
    const secret = this.stack.resources("kubernetes_secret_v1").find((s) => s.metadata.name === "thanos-objstore" && s.tfAddress.includes(this.scope));
    return parse(secret!.data["objstore.yml"]);
  }
  dependsOn(release: ReleaseView, other: ReleaseView): boolean {
    return (release.block.depends_on ?? []).includes(other.block.tfAddress);
  }
}

/**
 * An existing cluster on-prem, as a library user composes it: Vault behind External
 * Secrets, the in-cluster object store's bucket with its keys and CA, Ceph volumes.
 */
function onprem(props: Partial<MetricsProps> = {}, longTerm = true): MetricsView {
  const app = Testing.app();
  const stack = new TerraformStack(app, "lab");
  const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab", storageClass: "ceph-rbd" });
  configureClusterProviders(stack, cluster.connection);
  const target = new OnpremPlatformTarget(stack, "Target", {
    naming,
    cluster,
    vault: { server: "https://vault.lab:8200", role: "byoc" },
    data: new OnpremDataPlan({ deployment: "lab" }),
  });
  const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target });
  const namespace = new PlatformNamespace(stack, "Observability", { name: "observability", naming, component: "observability" });
  const nodeAgents = new PlatformNamespace(stack, "NodeAgents", { name: "node-agents", naming, component: "observability", podSecurity: "privileged" });
  const storage = longTerm
    ? new ObjectStorageBinding(stack, "MetricsBucket", {
        target,
        secrets,
        serviceAccount: { namespace: "observability", name: Metrics.SERVICE_ACCOUNT },
        bucket: "metrics",
        prefix: "metrics",
        dependsOn: [namespace.ready],
      }).storage
    : undefined;
  new Metrics(stack, "Metrics", {
    naming,
    namespace,
    nodeAgentsNamespace: nodeAgents,
    secrets,
    storageClass: cluster.storageClass,
    retentionDays: 10,
    volumeGb: 100,
    receivers: ALL,
    ...(storage ? { longTerm: { storage, retentionDays: 400 } } : {}),
    ...props,
  });
  return new MetricsView(new StackJson("lab", JSON.parse(Testing.synth(stack)), stack));
}

describe("alertmanagerConfig, checked by Alertmanager's own amtool", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertmanager-"));
  const write = (config: Record<string, unknown>, name: string) => {
    const file = join(dir, `${name}.yml`);
    // As Metrics renders it into the chart's values.
    writeFileSync(file, helmYaml(config));
    return file;
  };
  const amtool = (...args: string[]) => execFileSync(AMTOOL, args, { encoding: "utf8", stdio: "pipe" });
  const routeOf = (receivers: AlertReceivers, labels: string[]) =>
    amtool("config", "routes", "test", `--config.file=${write(alertmanagerConfig(receivers), "routes")}`, ...labels).trim();
  beforeAll(() => {
    ensureAmtool();
  }, 600_000);

  test.each<[string, AlertReceivers]>([
    ["no receivers", {}],
    ["PagerDuty only", { pagerduty: ALL.pagerduty }],
    ["Slack without a channel", { slack: { secretRef: "lab/slack" } }],
    ["e-mail through a relay without authentication", { email: { to: ["a@example.com", "b@example.com"], smtp: { from: "am@example.com", smarthost: "relay.lab:25" } } }],
    ["e-mail left to the clouds' alarms", { email: { to: ["a@example.com"] } }],
    ["every receiver", ALL],
  ])(`%s: amtool ${ALERTMANAGER_VERSION} check-config passes`, (name, receivers) => {
    expect(amtool("check-config", write(alertmanagerConfig(receivers), name.replace(/\W+/g, "-")))).toMatch(/SUCCESS/);
  });

  test("amtool refuses a config that routes to a receiver it does not define (the check can fail)", () => {
    const broken = alertmanagerConfig(ALL) as { receivers: { name: string }[] };
    broken.receivers = broken.receivers.filter((r) => r.name !== "critical");
    const run = spawnSync(AMTOOL, ["check-config", write(broken, "broken")], { encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/FAILED: undefined receiver "critical" used in route/);
  });

  test("every secret is a file under a mounted receiver Secret; nothing secret is inline", () => {
    const config = alertmanagerConfig(ALL, ALERTMANAGER_SECRET_DIR) as { receivers: Record<string, any>[] };
    const critical = config.receivers.find((r) => r.name === "critical")!;
    const mounted = receiverSecrets(ALL).flatMap((s) => Object.keys(s.properties).map((key) => `${ALERTMANAGER_SECRET_DIR}/${s.name}/${key}`));
    expect([
      critical.pagerduty_configs[0].routing_key_file,
      critical.slack_configs[0].api_url_file,
      critical.email_configs[0].auth_password_file,
      critical.webhook_configs[0].url_file,
    ].sort()).toEqual(mounted.sort());
    const text = stringify(config);
    expect(text).not.toMatch(/routing_key:|service_key:|api_url:|auth_password:|\burl:/);
  });

  test("routing: critical pages and reaches every channel, warnings skip the pager, Watchdog and info go nowhere", () => {
    expect(routeOf(ALL, ["severity=critical", "alertname=KubeNodeNotReady"])).toBe("critical");
    expect(routeOf(ALL, ["severity=warning", "alertname=KubePodCrashLooping"])).toBe("default");
    expect(routeOf(ALL, ["alertname=Watchdog", "severity=none"])).toBe("null");
    expect(routeOf(ALL, ["alertname=InfoInhibitor", "severity=none"])).toBe("null");
    expect(routeOf(ALL, ["severity=info"])).toBe("null");
    const config = alertmanagerConfig(ALL) as { receivers: Record<string, any>[] };
    const channels = (name: string) => Object.keys(config.receivers.find((r) => r.name === name)!).filter((k) => k !== "name").sort();
    expect(channels("critical")).toEqual(["email_configs", "pagerduty_configs", "slack_configs", "webhook_configs"]);
    expect(channels("default")).toEqual(["email_configs", "slack_configs", "webhook_configs"]);
  });

  test("PagerDuty alone takes warnings too; without receivers (or only e-mail without a relay) every alert goes to null", () => {
    expect(routeOf({ pagerduty: ALL.pagerduty }, ["severity=warning"])).toBe("default");
    expect(Object.keys((alertmanagerConfig({ pagerduty: ALL.pagerduty }) as { receivers: Record<string, any>[] }).receivers[1])).toContain("pagerduty_configs");
    expect(routeOf({}, ["severity=critical"])).toBe("null");
    expect(routeOf({}, ["severity=warning"])).toBe("null");
    // Without a relay Alertmanager cannot mail: the addresses are the clouds' alarms' only.
    expect(routeOf({ email: { to: ["ops@example.com"] } }, ["severity=critical"])).toBe("null");
  });
});

describe("Metrics on an existing cluster (on-prem target with Vault and the in-cluster object store)", () => {
  const view = onprem();
  const kps = view.kps;
  const prometheus = kps.prometheus.prometheusSpec;

  test("kube-state-metrics exports the Besu StatefulSets' role label, which the audit rules tell validators by", () => {
    expect(kps["kube-state-metrics"].metricLabelsAllowlist).toEqual([`statefulsets=[${ROLE_LABEL}]`]);
  });

  test("the operator's CRDs are their own pinned release, kept on uninstall; the stack installs none and waits for them", () => {
    const crds = view.release("prometheus-operator-crds");
    const stack = view.release("kube-prometheus-stack");
    expect(crds.block).toMatchObject({ repository: PROMETHEUS_OPERATOR_CRDS_CHART.repository, version: "31.0.1", namespace: "observability" });
    expect(crds.values.crds.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(stack.block).toMatchObject({ repository: KUBE_PROMETHEUS_STACK_CHART.repository, version: "88.5.3", atomic: true, wait: true });
    expect(kps.crds.enabled).toBe(false);
    expect(view.dependsOn(stack, crds)).toBe(true);
  });

  test("Prometheus keeps the retention in days and 85% of its volume, on the cluster's storage class, twice", () => {
    expect(prometheus.retention).toBe("10d");
    expect(prometheus.retentionSize).toBe("85GB");
    expect(prometheus.storageSpec.volumeClaimTemplate.spec).toEqual({
      storageClassName: "ceph-rbd",
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "100Gi" } },
    });
    expect(prometheus.replicas).toBe(2);
    expect(kps.prometheus.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    expect(prometheus.resources).toEqual({ requests: Metrics.DEFAULT_PROMETHEUS_REQUESTS, limits: Metrics.DEFAULT_PROMETHEUS_LIMITS });
  });

  test("Prometheus selects monitors, probes, scrape configs and rules of every release in every namespace", () => {
    for (const kind of ["serviceMonitor", "podMonitor", "probe", "scrapeConfig", "rule"]) {
      expect(prometheus[`${kind}SelectorNilUsesHelmValues`], kind).toBe(false);
      expect(prometheus[`${kind}Selector`], kind).toEqual({});
      expect(prometheus[`${kind}NamespaceSelector`], kind).toEqual({});
    }
  });

  test("node-exporter runs in the privileged node-agents namespace; everything else in observability", () => {
    expect(kps["prometheus-node-exporter"].namespaceOverride).toBe("node-agents");
    const stack = view.release("kube-prometheus-stack");
    expect(stack.block.namespace).toBe("observability");
    expect(stack.block.depends_on).toEqual(expect.arrayContaining([expect.stringContaining("NodeAgents"), expect.stringContaining("Observability")]));
  });

  test("Grafana: admin from the existing Secret, no anonymous access, no ingress, a ClusterIP Service, sidecars in every namespace", () => {
    const { grafana } = kps;
    expect(grafana.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    expect(grafana.adminPassword).toBeUndefined();
    expect(grafana["grafana.ini"]["auth.anonymous"]).toEqual({ enabled: false });
    expect(grafana.ingress).toEqual({ enabled: false });
    expect(grafana.route).toBeUndefined();
    expect(grafana.service).toEqual({ type: "ClusterIP", port: Metrics.GRAFANA_SERVICE.port });
    expect(grafana.fullnameOverride).toBe(Metrics.GRAFANA_SERVICE.name);
    expect(grafana.sidecar.dashboards).toMatchObject({ enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
    expect(grafana.sidecar.datasources).toMatchObject({ enabled: true, label: "grafana_datasource", labelValue: "1", searchNamespace: "ALL" });
    expect(grafana.persistence.enabled).toBe(false);
  });

  test("the chart's own pods: non-root, read-only, no capabilities, seccomp, requests and limits; no root init or test pods", () => {
    const { grafana } = kps;
    const readOnly = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
    expect(grafana.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(grafana.containerSecurityContext).toMatchObject(readOnly);
    expect(grafana.sidecar.securityContext).toMatchObject(readOnly);
    expect([grafana.initChownData.enabled, grafana.testFramework.enabled]).toEqual([false, false]);
    expect(kps["prometheus-node-exporter"].containerSecurityContext).toEqual(readOnly);
    for (const resources of [
      grafana.resources,
      grafana.sidecar.resources,
      kps.prometheusOperator.resources,
      kps.prometheusOperator.prometheusConfigReloader.resources,
      kps.prometheusOperator.admissionWebhooks.patch.resources,
      kps.alertmanager.alertmanagerSpec.resources,
      kps.prometheus.prometheusSpec.thanos.resources,
      kps["kube-state-metrics"].resources,
      kps["prometheus-node-exporter"].resources,
    ]) {
      expect(Object.keys(resources).sort()).toEqual(["limits", "requests"]);
    }
  });

  test("control-plane components are neither scraped nor alerted on unless they listen on the nodes", () => {
    for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) expect(kps[component], component).toEqual({ enabled: false });
    const kubeadm = onprem({ controlPlaneMetrics: true }, false).kps;
    for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) expect(kubeadm[component], component).toEqual({ enabled: true });
  });

  test("AlertmanagerConfig objects count only from the metrics namespace: tenants cannot add receivers", () => {
    expect(kps.alertmanager.alertmanagerSpec.alertmanagerConfigNamespaceSelector).toEqual({ matchLabels: { "kubernetes.io/metadata.name": "observability" } });
  });

  test("Grafana's admin password is generated once in the cluster by External Secrets, after the operator", () => {
    const generated = view.release("grafana-admin");
    const password = view.object("Password", "grafana-admin");
    expect(password.apiVersion).toBe("generators.external-secrets.io/v1alpha1");
    expect(password.spec).toMatchObject({ length: 32, secretKeys: ["admin-password"] });
    const external = view.object("ExternalSecret", "grafana-admin");
    expect(external.apiVersion).toBe("external-secrets.io/v1");
    expect(external.spec.refreshPolicy).toBe("CreatedOnce");
    expect(external.spec.target.template.data).toEqual({ "admin-user": "admin" });
    expect(external.spec.dataFrom).toEqual([{ sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "grafana-admin" } } }]);
    expect(view.dependsOn(generated, view.release("external-secrets"))).toBe(true);
    expect(view.dependsOn(view.release("kube-prometheus-stack"), generated)).toBe(true);
  });

  test("with grafanaAdminSecret, the admin is synced from the secret manager instead", () => {
    const synced = onprem({ grafanaAdminSecret: "lab/grafana-admin" }, false);
    const external = synced.object("ExternalSecret", "grafana-admin");
    expect(external.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "secret-manager" });
    expect(external.spec.data).toEqual([
      { secretKey: "admin-user", remoteRef: { key: "lab/grafana-admin", property: "username" } },
      { secretKey: "admin-password", remoteRef: { key: "lab/grafana-admin", property: "password" } },
    ]);
    expect(() => synced.object("Password", "grafana-admin")).toThrow();
  });

  test("Alertmanager: the config as amtool checked it, each receiver's secret synced from Vault and mounted as files", () => {
    const { alertmanager } = kps;
    expect(alertmanager.tplConfig).toBe(true);
    expect(alertmanager.stringConfig).toBe(helmYaml(alertmanagerConfig(ALL, ALERTMANAGER_SECRET_DIR)));
    const mounted = receiverSecrets(ALL);
    expect(alertmanager.alertmanagerSpec.secrets).toEqual(mounted.map((s) => s.name));
    for (const secret of mounted) {
      const external = view.object("ExternalSecret", secret.name);
      expect(external.metadata.namespace).toBe("observability");
      expect(external.spec.data.map((d: { remoteRef: { key: string } }) => d.remoteRef.key)).toEqual(Object.keys(secret.properties).map(() => secret.remoteKey));
      expect(view.dependsOn(view.release("kube-prometheus-stack"), view.release(`secret-${secret.name}`))).toBe(true);
    }
    expect(JSON.stringify(view.stack.json)).not.toMatch(/routing_key:|api_url:|auth_password:/);
  });

  test("Alertmanager runs twice on persistent volumes, at the version amtool checks", () => {
    const spec = kps.alertmanager.alertmanagerSpec;
    expect(spec.replicas).toBe(2);
    expect(spec.image).toEqual({ registry: "quay.io", repository: "prometheus/alertmanager", tag: ALERTMANAGER_VERSION });
    expect(spec.storage.volumeClaimTemplate.spec).toMatchObject({ storageClassName: "ceph-rbd", resources: { requests: { storage: "1Gi" } } });
  });

  test("long-term: the sidecar and Thanos reach the in-cluster S3 store by path with keys and CA from the synced Secret", () => {
    expect(view.objstore).toEqual({
      type: "S3",
      prefix: "metrics",
      config: {
        bucket: "lab-metrics",
        endpoint: expect.stringMatching(/^seaweedfs[\w-]*\.data\.svc:\d+$/),
        region: "us-east-1",
        insecure: false,
        bucket_lookup_type: "path",
        aws_sdk_auth: false,
        http_config: { tls_config: { ca_file: "/etc/thanos/ca/ca.crt" } },
      },
    });
    expect(prometheus.thanos).toMatchObject({ image: THANOS_IMAGE, objectStorageConfig: { existingSecret: { name: "thanos-objstore", key: "objstore.yml" } } });
    const [sidecar] = prometheus.containers;
    expect(sidecar.name).toBe("thanos-sidecar");
    expect(sidecar.env).toEqual([
      { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "prometheus-object-store", key: "AWS_ACCESS_KEY_ID" } } },
      { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "prometheus-object-store", key: "AWS_SECRET_ACCESS_KEY" } } },
    ]);
    expect(prometheus.volumes).toEqual([{ name: "objstore-ca", secret: { secretName: "prometheus-object-store", items: [{ key: "ca.crt", path: "ca.crt" }] } }]);
  });

  test("the compactor keeps raw, 5m and 1h data for the long-term days and downsamples; store and compactor cache on the storage class", () => {
    const compactor = view.workload("thanos-compact");
    const args: string[] = compactor.spec.template.spec.container[0].args;
    expect(args[0]).toBe("compact");
    expect(args).toEqual(expect.arrayContaining(["--wait", "--retention.resolution-raw=30d", "--retention.resolution-5m=120d", "--retention.resolution-1h=400d"]));
    expect(args).not.toContain("--downsampling.disable");
    expect(compactor.spec.replicas).toBe("1");
    for (const name of ["thanos-compact", "thanos-store"]) {
      expect(view.workload(name).spec.volume_claim_template[0].spec.storage_class_name, name).toBe("ceph-rbd");
    }
  });

  test("Thanos Query merges the HA pair and reads the sidecars and the store; Grafana's default data source is Thanos Query", () => {
    const args: string[] = view.workload("thanos-query").spec.template.spec.container[0].args;
    expect(args).toEqual(
      expect.arrayContaining([
        "--query.replica-label=prometheus_replica",
        "--endpoint=dnssrv+_grpc._tcp.metrics-thanos-discovery.observability.svc",
        "--endpoint=dnssrv+_grpc._tcp.thanos-store.observability.svc",
      ]),
    );
    expect(kps.prometheus.thanosService.enabled).toBe(true);
    expect(kps.grafana.sidecar.datasources.url).toBe("http://thanos-query.observability.svc:10902");
    expect(kps.grafana.additionalDataSources).toEqual([expect.objectContaining({ uid: "prometheus-local", url: "http://metrics-prometheus.observability.svc:9090" })]);
  });

  test.each(["thanos-query", "thanos-store", "thanos-compact"])("%s: pinned image, non-root, read-only, no capabilities, seccomp, requests and limits, no API token", (name) => {
    const { spec } = view.workload(name).spec.template;
    expect(spec.security_context).toMatchObject({ run_as_non_root: true, seccomp_profile: { type: "RuntimeDefault" } });
    expect(spec.automount_service_account_token).toBe(false);
    for (const c of spec.container) {
      expect(c.image).toBe(THANOS_IMAGE);
      expect(c.image).toMatch(/:v\d+\.\d+\.\d+$/);
      expect(c.security_context).toEqual({ allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } });
      expect(Object.keys(c.resources).sort()).toEqual(["limits", "requests"]);
    }
  });

  test("the workloads reading the bucket run as the bound service account, after the stack, the config and the synced keys", () => {
    expect(kps.prometheus.serviceAccount).toMatchObject({ create: true, name: Metrics.SERVICE_ACCOUNT });
    const after = [view.release("kube-prometheus-stack"), view.release("prometheus-object-store")].map((r) => r.block.tfAddress);
    for (const name of ["thanos-store", "thanos-compact"]) {
      const workload = view.workload(name);
      expect(workload.spec.template.spec.service_account_name).toBe(Metrics.SERVICE_ACCOUNT);
      expect(workload.depends_on).toEqual(expect.arrayContaining([...after, expect.stringMatching(/^kubernetes_secret_v1\./)]));
    }
  });

  test("without long-term storage: no Thanos, Grafana queries Prometheus", () => {
    const local = onprem({}, false);
    expect(() => local.workload("thanos-query")).toThrow();
    expect(local.kps.prometheus.prometheusSpec.thanos).toBeUndefined();
    expect(local.kps.grafana.sidecar.datasources.url).toBe("http://metrics-prometheus.observability.svc:9090");
    expect(local.kps.grafana.additionalDataSources).toEqual([]);
  });
});

type TargetClass = abstract new (...args: never[]) => IPlatformTarget;

/**
 * A cloud deployment's platform stack with Metrics added in a `Probe` scope, its bucket
 * bound through the target's workload identity as a library user would.
 */
async function onCloud(spec: object, Target: TargetClass): Promise<MetricsView> {
  const app = Testing.app();
  const stacks = await buildStacks(app, parseSpec(spec));
  const platform = stacks.find((s) => roleOf(s) === "platform")!;
  const nodes = platform.node.findAll();
  const target = nodes.find((c): c is IPlatformTarget & Construct => c instanceof Target)!;
  const secrets = nodes.find((c): c is ExternalSecrets => c instanceof ExternalSecrets)!;
  const probe = new Construct(platform, "Probe");
  const namespace = new PlatformNamespace(probe, "Namespace", { name: "observability", component: "observability" });
  const nodeAgents = new PlatformNamespace(probe, "NodeAgents", { name: "node-agents", component: "observability", podSecurity: "privileged" });
  const serviceAccount = { namespace: "observability", name: Metrics.SERVICE_ACCOUNT };
  const { storage } = new ObjectStorageBinding(probe, "Bucket", { target, secrets, serviceAccount, bucket: "metrics", prefix: "metrics", dependsOn: [namespace.ready] });
  new Metrics(probe, "Metrics", { namespace, nodeAgentsNamespace: nodeAgents, secrets, receivers: { slack: { secretRef: "acme-slack" } }, longTerm: { storage, retentionDays: 365 } });
  app.synth();
  const json = JSON.parse(Testing.synth(platform));
  return new MetricsView(new StackJson(platform.node.id, json, platform), "Probe");
}

describe.each<[string, object, TargetClass, string]>([
  ["AWS (S3, EKS Pod Identity)", { name: "acme", target: { cloud: "aws", region: "us-west-2", accountId: "111122223333" }, network: { cidr: "10.42.0.0/16" } }, AwsPlatformTarget, "S3"],
  ["Azure (Blob, Workload Identity)", { name: "acme", target: { cloud: "azure", region: "westeurope", subscriptionId: "00000000-0000-4000-8000-000000000001" } }, AzurePlatformTarget, "AZURE"],
  ["GCP (GCS, Workload Identity)", { name: "acme", target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" }, network: { cidr: "10.80.0.0/16" } }, GcpPlatformTarget, "GCS"],
])("Metrics on %s", (_, spec, Target, type) => {
  let view: MetricsView;
  beforeAll(async () => {
    view = await onCloud(spec, Target);
  });

  test("the object-store config names the bucket and no key: the pods use their identity", () => {
    const { objstore } = view;
    expect(objstore.type).toBe(type);
    expect(objstore.prefix).toBe("metrics");
    expect(JSON.stringify(objstore)).not.toMatch(/access_key|secret_key|storage_account_key|client_secret|service_account"/);
    if (type === "S3") expect(objstore.config).toMatchObject({ aws_sdk_auth: true, region: "us-west-2", endpoint: "s3.us-west-2.amazonaws.com" });
    if (type === "AZURE") expect(objstore.config).toEqual({ storage_account: expect.stringMatching(/^\$\{/), container: expect.stringMatching(/\S/) });
    if (type === "GCS") expect(Object.keys(objstore.config)).toEqual(["bucket"]);
    expect(view.kps.prometheus.prometheusSpec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain("AWS_SECRET_ACCESS_KEY");
  });

  test("Prometheus' service account and the Thanos pods carry the identity; the stack waits for the cloud grants", () => {
    const kps = view.release("kube-prometheus-stack");
    const serviceAccount = kps.values.prometheus.serviceAccount;
    const podLabels = kps.values.prometheus.prometheusSpec.podMetadata.labels;
    if (type === "S3") {
      const association = view.stack.resource("aws_eks_pod_identity_association", (a) => a.tfAddress.includes("Probe"));
      expect(association).toMatchObject({ namespace: "observability", service_account: Metrics.SERVICE_ACCOUNT });
      expect(kps.block.depends_on).toContain(association.tfAddress);
    }
    if (type === "AZURE") {
      expect(serviceAccount.annotations["azure.workload.identity/client-id"]).toMatch(/^\$\{/);
      expect(podLabels).toEqual({ "azure.workload.identity/use": "true" });
      const credential = view.stack.resource("azurerm_federated_identity_credential", (c) => c.tfAddress.includes("Probe"));
      expect(credential.subject).toBe(`system:serviceaccount:observability:${Metrics.SERVICE_ACCOUNT}`);
    }
    if (type === "GCS") {
      expect(serviceAccount.annotations["iam.gke.io/gcp-service-account"]).toMatch(/^\$\{google_service_account\./);
      const member = view.stack.resource("google_service_account_iam_member", (b) => b.tfAddress.includes("Probe")).member;
      expect(member).toMatch(new RegExp(`\\[observability/${Metrics.SERVICE_ACCOUNT}\\]$`));
    }
    for (const name of ["thanos-store", "thanos-compact"]) {
      const pod = view.workload(name).spec.template;
      expect(pod.spec.service_account_name).toBe(Metrics.SERVICE_ACCOUNT);
      expect(pod.metadata.labels).toMatchObject(podLabels);
    }
  });

  test("the receivers' secrets come from the cloud's secret manager", () => {
    expect(view.object("ExternalSecret", "alertmanager-slack").spec.secretStoreRef.name).toBe("secret-manager");
  });
});

describe("bad props name the prop, the value and what is allowed", () => {
  const attempt = (props: Partial<MetricsProps>) => () => onprem(props, false);

  test.each<[string, Partial<MetricsProps>, string]>([
    ["retention of zero days", { retentionDays: 0 }, "Metrics lab/Metrics: retentionDays must be an integer from 1 to 3650 (got 0)"],
    ["a volume too small", { volumeGb: 2 }, "Metrics lab/Metrics: volumeGb must be an integer from 5 to 65536 (got 2)"],
    ["a memory quantity in GB", { prometheusLimits: { cpu: "2", memory: "4GB" } }, 'Metrics lab/Metrics: prometheusLimits.memory must be a memory quantity such as "4Gi" or "512Mi" (got "4GB")'],
    ["an e-mail relay without a port", { receivers: { email: { to: ["ops@example.com"], smtp: { from: "am@example.com", smarthost: "smtp.example.com" } } } }, 'receivers.email.smtp.smarthost must be an SMTP relay as host:port such as "smtp.example.com:587" (got "smtp.example.com")'],
    ["an e-mail recipient that is none", { receivers: { email: { to: ["ops"] } } }, 'receivers.email.to[0] must be an e-mail address such as ops@example.com (got "ops")'],
  ])("%s", (_, props, message) => {
    expect(attempt(props)).toThrow(message);
  });

  test("long-term retention shorter than the local one", () => {
    const storage = { bucket: "b", prefix: "metrics", access: { api: "gcs" as const }, identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], env: {} };
    expect(attempt({ retentionDays: 30, longTerm: { storage, retentionDays: 7 } })).toThrow("Metrics lab/Metrics: longTerm.retentionDays must be an integer from 30 to 36500 (got 7)");
  });
});
