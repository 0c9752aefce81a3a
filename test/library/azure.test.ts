import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { describe, expect, test } from "vitest";
import { AksCluster } from "../../lib/cluster/aks";
import { Naming } from "../../lib/core/naming";
import { ByocStack } from "../../lib/core/stack";
import { AzureDataLayer } from "../../lib/data/azure";
import { AzureDocuments } from "../../lib/data/azure-documents";
import { AzurePostgres } from "../../lib/data/azure-postgres";
import { AzureRedis } from "../../lib/data/azure-redis";
import { AzureBlobStorage } from "../../lib/data/azure-storage";
import { AzureKeys } from "../../lib/data/keys/azure";
import { AzureDns } from "../../lib/dns/azure";
import { AzureNetwork } from "../../lib/network/azure";
import { AzurePlatformTarget } from "../../lib/platform/targets/azure";
import { AzureSiteToSiteVpn } from "../../lib/vpn/azure";
import { StackJson } from "../support/synth";

/**
 * The Azure constructs as a library user composes them: each alone in a plain
 * TerraformStack with just the azurerm provider, given only the props it needs.
 * Existing resources come in as ids.
 */

const naming = new Naming("acme");
const SUB = "/subscriptions/00000000-0000-4000-8000-000000000001";
const RG = `${SUB}/resourceGroups/acme-app`;
const VNET = `${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/shared`;
const subnet = (name: string) => `${VNET}/subnets/${name}`;
/** An existing VNet and the resource group the kit's resources go in, by ids only. */
const vnet = AzureNetwork.fromVnetAttributes({
  location: "westeurope",
  resourceGroupName: "acme-app",
  resourceGroupId: RG,
  vnetId: VNET,
  cidr: "10.40.0.0/16",
  zones: ["1", "2", "3"],
  nodesSubnetId: subnet("nodes"),
  privateEndpointsSubnetId: subnet("endpoints"),
  databaseSubnetId: subnet("postgres"),
  apiServerSubnetId: subnet("aks-api"),
});
const VAULT = `${SUB}/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/acme-keys`;
/** The user's own key, for the stores and the cluster alike. */
const key = AzureKeys.fromKeyAttributes({ keyVaultId: VAULT, name: "data", version: "0123456789abcdef" });
const WORKSPACE = `${RG}/providers/Microsoft.OperationalInsights/workspaces/logs`;
const store = { naming, network: vnet, key, logsWorkspaceId: WORKSPACE };

/** A plain TerraformStack with just the azurerm provider. */
function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), "test");
  new AzurermProvider(s, "azurerm", { features: [{}] });
  return s;
}
const synthesized = (s: TerraformStack) => new StackJson("test", JSON.parse(Testing.synth(s)), s);
/** Key Vault resources of the stack: none where the user's key is given. */
const vaultTypes = (json: StackJson) => Object.keys(json.json.resource ?? {}).filter((t) => t.startsWith("azurerm_key_vault"));

describe("adopters", () => {
  test("an existing key by ids: the data-plane ids and the resource id a role is scoped to", () => {
    expect(key).toEqual({
      id: "https://acme-keys.vault.azure.net/keys/data/0123456789abcdef",
      versionlessId: "https://acme-keys.vault.azure.net/keys/data",
      resourceVersionlessId: `${VAULT}/keys/data`,
    });
    expect(AzureKeys.vaultFromId(VAULT)).toEqual({ keyVaultId: VAULT, vaultUri: "https://acme-keys.vault.azure.net/" });
  });

  test("an existing VNet without zones or peers given: none", () => {
    const bare = AzureNetwork.fromVnetAttributes({ ...vnet, zones: undefined, peerCidrs: undefined });
    expect([bare.zones, bare.peerCidrs]).toEqual([[], []]);
  });
});

describe("AzurePostgres alone", () => {
  test("in an existing VNet given by ids, with the user's key: private, Entra-only, encrypted with that key, protected, small-tier sizes; no vault or key created", () => {
    // GIVEN a plain stack, an existing VNet and key
    const s = stack();
    // WHEN only the network, the key, the workspace and the naming are given
    new AzurePostgres(s, "Postgres", store);
    const json = synthesized(s);

    // THEN the server is private in the given subnet, Entra-only, encrypted and protected
    const server = json.resource("azurerm_postgresql_flexible_server");
    expect(server).toMatchObject({
      location: "westeurope",
      resource_group_name: "acme-app",
      version: "17",
      sku_name: "B_Standard_B2ms",
      storage_mb: 131072,
      backup_retention_days: 7,
      zone: "1",
      delegated_subnet_id: subnet("postgres"),
      public_network_access_enabled: false,
      geo_redundant_backup_enabled: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(server.high_availability).toBeUndefined();
    expect(server.authentication).toMatchObject({ active_directory_auth_enabled: true, password_auth_enabled: false });
    expect(server.name).toContain(`sha1("${RG}")`);
    const identity = json.resource("azurerm_user_assigned_identity");
    expect(server.customer_managed_key).toEqual({ key_vault_key_id: key.versionlessId, primary_user_assigned_identity_id: json.ref(identity, "id") });
    // Its identity may wrap and unwrap with that one key, nothing else.
    expect(json.resource("azurerm_role_assignment")).toMatchObject({
      scope: key.resourceVersionlessId,
      role_definition_name: "Key Vault Crypto Service Encryption User",
      principal_id: json.ref(identity, "principal_id"),
    });
    expect(json.resource("azurerm_private_dns_zone_virtual_network_link").virtual_network_id).toBe(VNET);
    expect(json.resource("azurerm_postgresql_flexible_server_database").name).toBe("acme");
    expect(json.resource("azurerm_management_lock")).toMatchObject({ scope: json.ref(server, "id"), lock_level: "CanNotDelete" });
    expect(json.resource("azurerm_monitor_diagnostic_setting").log_analytics_workspace_id).toBe(WORKSPACE);
    expect(vaultTypes(json)).toEqual([]);
    expect(json.json.output.postgres_host.value).toBe(json.ref(server, "fqdn"));
  });

  test("two servers in one stack get distinct outputs", () => {
    const s = stack();
    new AzurePostgres(s, "Orders", { ...store, naming: new Naming("orders") });
    new AzurePostgres(s, "Billing", { ...store, naming: new Naming("billing") });
    const out = synthesized(s).json.output;
    expect(Object.keys(out).sort()).toEqual(["billing_host", "orders_host"]);
    expect(out.orders_host.value).not.toBe(out.billing_host.value);
  });

  test("geo-redundant backups with a key in the paired region, through an identity there", () => {
    const s = stack();
    const geoKey = AzureKeys.fromKeyAttributes({ keyVaultId: `${SUB}/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/acme-geo`, name: "data", version: "1" });
    new AzurePostgres(s, "Postgres", { ...store, geoBackup: { location: "northeurope", key: geoKey } });
    const json = synthesized(s);
    const server = json.resource("azurerm_postgresql_flexible_server");
    const geoIdentity = json.resource("azurerm_user_assigned_identity", (i) => i.location === "northeurope");
    expect(server.geo_redundant_backup_enabled).toBe(true);
    expect(server.customer_managed_key).toMatchObject({ geo_backup_key_vault_key_id: geoKey.versionlessId, geo_backup_user_assigned_identity_id: json.ref(geoIdentity, "id") });
  });

  test("without a database subnet, or with bad sizes, it refuses, naming the prop and the value", () => {
    const { databaseSubnetId: _unused, ...noDatabase } = vnet;
    expect(() => new AzurePostgres(stack(), "Postgres", { ...store, network: noDatabase })).toThrow(
      "AzurePostgres test/Postgres: network.databaseSubnetId is required: a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers",
    );
    expect(() => new AzurePostgres(stack(), "Postgres", { ...store, storageGb: 40000 })).toThrow(
      "AzurePostgres test/Postgres: storageGb must be a whole number of GB from 1 to 32767, the most flexible server offers (got 40000)",
    );
    expect(() => new AzurePostgres(stack(), "Postgres", { ...store, backupDays: 3 })).toThrow('AzurePostgres test/Postgres: backupDays must be an integer from 7 to 35 (got 3)');
    expect(() => new AzurePostgres(stack(), "Postgres", { ...store, instanceClass: "db.t4g.medium" })).toThrow(
      'AzurePostgres test/Postgres: instanceClass must be a flexible server SKU such as "GP_Standard_D4ds_v5" (got "db.t4g.medium")',
    );
    expect(() => new AzurePostgres(stack(), "Postgres", { ...store, version: "12" })).toThrow('AzurePostgres test/Postgres: version must be one of 15, 16, 17 (got "12")');
  });

  test("protection off: no prevent_destroy and no delete lock", () => {
    const s = stack();
    new AzurePostgres(s, "Postgres", { ...store, protection: false });
    const json = synthesized(s);
    expect(json.resource("azurerm_postgresql_flexible_server").lifecycle.prevent_destroy).toBeUndefined();
    expect(json.resources("azurerm_management_lock")).toEqual([]);
  });
});

describe("AzureDocuments, AzureRedis and AzureBlobStorage alone", () => {
  test("the document database: private endpoint in the given subnet, Entra-only, the password generated into the given vault", () => {
    const s = stack();
    new AzureDocuments(s, "Documents", { ...store, adminPasswordVault: AzureKeys.vaultFromId(VAULT) });
    const json = synthesized(s);
    const cluster = json.resource("azurerm_mongo_cluster");
    expect(cluster).toMatchObject({ compute_tier: "M30", high_availability_mode: "Disabled", public_network_access: "Disabled", authentication_methods: ["MicrosoftEntraID"] });
    expect(cluster.customer_managed_key.key_vault_key_id).toBe(key.versionlessId);
    expect(json.resource("azurerm_key_vault_secret")).toMatchObject({ key_vault_id: VAULT, value: "${uuid()}" });
    expect(json.resource("azurerm_private_endpoint").subnet_id).toBe(subnet("endpoints"));
    expect(json.json.output.documents_host).toBeDefined();
  });

  test("Redis: the versioned key id (azurerm 4.55), private, access keys off", () => {
    const s = stack();
    new AzureRedis(s, "Cache", store);
    const json = synthesized(s);
    const cache = json.resource("azurerm_managed_redis");
    expect(cache).toMatchObject({ sku_name: "Balanced_B1", public_network_access: "Disabled", high_availability_enabled: true });
    expect(cache.customer_managed_key.key_vault_key_id).toBe(key.id);
    expect(cache.default_database.access_keys_authentication_enabled).toBe(false);
    expect(json.json.output.cache_host.value).toBe(json.ref(cache, "hostname"));
    expect(() => new AzureRedis(stack(), "Cache", { ...store, nodeType: "cache.t4g.small" })).toThrow(
      'AzureRedis test/Cache: nodeType must be a Managed Redis SKU such as "Balanced_B5" (got "cache.t4g.small")',
    );
  });

  test("buckets: only the containers asked for, closed to shared keys and public networks, expiring as asked", () => {
    const s = stack();
    new AzureBlobStorage(s, "Buckets", { ...store, buckets: ["uploads", "exports"], retentionDays: { exports: 7 } });
    const json = synthesized(s);
    const account = json.resource("azurerm_storage_account");
    expect(account).toMatchObject({ public_network_access_enabled: false, shared_access_key_enabled: false, account_replication_type: "ZRS", lifecycle: { prevent_destroy: true } });
    expect(json.resources("azurerm_storage_container").map((c) => c.name).sort()).toEqual(["exports", "uploads"]);
    expect(json.resource("azurerm_storage_management_policy").rule.map((r: { name: string }) => r.name)).toEqual(["expire-exports"]);
    expect(json.json.output.buckets_account_name.value).toBe(json.ref(account, "name"));
  });

  test("buckets refuse a retention for an unlisted bucket, and geo-redundancy where the region has no pair", () => {
    expect(() => new AzureBlobStorage(stack(), "Buckets", { ...store, buckets: ["uploads"], retentionDays: { logs: 30 } })).toThrow(
      'AzureBlobStorage test/Buckets: retentionDays must be days from 1 to 3650 for buckets listed in buckets (got {"logs":30})',
    );
    const poland = AzureNetwork.fromVnetAttributes({ ...vnet, location: "polandcentral" });
    expect(() => new AzureBlobStorage(stack(), "Buckets", { ...store, network: poland, buckets: ["uploads"], geoRedundant: true })).toThrow(
      "AzureBlobStorage test/Buckets: geoRedundant needs a region with an Azure pair; polandcentral has none",
    );
  });

  test("the data layer with only buckets: no database, no cache", () => {
    const s = stack();
    const data = new AzureDataLayer(s, "Data", { ...store, buckets: { buckets: ["uploads"] } });
    const json = synthesized(s);
    expect(data.stores).toEqual([]);
    expect(json.resources("azurerm_postgresql_flexible_server")).toEqual([]);
    expect(Object.keys(data.containerIds)).toEqual(["uploads"]);
    expect(Object.keys(json.json.output)).toEqual(["data_buckets_account_name"]);
  });
});

describe("AzureNetwork alone", () => {
  test("defaults: 10.0.0.0/16 with the region's zones, a private API server subnet", () => {
    const s = stack();
    const network = new AzureNetwork(s, "Network", { naming, location: "westeurope" });
    const json = synthesized(s);
    expect(network.zones).toEqual(["1", "2", "3"]);
    expect(json.resource("azurerm_virtual_network").address_space).toEqual(["10.0.0.0/16"]);
    expect(json.resource("azurerm_network_watcher_flow_log").retention_policy).toEqual({ enabled: true, days: 365 });
    const apiAssoc = json.resource("azurerm_subnet_network_security_group_association", (a) => a.subnet_id === json.ref(json.resource("azurerm_subnet", (x) => x.name === "api-server"), "id"));
    const nsg = json.resource("azurerm_network_security_group", (n) => apiAssoc.network_security_group_id === json.ref(n, "id"));
    expect(nsg.security_rule.filter((r: { access: string }) => r.access === "Allow")).toEqual([]);
  });

  test("inside a ByocStack it takes the stack's naming", () => {
    const s = new ByocStack(Testing.app(), "test", { deployment: "contoso" });
    new AzurermProvider(s, "azurerm", { features: [{}] });
    new AzureNetwork(s, "Network", { location: "westus" });
    expect(synthesized(s).resource("azurerm_resource_group").name).toBe("contoso-rg");
  });

  test("bad props are refused with the prop and the value", () => {
    expect(() => new AzureNetwork(stack(), "Network", { naming, location: "westeurope", cidr: "10.0.0.0/8" })).toThrow(
      'AzureNetwork test/Network: cidr must be an IPv4 range from /16 to /20, e.g. 10.0.0.0/16 (got "10.0.0.0/8")',
    );
    expect(() => new AzureNetwork(stack(), "Network", { naming, location: "westeurope", zones: ["a"] })).toThrow(
      'AzureNetwork test/Network: zones must be a list of Azure zones, "1", "2" or "3" (got ["a"])',
    );
    expect(() => new AzureNetwork(stack(), "Network", { naming, location: "westeurope", flowLogRetentionDays: 400 })).toThrow(
      "AzureNetwork test/Network: flowLogRetentionDays must be an integer from 1 to 365 (got 400)",
    );
  });
});

describe("AzureKeys alone", () => {
  test("a private vault by default, in an existing VNet: no public endpoint, a private endpoint in the given subnet", () => {
    const s = stack();
    new AzureKeys(s, "Keys", { naming, network: vnet });
    const json = synthesized(s);
    const vault = json.resource("azurerm_key_vault");
    expect(vault).toMatchObject({ public_network_access_enabled: false, purge_protection_enabled: true, rbac_authorization_enabled: true, resource_group_name: "acme-app" });
    expect(vault.network_acls).toEqual({ default_action: "Deny", bypass: "AzureServices", ip_rules: [] });
    expect(json.resource("azurerm_private_endpoint").subnet_id).toBe(subnet("endpoints"));
    expect(json.resources("azurerm_key_vault").map((v) => v.location)).toEqual(["westeurope"]);
  });

  test("allowedCidrs open the firewall to exactly those; disasterRecovery adds the paired region's vault", () => {
    const s = stack();
    const keys = new AzureKeys(s, "Keys", { naming, network: vnet, allowedCidrs: ["203.0.113.7/32"], disasterRecovery: true });
    const json = synthesized(s);
    const vault = json.resource("azurerm_key_vault", (v) => v.location === "westeurope");
    expect(vault.public_network_access_enabled).toBe(true);
    expect(vault.network_acls.ip_rules).toEqual(["203.0.113.7"]);
    expect(keys.geo?.location).toBe("northeurope");
    expect(() => new AzureKeys(stack(), "Keys", { naming, network: vnet, allowedCidrs: ["anywhere"] })).toThrow(
      'AzureKeys test/Keys: allowedCidrs must be a list of IPv4 ranges such as 203.0.113.0/24 (got ["anywhere"])',
    );
  });
});

describe("AksCluster alone", () => {
  const disksKey = AzureKeys.fromKeyAttributes({ keyVaultId: VAULT, name: "disks", version: "fedcba9876543210" });
  const aks = { naming, network: vnet, kmsKey: key, kmsKeyVaultId: VAULT, disksKey };

  test("in an existing VNet with the user's key: private API server in the given subnet, KMS with the versioned key, small-tier pools", () => {
    const s = stack();
    new AksCluster(s, "Cluster", aks);
    const json = synthesized(s);
    const cluster = json.resource("azurerm_kubernetes_cluster");
    expect(cluster).toMatchObject({ name: "acme-cluster", kubernetes_version: "1.35", private_cluster_enabled: true, local_account_disabled: true, workload_identity_enabled: true });
    expect(cluster.api_server_access_profile).toEqual({ subnet_id: subnet("aks-api"), virtual_network_integration_enabled: true });
    expect(cluster.key_management_service).toEqual({ key_vault_key_id: key.id, key_vault_network_access: "Private" });
    expect(cluster.network_profile).toMatchObject({ pod_cidr: "100.64.0.0/16", service_cidr: "100.65.0.0/16" });
    expect(cluster.default_node_pool).toMatchObject({ vm_size: "Standard_D2s_v5", vnet_subnet_id: subnet("nodes"), zones: ["1", "2", "3"] });
    expect(json.resources("azurerm_role_assignment").filter((r) => r.scope === VAULT).map((r) => r.role_definition_name).sort()).toEqual(["Key Vault Contributor", "Key Vault Crypto User"]);
    expect(vaultTypes(json)).toEqual([]);
    // The user's disks key, by its versionless id, scoped to that key alone.
    const set = json.resource("azurerm_disk_encryption_set");
    expect(cluster.disk_encryption_set_id).toBe(json.ref(set, "id"));
    expect(set.key_vault_key_id).toBe(`https://acme-keys.vault.azure.net/keys/disks`);
    expect(json.resource("azurerm_role_assignment", (r) => r.role_definition_name === "Key Vault Crypto Service Encryption User").scope).toBe(`${VAULT}/keys/disks`);
    expect(Object.keys(json.json.output).sort()).toEqual(["cluster_id", "cluster_name", "cluster_oidc_issuer_url", "cluster_resource_group_name"]);
  });

  test("allowedCidrs make it public-restricted to exactly those", () => {
    const s = stack();
    new AksCluster(s, "Cluster", { ...aks, allowedCidrs: ["198.51.100.0/24"] });
    const cluster = synthesized(s).resource("azurerm_kubernetes_cluster");
    expect(cluster.private_cluster_enabled).toBe(false);
    expect(cluster.api_server_access_profile.authorized_ip_ranges).toEqual(["198.51.100.0/24"]);
  });

  test("bad props are refused with the prop and the value", () => {
    const { apiServerSubnetId: _unused, ...noApiSubnet } = vnet;
    expect(() => new AksCluster(stack(), "Cluster", { ...aks, network: noApiSubnet })).toThrow(
      "AksCluster test/Cluster: network.apiServerSubnetId is required: a subnet delegated to Microsoft.ContainerService/managedClusters for API server VNet integration",
    );
    expect(() => new AksCluster(stack(), "Cluster", { ...aks, version: "1.20" })).toThrow('AksCluster test/Cluster: version must be one of 1.33, 1.34, 1.35, 1.36 (got "1.20")');
    expect(() => new AksCluster(stack(), "Cluster", { ...aks, logRetentionDays: 7 })).toThrow("AksCluster test/Cluster: logRetentionDays must be an integer from 30 to 730 (got 7)");
    expect(() => new AksCluster(stack(), "Cluster", { ...aks, workloadsPool: { instanceType: "Standard_D4s_v5", min: 5, max: 2, diskGb: 100 } })).toThrow(
      'AksCluster test/Cluster: workloadsPool must be a pool whose min is at least 1 and max from min to 1000 (got {"instanceType":"Standard_D4s_v5","min":5,"max":2,"diskGb":100})',
    );
  });
});

describe("AzureDns and AzureSiteToSiteVpn alone", () => {
  test("DNS: the private zone named after the deployment, linked to the given VNet; no public zone without a domain", () => {
    const s = stack();
    new AzureDns(s, "Dns", { naming, network: vnet });
    const json = synthesized(s);
    expect(json.resource("azurerm_private_dns_zone")).toMatchObject({ name: "acme.internal", resource_group_name: "acme-app" });
    expect(json.resource("azurerm_private_dns_zone_virtual_network_link").virtual_network_id).toBe(VNET);
    expect(json.resources("azurerm_dns_zone")).toEqual([]);
    expect(json.json.output).toBeUndefined();
  });

  test("VPN: the default SKU in the given gateway subnet, the key read from the given vault", () => {
    const s = stack();
    const peer = { name: "hq", cidrs: ["192.168.0.0/20"], gatewayIp: "198.51.100.10", pskSecretName: "vpn-hq" };
    new AzureSiteToSiteVpn(s, "Vpn", { naming, network: vnet, gatewaySubnetId: subnet("GatewaySubnet"), keyVaultId: VAULT, peers: [peer] });
    const json = synthesized(s);
    const gateway = json.resource("azurerm_virtual_network_gateway");
    expect(gateway).toMatchObject({ sku: "VpnGw1AZ", vpn_type: "RouteBased" });
    expect(gateway.generation).toBeUndefined();
    expect(gateway.ip_configuration[0].subnet_id).toBe(subnet("GatewaySubnet"));
    expect(json.data("azurerm_key_vault_secret")[0]).toMatchObject({ name: "vpn-hq", key_vault_id: VAULT });
    expect(() => new AzureSiteToSiteVpn(stack(), "Vpn", { naming, network: vnet, gatewaySubnetId: "x", keyVaultId: VAULT, peers: [peer], sku: "Basic" })).toThrow(
      'AzureSiteToSiteVpn test/Vpn: sku must be one of VpnGw1AZ, VpnGw2AZ, VpnGw3AZ, VpnGw4AZ, VpnGw5AZ (got "Basic")',
    );
    expect(() => new AzureSiteToSiteVpn(stack(), "Vpn", { naming, network: vnet, gatewaySubnetId: "x", keyVaultId: VAULT, peers: [{ ...peer, pskSecretName: "vpn/hq" }] })).toThrow(
      'AzureSiteToSiteVpn test/Vpn: peers[0].pskSecretName must be a Key Vault secret name, 1-127 letters, digits and - (got "vpn/hq")',
    );
  });
});

describe("AzurePlatformTarget on an existing AKS cluster", () => {
  test("External Secrets gets an identity in the cluster's resource group, federated with its issuer, reading the given vault only", () => {
    const s = stack();
    const cluster = AksCluster.fromClusterAttributes({
      name: "shared",
      resourceGroupName: "aks-rg",
      location: "westeurope",
      oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
      host: "https://shared.privatelink.westeurope.azmk8s.io:443",
      clusterCaCertificate: "-----BEGIN CERTIFICATE-----",
    });
    expect(cluster.connection).toMatchObject({ exec: { command: "kubelogin" } });
    const target = new AzurePlatformTarget(s, "Target", { naming, cluster, secretsVault: AzureKeys.vaultFromId(VAULT), subscriptionId: "sub", networkCidr: "10.40.0.0/16" });
    const binding = target.secretStore(new Construct(s, "Probe"), { namespace: "external-secrets", name: "external-secrets" });
    new TerraformOutput(s, "probe", { value: binding.config });
    const json = synthesized(s);
    const identity = json.resource("azurerm_user_assigned_identity");
    expect(identity).toMatchObject({ name: "acme-wi-external-secrets-external-secrets", resource_group_name: "aks-rg", location: "westeurope" });
    expect(json.resource("azurerm_federated_identity_credential").issuer).toBe("https://westeurope.oic.prod-aks.azure.com/tenant/issuer/");
    expect(json.resource("azurerm_role_assignment")).toMatchObject({ scope: VAULT, role_definition_name: "Key Vault Secrets User" });
    expect(json.json.output.probe.value.azurekv.vaultUrl).toBe("https://acme-keys.vault.azure.net/");
    expect(target.dns01Solver(s, { namespace: "cert-manager", name: "cert-manager" })).toBeUndefined();
  });
});
