import { beforeAll, describe, expect, test } from "vitest";
import { CHARTS } from "../../lib/platform/charts";
import { chart, manifests, object, releases, type ReleaseView } from "../support/helm";
import { synth, type Block, type StackJson } from "../support/synth";

const tenant = { name: "app", cpu: "8", memory: "32Gi" };
const vault = { server: "https://vault.example.com", role: "byoc" };
const onprem = (data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, target: Record<string, unknown> = {}) => ({
  name: "initech",
  environment: "staging",
  target: { cloud: "onprem", context: "prod", storageClass: "ceph-rbd", ...target },
  network: { cidr: "10.100.0.0/16" },
  platform: { tenants: [tenant] },
  data,
  ...extra,
});
/** Every store on (PostgreSQL and Redis are on by default). */
const FULL = { documents: { enabled: true } };
const EXTERNAL = { ...FULL, objectStore: { endpoint: "https://s3.initech.example.com/", region: "dc1", credentials: { secretRef: "byoc/object-store" } } };
const BUNDLES = ["documents-client", "object-store-client", "postgres-client", "redis-client"];

const inData = (r: ReleaseView) => r.block.namespace === "data";
const dataReleases = (stack: StackJson) => releases(stack).filter(inData);
const release = (stack: StackJson, name: string) => {
  const found = dataReleases(stack).filter((r) => r.block.name === name);
  if (found.length !== 1) throw new Error(`expected one release ${name} in data, found ${found.length}`);
  return found[0];
};
const dependsOn = (r: ReleaseView, other: ReleaseView | Block) => (r.block.depends_on ?? []).includes("block" in other ? other.block.tfAddress : other.tfAddress);
const dataNamespace = (stack: StackJson) => stack.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "data");
const inNamespace = (stack: StackJson, type: string, namespace: string, name: string) =>
  stack.resource(type, (r) => r.metadata.name === name && (r.metadata.namespace === namespace || String(r.metadata.namespace).includes(`Tenant-${namespace}`)));

let small: StackJson;
let medium: StackJson;
let external: StackJson;
let development: StackJson;
let openshift: StackJson;
beforeAll(async () => {
  ({ platform: small } = await synth(onprem(FULL)));
  ({ platform: medium } = await synth(onprem({ ...FULL, postgres: { version: "16" } }, { tier: "medium" })));
  ({ platform: external } = await synth(onprem(EXTERNAL, { platform: { tenants: [tenant], secretStore: { vault } } })));
  ({ platform: development } = await synth(onprem({ ...FULL, protection: "disabled" }, { environment: "development" })));
  ({ platform: openshift } = await synth(onprem(FULL, {}, { distribution: "openshift", storageClass: undefined })));
});

describe("the data namespace", () => {
  test("enforces Pod Security restricted and holds every store, operator and plugin", () => {
    expect(dataNamespace(small).metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "app.kubernetes.io/component": "data" });
    expect(dataReleases(small).filter((r) => !r.objects.length).map((r) => r.block.chart).sort()).toEqual(
      ["cloudnative-pg", "mongodb-kubernetes", "plugin-barman-cloud", "seaweedfs", "valkey"],
    );
  });

  test("every data chart is pinned, waits for readiness, rolls back on failure, and waits for the namespace", () => {
    const pinned = Object.values(CHARTS);
    for (const { block } of dataReleases(small)) {
      if (block.repository) expect(pinned, block.name).toContainEqual({ repository: block.repository, chart: block.chart, version: block.version });
      expect([block.wait, block.atomic], block.name).toEqual([true, true]);
      expect(block.depends_on, block.name).toContain(dataNamespace(small).tfAddress);
    }
    expect(chart(small, "cloudnative-pg").block.version).toBe("0.29.0");
    expect(chart(small, "plugin-barman-cloud").block.version).toBe("0.7.0");
    expect(chart(small, "valkey").block.version).toBe("0.11.0");
    expect(chart(small, "mongodb-kubernetes").block.version).toBe("1.9.1");
    expect(chart(small, "seaweedfs").block.version).toBe("4.44.0");
  });

  test("no Bitnami image or chart and no MinIO anywhere in the data layer", () => {
    for (const r of dataReleases(small)) {
      expect(`${r.block.repository ?? ""} ${r.block.values?.[0] ?? ""}`, r.block.name).not.toMatch(/bitnami|minio/i);
    }
  });

  test("deny ingress by default; admit the namespace, tenants on the stores' ports only, and the API server on the webhook ports", () => {
    const policy = (name: string) => inNamespace(small, "kubernetes_network_policy_v1", "data", name).spec;
    expect(policy("default-deny-ingress")).toEqual({ pod_selector: { match_labels: {} }, policy_types: ["Ingress"] });
    expect(policy("allow-same-namespace").ingress[0].from).toEqual([{ pod_selector: { match_labels: {} } }]);
    const tenants = policy("allow-from-tenants").ingress[0];
    expect(tenants.from).toEqual([{ namespace_selector: { match_expressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] } }]);
    expect(tenants.ports.map((p: { port: string }) => p.port)).toEqual(["5432", "6379", "27017", "8333"]);
    expect(policy("allow-webhooks").ingress[0].ports.map((p: { port: string }) => p.port)).toEqual(["9443", "1993"]);
    expect(policy("allow-webhooks").ingress[0].from).toBeUndefined();
  });

  test("each tenant may reach the data namespace on the stores' ports, nothing else in it", () => {
    const egress = inNamespace(small, "kubernetes_network_policy_v1", "app", "allow-to-data").spec;
    expect(egress.policy_types).toEqual(["Egress"]);
    expect(egress.egress[0].to).toEqual([{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "data" } } }]);
    expect(egress.egress[0].ports.map((p: { port: string }) => p.port)).toEqual(["5432", "6379", "27017", "8333"]);
  });
});

describe("OnpremPostgres", () => {
  const cluster = (stack: StackJson) => object(stack, "Cluster", "postgres");

  test("the operator and the backup plugin watch data only; the plugin waits for cert-manager", () => {
    const operator = chart(small, "cloudnative-pg");
    expect(operator.values.config.clusterWide).toBe(false);
    expect(operator.values.crds.create).toBe(true);
    const plugin = chart(small, "plugin-barman-cloud");
    expect(plugin.block.namespace).toBe("data");
    expect(dependsOn(plugin, chart(small, "cert-manager"))).toBe(true);
    expect(dependsOn(plugin, operator)).toBe(true);
  });

  test("one instance without HA, three with it, on the pinned image of the spec's major version", () => {
    expect(cluster(small).object.spec).toMatchObject({ instances: 1, imageName: "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie" });
    expect(cluster(medium).object.spec).toMatchObject({ instances: 3, imageName: "ghcr.io/cloudnative-pg/postgresql:16.15-standard-trixie" });
    expect(chart(medium, "cloudnative-pg").values.replicaCount).toBe(2);
  });

  test("storage and WAL volumes on the target's storage class; CPU from the instance class, 4 GiB of memory per CPU", () => {
    const { spec } = cluster(small).object;
    expect(spec.storage).toEqual({ size: "100Gi", storageClass: "ceph-rbd" });
    expect(spec.walStorage).toEqual({ size: "10Gi", storageClass: "ceph-rbd" });
    expect(spec.resources).toEqual({ requests: { cpu: "2", memory: "8Gi" }, limits: { cpu: "2", memory: "8Gi" } });
    expect(cluster(medium).object.spec.resources.limits).toEqual({ cpu: "4", memory: "16Gi" });
  });

  test("TLS 1.3 with a certificate from the internal CA for the services' names, and no connection without TLS", () => {
    const { spec } = cluster(small).object;
    expect(spec.certificates).toEqual({ serverTLSSecret: "postgres-tls", serverCASecret: "postgres-tls" });
    expect(spec.postgresql.parameters.ssl_min_protocol_version).toBe("TLSv1.3");
    expect(spec.postgresql.pg_hba[0]).toBe("hostnossl all all all reject");
    const cert = object(small, "Certificate", "postgres-tls").object.spec;
    expect(cert.issuerRef).toEqual({ name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
    expect(cert.dnsNames).toEqual(expect.arrayContaining(["postgres-rw.data.svc", "postgres-ro.data.svc", "postgres-rw.data.svc.cluster.local"]));
    expect(cert.secretTemplate.labels).toEqual({ "cnpg.io/reload": "" });
    expect(cluster(small).release.block.depends_on).toContain(chart(small, "cert-manager").block.tfAddress);
  });

  test("no superuser access; the product's database and its owner app are bootstrapped", () => {
    const { spec } = cluster(small).object;
    expect(spec.enableSuperuserAccess).toBe(false);
    expect(spec.bootstrap).toEqual({ initdb: { database: "initech", owner: "app" } });
  });

  test("WAL archiving and backups through the barman-cloud plugin only, kept backupDays, daily", () => {
    const { spec } = cluster(small).object;
    expect(spec.backup).toBeUndefined();
    expect(spec.plugins).toEqual([{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { barmanObjectName: "postgres-backups" } }]);
    const store = object(small, "ObjectStore", "postgres-backups");
    expect(store.object.apiVersion).toBe("barmancloud.cnpg.io/v1");
    expect(store.object.spec.retentionPolicy).toBe("7d");
    expect(object(medium, "ObjectStore", "postgres-backups").object.spec.retentionPolicy).toBe("14d");
    expect(store.object.spec.configuration).toMatchObject({
      destinationPath: "s3://initech-backups/postgres",
      endpointURL: "https://seaweedfs-all-in-one.data.svc:8333",
      endpointCA: { name: "seaweedfs-tls", key: "ca.crt" },
      s3Credentials: {
        accessKeyId: { name: "object-store-identities", key: "backupAccessKeyId" },
        secretAccessKey: { name: "object-store-identities", key: "backupSecretAccessKey" },
      },
    });
    const daily = object(small, "ScheduledBackup", "postgres-daily").object.spec;
    expect(daily).toMatchObject({ cluster: { name: "postgres" }, method: "plugin", pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" }, immediate: true });
    expect(daily.schedule.split(" ")).toHaveLength(6);
    // Backups start as soon as the Cluster exists: the store must be running.
    expect(dependsOn(cluster(small).release, chart(small, "seaweedfs"))).toBe(true);
  });
});

describe("OnpremValkey", () => {
  test("auth with the default and a replication-only user, passwords from a Secret generated in the cluster", () => {
    const { values } = chart(small, "valkey");
    expect(values.auth).toEqual({
      enabled: true,
      usersExistingSecret: "valkey-auth",
      aclUsers: {
        default: { permissions: "~* &* +@all", passwordKey: "default" },
        replication: { permissions: "+psync +replconf +ping", passwordKey: "replication" },
      },
    });
    expect(values.replica.replicationUser).toBe("replication");
    expect(object(small, "Password", "valkey-auth").object.spec).toMatchObject({ length: 32, symbols: 0, secretKeys: ["default", "replication"] });
  });

  test("one primary without HA, two replicas added with it, in the same StatefulSet on a fixed volume", () => {
    expect(chart(small, "valkey").values.replica).toMatchObject({ enabled: true, replicas: 0, persistence: { size: "32Gi", storageClass: "ceph-rbd" } });
    expect(chart(medium, "valkey").values.replica).toMatchObject({ enabled: true, replicas: 2, persistence: { size: "32Gi", storageClass: "ceph-rbd" } });
    expect(chart(medium, "valkey").values.podDisruptionBudget.enabled).toBe(true);
  });

  test("TLS only, with a certificate from the internal CA; memory bounded below the container's limit; append-only persistence", () => {
    const { values } = chart(small, "valkey");
    expect(values.tls).toEqual({ enabled: true, existingSecret: "valkey-tls", serverPublicKey: "tls.crt", serverKey: "tls.key", caPublicKey: "ca.crt" });
    expect(object(small, "Certificate", "valkey-tls").object.spec.dnsNames).toEqual(expect.arrayContaining(["valkey.data.svc", "*.valkey-headless.data.svc.cluster.local"]));
    expect(values.resources.limits.memory).toBe("1024Mi");
    expect(values.valkeyConfig).toContain(`maxmemory ${Math.floor(2 ** 30 * 0.8)}`);
    expect(values.valkeyConfig).toContain("appendonly yes");
  });
});

describe("OnpremMongoDb", () => {
  const replicaSet = (stack: StackJson) => object(stack, "MongoDBCommunity", "mongodb");

  test("MongoDB Controllers for Kubernetes watch data and MongoDBCommunity only, telemetry off", () => {
    const { values } = chart(small, "mongodb-kubernetes");
    expect(values.operator.watchedResources).toEqual(["mongodbcommunity"]);
    expect(values.operator.telemetry).toEqual({ enabled: false, send: { enabled: false } });
    expect(values.operator.watchNamespace).toBeUndefined();
  });

  test("a replica set of the tier's instances, TLS required with a certificate from the internal CA, SCRAM", () => {
    expect(replicaSet(small).object.apiVersion).toBe("mongodbcommunity.mongodb.com/v1");
    expect(replicaSet(small).object.spec.members).toBe(1);
    expect(replicaSet(medium).object.spec.members).toBe(3);
    const { security } = replicaSet(small).object.spec;
    expect(security.tls).toEqual({ enabled: true, optional: false, certificateKeySecretRef: { name: "mongodb-tls" }, caCertificateSecretRef: { name: "mongodb-tls" } });
    expect(security.authentication.modes).toEqual(["SCRAM"]);
    const cert = object(small, "Certificate", "mongodb-tls").object.spec;
    expect(cert.issuerRef.name).toBe("internal-ca");
    expect(cert.dnsNames).toContain("*.mongodb-svc.data.svc.cluster.local");
  });

  test("the application user reads and writes the product's database with a password generated in the cluster", () => {
    const [user] = replicaSet(small).object.spec.users;
    expect(user).toMatchObject({ name: "app", db: "admin", passwordSecretRef: { name: "mongodb-app-password", key: "password" } });
    expect(user.roles).toEqual([
      { name: "readWrite", db: "initech" },
      { name: "dbAdmin", db: "initech" },
    ]);
    const generated = object(small, "ExternalSecret", "mongodb-app-password").object.spec;
    expect(generated.dataFrom).toEqual([{ sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "mongodb-app-password" } } }]);
  });

  test("members' volumes on the target's storage class; none of it without documents", async () => {
    const claims = replicaSet(small).object.spec.statefulSet.spec.volumeClaimTemplates;
    expect(claims.map((c: any) => [c.metadata.name, c.spec.storageClassName, c.spec.resources.requests.storage])).toEqual([
      ["data-volume", "ceph-rbd", "100Gi"],
      ["logs-volume", "ceph-rbd", "10Gi"],
    ]);
    const { platform } = await synth(onprem());
    expect(releases(platform).map((r) => r.block.chart)).not.toContain("mongodb-kubernetes");
    expect(manifests(platform).filter((m) => m.object.kind === "MongoDBCommunity")).toEqual([]);
  });
});

describe("OnpremObjectStore", () => {
  test("without data.objectStore: SeaweedFS all-in-one, S3 over HTTPS only with auth from a generated identities Secret, telemetry off", () => {
    const { values } = chart(small, "seaweedfs");
    expect(values.allInOne.enabled).toBe(true);
    expect(values.allInOne.s3).toMatchObject({ enabled: true, enableAuth: true, existingConfigSecret: "object-store-identities" });
    expect(values.allInOne.extraArgs).toEqual(expect.arrayContaining(["-s3.cert.file=/tls/tls.crt", "-s3.key.file=/tls/tls.key", "-master.telemetry=false"]));
    expect(values.allInOne.extraVolumes).toContain("secretName: seaweedfs-tls");
    expect(values.global.seaweedfs.createClusterRole).toBe(false);
    expect(values.filer.encryptVolumeData).toBe(true);
    expect(values.allInOne.data).toMatchObject({ type: "persistentVolumeClaim", storageClass: "ceph-rbd", size: "1Ti" });
  });

  test("its pods comply with Pod Security restricted (the bucket hook takes the filer's contexts)", () => {
    const { values } = chart(small, "seaweedfs");
    for (const component of [values.allInOne, values.filer]) {
      expect(component.podSecurityContext).toMatchObject({ enabled: true, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(component.containerSecurityContext).toMatchObject({ enabled: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
  });

  test("the spec's buckets are created versioned, with their retention as a TTL", () => {
    const buckets = chart(small, "seaweedfs").values.allInOne.s3.createBuckets;
    expect(buckets).toEqual([
      // A week behind Thanos's 395 days (SeaweedFS counts at most 255 of a unit: months) and Loki's 30.
      { name: "initech-metrics", versioning: "Enabled", ttl: "14M" },
      { name: "initech-logs", versioning: "Enabled", ttl: "37d" },
      { name: "initech-config", versioning: "Enabled" },
      { name: "initech-backups", versioning: "Enabled" },
    ]);
  });

  test("the product's identity reaches its own buckets, the backups' identity only the backup bucket, the platform's only logs and metrics; no administrator", () => {
    const identities = object(small, "ExternalSecret", "object-store-identities").object.spec;
    expect(identities.refreshPolicy).toBe("CreatedOnce");
    const config = JSON.parse(identities.target.template.data.seaweedfs_s3_config);
    const byName = Object.fromEntries(config.identities.map((i: any) => [i.name, i]));
    expect(byName.workloads.actions).toEqual(["Read:initech-config", "Write:initech-config", "List:initech-config", "Tagging:initech-config"]);
    expect(byName["postgres-backups"].actions).toEqual(["Read:initech-backups", "Write:initech-backups", "List:initech-backups"]);
    expect(byName.platform.actions).toEqual(["Read:initech-metrics", "Write:initech-metrics", "List:initech-metrics", "Read:initech-logs", "Write:initech-logs", "List:initech-logs"]);
    expect(byName.platform.credentials).toEqual([{ accessKey: "{{ .platformAccessKeyId }}", secretKey: "{{ .platformSecretAccessKey }}" }]);
    expect(byName.workloads.credentials).toEqual([{ accessKey: "{{ .accessKeyId }}", secretKey: "{{ .secretAccessKey }}" }]);
    expect(JSON.stringify(config)).not.toContain("Admin");
  });

  test("with data.objectStore: no SeaweedFS, its keys synced from Vault into data, backups to its endpoint, the buckets it must hold as an output", () => {
    expect(releases(external).map((r) => r.block.chart)).not.toContain("seaweedfs");
    const keys = object(external, "ExternalSecret", "object-store-keys");
    expect(keys.object.metadata.namespace).toBe("data");
    expect(keys.object.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "secret-manager" });
    expect(keys.object.spec.data).toEqual([
      { secretKey: "accessKeyId", remoteRef: { key: "byoc/object-store", property: "accessKeyId" } },
      { secretKey: "secretAccessKey", remoteRef: { key: "byoc/object-store", property: "secretAccessKey" } },
    ]);
    expect(keys.object.spec.target.template.data).toEqual({ region: "dc1" });
    const store = object(external, "ObjectStore", "postgres-backups").object.spec.configuration;
    expect(store.endpointURL).toBe("https://s3.initech.example.com");
    expect(store.endpointCA).toBeUndefined();
    expect(store.s3Credentials.region).toEqual({ name: "object-store-keys", key: "region" });
    expect(dependsOn(object(external, "Cluster", "postgres").release, keys.release)).toBe(true);
    expect(external.json.output.data_object_store_buckets.value).toEqual(["initech-metrics", "initech-logs", "initech-config", "initech-backups"]);
  });
});

describe("credentials", () => {
  test("generated Secrets are written once, immutable and ownerless, from a Password generator", () => {
    const generators = manifests(small).filter((m) => m.object.kind === "Password" && m.object.metadata.namespace === "data");
    expect(generators.map((g) => g.object.metadata.name).sort()).toEqual(["mongodb-app-password", "object-store-identities", "valkey-auth"]);
    for (const { object: generator, release: r } of generators) {
      expect(generator.apiVersion).toBe("generators.external-secrets.io/v1alpha1");
      expect(generator.spec.symbols).toBe(0);
      const secret = object(small, "ExternalSecret", generator.metadata.name).object.spec;
      expect(secret.refreshPolicy).toBe("CreatedOnce");
      expect(secret.target).toMatchObject({ creationPolicy: "Orphan", immutable: true });
      expect(dependsOn(r, chart(small, "external-secrets"))).toBe(true);
    }
  });

  test("no credential in chart values, custom resources or Terraform: only Secret names and generator templates", () => {
    expect(manifests(small).filter((m) => m.object.kind === "Secret")).toEqual([]);
    const SECRETS = /^(password|accessKey|secretKey|accessKeyId|secretAccessKey|token)$/;
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== "object") return;
      for (const [k, v] of Object.entries(value)) {
        // A generator template placeholder, or a reference to a key of a Secret.
        if (SECRETS.test(k)) expect(typeof v === "string" ? v : Object.keys(v as object).sort(), `${path}.${k}`).toEqual(typeof v === "string" ? expect.stringMatching(/^\{\{ \.\w+ \}\}$/) : ["key", "name"]);
        walk(v, `${path}.${k}`);
      }
    };
    for (const r of dataReleases(small)) {
      if (!r.objects.length) walk(r.values, r.block.name);
      for (const o of r.objects.filter((o) => o.kind !== "ExternalSecret")) walk(o, `${r.block.name}/${o.kind}`);
    }
    expect(JSON.stringify(small.json)).not.toMatch(/"password"\s*:\s*"[^{]/);
  });

  test("tenants receive client bundles: each store's credentials and its CA, assembled in data from the stores' own Secrets", () => {
    const bundle = object(small, "ExternalSecret", "postgres-client").object;
    expect(bundle.metadata.namespace).toBe("data");
    expect(bundle.spec.secretStoreRef).toEqual({ kind: "SecretStore", name: "data-local" });
    expect(bundle.spec.data).toEqual([
      { secretKey: "username", remoteRef: { key: "postgres-app", property: "username" } },
      { secretKey: "password", remoteRef: { key: "postgres-app", property: "password" } },
      { secretKey: "ca.crt", remoteRef: { key: "postgres-tls", property: "ca.crt" } },
    ]);
    expect(object(small, "ExternalSecret", "documents-client").object.spec.target.template.data).toEqual({ username: "app" });
    const local = object(small, "SecretStore", "data-local").object.spec.provider.kubernetes;
    expect(local).toEqual({
      remoteNamespace: "data",
      server: { url: "https://kubernetes.default.svc", caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt" } },
      auth: { serviceAccount: { name: "data-bundler" } },
    });
    const role = inNamespace(small, "kubernetes_role_v1", "data", "data-bundler");
    expect(role.rule).toEqual([
      {
        api_groups: [""],
        resources: ["secrets"],
        verbs: ["get"],
        resource_names: ["mongodb-app-password", "mongodb-tls", "object-store-identities", "postgres-app", "postgres-tls", "seaweedfs-tls", "valkey-auth", "valkey-tls"],
      },
    ]);
  });
});

describe("OnpremPlatformTarget data access", () => {
  test("the data-credentials store is External Secrets' kubernetes provider on data, as its own service account", () => {
    const store = object(small, "ClusterSecretStore", "data-credentials").object;
    expect(store.spec.provider).toEqual({
      kubernetes: {
        remoteNamespace: "data",
        server: { url: "https://kubernetes.default.svc", caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt", namespace: "data" } },
        auth: { serviceAccount: { name: "data-credentials", namespace: "external-secrets" } },
      },
    });
    expect(store.spec.conditions).toEqual([{ namespaceSelector: { matchExpressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] } }]);
  });

  test("its Role in data may get exactly the client bundles, bound to external-secrets/data-credentials, before the store exists", () => {
    const role = inNamespace(small, "kubernetes_role_v1", "data", "external-secrets-data-credentials");
    expect(role.rule).toHaveLength(1);
    expect(role.rule[0].verbs).toEqual(["get"]);
    expect([...role.rule[0].resource_names].sort()).toEqual(BUNDLES);
    const binding = inNamespace(small, "kubernetes_role_binding_v1", "data", "external-secrets-data-credentials");
    expect(binding.subject).toEqual([{ kind: "ServiceAccount", name: "data-credentials", namespace: "external-secrets" }]);
    expect(object(small, "ClusterSecretStore", "data-credentials").release.block.depends_on).toContain(binding.tfAddress);
    expect(role.depends_on).toContain(dataNamespace(small).tfAddress);
  });

  test("a tenant's ConfigMap names each store's in-cluster host, port, database and TLS settings, and the buckets", () => {
    const endpoints = small.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "data-endpoints").data;
    expect(endpoints).toMatchObject({
      POSTGRES_HOST: "postgres-rw.data.svc",
      POSTGRES_PORT: "5432",
      POSTGRES_DATABASE: "initech",
      POSTGRES_SSLMODE: "verify-full",
      REDIS_HOST: "valkey.data.svc",
      REDIS_PORT: "6379",
      REDIS_TLS: "true",
      DOCUMENTS_HOST: "mongodb-svc.data.svc",
      DOCUMENTS_PORT: "27017",
      DOCUMENTS_TLS: "true",
      DOCUMENTS_REPLICASET: "mongodb",
      BUCKET_CONFIG: "initech-config",
      OBJECT_STORE_API: "s3",
      OBJECT_STORE_ENDPOINT: "https://seaweedfs-all-in-one.data.svc:8333",
    });
  });

  test("a tenant's credentials Secrets come from the data-credentials store's bundles", () => {
    const synced = manifests(small).filter((m) => m.object.kind === "ExternalSecret" && m.object.metadata.namespace === "app");
    expect(synced.map((m) => m.object.spec.secretStoreRef.name)).toEqual(synced.map(() => "data-credentials"));
    const keys = synced.flatMap((m) => m.object.spec.data.map((d: { remoteRef: { key: string } }) => d.remoteRef.key));
    expect([...new Set(keys)].sort()).toEqual(BUNDLES);
    const redis = synced.find((m) => m.object.metadata.name === "redis-credentials")!.object.spec.data;
    expect(redis.map((d: { secretKey: string }) => d.secretKey)).toEqual(["password", "ca.crt"]);
  });

  test("no cloud identity for workloads on-prem", () => {
    const workload = small.resource("kubernetes_service_account_v1", (s) => s.metadata.name === "workload");
    expect(workload.metadata.annotations).toEqual({});
  });
});

describe("protection", () => {
  const protectedReleases = ["postgres", "valkey", "valkey-prerequisites", "mongodb", "seaweedfs", "seaweedfs-prerequisites"];

  test("on: prevent_destroy on the namespace and every release holding data or its credentials; Helm keeps the data objects", () => {
    expect(dataNamespace(small).lifecycle).toEqual({ prevent_destroy: true });
    for (const name of protectedReleases) expect(release(small, name).block.lifecycle, name).toEqual({ prevent_destroy: true });
    expect(object(small, "Cluster", "postgres").object.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(object(small, "MongoDBCommunity", "mongodb").object.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(chart(small, "seaweedfs").values.allInOne.data.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(chart(small, "valkey").values.replica.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
  });

  test("off (development): nothing refuses destroy and Helm keeps nothing", () => {
    expect(dataNamespace(development).lifecycle).toBeUndefined();
    for (const name of protectedReleases) expect(release(development, name).block.lifecycle, name).toBeUndefined();
    expect(object(development, "Cluster", "postgres").object.metadata.annotations).toBeUndefined();
    expect(object(development, "MongoDBCommunity", "mongodb").object.metadata.annotations).toBeUndefined();
    expect(chart(development, "seaweedfs").values.allInOne.data.annotations).toEqual({});
    expect(chart(development, "valkey").values.replica.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe("Delete");
  });
});

describe("OpenShift", () => {
  test("data gets the nonroot-v2 SCC grant from PlatformNamespace and keeps its Pod Security label; every data chart waits for the grant", () => {
    const ns = dataNamespace(openshift);
    expect(ns.metadata.labels).toMatchObject({ "security.openshift.io/scc.podSecurityLabelSync": "false", "pod-security.kubernetes.io/enforce": "restricted" });
    const grant = openshift.resource("kubernetes_role_binding_v1", (b) => b.role_ref.name === "system:openshift:scc:nonroot-v2" && b.subject[0].name === "system:serviceaccounts:data");
    for (const r of dataReleases(openshift)) expect(r.block.depends_on, r.block.name).toContain(grant.tfAddress);
  });

  test("without a storage class the cluster's default is used", () => {
    expect(object(openshift, "Cluster", "postgres").object.spec.storage).toEqual({ size: "100Gi" });
    expect(chart(openshift, "valkey").values.replica.persistence).toEqual({ size: "32Gi" });
  });
});

describe("a tier change on onprem", () => {
  test("keeps every release, namespace and object at its address and name, and every StatefulSet's volume templates", async () => {
    const shape = async (tier: string) => {
      const { platform } = await synth(onprem(FULL, { tier }));
      const data = dataReleases(platform);
      return {
        releases: data.map((r) => `${r.block.tfAddress} ${r.block.name}`).sort(),
        objects: data.flatMap((r) => r.objects.map((o) => `${r.block.name}/${o.kind}/${o.metadata.name}`)).sort(),
        namespace: dataNamespace(platform).tfAddress,
        claims: [
          chart(platform, "valkey").values.replica.persistence,
          object(platform, "MongoDBCommunity", "mongodb").object.spec.statefulSet.spec.volumeClaimTemplates,
        ],
      };
    };
    const base = await shape("small");
    expect(base.releases.length).toBeGreaterThan(8);
    for (const tier of ["medium", "large"]) expect(await shape(tier), tier).toEqual(base);
  });

});
