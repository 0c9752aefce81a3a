import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { HelmChart } from "../../lib/core/helm";
import { OnpremDataPlan } from "../../lib/data/onprem-plan";
import { FLUENT_BIT_CHART, FLUENT_BIT_IMAGE } from "../../lib/observability/fluent-bit";
import { LOKI_CHART, LOKI_IMAGES } from "../../lib/observability/loki";
import { Logs, type LogsProps } from "../../lib/observability/logs";
import { ObjectStorageBinding, type ObjectStorage } from "../../lib/observability/storage";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { chart, object, type ReleaseView } from "../support/helm";
import { StackJson } from "../support/synth";
import { cloudTargets, naming, noSecrets, type TargetFactory } from "../support/targets";

/**
 * Logs as a library user composes it: Loki's and Fluent Bit's buckets bound through a
 * real target's bucket access (EKS Pod Identity, AKS and GKE workload identity, on-prem
 * keys synced by External Secrets), then the construct with its own props.
 */

const logsBucket = { purpose: "logs", name: "acme-logs" };
const { aws, azure, gcp } = cloudTargets([logsBucket]);

/** Everything a target gives Logs: its bucket bindings for Loki and, where one is wanted, the archive. */
interface Bound {
  readonly storage: ObjectStorage;
  readonly archive?: ObjectStorage;
}

/** An existing cluster with the customer's S3-compatible store, its keys in Vault. */
const onprem =
  (objectStore?: { endpoint: string; credentialsSecret: string }): TargetFactory =>
  (s) => {
    const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
    configureClusterProviders(s, cluster.connection);
    const data = new OnpremDataPlan({ deployment: "acme", buckets: ["logs"], objectStore });
    const vault = { server: "https://vault.lab:8200", path: "secret", role: "byoc" };
    const target = new OnpremPlatformTarget(s, "Target", { naming, cluster, data, vault });
    return { target, secrets: new ExternalSecrets(s, "ExternalSecrets", { naming, target }) };
  };

/** Synthesizes Logs on a target, with Loki's storage and (by default) the archive bound through it. */
function synthLogs(factory: TargetFactory, props: Partial<LogsProps> = {}, withArchive = true): StackJson {
  const s = new TerraformStack(Testing.app(), "logs");
  const { target, secrets } = factory(s);
  const namespace = new PlatformNamespace(s, "Observability", { name: "observability", naming, component: "observability" });
  const nodeAgentsNamespace = new PlatformNamespace(s, "NodeAgents", { name: "node-agents", naming, component: "node-agents", podSecurity: "privileged" });
  const bind = (id: string, ns: PlatformNamespace, name: string, prefix: string) =>
    new ObjectStorageBinding(s, id, { target, secrets, serviceAccount: { namespace: ns.name, name }, bucket: "logs", prefix, dependsOn: [ns.ready] }).storage;
  const bound: Bound = {
    storage: bind("LokiStorage", namespace, Logs.LOKI_SERVICE_ACCOUNT, "loki"),
    archive: withArchive ? bind("ArchiveStorage", nodeAgentsNamespace, Logs.FLUENT_BIT_SERVICE_ACCOUNT, "archive") : undefined,
  };
  new Logs(s, "Logs", { naming, namespace, nodeAgentsNamespace, ...bound, ...props });
  return new StackJson("logs", JSON.parse(Testing.synth(s)), s);
}

/** Fluent Bit's classic config as sections: `[OUTPUT]` blocks with their (repeatable) keys. */
function sections(text: string, kind: string): Map<string, string[]>[] {
  return text
    .split(/^\[(\w+)\]$/m)
    .slice(1)
    .reduce<{ kind: string; body: string }[]>((all, part, i, parts) => (i % 2 === 0 ? [...all, { kind: part, body: parts[i + 1] }] : all), [])
    .filter((s) => s.kind === kind)
    .map(({ body }) => {
      const keys = new Map<string, string[]>();
      for (const line of body.split("\n").map((l) => l.trim()).filter(Boolean)) {
        const [key, ...rest] = line.split(/\s+/);
        keys.set(key, [...(keys.get(key) ?? []), rest.join(" ")]);
      }
      return keys;
    });
}
const outputs = (fluentBit: ReleaseView, name: string) => sections(fluentBit.values.config.outputs, "OUTPUT").filter((o) => o.get("Name")?.[0] === name);
const one = (section: Map<string, string[]>, key: string) => section.get(key)?.[0];

/** A string as Terraform hands it on: `$${` is its escape for a literal `${` (checked against Terraform 1.11). */
const afterTerraform = (text: string) => text.replace(/\$\$\{/g, "${");

/** `${...}` Terraform would read as its own interpolation: anything but a reference to a resource. */
const stray = (text: string) => [...text.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]).filter((e) => !/^(data\.)?[a-z]+_[\w-]+\.[\w-]+\./.test(e));

/** Keys that would carry a static credential in either chart's values. */
const CREDENTIAL_KEYS = /access_?key|secret_?access|accountKey|account_key|connection_?string|shared_key|sas_token|\bservice_account:|google_service_credentials/i;

describe("Logs on AWS (S3 through EKS Pod Identity)", () => {
  const stack = synthLogs(aws, { retentionDays: 14 });
  const loki = chart(stack, "loki");
  const fluentBit = chart(stack, "fluent-bit");

  test("Loki and Fluent Bit each get a Pod Identity role for their own service account, and wait for it", () => {
    const associations = stack.resources("aws_eks_pod_identity_association").filter((a) => a.namespace !== "kube-system");
    expect(associations.map((a) => `${a.namespace}/${a.service_account}`).sort()).toEqual(["node-agents/fluent-bit", "observability/loki"]);
    const of = (sa: string) => associations.find((a) => a.service_account === sa)!.tfAddress;
    expect(loki.block.depends_on).toContain(of("loki"));
    expect(fluentBit.block.depends_on).toContain(of("fluent-bit"));
    // Pod Identity binds outside the pod: no annotation, no label.
    expect(loki.values.serviceAccount).toMatchObject({ create: true, name: "loki", annotations: {} });
    expect(fluentBit.values.serviceAccount).toMatchObject({ create: true, name: "fluent-bit", annotations: {} });
  });

  test("Loki keeps chunks and a TSDB v13 index in the bucket under its prefix, signing with the SDK's chain: no key anywhere", () => {
    expect(loki.values.loki.storage).toEqual({ type: "s3", bucketNames: { chunks: "acme-logs" }, s3: { region: "us-east-1", s3ForcePathStyle: false, insecure: false } });
    expect(loki.values.loki.storage_config).toEqual({ object_prefix: "loki" });
    expect(loki.values.loki.schemaConfig.configs).toEqual([
      { from: "2024-04-01", store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "loki_index_", period: "24h" } },
    ]);
    expect(loki.values.defaults.extraEnvFrom).toEqual([]);
    for (const release of [loki, fluentBit]) expect(release.block.values[0], release.block.chart).not.toMatch(CREDENTIAL_KEYS);
  });

  test("retention: the compactor deletes after retentionDays, tracking delete requests in the object store", () => {
    expect(loki.values.loki.limits_config.retention_period).toBe("336h");
    expect(loki.values.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "s3" });
  });

  test("Fluent Bit archives every record to the bucket as gzipped JSON lines under the prefix, the cluster and the date", () => {
    const [s3] = outputs(fluentBit, "s3");
    expect(one(s3, "Match")).toBe("*");
    expect([one(s3, "bucket"), one(s3, "region"), s3.has("endpoint")]).toEqual(["acme-logs", "us-east-1", false]);
    expect([one(s3, "format"), one(s3, "compression")]).toEqual(["json_lines", "gzip"]);
    expect(one(s3, "s3_key_format")).toBe("/archive/acme-cluster/%Y/%m/%d/%H/$TAG[0]-%M%S-$UUID.jsonl.gz");
    expect(fluentBit.values.envFrom).toEqual([]);
  });

  test("Fluent Bit ships container logs to Loki's push Service as JSON, labelled by namespace, pod, container, node and app", () => {
    const [containers] = outputs(fluentBit, "loki").filter((o) => one(o, "Match") === "kube.*");
    expect([one(containers, "Host"), one(containers, "Port"), one(containers, "Line_Format")]).toEqual(["loki.observability.svc", "3100", "json"]);
    const labels = one(containers, "Labels")!.split(", ").map((l) => l.split("=")[0]);
    expect(labels).toEqual(["cluster", "job", "namespace", "pod", "container", "node", "app"]);
    const [kubernetes] = sections(fluentBit.values.config.filters, "FILTER").filter((f) => one(f, "Name") === "kubernetes");
    expect([one(kubernetes, "Merge_Log"), one(kubernetes, "Labels")]).toEqual(["On", "On"]);
  });

  test("Fluent Bit reads the runtime's files (CRI) and the kubelet's and containerd's journal, its offsets and buffer on the node", () => {
    const inputs = sections(fluentBit.values.config.inputs, "INPUT");
    const tail = inputs.find((i) => one(i, "Name") === "tail")!;
    expect([one(tail, "Path"), one(tail, "multiline.parser"), one(tail, "DB"), one(tail, "storage.type")]).toEqual([
      "/var/log/containers/*.log",
      "cri, docker",
      "/var/lib/fluent-bit/containers.db",
      "filesystem",
    ]);
    const journal = inputs.find((i) => one(i, "Name") === "systemd")!;
    expect(journal.get("Systemd_Filter")).toEqual(["_SYSTEMD_UNIT=kubelet.service", "_SYSTEMD_UNIT=containerd.service"]);
    const [nodes] = outputs(fluentBit, "loki").filter((o) => one(o, "Match") === "node.*");
    expect(afterTerraform(one(nodes, "Labels")!)).toBe("cluster=acme-cluster, job=node, node=${NODE_NAME}, unit=$systemd_unit");
    expect(fluentBit.values.daemonSetVolumes).toContainEqual({ name: "state", hostPath: { path: "/var/lib/fluent-bit", type: "DirectoryOrCreate" } });
  });

  test("namespaces: Loki and the datasource in observability, Fluent Bit in node-agents", () => {
    expect([loki.block.namespace, fluentBit.block.namespace]).toEqual(["observability", "node-agents"]);
    const ns = (name: string) => stack.resource("kubernetes_namespace_v1", (n) => n.metadata.name === name);
    expect(loki.block.depends_on).toContain(ns("observability").tfAddress);
    expect(fluentBit.block.depends_on).toContain(ns("node-agents").tfAddress);
    const datasource = stack.resource("kubernetes_config_map_v1");
    expect(datasource.metadata.namespace).toBe(stack.ref(ns("observability"), "metadata[0].name"));
  });
});

describe("Logs on Azure (Blob through AKS workload identity)", () => {
  const stack = synthLogs(azure, {}, false);
  const loki = chart(stack, "loki");
  const fluentBit = chart(stack, "fluent-bit");

  test("Loki signs in with the federated token: the account, the container, the client id on its service account and the webhook's label", () => {
    expect(loki.values.loki.storage).toEqual({
      type: "azure",
      bucketNames: { chunks: "acme-logs" },
      azure: { accountName: "acmedata", useFederatedToken: true, useManagedIdentity: false },
    });
    const identity = stack.resource("azurerm_user_assigned_identity", (i) => i.name.includes("observability-loki"));
    expect(loki.values.serviceAccount.annotations).toEqual({ "azure.workload.identity/client-id": stack.ref(identity, "client_id") });
    expect(loki.values.defaults.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    expect(loki.values.defaults.extraEnv).toEqual([{ name: "AZURE_CLIENT_ID", value: stack.ref(identity, "client_id") }]);
    expect(stack.resource("azurerm_role_assignment").role_definition_name).toBe("Storage Blob Data Contributor");
    expect(loki.values.loki.schemaConfig.configs[0].object_store).toBe("azure");
    expect(loki.values.loki.compactor.delete_request_store).toBe("azure");
    expect(loki.block.values[0]).not.toMatch(CREDENTIAL_KEYS);
  });

  test("without an archive Fluent Bit ships to Loki only, as a plain service account", () => {
    expect(outputs(fluentBit, "loki")).toHaveLength(2);
    expect(outputs(fluentBit, "azure_blob")).toEqual([]);
    expect(outputs(fluentBit, "s3")).toEqual([]);
    expect([fluentBit.values.serviceAccount.annotations, fluentBit.values.podLabels]).toEqual([{}, {}]);
  });

  test("an Azure Blob archive is refused: Fluent Bit 5.1 would need the account key", () => {
    expect(() => synthLogs(azure)).toThrow(/^Logs Logs: archive must be an S3 or S3-compatible bucket \(got azure-blob\): Fluent Bit 5\.1 writes Azure Blob only with a shared key or SAS token/);
  });
});

describe("Logs on GCP (GCS through GKE workload identity)", () => {
  const stack = synthLogs(gcp, {}, false);
  const loki = chart(stack, "loki");

  test("Loki uses application default credentials: no service account key, the Google service account on its own", () => {
    expect(loki.values.loki.storage).toEqual({ type: "gcs", bucketNames: { chunks: "acme-logs" }, gcs: {} });
    const member = stack.resource("google_service_account_iam_member", (m) => m.member.includes("[observability/loki]"));
    expect(member.role).toBe("roles/iam.workloadIdentityUser");
    const email = loki.values.serviceAccount.annotations["iam.gke.io/gcp-service-account"];
    expect(email).toMatch(/^\$\{google_service_account\.[\w-]+\.email\}$/);
    expect(loki.values.loki.schemaConfig.configs[0].object_store).toBe("gcs");
    expect(loki.block.values[0]).not.toMatch(CREDENTIAL_KEYS);
  });

  test("a GCS archive is refused: Fluent Bit 5.1's gcs output takes only a key file", () => {
    expect(() => synthLogs(gcp)).toThrow(/archive must be an S3 or S3-compatible bucket \(got gcs\).*GCS only with a service-account key file/);
  });
});

describe("Logs on-prem (an S3-compatible store with keys)", () => {
  const stack = synthLogs(onprem({ endpoint: "https://s3.lab.example:9000", credentialsSecret: "lab/object-store" }));
  const loki = chart(stack, "loki");
  const fluentBit = chart(stack, "fluent-bit");

  test("the store's keys are synced into each component's namespace and reach the pods as env, never as values", () => {
    for (const [ns, name] of [
      ["observability", "loki-object-store"],
      ["node-agents", "fluent-bit-object-store"],
    ]) {
      const secret = object(stack, "ExternalSecret", name).object;
      expect(secret.metadata.namespace).toBe(ns);
      expect(secret.spec.data.map((d: { secretKey: string }) => d.secretKey).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    }
    expect(loki.values.defaults.extraEnvFrom).toEqual([{ secretRef: { name: "loki-object-store" } }]);
    expect(fluentBit.values.envFrom).toEqual([{ secretRef: { name: "fluent-bit-object-store" } }]);
    for (const release of [loki, fluentBit]) expect(release.block.values[0], release.block.chart).not.toMatch(CREDENTIAL_KEYS);
  });

  test("both address the store by its endpoint, path-style", () => {
    expect(loki.values.loki.storage.s3).toEqual({ endpoint: "https://s3.lab.example:9000", region: "us-east-1", s3ForcePathStyle: true, insecure: false });
    const [s3] = outputs(fluentBit, "s3");
    expect([one(s3, "endpoint"), one(s3, "bucket")]).toEqual(["https://s3.lab.example:9000", "acme-logs"]);
  });

  test("the in-cluster store's internal CA is mounted from the synced Secret and trusted by both", () => {
    const inCluster = synthLogs(onprem());
    const l = chart(inCluster, "loki").values;
    const f = chart(inCluster, "fluent-bit").values;
    expect(l.loki.storage.s3.http_config).toEqual({ ca_file: "/etc/loki/object-store-ca/ca.crt" });
    expect(l.defaults.extraVolumes).toEqual([{ name: "object-store-ca", secret: { secretName: "loki-object-store", items: [{ key: "ca.crt", path: "ca.crt" }] } }]);
    expect(one(outputs(chart(inCluster, "fluent-bit"), "s3")[0], "tls.ca_file")).toBe("/fluent-bit/object-store-ca/ca.crt");
    expect(f.extraVolumes[0].secret.secretName).toBe("fluent-bit-object-store");
  });
});

describe("Logs: modes, hardening, pins and the datasource", () => {
  const monolithic = synthLogs(gcp, {}, false);
  const distributed = synthLogs(gcp, { mode: "distributed", highAvailability: true, storageClass: "cmek-rwo", volumeSize: "50Gi" }, false);

  test("monolithic by default: one single-binary replica with one copy of each stream, on the cluster's default StorageClass", () => {
    const v = chart(monolithic, "loki").values;
    expect(v.deploymentMode).toBe("Monolithic");
    expect(v.singleBinary).toMatchObject({ replicas: 1, persistence: { enabled: true, size: "10Gi", storageClass: null } });
    expect(v.loki.commonConfig.replication_factor).toBe(1);
    for (const c of ["read", "write", "backend", "ingester", "distributor", "querier"]) expect(v[c].replicas, c).toBe(0);
    // No memcached pods at this size.
    expect([v.memcached.enabled, v.chunksCache.enabled, v.resultsCache.enabled]).toEqual([false, false, false]);
  });

  test("distributed with HA: three ingesters with three copies, two of each query component, one compactor, volumes on the given class, caches on", () => {
    const v = chart(distributed, "loki").values;
    expect(v.deploymentMode).toBe("Distributed");
    expect(v.singleBinary.replicas).toBe(0);
    expect(v.loki.commonConfig.replication_factor).toBe(3);
    expect([v.ingester.replicas, v.distributor.replicas, v.querier.replicas, v.queryFrontend.replicas, v.indexGateway.replicas, v.compactor.replicas]).toEqual([3, 3, 3, 2, 2, 1]);
    expect(v.ingester.zoneAwareReplication.enabled).toBe(false);
    for (const c of ["ingester", "indexGateway", "compactor"]) expect(v[c].persistence, c).toMatchObject({ enabled: true, size: "50Gi", storageClass: "cmek-rwo" });
    expect([v.chunksCache.enabled, v.resultsCache.enabled, v.chunksCache.replicas]).toEqual([true, true, 2]);
    const logs = distributed.construct.node.findChild("Logs") as Logs;
    expect([logs.lokiPushUrl, logs.lokiQueryUrl]).toEqual(["http://loki-distributor.observability.svc:3100", "http://loki-query-frontend.observability.svc:3100"]);
    const [push] = outputs(chart(distributed, "fluent-bit"), "loki");
    expect(one(push, "Host")).toBe("loki-distributor.observability.svc");
  });

  test("never SimpleScalable, no gateway, canary, Helm test, ruler or MinIO", () => {
    const v = chart(monolithic, "loki").values;
    expect([v.gateway.enabled, v.lokiCanary.enabled, v.test.enabled, v.ruler.enabled, v.minio.enabled, v.loki.auth_enabled]).toEqual([false, false, false, false, false, false]);
    expect(chart(monolithic, "fluent-bit").values.testFramework.enabled).toBe(false);
  });

  test("Loki's pods: non-root, read-only root, no capabilities, seccomp, requests and limits, no API token", () => {
    const v = chart(monolithic, "loki").values;
    expect(v.loki.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
    expect(v.loki.containerSecurityContext).toEqual({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(Object.keys(v.singleBinary.resources)).toEqual(["requests", "limits"]);
    expect(v.defaults.automountServiceAccountToken).toBe(false);
  });

  test("Fluent Bit: root only to read root's log files, with no capability, read-only root, no escalation; on every node", () => {
    const v = chart(monolithic, "fluent-bit").values;
    expect(v.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(v.daemonSetVolumeMounts).toContainEqual({ name: "varlog", mountPath: "/var/log", readOnly: true });
    expect(v.tolerations).toEqual([{ operator: "Exists" }]);
    expect(Object.keys(v.resources)).toEqual(["requests", "limits"]);
    expect(v.kind).toBe("DaemonSet");
  });

  test("charts and images pinned: grafana-community's Loki, the Fluent project's Fluent Bit", () => {
    const loki = chart(monolithic, "loki");
    const fluentBit = chart(monolithic, "fluent-bit");
    expect({ repository: loki.block.repository, chart: loki.block.chart, version: loki.block.version }).toEqual(LOKI_CHART);
    expect(LOKI_CHART).toEqual({ repository: "https://grafana-community.github.io/helm-charts", chart: "loki", version: "18.11.0" });
    expect({ repository: fluentBit.block.repository, chart: fluentBit.block.chart, version: fluentBit.block.version }).toEqual(FLUENT_BIT_CHART);
    expect(FLUENT_BIT_CHART).toEqual({ repository: "https://fluent.github.io/helm-charts", chart: "fluent-bit", version: "0.58.1" });
    expect(loki.values.loki.image).toEqual({ registry: "docker.io", repository: "grafana/loki", tag: "3.7.6" });
    expect(loki.values.memcached.image).toEqual(LOKI_IMAGES.memcached);
    expect(fluentBit.values.image).toEqual({ ...FLUENT_BIT_IMAGE, pullPolicy: "IfNotPresent" });
    expect(FLUENT_BIT_IMAGE.tag).toBe("5.1.1");
  });

  test("Terraform interpolates none of Fluent Bit's or Grafana's own ${...}: only references to resources are left unescaped", () => {
    const onAzure = synthLogs(azure, {}, false);
    const texts = [chart(onAzure, "loki"), chart(onAzure, "fluent-bit")].map((r) => r.block.values[0] as string);
    texts.push(onAzure.resource("kubernetes_config_map_v1").data["loki-datasource.yaml"]);
    expect(texts.flatMap(stray)).toEqual([]);
    // The Azure client id is a reference, and stays one.
    expect(texts[0]).toMatch(/\$\{azurerm_user_assigned_identity\.[\w-]+\.client_id\}/);
  });

  test("the Grafana datasource: uid logs, Loki's query Service, trace ids linking to the traces datasource", () => {
    const cm = monolithic.resource("kubernetes_config_map_v1");
    expect(cm.metadata).toMatchObject({ name: "loki-datasource", labels: { grafana_datasource: "1", "app.kubernetes.io/part-of": "acme" } });
    const [ds] = parse(cm.data["loki-datasource.yaml"]).datasources;
    expect(ds).toMatchObject({ uid: "logs", type: "loki", url: "http://loki.observability.svc:3100" });
    const [field] = ds.jsonData.derivedFields;
    // Grafana reads `$${...}` as a literal `${...}`, not an environment variable.
    expect(field.datasourceUid).toBe("traces");
    expect(afterTerraform(field.url)).toBe("$${__value.raw}");
    const traceId = new RegExp(field.matcherRegex);
    expect('{"level":"info","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}'.match(traceId)?.[1]).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect("msg=done traceID=00f067aa0ba902b7".match(traceId)?.[1]).toBe("00f067aa0ba902b7");
  });

  test("with the Prometheus operator's CRDs, ServiceMonitors for both, after the CRDs' release", () => {
    const s = new TerraformStack(Testing.app(), "crds");
    const { target } = gcp(s);
    const namespace = new PlatformNamespace(s, "Ns", { name: "observability", naming, component: "observability" });
    const nodeAgentsNamespace = new PlatformNamespace(s, "Agents", { name: "node-agents", naming, component: "node-agents", podSecurity: "privileged" });
    const crds = new HelmChart(s, "Crds", { chart: { repository: "https://prometheus-community.github.io/helm-charts", chart: "prometheus-operator-crds", version: "1.0.0" }, namespace: "observability", values: {} });
    const serviceAccount = { namespace: "observability", name: Logs.LOKI_SERVICE_ACCOUNT };
    const storage = new ObjectStorageBinding(s, "Storage", { target, secrets: noSecrets(s), serviceAccount, bucket: "logs", prefix: "loki" }).storage;
    new Logs(s, "Logs", { naming, namespace, nodeAgentsNamespace, storage, monitoringCrds: crds.release });
    const json = new StackJson("crds", JSON.parse(Testing.synth(s)), s);
    const crdsAddress = chart(json, "prometheus-operator-crds").block.tfAddress;
    expect(chart(json, "loki").block.depends_on).toContain(crdsAddress);
    expect(chart(json, "fluent-bit").block.depends_on).toContain(crdsAddress);
    expect(chart(json, "loki").values.monitoring.serviceMonitor.enabled).toBe(true);
    expect(chart(json, "fluent-bit").values.serviceMonitor.enabled).toBe(true);
    expect(chart(monolithic, "loki").values.monitoring.serviceMonitor.enabled).toBe(false);
  });
});

describe("bad props name the prop, the value and what is allowed", () => {
  const attempt = (props: Partial<LogsProps>, storage?: Partial<ObjectStorage>) => () => {
    const s = new TerraformStack(Testing.app(), "bad");
    const namespace = new PlatformNamespace(s, "Ns", { name: "observability", naming, component: "observability" });
    const base: ObjectStorage = { bucket: "logs", prefix: "loki", access: { api: "s3", region: "us-east-1" }, identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], env: {} };
    new Logs(s, "Logs", { naming, namespace, nodeAgentsNamespace: namespace, storage: { ...base, ...storage }, ...props });
  };

  test.each<[string, Partial<LogsProps>, Partial<ObjectStorage> | undefined, string]>([
    ["a retention of no days", { retentionDays: 0 }, undefined, "Logs Logs: retentionDays must be a whole number of days, at least 1 (got 0)"],
    ["half a day", { retentionDays: 1.5 }, undefined, "Logs Logs: retentionDays must be a whole number of days, at least 1 (got 1.5)"],
    ["SimpleScalable", { mode: "simple-scalable" as never }, undefined, 'Logs Logs: mode must be "monolithic" or "distributed" (got "simple-scalable")'],
    ["a cluster name with a space", { clusterName: "prod eu" }, undefined, 'Logs Logs: clusterName must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (got "prod eu")'],
    ["a volume size that is not one", { volumeSize: "10GB" }, undefined, 'Logs Logs: volumeSize must be a size such as "10Gi" or "500Mi" (got "10GB")'],
    ["S3 without a region", {}, { access: { api: "s3" } }, "Logs Logs: storage: an S3 bucket needs access.region, or access.endpoint for an S3-compatible store"],
    [
      "an S3-compatible store without keys",
      {},
      { access: { api: "s3", endpoint: "https://s3.lab:9000" } },
      "Logs Logs: storage: the S3-compatible store at https://s3.lab:9000 needs credentialsSecret, the Secret with its access keys",
    ],
    [
      "an endpoint with a path",
      {},
      { access: { api: "s3", endpoint: "https://s3.lab/bucket" }, credentialsSecret: "k" },
      'Logs Logs: storage.access.endpoint must be an http(s) URL without a path such as https://s3.example.com:9000 (got "https://s3.lab/bucket")',
    ],
    ["Azure without the account", {}, { access: { api: "azure-blob" } }, "Logs Logs: storage: an Azure Blob container needs access.account, the storage account's name"],
  ])("%s", (_, props, storage, message) => {
    expect(attempt(props, storage)).toThrow(message);
  });
});
