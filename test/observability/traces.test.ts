import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { OnpremDataPlan } from "../../lib/data/onprem-plan";
import { ObjectStorageBinding, type ObjectStorage } from "../../lib/observability/storage";
import { JAEGER_CHART, JAEGER_IMAGE, OTEL_COLLECTOR_CHART, OTEL_COLLECTOR_IMAGE, TEMPO_CHART, TEMPO_IMAGE, Traces, type TracesProps } from "../../lib/observability/traces";
import { ExternalSecrets, type IExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import type { IPlatformTarget } from "../../lib/platform/target";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { chart, object, releases, type ReleaseView } from "../support/helm";
import { StackJson } from "../support/synth";
import { cloudTargets, naming } from "../support/targets";

/**
 * Traces as a library user composes it: a namespace, the Prometheus CRDs' release (a
 * stand-in here) and, for Tempo, the logs bucket bound through a real target's bucket
 * access (EKS Pod Identity, AKS and GKE workload identity, on-prem keys synced by
 * External Secrets).
 */

const logsBucket = { purpose: "logs", name: "acme-logs" };
/** A target's bucket access and secret syncing; none for a cluster that only runs Jaeger. */
type TargetFactory = (s: TerraformStack) => { target?: IPlatformTarget; secrets?: IExternalSecrets };
const { aws, azure, gcp } = cloudTargets([logsBucket]);

/** An existing cluster with the in-cluster SeaweedFS (keys and the internal CA synced from the data store). */
const onprem: TargetFactory = (s) => {
  const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
  configureClusterProviders(s, cluster.connection);
  const data = new OnpremDataPlan({ deployment: "acme", buckets: ["logs"] });
  const target = new OnpremPlatformTarget(s, "Target", { naming, cluster, data, vault: { server: "https://vault.lab:8200", path: "secret", role: "byoc" } });
  return { target, secrets: new ExternalSecrets(s, "ExternalSecrets", { naming, target }) };
};

/** The plain kubeconfig cluster Jaeger needs: no bucket, no cloud. */
const kubeconfig: TargetFactory = (s) => {
  configureClusterProviders(s, new ExistingCluster({ kubeconfig: "~/.kube/lab" }).connection);
  return {};
};

/** Synthesizes Traces in its namespace; for Tempo, the logs bucket is bound to Tempo's service account under `traces`. */
function synthTraces(factory: TargetFactory, props: Partial<TracesProps> & Pick<TracesProps, "backend">): StackJson {
  const s = new TerraformStack(Testing.app(), "traces");
  const { target, secrets } = factory(s);
  const namespace = new PlatformNamespace(s, "Observability", { name: "observability", naming, component: "observability" });
  const metricsCrds = new PlatformNamespace(s, "Crds", { name: "crds-stand-in", naming, component: "metrics" }).namespace;
  const storage: ObjectStorage | undefined =
    props.backend === "tempo" && !("storage" in props) && target && secrets
      ? new ObjectStorageBinding(s, "TempoStorage", {
          target,
          secrets,
          serviceAccount: { namespace: namespace.name, name: Traces.TEMPO_SERVICE_ACCOUNT },
          bucket: "logs",
          prefix: "traces",
          dependsOn: [namespace.ready],
        }).storage
      : props.storage;
  new Traces(s, "Traces", { naming, namespace, metricsCrds, ...props, storage });
  return new StackJson("traces", JSON.parse(Testing.synth(s)), s);
}

/** The collector's configuration: the chart's `alternateConfig`, used as is (not merged with the chart's defaults). */
const collectorConfig = (stack: StackJson) => chart(stack, "opentelemetry-collector").values.alternateConfig;

/** Every component a pipeline or the service names is configured (what `otelcol validate` checks first). */
function undefinedComponents(config: Record<string, any>): string[] {
  const missing: string[] = [];
  for (const [name, pipeline] of Object.entries<Record<string, string[]>>(config.service.pipelines)) {
    for (const kind of ["receivers", "processors", "exporters"]) {
      for (const id of pipeline[kind] ?? []) if (!(id in (config[kind] ?? {}))) missing.push(`${name}.${kind}.${id}`);
    }
  }
  for (const id of config.service.extensions ?? []) if (!(id in (config.extensions ?? {}))) missing.push(`extensions.${id}`);
  return missing;
}

/** The one datasource file of the ConfigMap Grafana's sidecar collects. */
function datasource(stack: StackJson): { labels: Record<string, string>; source: Record<string, any> } {
  const map = stack.resource("kubernetes_config_map_v1", (m) => m.metadata.name === "traces-datasource");
  const [file] = Object.values<string>(map.data);
  return { labels: map.metadata.labels, source: parse(file).datasources[0] };
}

/** What Pod Security `restricted` asks of every pod and container, and a read-only root. */
function expectHardened(pod: Record<string, any>, container: Record<string, any>, resources: Record<string, any>, what: string): void {
  expect(pod, what).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  expect(pod.runAsUser, what).toBeGreaterThan(0);
  expect(container, what).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  expect(resources.requests, what).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  expect(resources.limits?.memory, what).toEqual(expect.any(String));
}

/** A Terraform template in a value: every `${` must be a reference Terraform resolves, never a literal it would misread. */
const LITERAL_INTERPOLATION = /\$\{(?![a-z0-9_]+\.[A-Za-z0-9_-]+\.)/;
/** A key in Tempo's storage config, or a key's value written into the environment. */
const CREDENTIAL_KEYS = /\b(access_key|secret_key|session_token|storage_account_key):|name: AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)\s+value:/;
const dependsOn = (release: ReleaseView) => release.block.depends_on as string[];

describe("Traces with Jaeger (Badger on an encrypted volume)", () => {
  const stack = synthTraces(kubeconfig, { backend: "jaeger", retentionDays: 3, storageClass: "encrypted-rwo", volumeSize: "20Gi", highAvailability: true });
  const collector = chart(stack, "opentelemetry-collector");
  const jaeger = chart(stack, "jaeger");
  const crds = stack.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "crds-stand-in").tfAddress;

  test("the collector runs the pinned k8s distribution explicitly (the chart has no image) as a deployment", () => {
    expect(collector.block).toMatchObject({ repository: OTEL_COLLECTOR_CHART.repository, version: "0.170.0", name: "otel-collector", namespace: "observability" });
    expect(collector.values.image).toEqual({ repository: "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-k8s", tag: "0.158.0" });
    expect(collector.values.command).toEqual({ name: "otelcol-k8s" });
    expect(OTEL_COLLECTOR_IMAGE.tag).not.toMatch(/latest/);
    expect(collector.values.mode).toBe("deployment");
  });

  test("OTLP gRPC and HTTP only, inside the cluster: ClusterIP, the chart's Jaeger and Zipkin ports off, no ingress or route", () => {
    expect(collector.values.service).toEqual({ type: "ClusterIP" });
    expect([collector.values.ingress.enabled, collector.values.httproute.enabled]).toEqual([false, false]);
    const open = Object.entries<{ enabled: boolean }>(collector.values.ports).filter(([, p]) => p.enabled).map(([name]) => name);
    expect(open.sort()).toEqual(["metrics", "otlp", "otlp-http"]);
    expect(collectorConfig(stack).receivers.otlp.protocols).toEqual({ grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } });
  });

  test("the pipeline: memory_limiter first, then Kubernetes metadata (from the preset's RBAC), then batches, to Jaeger's OTLP port", () => {
    const config = collectorConfig(stack);
    expect(undefinedComponents(config)).toEqual([]);
    expect(config.service.pipelines).toEqual({ traces: { receivers: ["otlp"], processors: ["memory_limiter", "k8s_attributes", "batch"], exporters: ["otlp_grpc"] } });
    expect(config.processors.k8s_attributes.extract.metadata).toEqual(expect.arrayContaining(["k8s.namespace.name", "k8s.pod.name", "k8s.deployment.name"]));
    expect(collector.values.presets.kubernetesAttributes.enabled).toBe(true);
    expect(collector.values.rewriteDeprecatedComponentNames).not.toBe(false);
    expect(config.exporters.otlp_grpc.endpoint).toBe("jaeger.observability.svc:4317");
    expect(config.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port).toBe(8888);
  });

  test("highAvailability: two replicas spread over nodes, a PodDisruptionBudget keeping one", () => {
    expect(collector.values.replicaCount).toBe(2);
    expect(collector.values.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    expect(collector.values.topologySpreadConstraints[0].topologyKey).toBe("kubernetes.io/hostname");
    const single = chart(synthTraces(kubeconfig, { backend: "jaeger" }), "opentelemetry-collector");
    expect([single.values.replicaCount, single.values.podDisruptionBudget.enabled]).toEqual([1, false]);
  });

  test("Jaeger v2 pinned, one replica replaced (Recreate) on Badger in the volume, spans expiring after retentionDays", () => {
    expect(jaeger.block).toMatchObject({ repository: JAEGER_CHART.repository, version: "4.11.1", namespace: "observability" });
    expect(jaeger.values.jaeger.image).toEqual({ registry: "docker.io", repository: "jaegertracing/jaeger", tag: "2.19.0" });
    expect(JAEGER_IMAGE.tag).toMatch(/^2\./);
    expect([jaeger.values.jaeger.replicas, jaeger.values.jaeger.strategy]).toEqual([1, { type: "Recreate" }]);
    const badger = jaeger.values.userconfig.extensions.jaeger_storage.backends.badger.badger;
    expect(badger).toEqual({ ephemeral: false, directories: { keys: "/badger/keys", values: "/badger/values" }, ttl: { spans: "72h" } });
    expect(jaeger.values.jaeger.extraVolumeMounts).toContainEqual({ name: "badger", mountPath: "/badger" });
    const config = jaeger.values.userconfig;
    expect(undefinedComponents(config)).toEqual([]);
    expect(config.exporters.jaeger_storage_exporter.trace_storage).toBe("badger");
    expect(config.extensions.jaeger_query.storage.traces).toBe("badger");
  });

  test("the volume: ReadWriteOnce on the given class and size, protected, not waited for (it binds when Jaeger mounts it)", () => {
    const claim = stack.resource("kubernetes_persistent_volume_claim_v1");
    expect(claim.spec).toEqual({ access_modes: ["ReadWriteOnce"], storage_class_name: "encrypted-rwo", resources: { requests: { storage: "20Gi" } } });
    expect([claim.wait_until_bound, claim.lifecycle?.prevent_destroy]).toEqual([false, true]);
    expect(jaeger.values.jaeger.extraVolumes).toContainEqual({ name: "badger", persistentVolumeClaim: { claimName: stack.ref(claim, "metadata[0].name") } });
    expect(dependsOn(jaeger)).toContain(claim.tfAddress);
    const unprotected = synthTraces(kubeconfig, { backend: "jaeger", protection: false }).resource("kubernetes_persistent_volume_claim_v1");
    expect(unprotected.lifecycle?.prevent_destroy).toBeUndefined();
  });

  test("Jaeger's query UI and collector stay inside the cluster; it never calls the Kubernetes API", () => {
    expect(jaeger.values.jaeger.service).toEqual({ type: "ClusterIP" });
    expect([jaeger.values.jaeger.ingress.enabled, jaeger.values.jaeger.httproute.enabled]).toEqual([false, false]);
    expect(jaeger.values.jaeger.serviceAccount.automountServiceAccountToken).toBe(false);
  });

  test("every pod is hardened, with requests and a memory limit", () => {
    expectHardened(collector.values.podSecurityContext, collector.values.securityContext, collector.values.resources, "collector");
    const j = jaeger.values.jaeger;
    expectHardened(j.podSecurityContext, j.securityContext, j.resources, "jaeger");
    expect(j.extraEnv).toContainEqual({ name: "GOMEMLIMIT", value: "819MiB" });
  });

  test("ServiceMonitors scrape the collector and Jaeger, after the Prometheus operator's CRDs", () => {
    expect(collector.values.serviceMonitor).toEqual({ enabled: true, metricsEndpoints: [{ port: "metrics" }] });
    expect(dependsOn(collector)).toContain(crds);
    const { object: monitor, release } = object(stack, "ServiceMonitor", "jaeger");
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { "app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": "jaeger", "app.kubernetes.io/component": "all-in-one" } },
      endpoints: [{ port: "internal-metrics" }],
    });
    expect(dependsOn(release)).toEqual(expect.arrayContaining([crds, jaeger.block.tfAddress]));
  });

  test("the Grafana datasource: uid traces, Jaeger's query service, spans linked to the pod's logs and metrics", () => {
    const { labels, source } = datasource(stack);
    expect(labels.grafana_datasource).toBe("1");
    expect(source).toMatchObject({ uid: "traces", type: "jaeger", url: "http://jaeger.observability.svc:16686", access: "proxy" });
    const tags = [{ key: "k8s.namespace.name", value: "namespace" }, { key: "k8s.pod.name", value: "pod" }];
    expect(source.jsonData.tracesToLogsV2).toMatchObject({ datasourceUid: "logs", tags });
    expect(source.jsonData.tracesToMetrics).toMatchObject({ datasourceUid: "prometheus", tags });
    for (const { query } of source.jsonData.tracesToMetrics.queries) expect(query).toContain("{$$__tags");
    expect(source.jsonData.serviceMap).toBeUndefined();
  });

  test("endpoints for applications name the collector's Service in cluster DNS", () => {
    const traces = stack.construct.node.findChild("Traces") as Traces;
    expect([traces.otlpGrpcEndpoint, traces.otlpHttpEndpoint]).toEqual(["http://otel-collector.observability.svc:4317", "http://otel-collector.observability.svc:4318"]);
    expect(traces.releases).toHaveLength(3);
  });

  test("no value holds a literal ${ for Terraform to misread as its own interpolation", () => {
    for (const { block } of releases(stack)) expect(block.values[0], block.chart).not.toMatch(LITERAL_INTERPOLATION);
  });
});

describe.each([
  {
    name: "AWS (S3 through EKS Pod Identity)",
    factory: aws,
    backend: { backend: "s3", s3: { bucket: "acme-logs", endpoint: "s3.us-east-1.amazonaws.com", region: "us-east-1", insecure: false, prefix: "traces" } },
    grant: "aws_eks_pod_identity_association",
  },
  {
    name: "Azure (Blob through AKS workload identity)",
    factory: azure,
    backend: { backend: "azure", azure: { storage_account_name: "acmedata", container_name: "acme-logs", use_federated_token: true, prefix: "traces" } },
    grant: "azurerm_federated_identity_credential",
  },
  {
    name: "GCP (GCS through GKE workload identity)",
    factory: gcp,
    backend: { backend: "gcs", gcs: { bucket_name: "acme-logs", prefix: "traces" } },
    grant: "google_service_account_iam_member",
  },
])("Traces with Tempo on $name", ({ factory, backend, grant }) => {
  const stack = synthTraces(factory, { backend: "tempo", retentionDays: 14, storageClass: "encrypted-rwo" });
  const tempo = chart(stack, "tempo");

  test("Tempo keeps blocks in the logs bucket under traces/, signing in as its own identity: no key anywhere", () => {
    const { local, wal, ...trace } = tempo.values.tempo.storage.trace;
    expect(trace).toEqual(backend);
    expect([local, wal]).toEqual([null, { path: "/var/tempo/wal" }]);
    expect(tempo.block.values[0]).not.toMatch(CREDENTIAL_KEYS);
    expect(tempo.values.tempo.extraEnv.map((e: { name: string }) => e.name)).not.toContain("AWS_ACCESS_KEY_ID");
  });

  test("its service account carries the identity and the release waits for the cloud grant", () => {
    expect(tempo.values.serviceAccount).toMatchObject({ create: true, name: "tempo", automountServiceAccountToken: false });
    const grants = stack.resources(grant).filter((g) => g.tfAddress.includes("TempoStorage"));
    expect(grants.length).toBeGreaterThan(0);
    expect(dependsOn(tempo)).toEqual(expect.arrayContaining(grants.map((g) => g.tfAddress)));
  });

  test("retention: the compactor deletes blocks after retentionDays; the write-ahead log on a persistent volume", () => {
    expect(tempo.values.tempo.retention).toBe("336h");
    expect(tempo.values.persistence).toEqual({ enabled: true, accessModes: ["ReadWriteOnce"], size: "10Gi", storageClassName: "encrypted-rwo" });
  });

  test("pinned, inside the cluster, hardened, scraped, reporting nothing to Grafana Labs", () => {
    expect(tempo.block).toMatchObject({ repository: TEMPO_CHART.repository, version: "2.2.4", namespace: "observability" });
    expect({ registry: tempo.values.tempo.registry, repository: tempo.values.tempo.repository, tag: tempo.values.tempo.tag }).toEqual(TEMPO_IMAGE);
    expect([tempo.values.service.type, tempo.values.tempoQuery.enabled]).toEqual(["ClusterIP", false]);
    expect(tempo.values.tempo.reportingEnabled).toBe(false);
    expectHardened(tempo.values.securityContext, tempo.values.tempo.securityContext, tempo.values.tempo.resources, "tempo");
    expect(tempo.values.serviceMonitor.enabled).toBe(true);
    expect(dependsOn(tempo)).toContain(stack.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "crds-stand-in").tfAddress);
  });

  test("the collector sends to Tempo; Grafana reads Tempo as uid traces", () => {
    expect(collectorConfig(stack).exporters.otlp_grpc.endpoint).toBe("tempo.observability.svc:4317");
    expect(datasource(stack).source).toMatchObject({ uid: "traces", type: "tempo", url: "http://tempo.observability.svc:3200" });
  });

  test("no value holds a literal ${ for Terraform to misread", () => {
    for (const { block } of releases(stack)) expect(block.values[0], block.chart).not.toMatch(LITERAL_INTERPOLATION);
  });
});

describe("Traces with Tempo: what each cloud's identity needs in the pod", () => {
  test("Azure: the client id on the service account, the webhook's label on the pods, AZURE_CLIENT_ID in the environment", () => {
    const stack = synthTraces(azure, { backend: "tempo" });
    const tempo = chart(stack, "tempo");
    const identity = stack.resource("azurerm_user_assigned_identity", (i) => i.name.includes("tempo"));
    expect(tempo.values.serviceAccount.annotations).toEqual({ "azure.workload.identity/client-id": stack.ref(identity, "client_id") });
    expect(tempo.values.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    expect(tempo.values.tempo.extraEnv).toContainEqual({ name: "AZURE_CLIENT_ID", value: stack.ref(identity, "client_id") });
  });

  test("GCP: the Google service account on the Kubernetes one; AWS: nothing in the pod (Pod Identity binds outside it)", () => {
    const gke = chart(synthTraces(gcp, { backend: "tempo" }), "tempo");
    expect(Object.keys(gke.values.serviceAccount.annotations)).toEqual(["iam.gke.io/gcp-service-account"]);
    const eks = synthTraces(aws, { backend: "tempo" });
    expect(chart(eks, "tempo").values.serviceAccount.annotations).toEqual({});
    expect(eks.resources("aws_eks_pod_identity_association").filter((a) => a.namespace === "observability" && a.service_account === "tempo")).toHaveLength(1);
  });
});

describe("Traces with Tempo on-prem (S3-compatible store with keys)", () => {
  const stack = synthTraces(onprem, { backend: "tempo" });
  const tempo = chart(stack, "tempo");

  test("the endpoint's host, path-style addressing, the internal CA mounted from the synced Secret", () => {
    expect(tempo.values.tempo.storage.trace.s3).toMatchObject({
      bucket: expect.stringMatching(/logs/),
      endpoint: "seaweedfs-all-in-one.data.svc:8333",
      forcepathstyle: true,
      insecure: false,
      tls_ca_path: "/etc/tempo/object-store-ca/ca.crt",
    });
    expect(tempo.values.extraVolumes).toContainEqual({ name: "object-store-ca", secret: { secretName: "tempo-object-store", items: [{ key: "ca.crt", path: "ca.crt" }] } });
  });

  test("the keys come from the Secret External Secrets syncs, never as values, and the release waits for the sync", () => {
    const env = tempo.values.tempo.extraEnv;
    for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      expect(env).toContainEqual({ name: key, valueFrom: { secretKeyRef: { name: "tempo-object-store", key } } });
    }
    expect(tempo.block.values[0]).not.toMatch(CREDENTIAL_KEYS);
    const { release: sync } = object(stack, "ExternalSecret", "tempo-object-store");
    expect(dependsOn(tempo)).toContain(sync.block.tfAddress);
  });
});

describe("Traces: span metrics and the service graph (Tempo with a remote-write URL)", () => {
  const write = "http://prometheus.observability.svc:9090/api/v1/write";
  const stack = synthTraces(gcp, { backend: "tempo", spanMetricsRemoteWrite: write });

  test("Tempo's metrics generator writes service-graph and span metrics to Prometheus; Grafana draws the service map from them", () => {
    const tempo = chart(stack, "tempo").values.tempo;
    expect(tempo.metricsGenerator).toEqual({ enabled: true, remoteWriteUrl: write });
    expect(tempo.overrides.defaults.metrics_generator.processors).toEqual(["service-graphs", "span-metrics"]);
    expect(datasource(stack).source.jsonData.serviceMap).toEqual({ datasourceUid: "prometheus" });
  });
});

describe("Traces refuses props it cannot honour", () => {
  const storage: ObjectStorage = {
    bucket: "b",
    prefix: "traces",
    access: { api: "s3", region: "us-east-1" },
    identity: { serviceAccountAnnotations: {}, podLabels: {} },
    grants: [],
    env: {},
  };
  test.each<[string, Partial<TracesProps> & Pick<TracesProps, "backend">, RegExp]>([
    ["tempo without storage", { backend: "tempo", storage: undefined }, /storage is required with the tempo backend/],
    ["jaeger with storage", { backend: "jaeger", storage }, /storage is for the tempo backend; jaeger keeps traces on a volume/],
    ["an unknown backend", { backend: "zipkin" as never }, /backend must be "jaeger" or "tempo" \(got "zipkin"\)/],
    ["zero retention", { backend: "jaeger", retentionDays: 0 }, /retentionDays must be an integer from 1 to 3650 \(got 0\)/],
    ["a size without unit", { backend: "jaeger", volumeSize: "20" }, /volumeSize must be a size in Mi, Gi or Ti/],
    ["memory in bytes", { backend: "jaeger", collectorResources: { requests: { cpu: "1", memory: "1000000" }, limits: { memory: "2Gi" } } }, /collectorResources memory must be a quantity in Mi or Gi/],
    ["a plain-http endpoint", { backend: "tempo", storage: { ...storage, access: { api: "s3", endpoint: "http://s3.lab:9000" } } }, /storage.access.endpoint must be an https:\/\/ URL/],
    ["Azure without the account", { backend: "tempo", storage: { ...storage, access: { api: "azure-blob" } } }, /storage.access.account \(the storage account's name\) is required/],
    ["a remote-write URL without path", { backend: "tempo", storage, spanMetricsRemoteWrite: "http://prometheus:9090" }, /spanMetricsRemoteWrite must be an http\(s\) URL with a path/],
  ])("%s", (_, props, error) => {
    expect(() => synthTraces(kubeconfig, props)).toThrow(error);
  });
});
