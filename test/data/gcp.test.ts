import { createHash } from "node:crypto";
import { evaluate } from "@marcbachmann/cel-js";
import { beforeAll, describe, expect, test } from "vitest";
import type { GcpDataLayer } from "../../lib/data/gcp";
import { object } from "../support/helm";
import { synth, type Block, type StackJson } from "../support/synth";

const tenant = { name: "app", cpu: "8", memory: "32Gi" };
const gcp = (data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name: "acme",
  target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" },
  network: { cidr: "10.80.0.0/16" },
  platform: { tenants: [tenant] },
  data,
  ...extra,
});
/** Every store on, backups copied to europe-west1. */
const FULL = { documents: { enabled: true }, disasterRecovery: { region: "europe-west1" } };
const ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
const HASH = createHash("sha256").update("acme-prod").digest("hex").slice(0, 8);

const ring = (infra: StackJson, location: string) => infra.resource("google_kms_key_ring", (r) => r.location === location);
const keyOf = (infra: StackJson, name: string, location = "europe-west4") =>
  infra.resource("google_kms_crypto_key", (k) => k.name === name && k.key_ring === infra.ref(ring(infra, location), "id"));
const bucketOf = (infra: StackJson, purpose: string) => infra.resource("google_storage_bucket", (b) => b.name === `acme-${purpose}-${HASH}`);
const api = (infra: StackJson, service: string) => infra.resource("google_project_service", (s) => s.service === `${service}.googleapis.com`).tfAddress;
const agent = (infra: StackJson, domain: string) => `serviceAccount:service-${infra.ref(infra.data("google_project")[0], "number")}@${domain}.iam.gserviceaccount.com`;

/** The infra output a platform expression reads through remote state, and its value there. */
function crossStackValue(infra: StackJson, platform: StackJson, expression: string): string {
  const state = Object.keys(platform.json.data.terraform_remote_state)[0];
  const read = new RegExp(`data\\.terraform_remote_state\\.${state}\\.outputs\\.([\\w-]+)`).exec(expression);
  if (!read) throw new Error(`${expression} does not read the infra stack's state`);
  return expression.replace(read[0], infra.json.output[read[1]].value.replace(/^\$\{(.*)\}$/, "$1"));
}

let infra: StackJson;
let platform: StackJson;
let plain: StackJson;
beforeAll(async () => {
  ({ infra, platform } = await synth(gcp(FULL)));
  ({ infra: plain } = await synth(gcp()));
});

describe("GcpKeys (data)", () => {
  test("data and secrets keys in the region's ring and a data key in the recovery region's, rotating every 90 days, never destroyed", () => {
    expect(ring(infra, "europe-west1")).toMatchObject({ name: "acme-keys-dr", project: "acme-prod", lifecycle: { prevent_destroy: true } });
    for (const key of [keyOf(infra, "data"), keyOf(infra, "secrets"), keyOf(infra, "data", "europe-west1")]) {
      expect(key).toMatchObject({ purpose: "ENCRYPT_DECRYPT", rotation_period: "7776000s", destroy_scheduled_duration: "2592000s", lifecycle: { prevent_destroy: true } });
    }
  });

  test("each service agent gets encrypt/decrypt on exactly the key it uses, after its API", () => {
    const data = infra.ref(keyOf(infra, "data"), "id");
    const secrets = infra.ref(keyOf(infra, "secrets"), "id");
    const recovery = infra.ref(keyOf(infra, "data", "europe-west1"), "id");
    const storage = infra.data("google_storage_project_service_account")[0];
    const grants = infra.resources("google_kms_crypto_key_iam_member").filter((g) => [data, secrets, recovery].includes(g.crypto_key_id));
    expect(grants.every((g) => g.role === ENCRYPTER)).toBe(true);
    expect(grants.map((g) => [g.crypto_key_id, g.member]).sort()).toEqual(
      [
        [data, agent(infra, "gcp-sa-cloud-sql")],
        [data, agent(infra, "cloud-redis")],
        [data, agent(infra, "gcp-sa-firestore")],
        [data, infra.ref(storage, "member")],
        [secrets, agent(infra, "gcp-sa-secretmanager")],
        [recovery, infra.ref(storage, "member")],
        [recovery, agent(infra, "gcp-sa-cloud-sql")],
      ].sort(),
    );
    const grant = (key: string, member: string) => grants.find((g) => g.crypto_key_id === key && g.member === member)!;
    expect(grant(data, agent(infra, "gcp-sa-cloud-sql")).depends_on).toContain(api(infra, "sqladmin"));
    expect(grant(data, agent(infra, "cloud-redis")).depends_on).toContain(api(infra, "redis"));
    expect(grant(data, agent(infra, "gcp-sa-firestore")).depends_on).toContain(api(infra, "firestore"));
    expect(grant(secrets, agent(infra, "gcp-sa-secretmanager")).depends_on).toContain(api(infra, "secretmanager"));
    // Asking for Cloud Storage's agent creates it, once the API is on.
    expect(storage.depends_on).toContain(api(infra, "storage"));
  });

  test("stores that are off get no grant, and without disaster recovery there is no second ring", async () => {
    const { infra: bare } = await synth(gcp({ postgres: { enabled: false }, redis: { enabled: false } }));
    const members = bare.resources("google_kms_crypto_key_iam_member").map((g) => g.member);
    for (const domain of ["gcp-sa-cloud-sql", "cloud-redis", "gcp-sa-firestore", "gcp-sa-secretmanager"]) expect(members).not.toContain(agent(bare, domain));
    expect(bare.resources("google_kms_key_ring").map((r) => r.location)).toEqual(["europe-west4"]);
    expect(plain.resources("google_kms_key_ring").map((r) => r.location)).toEqual(["europe-west4"]);
  });
});

describe("GcpPostgres", () => {
  let instance: Block;
  beforeAll(() => {
    instance = infra.resource("google_sql_database_instance");
  });

  test("private IP only, from the private service access range, TLS required", () => {
    expect(instance.settings.ip_configuration).toEqual({
      ipv4_enabled: false,
      private_network: infra.ref(infra.resource("google_compute_network"), "id"),
      allocated_ip_range: infra.ref(infra.resource("google_compute_global_address"), "name"),
      ssl_mode: "ENCRYPTED_ONLY",
      server_ca_mode: "GOOGLE_MANAGED_INTERNAL_CA",
      enable_private_path_for_google_cloud_services: false,
    });
    expect(instance.depends_on).toContain(infra.resource("google_service_networking_connection").tfAddress);
  });

  test("encrypted with the data key, after Cloud SQL's agent may use it", () => {
    expect(instance.encryption_key_name).toBe(infra.ref(keyOf(infra, "data"), "id"));
    const grant = infra.resource("google_kms_crypto_key_iam_member", (g) => g.member === agent(infra, "gcp-sa-cloud-sql") && g.crypto_key_id === instance.encryption_key_name);
    expect(instance.depends_on).toContain(grant.tfAddress);
  });

  test("PostgreSQL 17 on Enterprise edition with the tier's machine, SSD growing to the ceiling, Terraform never shrinking it", () => {
    expect(instance).toMatchObject({ name: "acme-postgres", region: "europe-west4", project: "acme-prod", database_version: "POSTGRES_17" });
    expect(instance.settings).toMatchObject({
      tier: "db-custom-2-8192",
      edition: "ENTERPRISE",
      availability_type: "ZONAL",
      disk_type: "PD_SSD",
      disk_size: 100,
      disk_autoresize: true,
      disk_autoresize_limit: 1000,
    });
    expect(instance.lifecycle.ignore_changes).toEqual(["settings[0].disk_size"]);
  });

  test("HA puts a standby in another zone (REGIONAL)", async () => {
    const { infra: medium } = await synth({ ...gcp(), tier: "medium" });
    expect(medium.resource("google_sql_database_instance").settings).toMatchObject({ availability_type: "REGIONAL", tier: "db-custom-4-16384" });
  });

  test("daily backups kept the tier's days, point-in-time recovery with 7 days of logs, stored in the recovery region", async () => {
    expect(instance.settings.backup_configuration).toEqual({
      enabled: true,
      start_time: "01:00",
      point_in_time_recovery_enabled: true,
      transaction_log_retention_days: 7,
      backup_retention_settings: { retained_backups: 7, retention_unit: "COUNT" },
      location: "europe-west1",
    });
    // Without disaster recovery Cloud SQL keeps them in the multi-region nearest the instance.
    expect(plain.resource("google_sql_database_instance").settings.backup_configuration.location).toBeUndefined();
    const { infra: large } = await synth({ ...gcp(), tier: "large" });
    expect(large.resource("google_sql_database_instance").settings.backup_configuration).toMatchObject({
      transaction_log_retention_days: 7,
      backup_retention_settings: { retained_backups: 35 },
    });
  });

  test("connection, DDL and role-change logs, IAM authentication, query insights without client addresses, a Sunday maintenance window", () => {
    const flags = Object.fromEntries(instance.settings.database_flags.map((f: { name: string; value: string }) => [f.name, f.value]));
    expect(flags).toEqual({
      log_connections: "on",
      log_disconnections: "on",
      log_lock_waits: "on",
      log_statement: "ddl",
      "cloudsql.iam_authentication": "on",
      "cloudsql.enable_pgaudit": "on",
      "pgaudit.log": "ddl,role",
    });
    expect(instance.settings.insights_config).toMatchObject({ query_insights_enabled: true, record_client_address: false });
    expect(instance.settings.maintenance_window).toEqual({ day: 7, hour: 2, update_track: "stable" });
    expect(instance.settings.user_labels).toMatchObject({ deployment: "acme", component: "data", "managed-by": "cdktf-byoc" });
  });

  test("deletion protection in Terraform and the API, backups kept after deletion, prevent_destroy; a database named after the deployment", () => {
    expect(instance.deletion_protection).toBe(true);
    expect(instance.settings).toMatchObject({ deletion_protection_enabled: true, retain_backups_on_delete: true });
    expect(instance.lifecycle.prevent_destroy).toBe(true);
    const database = infra.resource("google_sql_database");
    expect(database).toMatchObject({ name: "acme", instance: infra.ref(instance, "name"), deletion_policy: "ABANDON", lifecycle: { prevent_destroy: true } });
  });
});

describe("GcpRedis", () => {
  let instance: Block;
  beforeAll(() => {
    instance = infra.resource("google_redis_instance");
  });

  test("Standard tier (a replica with failover) on Redis 7.2, over private service access only", () => {
    expect(instance).toMatchObject({
      name: "acme-redis",
      region: "europe-west4",
      tier: "STANDARD_HA",
      redis_version: "REDIS_7_2",
      memory_size_gb: 1,
      authorized_network: infra.ref(infra.resource("google_compute_network"), "id"),
      connect_mode: "PRIVATE_SERVICE_ACCESS",
      reserved_ip_range: infra.ref(infra.resource("google_compute_global_address"), "name"),
    });
    expect(instance.depends_on).toContain(infra.resource("google_service_networking_connection").tfAddress);
  });

  test("AUTH on, TLS with server authentication, the data key, hourly snapshots, a Sunday window, prevent_destroy", () => {
    expect(instance).toMatchObject({
      auth_enabled: true,
      transit_encryption_mode: "SERVER_AUTHENTICATION",
      customer_managed_key: infra.ref(keyOf(infra, "data"), "id"),
      persistence_config: { persistence_mode: "RDB", rdb_snapshot_period: "ONE_HOUR" },
      maintenance_policy: { weekly_maintenance_window: [{ day: "SUNDAY", start_time: { hours: 3 } }] },
      lifecycle: { prevent_destroy: true },
    });
    expect(instance.depends_on).toContain(infra.resource("google_kms_crypto_key_iam_member", (g) => g.member === agent(infra, "cloud-redis")).tfAddress);
  });

  test("the tier sizes memory; Standard stays on every tier", async () => {
    for (const [tier, gb] of [["medium", 5], ["large", 13]] as const) {
      const { infra: sized } = await synth({ ...gcp(), tier });
      expect(sized.resource("google_redis_instance")).toMatchObject({ tier: "STANDARD_HA", memory_size_gb: gb });
    }
    const { infra: noHa } = await synth({ ...gcp({ redis: { ha: false } }), tier: "large" });
    expect(noHa.resource("google_redis_instance").tier).toBe("STANDARD_HA");
  });

  test("the AUTH string goes by reference into a regional Secret Manager secret under the secrets key, outside the platform's prefix", () => {
    const secret = infra.resource("google_secret_manager_secret");
    expect(secret).toMatchObject({
      secret_id: "acme_redis_auth",
      project: "acme-prod",
      deletion_protection: true,
      replication: { user_managed: { replicas: [{ location: "europe-west4", customer_managed_encryption: { kms_key_name: infra.ref(keyOf(infra, "secrets"), "id") } }] } },
    });
    expect(secret.depends_on).toContain(infra.resource("google_kms_crypto_key_iam_member", (g) => g.member === agent(infra, "gcp-sa-secretmanager")).tfAddress);
    expect(infra.resource("google_secret_manager_secret_version")).toMatchObject({ secret: infra.ref(secret, "id"), secret_data: infra.ref(instance, "auth_string") });
    // The platform's own store reads secrets named acme-*; this one is for tenants only.
    expect(secret.secret_id.startsWith("acme-")).toBe(false);
  });
});

describe("GcpDocuments", () => {
  test("Firestore Enterprise (MongoDB compatibility) in the region, the data key, PITR, delete protection, prevent_destroy", () => {
    const database = infra.resource("google_firestore_database");
    expect(database).toMatchObject({
      name: "acme-documents",
      project: "acme-prod",
      location_id: "europe-west4",
      type: "FIRESTORE_NATIVE",
      database_edition: "ENTERPRISE",
      cmek_config: { kms_key_name: infra.ref(keyOf(infra, "data"), "id") },
      point_in_time_recovery_enablement: "POINT_IN_TIME_RECOVERY_ENABLED",
      delete_protection_state: "DELETE_PROTECTION_ENABLED",
      deletion_policy: "ABANDON",
      lifecycle: { prevent_destroy: true },
    });
    // Resource Manager tags, not labels: none, or the database would be replaced.
    expect(database.tags).toBeUndefined();
    expect(database.depends_on).toContain(infra.resource("google_kms_crypto_key_iam_member", (g) => g.member === agent(infra, "gcp-sa-firestore")).tfAddress);
  });

  test("daily backups for the last week (Firestore's daily maximum) and weekly ones for the backup days", async () => {
    const daily = (s: StackJson) => s.resource("google_firestore_backup_schedule", (b) => b.daily_recurrence !== undefined);
    const weekly = (s: StackJson) => s.resource("google_firestore_backup_schedule", (b) => b.weekly_recurrence !== undefined);
    expect(daily(infra)).toMatchObject({ database: "acme-documents", retention: `${7 * 86400}s`, daily_recurrence: {} });
    expect(weekly(infra)).toMatchObject({ database: "acme-documents", retention: `${14 * 86400}s`, weekly_recurrence: { day: "SUNDAY" } });
    const { infra: large } = await synth({ ...gcp({ documents: { enabled: true } }), tier: "large" });
    expect(daily(large).retention).toBe(`${7 * 86400}s`);
    expect(weekly(large).retention).toBe(`${35 * 86400}s`);
  });

  test("absent unless the spec turns it on", () => {
    expect(plain.resources("google_firestore_database")).toEqual([]);
  });
});

describe("GcpBuckets", () => {
  test("one bucket per purpose, named <deployment>-<purpose>-<project hash>, in the region, private, versioned, under the data key", () => {
    for (const purpose of ["metrics", "logs", "config", "backups"]) {
      const bucket = bucketOf(infra, purpose);
      expect(bucket).toMatchObject({
        project: "acme-prod",
        location: "europe-west4",
        storage_class: "STANDARD",
        uniform_bucket_level_access: true,
        public_access_prevention: "enforced",
        versioning: { enabled: true },
        encryption: { default_kms_key_name: infra.ref(keyOf(infra, "data"), "id") },
        soft_delete_policy: { retention_duration_seconds: 7 * 86400 },
        force_destroy: false,
        lifecycle: { prevent_destroy: true },
      });
      expect(bucket.depends_on).toContain(infra.resource("google_kms_crypto_key_iam_member", (g) => g.member === infra.ref(infra.data("google_storage_project_service_account")[0], "member") && g.crypto_key_id === bucket.encryption.default_kms_key_name).tfAddress);
    }
  });

  test("retention expires live objects and then their noncurrent versions; buckets without one keep them; uploads never linger", () => {
    const abort = { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 7 } };
    // A week behind what observability keeps there by default: Loki 30 days, Thanos 395.
    for (const [purpose, days] of [["logs", 37], ["metrics", 402]] as const) {
      expect(bucketOf(infra, purpose).lifecycle_rule).toEqual([
        abort,
        { action: { type: "Delete" }, condition: { age: days, with_state: "LIVE" } },
        { action: { type: "Delete" }, condition: { days_since_noncurrent_time: days, with_state: "ARCHIVED" } },
      ]);
    }
    for (const purpose of ["config", "backups"]) expect(bucketOf(infra, purpose).lifecycle_rule).toEqual([abort]);
  });

  test("usage logs of the other buckets go to the logs bucket, which Cloud Storage's log writer may write", () => {
    const logs = bucketOf(infra, "logs");
    expect(logs.logging).toBeUndefined();
    for (const purpose of ["metrics", "config", "backups"]) expect(bucketOf(infra, purpose).logging).toEqual({ log_bucket: infra.ref(logs, "name") });
    const writer = infra.resource("google_storage_bucket_iam_member", (m) => m.member === "group:cloud-storage-analytics@google.com");
    expect(writer).toMatchObject({ bucket: infra.ref(logs, "name"), role: "roles/storage.objectCreator" });
  });

  test("disaster recovery: the backups bucket copied hourly by Storage Transfer Service into a bucket of the recovery region under its key", () => {
    const copy = infra.resource("google_storage_bucket", (b) => b.location === "europe-west1");
    expect(copy).toMatchObject({
      name: `acme-backups-dr-${HASH}`,
      encryption: { default_kms_key_name: infra.ref(keyOf(infra, "data", "europe-west1"), "id") },
      versioning: { enabled: true },
      public_access_prevention: "enforced",
      uniform_bucket_level_access: true,
      lifecycle: { prevent_destroy: true },
    });
    const job = infra.resource("google_storage_transfer_job");
    expect(job.transfer_spec).toEqual({
      gcs_data_source: { bucket_name: infra.ref(bucketOf(infra, "backups"), "name") },
      gcs_data_sink: { bucket_name: infra.ref(copy, "name") },
      transfer_options: { overwrite_when: "DIFFERENT", delete_objects_unique_in_sink: false },
    });
    expect(job.schedule.repeat_interval).toBe("3600s");
    const transfer = infra.ref(infra.data("google_storage_transfer_project_service_account")[0], "member");
    const grants = infra.resources("google_storage_bucket_iam_member").filter((m) => m.member === transfer);
    expect(grants.map((g) => [g.bucket, g.role]).sort()).toEqual(
      [
        [infra.ref(bucketOf(infra, "backups"), "name"), "roles/storage.objectViewer"],
        [infra.ref(bucketOf(infra, "backups"), "name"), "roles/storage.legacyBucketReader"],
        [infra.ref(copy, "name"), "roles/storage.legacyBucketWriter"],
      ].sort(),
    );
    expect(job.depends_on).toEqual(expect.arrayContaining(grants.map((g) => g.tfAddress)));
  });

  test("without disaster recovery, no copy", () => {
    expect(plain.resources("google_storage_bucket").map((b) => b.location)).toEqual(Array(4).fill("europe-west4"));
    expect(plain.resources("google_storage_transfer_job")).toEqual([]);
  });

  test("without a project in the spec, the name hashes the provider's project at plan time (the same name either way)", async () => {
    const { infra: ambient } = await synth({ ...gcp(), target: { cloud: "gcp", region: "europe-west4" } });
    const client = ambient.ref(ambient.data("google_client_config")[0], "project").slice(2, -1);
    expect(ambient.resources("google_storage_bucket").map((b) => b.name).sort()).toEqual(
      ["backups", "config", "logs", "metrics"].map((p) => `acme-${p}-\${substr(sha256(${client}), 0, 8)}`),
    );
  });
});

describe("GcpDataLayer", () => {
  test("publishes each store's endpoint and settings; only Redis has a credential, by secret id", () => {
    const layer = infra.construct.node.findChild("Data") as GcpDataLayer;
    expect(layer.stores.map((s) => s.kind)).toEqual(["postgres", "documents", "redis"]);
    const [postgres, documents, redis] = layer.stores;
    expect(postgres).toMatchObject({ port: 5432, database: "acme", settings: { sslmode: "verify-ca", auth: "iam" } });
    expect(postgres.credentials).toBeUndefined();
    expect(documents).toMatchObject({
      port: 443,
      database: "acme-documents",
      settings: { tls: "true", loadBalanced: "true", retryWrites: "false", authMechanism: "MONGODB-OIDC", authMechanismProperties: "ENVIRONMENT:gcp,TOKEN_RESOURCE:FIRESTORE" },
    });
    expect(documents.credentials).toBeUndefined();
    expect(redis).toMatchObject({ settings: { tls: "true" }, credentials: { remoteKey: "acme_redis_auth", properties: { password: "" } } });
    expect(layer.objectStore).toEqual({ api: "gcs" });
    expect(layer.buckets).toEqual(["metrics", "logs", "config", "backups"].map((purpose) => ({ purpose, name: `acme-${purpose}-${HASH}` })));
  });

  test("outputs for operators, named after each store: the instance, its connection name and IP, Redis' host, the document endpoint and the buckets", () => {
    const outputs = infra.json.output;
    const instance = infra.resource("google_sql_database_instance");
    expect(outputs.data_postgres_instance.value).toBe(infra.ref(instance, "name"));
    expect(outputs.data_postgres_connection_name.value).toBe(infra.ref(instance, "connection_name"));
    expect(outputs.data_postgres_private_ip.value).toBe(infra.ref(instance, "private_ip_address"));
    expect(outputs.data_redis_host.value).toBe(infra.ref(infra.resource("google_redis_instance"), "host"));
    expect(outputs.data_documents_host.value).toBe(`${infra.ref(infra.resource("google_firestore_database"), "uid")}.europe-west4.firestore.goog`);
    expect(outputs.data_buckets_backups.value).toBe(`acme-backups-${HASH}`);
  });
});

describe("GcpPlatformTarget (data)", () => {
  const gsa = (stack: StackJson, sa: string) => stack.resource("google_service_account", (s) => s.description.endsWith(` ${sa}`));

  test("the tenant's ConfigMap carries the infra stack's endpoints and the servers' CAs", () => {
    const map = platform.resource("kubernetes_config_map_v1", (m) => m.metadata.name === "data-endpoints" && m.metadata.namespace === "app");
    const instance = infra.resource("google_sql_database_instance");
    const redis = infra.resource("google_redis_instance");
    expect(crossStackValue(infra, platform, map.data.POSTGRES_HOST)).toBe(infra.ref(instance, "private_ip_address"));
    expect(crossStackValue(infra, platform, map.data.POSTGRES_SERVER_CA)).toBe(infra.ref(instance, "server_ca_cert[0].cert"));
    expect(crossStackValue(infra, platform, map.data.POSTGRES_CONNECTION_NAME)).toBe(infra.ref(instance, "connection_name"));
    expect(crossStackValue(infra, platform, map.data.REDIS_HOST)).toBe(infra.ref(redis, "host"));
    expect(crossStackValue(infra, platform, map.data.REDIS_PORT)).toBe(infra.ref(redis, "port"));
    expect(crossStackValue(infra, platform, map.data.REDIS_SERVER_CA)).toBe(infra.ref(redis, "server_ca_certs[0].cert"));
    expect(crossStackValue(infra, platform, map.data.DOCUMENTS_HOST)).toBe(`${infra.ref(infra.resource("google_firestore_database"), "uid")}.europe-west4.firestore.goog`);
    expect(map.data).toMatchObject({ POSTGRES_SSLMODE: "verify-ca", POSTGRES_AUTH: "iam", REDIS_TLS: "true", OBJECT_STORE_API: "gcs", BUCKET_CONFIG: `acme-config-${HASH}` });
  });

  test("the data-credentials store is its own Google service account that may read the AUTH secret and nothing else", () => {
    const sa = gsa(platform, "external-secrets/data-credentials");
    const binding = platform.resource("google_service_account_iam_member", (b) => b.service_account_id === platform.ref(sa, "name"));
    expect(binding.role).toBe("roles/iam.workloadIdentityUser");
    expect(binding.member).toMatch(/\[external-secrets\/data-credentials\]$/);
    const access = platform.resources("google_secret_manager_secret_iam_member");
    expect(access.map((a) => [a.secret_id, a.role, a.member])).toEqual([["acme_redis_auth", "roles/secretmanager.secretAccessor", platform.ref(sa, "member")]]);
    // No project-wide grant for it.
    expect(platform.resources("google_project_iam_member").filter((m) => m.member === platform.ref(sa, "member"))).toEqual([]);
    const { object: store, release } = object(platform, "ClusterSecretStore", "data-credentials");
    expect(store.spec.provider).toEqual({
      gcpsm: {
        projectID: "acme-prod",
        auth: {
          workloadIdentity: {
            serviceAccountRef: { name: "data-credentials", namespace: "external-secrets" },
            clusterProjectID: "acme-prod",
            clusterLocation: "europe-west4",
            clusterName: "acme-cluster",
          },
        },
      },
    });
    expect(release.block.depends_on).toEqual(expect.arrayContaining([binding.tfAddress, access[0].tfAddress]));
    const account = platform.resource("kubernetes_service_account_v1", (a) => a.metadata.name === "data-credentials");
    expect(account.metadata.annotations).toEqual({ "iam.gke.io/gcp-service-account": platform.ref(sa, "email") });
  });

  test("the tenant syncs the AUTH string whole into redis-credentials", () => {
    const { object: secret } = object(platform, "ExternalSecret", "redis-credentials");
    expect(secret.metadata.namespace).toBe("app");
    expect(secret.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "data-credentials" });
    expect(secret.spec.data).toEqual([{ secretKey: "password", remoteRef: { key: "acme_redis_auth" } }]);
  });

  test("without Redis no store holds a credential: no data-credentials store", async () => {
    const { platform: bare } = await synth(gcp({ redis: { enabled: false } }));
    expect(bare.resources("google_secret_manager_secret_iam_member")).toEqual([]);
    expect(bare.resources("google_service_account").filter((s) => s.description.includes("data-credentials"))).toEqual([]);
    expect(() => object(bare, "ClusterSecretStore", "data-credentials")).toThrow(/found 0/);
  });

  test("the tenant's workloads act as a Google service account with object access to the product's buckets only", () => {
    const sa = gsa(platform, "app/workload");
    const account = platform.resource("kubernetes_service_account_v1", (a) => a.metadata.name === "workload" && a.metadata.namespace === "app");
    expect(account.metadata.annotations).toEqual({ "iam.gke.io/gcp-service-account": platform.ref(sa, "email") });
    const buckets = platform.resources("google_storage_bucket_iam_member").filter((m) => m.member === platform.ref(sa, "member"));
    expect(buckets.map((b) => [b.bucket, b.role]).sort()).toEqual([
      [`acme-backups-${HASH}`, "roles/storage.objectAdmin"],
      [`acme-config-${HASH}`, "roles/storage.objectAdmin"],
    ]);
  });

  test("PostgreSQL: an IAM database user for that account, and Cloud SQL client and instance-user roles on this instance alone", () => {
    const sa = gsa(platform, "app/workload");
    expect(platform.resource("google_sql_user")).toMatchObject({
      project: "acme-prod",
      instance: "acme-postgres",
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      name: `\${trimsuffix(${platform.ref(sa, "email").slice(2, -1)}, ".gserviceaccount.com")}`,
      deletion_policy: "ABANDON",
    });
    expect(platform.resource("google_sql_user").password).toBeUndefined();
    const roles = platform.resources("google_project_iam_member").filter((m) => m.member === platform.ref(sa, "member") && m.role.startsWith("roles/cloudsql."));
    expect(roles.map((r) => r.role).sort()).toEqual(["roles/cloudsql.client", "roles/cloudsql.instanceUser"]);
    for (const role of roles) {
      const allows = (name: string, type = "sqladmin.googleapis.com/Instance") => evaluate(role.condition.expression, { resource: { name, type } });
      expect(allows("projects/acme-prod/instances/acme-postgres")).toBe(true);
      expect(allows("projects/acme-prod/instances/other")).toBe(false);
      expect(allows("projects/other/instances/acme-postgres")).toBe(false);
    }
  });

  test("documents: datastore.user on this database alone", () => {
    const sa = gsa(platform, "app/workload");
    const role = platform.resource("google_project_iam_member", (m) => m.member === platform.ref(sa, "member") && m.role === "roles/datastore.user");
    const allows = (name: string) => evaluate(role.condition.expression, { resource: { name } });
    expect(allows("projects/acme-prod/databases/acme-documents")).toBe(true);
    expect(allows("projects/acme-prod/databases/(default)")).toBe(false);
  });
});

describe("protection disabled (a development environment)", () => {
  let dev: StackJson;
  beforeAll(async () => {
    ({ infra: dev } = await synth(gcp(FULL, { environment: "development", data: { ...FULL, protection: "disabled" } })));
  });

  test("no prevent_destroy on stores, buckets or keys", () => {
    for (const type of ["google_sql_database_instance", "google_sql_database", "google_redis_instance", "google_firestore_database", "google_storage_bucket", "google_kms_crypto_key", "google_kms_key_ring"]) {
      const blocks = dev.resources(type);
      expect(blocks.length, type).toBeGreaterThan(0);
      for (const b of blocks) expect(b.lifecycle?.prevent_destroy, b.tfAddress).toBeUndefined();
    }
  });

  test("the services' own deletion protection off, and nothing kept behind", () => {
    const instance = dev.resource("google_sql_database_instance");
    expect(instance.deletion_protection).toBe(false);
    expect(instance.settings).toMatchObject({ deletion_protection_enabled: false, retain_backups_on_delete: false });
    expect(dev.resource("google_sql_database").deletion_policy).toBe("DELETE");
    expect(dev.resource("google_firestore_database")).toMatchObject({ delete_protection_state: "DELETE_PROTECTION_DISABLED", deletion_policy: "DELETE" });
    expect(dev.resource("google_secret_manager_secret").deletion_protection).toBe(false);
    // Still never force-destroyed: objects go with the bucket only when someone empties it.
    for (const b of dev.resources("google_storage_bucket")) expect(b.force_destroy).toBe(false);
  });
});

/**
 * ForceNew attributes from the google provider 6.50 schemas (resource_*.go): a change
 * replaces the resource. Sizes, HA and backup days must stay out of them.
 */
const FORCE_NEW: Record<string, string[]> = {
  google_sql_database_instance: ["name", "region", "project", "encryption_key_name", "settings.disk_type", "settings.collation", "database_version"],
  google_sql_database: ["name", "instance", "project"],
  google_redis_instance: ["name", "region", "project", "tier", "customer_managed_key", "transit_encryption_mode", "connect_mode", "reserved_ip_range", "authorized_network", "location_id", "alternative_location_id"],
  google_firestore_database: ["name", "project", "location_id", "database_edition", "type", "cmek_config", "tags"],
  google_storage_bucket: ["name", "project", "location", "custom_placement_config", "hierarchical_namespace", "enable_object_retention"],
  google_kms_key_ring: ["name", "location", "project"],
  google_kms_crypto_key: ["name", "key_ring", "purpose"],
  google_secret_manager_secret: ["secret_id", "project", "replication"],
};

describe("a tier change on gcp", () => {
  const byTier: Record<string, StackJson> = {};
  beforeAll(async () => {
    for (const tier of ["small", "medium", "large"]) byTier[tier] = (await synth({ ...gcp(FULL), tier })).infra;
  });
  const at = (value: unknown, path: string) =>
    path.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), value);
  const watched = (stack: StackJson) =>
    Object.fromEntries(
      Object.entries(FORCE_NEW).flatMap(([type, attributes]) => stack.resources(type).map((r) => [r.tfAddress, attributes.map((a) => at(r, a))])),
    );

  test("keeps every stateful resource's address and replacement-forcing attributes", () => {
    const small = watched(byTier.small);
    expect(Object.keys(small).length).toBeGreaterThan(15);
    for (const tier of ["medium", "large"]) expect(watched(byTier[tier])).toEqual(small);
  });

  test("while the sizes do change, in place", () => {
    const sizes = (stack: StackJson) => {
      const sql = stack.resource("google_sql_database_instance").settings;
      return [sql.tier, sql.availability_type, sql.disk_autoresize_limit, stack.resource("google_redis_instance").memory_size_gb];
    };
    expect(sizes(byTier.small)).toEqual(["db-custom-2-8192", "ZONAL", 1000, 1]);
    expect(sizes(byTier.large)).toEqual(["db-custom-8-32768", "REGIONAL", 4000, 13]);
  });
});
