import { beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { REDIS_ACCESS_TEMPLATE } from "../../lib/data/azure-redis";
import { synth, type Block, type StackJson } from "../support/synth";

const base = { name: "acme", target: { cloud: "azure", region: "westeurope" }, network: { cidr: "10.60.0.0/16" } };
const withTenant = { ...base, platform: { tenants: [{ name: "app", cpu: "4", memory: "8Gi" }] } };
const everything = { ...withTenant, data: { documents: { enabled: true } } };
const dr = { ...base, data: { disasterRecovery: {} } };
const unprotected = { ...base, environment: "development", data: { protection: "disabled", documents: { enabled: true } } };

const KEY_USER = "Key Vault Crypto Service Encryption User";

/** `${data.terraform_remote_state...outputs.<name>}` for the infra output that exposes `attribute` of `block`. */
function fromInfra(infra: StackJson, block: Block, attribute: string): string {
  const outputs = Object.entries<{ value: string }>(infra.json.output);
  const found = outputs.filter(([name, o]) => name.startsWith("cross-stack-output-") && o.value === `\${${block.tfAddress}.${attribute}}`);
  expect(found, `${block.tfAddress}.${attribute} is exported`).toHaveLength(1);
  return `\${data.terraform_remote_state.cross-stack-reference-input-${infra.name}.outputs.${found[0][0]}}`;
}

const identityNamed = (stack: StackJson, name: string) => stack.resource("azurerm_user_assigned_identity", (i) => i.name === name);
const dataKey = (stack: StackJson) => stack.resource("azurerm_key_vault_key", (k) => k.name === "acme-data");
const endpointTo = (stack: StackJson, target: Block) =>
  stack.resource("azurerm_private_endpoint", (e) => e.private_service_connection.private_connection_resource_id === stack.ref(target, "id"));
const zoneNamed = (stack: StackJson, name: string) => stack.resource("azurerm_private_dns_zone", (z) => z.name === name);
const lockOn = (stack: StackJson, target: Block) => stack.resources("azurerm_management_lock").filter((l) => l.scope === stack.ref(target, "id"));

/** A service's customer-managed-key identity and the one role it holds, on the key itself. */
function expectKeyIdentity(stack: StackJson, name: string, key: Block, location = "westeurope"): Block {
  const identity = identityNamed(stack, name);
  expect(identity.location).toBe(location);
  const grants = stack.resources("azurerm_role_assignment").filter((r) => r.principal_id === stack.ref(identity, "principal_id"));
  expect(grants.map((g) => [g.role_definition_name, g.scope])).toEqual([[KEY_USER, stack.ref(key, "resource_versionless_id")]]);
  return identity;
}

/** Private endpoint in the private-endpoints subnet, registered in its privatelink zone linked to the VNet. */
function expectPrivateEndpoint(stack: StackJson, target: Block, subresource: string, zone: string) {
  const endpoint = endpointTo(stack, target);
  expect(endpoint.subnet_id).toBe(stack.ref(stack.resource("azurerm_subnet", (s) => s.name === "private-endpoints"), "id"));
  expect(endpoint.private_service_connection).toMatchObject({ subresource_names: [subresource], is_manual_connection: false });
  const z = zoneNamed(stack, zone);
  expect(endpoint.private_dns_zone_group.private_dns_zone_ids).toEqual([stack.ref(z, "id")]);
  const link = stack.resource("azurerm_private_dns_zone_virtual_network_link", (l) => l.private_dns_zone_name === stack.ref(z, "name"));
  expect(link).toMatchObject({ virtual_network_id: stack.ref(stack.resource("azurerm_virtual_network"), "id"), registration_enabled: false });
}

function expectLogs(stack: StackJson, targetResourceId: string, logs: object[]) {
  const diag = stack.resource("azurerm_monitor_diagnostic_setting", (d) => d.target_resource_id === targetResourceId);
  expect(diag.log_analytics_workspace_id).toBe(stack.ref(stack.resource("azurerm_log_analytics_workspace"), "id"));
  expect(diag.enabled_log).toEqual(logs);
}

describe("AzureKeys (data)", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth(base));
  });

  test("a data key in the deployment's vault: RSA 3072 for wrap/unwrap, rotated yearly, versions never expire, refusing destroy", () => {
    const key = dataKey(infra);
    expect(key).toMatchObject({ key_vault_id: infra.ref(infra.resource("azurerm_key_vault"), "id"), key_type: "RSA", key_size: 3072, key_opts: ["wrapKey", "unwrapKey"] });
    expect(key.rotation_policy).toEqual({ automatic: { time_after_creation: "P365D" } });
    expect(key.expiration_date).toBeUndefined();
    expect(key.lifecycle.prevent_destroy).toBe(true);
    const endpoint = endpointTo(infra, infra.resource("azurerm_key_vault"));
    expect(key.depends_on).toEqual(expect.arrayContaining([endpoint.tfAddress]));
  });

  test("without disaster recovery there is one vault; the deployer may write secrets only when a store needs a generated password", async () => {
    expect(infra.resources("azurerm_key_vault")).toHaveLength(1);
    expect(infra.resources("azurerm_role_assignment").filter((r) => r.role_definition_name === "Key Vault Secrets Officer")).toEqual([]);
    const { infra: docs } = await synth(everything);
    const [officer] = docs.resources("azurerm_role_assignment").filter((r) => r.role_definition_name === "Key Vault Secrets Officer");
    expect(officer.scope).toBe(docs.ref(docs.resource("azurerm_key_vault"), "id"));
  });

  test("with disaster recovery: a vault in the paired region (RBAC, purge protection, private) with its own data key, audited", async () => {
    const { infra: geo } = await synth(dr);
    const vault = geo.resource("azurerm_key_vault", (v) => v.location === "northeurope");
    expect(vault).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true, public_network_access_enabled: false });
    expect(vault.network_acls.default_action).toBe("Deny");
    expect(vault.lifecycle.prevent_destroy).toBe(true);
    const key = geo.resource("azurerm_key_vault_key", (k) => k.name === "acme-data-geo");
    expect(key).toMatchObject({ key_vault_id: geo.ref(vault, "id"), key_size: 3072, key_opts: ["wrapKey", "unwrapKey"] });
    expect(key.rotation_policy).toEqual({ automatic: { time_after_creation: "P365D" } });
    expect(endpointTo(geo, vault).private_dns_zone_group.private_dns_zone_ids).toEqual([geo.ref(zoneNamed(geo, "privatelink.vaultcore.azure.net"), "id")]);
    expectLogs(geo, geo.ref(vault, "id"), [{ category_group: "audit" }]);
  });

  test("disaster recovery is refused in a region without a pair", async () => {
    await expect(synth({ ...dr, target: { cloud: "azure", region: "polandcentral" } })).rejects.toThrow(/data\.disasterRecovery: polandcentral has no Azure region pair/);
  });
});

describe("AzurePostgres", () => {
  let infra: StackJson;
  let server: Block;
  beforeAll(async () => {
    ({ infra } = await synth(base));
    server = infra.resource("azurerm_postgresql_flexible_server");
  });

  test("private: in the delegated database subnet with its own private zone linked first, no public access", () => {
    expect(server.delegated_subnet_id).toBe(infra.ref(infra.resource("azurerm_subnet", (s) => s.name === "database"), "id"));
    const zone = zoneNamed(infra, "acme-pg.private.postgres.database.azure.com");
    expect(server.private_dns_zone_id).toBe(infra.ref(zone, "id"));
    const link = infra.resource("azurerm_private_dns_zone_virtual_network_link", (l) => l.private_dns_zone_name === infra.ref(zone, "name"));
    expect(server.depends_on).toContain(link.tfAddress);
    expect(server.public_network_access_enabled).toBe(false);
  });

  test("version, SKU and backups from the spec; storage rounded up to a size Azure offers and grown automatically", () => {
    expect(server).toMatchObject({ version: "17", sku_name: "B_Standard_B2ms", storage_mb: 131072, auto_grow_enabled: true, backup_retention_days: 7 });
    // A grown disk must not look like a shrink (which would replace the server); failovers swap zones.
    expect(server.lifecycle.ignore_changes).toEqual(["storage_mb", "zone", "high_availability[0].standby_availability_zone"]);
    expect(server.name).toContain("acme-pg");
    expect(server.name).toContain(`sha1(${infra.resource("azurerm_resource_group").tfAddress}.id)`);
  });

  test("Entra ID only: password authentication off and no administrator login or password anywhere", () => {
    expect(server.authentication).toMatchObject({ active_directory_auth_enabled: true, password_auth_enabled: false });
    expect(server.administrator_login).toBeUndefined();
    expect(server.administrator_password).toBeUndefined();
  });

  test("encrypted with the versionless data key through its own identity, which may only wrap and unwrap with that key", () => {
    const identity = expectKeyIdentity(infra, "acme-postgres-cmk", dataKey(infra));
    expect(server.customer_managed_key).toEqual({ key_vault_key_id: infra.ref(dataKey(infra), "versionless_id"), primary_user_assigned_identity_id: infra.ref(identity, "id") });
    expect(server.identity).toEqual({ type: "UserAssigned", identity_ids: [infra.ref(identity, "id")] });
    expect(server.depends_on).toContain(infra.resources("azurerm_role_assignment").find((r) => r.principal_id === infra.ref(identity, "principal_id"))!.tfAddress);
  });

  test("TLS 1.2+ required, connections logged, pgaudit loaded", () => {
    const params = Object.fromEntries(infra.resources("azurerm_postgresql_flexible_server_configuration").map((c) => [c.name, c.value]));
    expect(params).toMatchObject({
      require_secure_transport: "on",
      ssl_min_protocol_version: "TLSv1.2",
      log_connections: "on",
      log_disconnections: "on",
      "azure.extensions": "PGAUDIT",
      "pgaudit.log": "DDL,ROLE",
    });
    expect(params.shared_preload_libraries.split(",")).toContain("pgaudit");
    for (const c of infra.resources("azurerm_postgresql_flexible_server_configuration")) expect(c.server_id).toBe(infra.ref(server, "id"));
  });

  test("a database named after the deployment; server logs to Log Analytics; protected from destroy and by a delete lock", () => {
    const db = infra.resource("azurerm_postgresql_flexible_server_database");
    expect(db).toMatchObject({ name: "acme", server_id: infra.ref(server, "id"), charset: "UTF8" });
    expect(db.lifecycle.prevent_destroy).toBe(true);
    expect(server.lifecycle.prevent_destroy).toBe(true);
    expectLogs(infra, infra.ref(server, "id"), [{ category: "PostgreSQLLogs" }]);
    expect(lockOn(infra, server).map((l) => l.lock_level)).toEqual(["CanNotDelete"]);
  });

  test("no HA on the small tier; a zone-redundant standby from medium up, added in place to a server pinned to the first zone", async () => {
    expect(server.high_availability).toBeUndefined();
    expect(server.zone).toBe("1");
    const { infra: medium } = await synth({ ...base, tier: "medium" });
    const m = medium.resource("azurerm_postgresql_flexible_server");
    expect(m).toMatchObject({ sku_name: "GP_Standard_D4ds_v5", storage_mb: 262144, backup_retention_days: 14, zone: "1", high_availability: { mode: "ZoneRedundant" } });
  });

  test("in a region without zones HA keeps its standby in the same zone and no zone is pinned", async () => {
    const { infra: westus } = await synth({ ...base, target: { cloud: "azure", region: "westus" }, tier: "medium" });
    const s = westus.resource("azurerm_postgresql_flexible_server");
    expect(s.zone).toBeUndefined();
    expect(s.high_availability).toEqual({ mode: "SameZone" });
  });

  test("disaster recovery: geo-redundant backups encrypted with the paired vault's key through an identity in the paired region", async () => {
    expect(server.geo_redundant_backup_enabled).toBe(false);
    const { infra: geo } = await synth(dr);
    const s = geo.resource("azurerm_postgresql_flexible_server");
    expect(s.geo_redundant_backup_enabled).toBe(true);
    const geoKey = geo.resource("azurerm_key_vault_key", (k) => k.name === "acme-data-geo");
    const geoIdentity = expectKeyIdentity(geo, "acme-postgres-geo-cmk", geoKey, "northeurope");
    expect(s.customer_managed_key).toMatchObject({
      geo_backup_key_vault_key_id: geo.ref(geoKey, "versionless_id"),
      geo_backup_user_assigned_identity_id: geo.ref(geoIdentity, "id"),
    });
    expect(s.identity.identity_ids).toContain(geo.ref(geoIdentity, "id"));
  });
});

describe("AzureDocuments", () => {
  let infra: StackJson;
  let cluster: Block;
  beforeAll(async () => {
    ({ infra } = await synth(everything));
    cluster = infra.resource("azurerm_mongo_cluster");
  });

  test("only when the spec asks for it", async () => {
    const { infra: none } = await synth(base);
    expect(none.resources("azurerm_mongo_cluster")).toEqual([]);
  });

  test("a vCore cluster from the tier, current MongoDB version, one shard, private and Entra-only", () => {
    expect(cluster).toMatchObject({
      compute_tier: "M30",
      version: "8.0",
      shard_count: 1,
      storage_size_in_gb: 128,
      high_availability_mode: "Disabled",
      public_network_access: "Disabled",
      authentication_methods: ["MicrosoftEntraID"],
    });
    expect(cluster.lifecycle.prevent_destroy).toBe(true);
    expectPrivateEndpoint(infra, cluster, "MongoCluster", "privatelink.mongocluster.cosmos.azure.com");
    expect(lockOn(infra, cluster).map((l) => l.lock_level)).toEqual(["CanNotDelete"]);
  });

  test("encrypted with the versionless data key through its own identity", () => {
    const identity = expectKeyIdentity(infra, "acme-documents-cmk", dataKey(infra));
    expect(cluster.customer_managed_key).toEqual({ key_vault_key_id: infra.ref(dataKey(infra), "versionless_id"), user_assigned_identity_id: infra.ref(identity, "id") });
  });

  test("the administrator's password is generated into the vault and read back, never written in the configuration", () => {
    const secret = infra.resource("azurerm_key_vault_secret");
    expect(secret).toMatchObject({ key_vault_id: infra.ref(infra.resource("azurerm_key_vault"), "id"), value: "${uuid()}" });
    expect(secret.lifecycle.ignore_changes).toEqual(["value"]);
    const read = infra.data("azurerm_key_vault_secret")[0];
    expect(read.name).toBe(infra.ref(secret, "name"));
    expect(cluster.administrator_password).toBe(infra.ref(read, "value"));
  });

  test("a zone-redundant standby from medium up (in place); request logs where the tier has them", async () => {
    expect(infra.resources("azurerm_monitor_diagnostic_setting").filter((d) => d.target_resource_id === infra.ref(cluster, "id"))).toEqual([]);
    const { infra: medium } = await synth({ ...everything, tier: "medium" });
    const m = medium.resource("azurerm_mongo_cluster");
    expect(m).toMatchObject({ compute_tier: "M40", high_availability_mode: "ZoneRedundantPreferred" });
    expectLogs(medium, medium.ref(m, "id"), [{ category: "vCoreMongoRequests" }]);
  });
});

describe("AzureRedis", () => {
  let infra: StackJson;
  let cache: Block;
  beforeAll(async () => {
    ({ infra } = await synth(base));
    cache = infra.resource("azurerm_managed_redis");
  });

  test("Azure Managed Redis, private, TLS only, access keys off, persisted hourly, refusing destroy", () => {
    expect(cache).toMatchObject({ sku_name: "Balanced_B1", public_network_access: "Disabled", high_availability_enabled: true });
    expect(cache.default_database).toMatchObject({
      access_keys_authentication_enabled: false,
      client_protocol: "Encrypted",
      clustering_policy: "EnterpriseCluster",
      persistence_redis_database_backup_frequency: "1h",
    });
    expect(cache.lifecycle).toEqual({ ignore_changes: ["sku_name"], prevent_destroy: true });
    expectPrivateEndpoint(infra, cache, "redisEnterprise", "privatelink.redis.azure.net");
    expectLogs(infra, infra.ref(cache, "default_database[0].id"), [{ category: "ConnectionEvents" }]);
  });

  test("disks encrypted with the data key through its own identity", () => {
    const identity = expectKeyIdentity(infra, "acme-redis-cmk", dataKey(infra));
    expect(cache.customer_managed_key).toEqual({ key_vault_key_id: infra.ref(dataKey(infra), "id"), user_assigned_identity_id: infra.ref(identity, "id") });
    expect(cache.identity).toEqual({ type: "UserAssigned", identity_ids: [infra.ref(identity, "id")] });
  });

  test("HA is on for every tier (it cannot be added later); a larger tier only changes the ignored SKU", async () => {
    const { infra: large } = await synth({ ...base, tier: "large" });
    expect(large.resource("azurerm_managed_redis")).toMatchObject({ sku_name: "MemoryOptimized_M20", high_availability_enabled: true });
  });
});

describe("AzureBlobStorage", () => {
  let infra: StackJson;
  let account: Block;
  beforeAll(async () => {
    ({ infra } = await synth(base));
    account = infra.resource("azurerm_storage_account", (a) => String(a.name).includes("acmedata"));
  });

  test("a globally unique, stable name; StorageV2 closed to public networks, shared keys, SAS and anonymous access", () => {
    expect(account.name).toContain(`sha1(${infra.resource("azurerm_resource_group").tfAddress}.id)`);
    expect(account).toMatchObject({
      account_kind: "StorageV2",
      account_tier: "Standard",
      public_network_access_enabled: false,
      network_rules: { default_action: "Deny", bypass: ["None"] },
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      allow_nested_items_to_be_public: false,
      local_user_enabled: false,
      cross_tenant_replication_enabled: false,
      min_tls_version: "TLS1_2",
      https_traffic_only_enabled: true,
      infrastructure_encryption_enabled: true,
    });
    expect(account.lifecycle.prevent_destroy).toBe(true);
    expect(lockOn(infra, account).map((l) => l.lock_level)).toEqual(["CanNotDelete"]);
    expectPrivateEndpoint(infra, account, "blob", "privatelink.blob.core.windows.net");
  });

  test("encrypted with the versionless data key through its own identity, queues and tables included", () => {
    const identity = expectKeyIdentity(infra, "acme-buckets-cmk", dataKey(infra));
    expect(account.customer_managed_key).toEqual({ key_vault_key_id: infra.ref(dataKey(infra), "versionless_id"), user_assigned_identity_id: infra.ref(identity, "id") });
    expect(account).toMatchObject({ queue_encryption_key_type: "Account", table_encryption_key_type: "Account" });
  });

  test("versions, soft delete of blobs and containers, change feed and point-in-time restore shorter than soft delete", () => {
    expect(account.blob_properties).toEqual({
      versioning_enabled: true,
      change_feed_enabled: true,
      change_feed_retention_in_days: 14,
      delete_retention_policy: { days: 14 },
      container_delete_retention_policy: { days: 14 },
      restore_policy: { days: 7 },
    });
  });

  test("one private container per bucket, through Resource Manager, refusing destroy", () => {
    const containers = infra.resources("azurerm_storage_container");
    expect(containers.map((c) => c.name).sort()).toEqual(["backups", "config", "logs", "metrics"]);
    for (const c of containers) {
      expect(c).toMatchObject({ storage_account_id: infra.ref(account, "id"), container_access_type: "private" });
      expect(c.lifecycle.prevent_destroy).toBe(true);
    }
  });

  test("objects and their versions expire after the bucket's retention; buckets without one keep everything", () => {
    const policy = infra.resource("azurerm_storage_management_policy");
    expect(policy.storage_account_id).toBe(infra.ref(account, "id"));
    expect(policy.rule.map((r: { name: string }) => r.name)).toEqual(["expire-metrics", "expire-logs"]);
    expect(policy.rule[1]).toEqual({
      name: "expire-logs",
      enabled: true,
      filters: { blob_types: ["blockBlob"], prefix_match: ["logs/"] },
      actions: {
        // Loki keeps logs 30 days by default: the lifecycle runs a week behind.
        base_blob: { delete_after_days_since_modification_greater_than: 37 },
        version: { delete_after_days_since_creation: 37 },
        snapshot: { delete_after_days_since_creation_greater_than: 37 },
      },
    });
  });

  test("every blob read, write and delete goes to Log Analytics (instead of an access-log bucket)", () => {
    expectLogs(infra, `\${${account.tfAddress}.id}/blobServices/default`, [{ category: "StorageRead" }, { category: "StorageWrite" }, { category: "StorageDelete" }]);
  });

  test("zone-redundant, geo-zone-redundant with disaster recovery; LRS/GRS in a region without zones", async () => {
    const repl = (s: StackJson) => s.resource("azurerm_storage_account", (a) => String(a.name).includes("acmedata")).account_replication_type;
    expect(repl(infra)).toBe("ZRS");
    expect(repl((await synth(dr)).infra)).toBe("GZRS");
    const westus = { ...base, target: { cloud: "azure", region: "westus" } };
    expect(repl((await synth(westus)).infra)).toBe("LRS");
    expect(repl((await synth({ ...westus, data: { disasterRecovery: {} } })).infra)).toBe("GRS");
  });

  test("the provider never uses the storage data plane, which the account closes", () => {
    for (const p of infra.json.provider.azurerm) expect(p.features[0].storage).toEqual([{ data_plane_available: false }]);
  });
});

describe("protection disabled (development)", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth(unprotected));
  });

  test("no prevent_destroy on the stores, the data key and the containers, and no delete locks", () => {
    const types = [
      "azurerm_postgresql_flexible_server",
      "azurerm_postgresql_flexible_server_database",
      "azurerm_mongo_cluster",
      "azurerm_managed_redis",
      "azurerm_storage_container",
    ];
    for (const type of types) for (const r of infra.resources(type)) expect(r.lifecycle?.prevent_destroy, r.tfAddress).toBeUndefined();
    expect(dataKey(infra).lifecycle?.prevent_destroy).toBeUndefined();
    expect(infra.resource("azurerm_storage_account", (a) => String(a.name).includes("acmedata")).lifecycle?.prevent_destroy).toBeUndefined();
    expect(infra.resources("azurerm_management_lock")).toEqual([]);
  });
});

describe("AzureDataLayer and the platform wiring", () => {
  let infra: StackJson;
  let platform: StackJson;
  let identity: Block;
  beforeAll(async () => {
    ({ infra, platform } = await synth(everything));
    identity = identityNamed(platform, "acme-wi-app-workload");
  });

  test("the endpoints ConfigMap: each store's private host, port and Entra settings, the containers and the blob endpoint", () => {
    const cm = platform.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "data-endpoints");
    const pg = infra.resource("azurerm_postgresql_flexible_server");
    const redis = infra.resource("azurerm_managed_redis");
    const docs = infra.resource("azurerm_mongo_cluster");
    const account = infra.resource("azurerm_storage_account", (a) => String(a.name).includes("acmedata"));
    expect(cm.data).toEqual({
      POSTGRES_HOST: fromInfra(infra, pg, "fqdn"),
      POSTGRES_PORT: "5432",
      POSTGRES_DATABASE: "acme",
      POSTGRES_SSLMODE: "verify-full",
      POSTGRES_AUTH: "entra",
      DOCUMENTS_HOST: `${fromInfra(infra, docs, "name")}.global.mongocluster.cosmos.azure.com`,
      DOCUMENTS_PORT: "10260",
      DOCUMENTS_DATABASE: "acme",
      DOCUMENTS_TLS: "true",
      DOCUMENTS_SRV: "true",
      DOCUMENTS_AUTH: "entra",
      DOCUMENTS_AUTHMECHANISM: "MONGODB-OIDC",
      DOCUMENTS_RETRYWRITES: "false",
      REDIS_HOST: fromInfra(infra, redis, "hostname"),
      REDIS_PORT: "10000",
      REDIS_TLS: "true",
      REDIS_AUTH: "entra",
      BUCKET_METRICS: "metrics",
      BUCKET_LOGS: "logs",
      BUCKET_CONFIG: "config",
      BUCKET_BACKUPS: "backups",
      OBJECT_STORE_API: "azure-blob",
      OBJECT_STORE_ENDPOINT: fromInfra(infra, account, "primary_blob_endpoint"),
      // The tenant's own Entra identity: client id for token requests, its logins, and the pod label.
      AZURE_CLIENT_ID: platform.ref(identity, "client_id"),
      POSTGRES_USER: platform.ref(identity, "name"),
      REDIS_USER: platform.ref(identity, "principal_id"),
      WORKLOAD_POD_LABELS: "azure.workload.identity/use=true",
    });
  });

  test("no credentials anywhere: no data-credentials store and no synced credential Secret", () => {
    const manifests = platform.resources("helm_release").flatMap((r) => (r.values ?? []).map((v: string) => JSON.stringify(parse(v))));
    expect(manifests.join("\n")).not.toContain("data-credentials");
    expect(platform.resources("kubernetes_service_account_v1").filter((s) => s.metadata.name === "data-credentials")).toEqual([]);
  });

  test("the tenant's workloads act as their own identity, federated with app/workload", () => {
    const credential = platform.resource("azurerm_federated_identity_credential", (c) => c.parent_id === platform.ref(identity, "id"));
    expect(credential.subject).toBe("system:serviceaccount:app:workload");
    const sa = platform.resource("kubernetes_service_account_v1", (s) => s.metadata.name === "workload");
    expect(sa.metadata.annotations).toEqual({ "azure.workload.identity/client-id": platform.ref(identity, "client_id") });
  });

  test("read and write on exactly the product's containers (not the platform's logs and metrics), scoped to each container", () => {
    const grants = platform.resources("azurerm_role_assignment").filter((r) => r.principal_id === platform.ref(identity, "principal_id"));
    const container = (name: string) => infra.resource("azurerm_storage_container", (c) => c.name === name);
    expect(grants.map((g) => [g.role_definition_name, g.scope]).sort()).toEqual(
      [
        ["Storage Blob Data Contributor", fromInfra(infra, container("backups"), "resource_manager_id")],
        ["Storage Blob Data Contributor", fromInfra(infra, container("config"), "resource_manager_id")],
      ].sort(),
    );
  });

  test("an Entra sign-in on each store: PostgreSQL administrator, document database user, Redis access policy", () => {
    const pg = infra.resource("azurerm_postgresql_flexible_server");
    const admin = platform.resource("azurerm_postgresql_flexible_server_active_directory_administrator");
    expect(admin).toEqual(
      expect.objectContaining({
        server_name: fromInfra(infra, pg, "name"),
        resource_group_name: fromInfra(infra, pg, "resource_group_name"),
        object_id: platform.ref(identity, "principal_id"),
        principal_name: platform.ref(identity, "name"),
        principal_type: "ServicePrincipal",
        tenant_id: platform.ref(identity, "tenant_id"),
      }),
    );
    const user = platform.resource("azurerm_mongo_cluster_user");
    expect(user).toMatchObject({
      mongo_cluster_id: fromInfra(infra, infra.resource("azurerm_mongo_cluster"), "id"),
      object_id: platform.ref(identity, "principal_id"),
      identity_provider_type: "MicrosoftEntraID",
      principal_type: "servicePrincipal",
      role: [{ database: "admin", name: "root" }],
    });
    const redis = infra.resource("azurerm_managed_redis");
    const access = platform.resource("azurerm_resource_group_template_deployment");
    expect(access.deployment_mode).toBe("Incremental");
    expect(JSON.parse(access.template_content)).toEqual(REDIS_ACCESS_TEMPLATE);
    expect(REDIS_ACCESS_TEMPLATE.resources[0]).toMatchObject({
      type: "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments",
      properties: { accessPolicyName: "default" },
    });
    expect(access.parameters_content).toContain(fromInfra(infra, redis, "name").slice(2, -1));
    expect(access.parameters_content).toContain(`${identity.tfAddress}.principal_id`);
    const sa = platform.resource("kubernetes_service_account_v1", (s) => s.metadata.name === "workload");
    expect(sa.depends_on).toEqual(expect.arrayContaining([admin.tfAddress, user.tfAddress, access.tfAddress]));
  });

  test("outputs named after each store's path: store hosts and the storage account", () => {
    for (const name of ["data_postgres_host", "data_documents_host", "data_redis_host", "data_buckets_account_name"]) expect(infra.json.output[name], name).toBeDefined();
  });
});

describe("tier changes keep the data layer's addresses and replacement-forcing attributes", () => {
  const STATEFUL = [
    "azurerm_postgresql_flexible_server",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_mongo_cluster",
    "azurerm_managed_redis",
    "azurerm_storage_account",
    "azurerm_storage_container",
    "azurerm_key_vault",
    "azurerm_key_vault_key",
    "azurerm_user_assigned_identity",
    "azurerm_private_dns_zone",
  ];
  /** The attributes azurerm 4.55 replaces the resource for (see the report), per type. */
  const forcing = (s: StackJson) => {
    const pg = s.resource("azurerm_postgresql_flexible_server");
    const docs = s.resource("azurerm_mongo_cluster");
    const redis = s.resource("azurerm_managed_redis");
    const account = s.resource("azurerm_storage_account", (a) => String(a.name).includes("acmedata"));
    return {
      postgres: [pg.name, pg.location, pg.resource_group_name, pg.administrator_login, pg.delegated_subnet_id, pg.private_dns_zone_id, pg.zone, pg.geo_redundant_backup_enabled, pg.create_mode, pg.customer_managed_key, pg.identity],
      database: s.resources("azurerm_postgresql_flexible_server_database").map((d) => [d.name, d.server_id, d.charset, d.collation]),
      documents: [docs.name, docs.location, docs.administrator_username, docs.shard_count, docs.storage_type, docs.customer_managed_key, docs.identity, docs.preview_features, docs.create_mode],
      // sku_name forces a new cache in 4.55 but is ignored after creation.
      redis: [redis.name, redis.location, redis.high_availability_enabled, redis.default_database.clustering_policy, redis.lifecycle.ignore_changes],
      account: [account.name, account.account_kind, account.account_tier, account.infrastructure_encryption_enabled, account.is_hns_enabled, account.queue_encryption_key_type, account.table_encryption_key_type],
      containers: s.resources("azurerm_storage_container").map((c) => [c.name, c.storage_account_id]),
    };
  };

  test("small, medium and large: same stateful addresses and forcing attributes, while the sizes differ", async () => {
    const [small, medium, large] = await Promise.all(["small", "medium", "large"].map(async (tier) => (await synth({ ...everything, tier })).infra));
    for (const other of [medium, large]) {
      for (const type of STATEFUL) expect(other.resources(type).map((r) => r.tfAddress), type).toEqual(small.resources(type).map((r) => r.tfAddress));
      expect(forcing(other)).toEqual(forcing(small));
    }
    expect(large.resource("azurerm_postgresql_flexible_server").sku_name).toBe("MO_Standard_E8ds_v5");
    expect(large.resource("azurerm_mongo_cluster").compute_tier).toBe("M50");
  });

  test("changing only HA, sizes or backup days keeps them too", async () => {
    const { infra: a } = await synth(everything);
    const { infra: b } = await synth({ ...everything, data: { documents: { enabled: true }, postgres: { instanceClass: "GP_Standard_D2ds_v5", ha: true, storageGb: 600, backupDays: 21 }, redis: { ha: true, nodeType: "Balanced_B3" } } });
    expect(forcing(b)).toEqual(forcing(a));
    for (const type of STATEFUL) expect(b.resources(type).map((r) => r.tfAddress), type).toEqual(a.resources(type).map((r) => r.tfAddress));
  });
});
