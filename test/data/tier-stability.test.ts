import { beforeAll, describe, expect, test } from "vitest";
import { synth, type StackJson } from "../support/synth";

/**
 * Changing the tier (sizes, HA, replicas) must change stateful resources in place:
 * never their address, never an attribute whose change makes the provider replace them
 * (which prevent_destroy would then refuse, or which would lose data). The attributes
 * below are the ones each provider marks ForceNew (from the provider schemas and docs).
 */
const FORCE_NEW: Record<string, string[]> = {
  // Keys and clusters
  aws_kms_key: ["multi_region", "customer_master_key_spec", "key_usage"],
  aws_eks_cluster: ["name", "vpc_config.subnet_ids", "encryption_config.provider.key_arn", "kubernetes_network_config.service_ipv4_cidr"],
  aws_eks_node_group: ["node_group_name", "cluster_name", "subnet_ids", "ami_type", "capacity_type", "node_role_arn"],
  azurerm_key_vault: ["name", "location", "resource_group_name", "tenant_id"],
  azurerm_key_vault_key: ["name", "key_vault_id", "key_type"],
  azurerm_kubernetes_cluster: ["name", "location", "dns_prefix", "private_cluster_enabled", "node_resource_group", "network_profile.network_plugin", "network_profile.pod_cidr", "network_profile.service_cidr"],
  azurerm_kubernetes_cluster_node_pool: ["name", "kubernetes_cluster_id", "mode"],
  google_kms_crypto_key: ["name", "key_ring", "purpose"],
  google_container_cluster: ["name", "location", "network", "subnetwork", "private_cluster_config.master_ipv4_cidr_block", "ip_allocation_policy.cluster_secondary_range_name"],
  google_container_node_pool: ["name", "location", "cluster", "node_config.service_account", "node_config.boot_disk_kms_key", "node_config.shielded_instance_config"],
  // Data stores
  aws_db_instance: ["identifier", "engine", "kms_key_id", "storage_encrypted", "db_subnet_group_name", "username", "db_name"],
  aws_docdb_cluster: ["cluster_identifier", "engine", "kms_key_id", "storage_encrypted", "master_username", "db_subnet_group_name"],
  aws_elasticache_replication_group: ["replication_group_id", "engine", "at_rest_encryption_enabled", "kms_key_id", "subnet_group_name"],
  aws_s3_bucket: ["bucket"],
  azurerm_postgresql_flexible_server: ["name", "location", "administrator_login", "delegated_subnet_id", "private_dns_zone_id", "zone", "geo_redundant_backup_enabled", "create_mode", "customer_managed_key", "storage_mb"],
  azurerm_managed_redis: ["name", "location", "sku_name", "high_availability_enabled"],
  azurerm_mongo_cluster: ["name", "location", "administrator_username", "customer_managed_key", "shard_count", "storage_type"],
  aws_db_instance_automated_backups_replication: ["source_db_instance_arn", "retention_period", "kms_key_id"],
  google_firestore_backup_schedule: ["database", "daily_recurrence", "weekly_recurrence"],
  // In-cluster stores (on-prem): a release's name and namespace, and the claims it templates.
  helm_release: ["name", "namespace", "chart"],
  azurerm_storage_account: ["name", "account_kind", "account_tier", "infrastructure_encryption_enabled", "is_hns_enabled"],
  google_sql_database_instance: ["name", "region", "encryption_key_name"],
  google_redis_instance: ["name", "tier", "customer_managed_key", "transit_encryption_mode", "connect_mode", "reserved_ip_range", "location_id", "region"],
  google_storage_bucket: ["name", "location"],
  google_firestore_database: ["name", "location_id", "database_edition", "type"],
};

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), value);
}

interface Watched {
  readonly attributes: Record<string, unknown>;
  /** Attributes Terraform ignores after creation: their configured value may change freely. */
  readonly ignored: string[];
}

/** Every watched resource of the stacks: address → its ForceNew attributes' values. */
function watched(stacks: StackJson[]): Record<string, Watched> {
  const out: Record<string, Watched> = {};
  for (const stack of stacks) {
    for (const [type, attributes] of Object.entries(FORCE_NEW)) {
      for (const r of stack.resources(type)) {
        out[`${stack.name}/${r.tfAddress}`] = {
          attributes: Object.fromEntries(attributes.map((a) => [a, at(r, a)])),
          ignored: (r.lifecycle?.ignore_changes ?? []).map((a: string) => a.split(/[.[]/)[0]),
        };
      }
    }
  }
  return out;
}

const tenant = { name: "app", cpu: "8", memory: "32Gi" };
const everything = { postgres: { enabled: true }, documents: { enabled: true }, redis: { enabled: true } };
const specs: [string, Record<string, unknown>][] = [
  ["aws", { target: { cloud: "aws", region: "us-west-2" }, data: { ...everything, disasterRecovery: { region: "us-east-1" } } }],
  ["azure", { target: { cloud: "azure", region: "westeurope" }, data: { ...everything, disasterRecovery: {} } }],
  ["gcp", { target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" }, data: { ...everything, disasterRecovery: { region: "europe-west1" } } }],
  ["onprem", { target: { cloud: "onprem", context: "prod" }, data: everything }],
];

describe.each(specs)("a tier change on %s", (_, spec) => {
  const byTier: Record<string, Record<string, Watched>> = {};
  beforeAll(async () => {
    for (const tier of ["small", "medium", "large"]) {
      const stacks = await synth({ name: "acme", tier, ...spec, platform: { tenants: [tenant] } });
      byTier[tier] = watched(Object.values(stacks));
    }
  });

  test("keeps every stateful resource at its address", () => {
    const small = Object.keys(byTier.small).sort();
    expect(small.length).toBeGreaterThan(5);
    // Larger tiers may add resources (more instances), never move or drop one.
    for (const tier of ["medium", "large"]) expect(Object.keys(byTier[tier])).toEqual(expect.arrayContaining(small));
  });

  test("changes no attribute that would replace a stateful resource (unless Terraform ignores it after creation)", () => {
    for (const tier of ["medium", "large"]) {
      for (const [address, small] of Object.entries(byTier.small)) {
        const other = byTier[tier][address];
        expect(other.ignored, `${tier}: ${address}`).toEqual(small.ignored);
        for (const [attribute, value] of Object.entries(small.attributes)) {
          if (!small.ignored.includes(attribute)) expect(other.attributes[attribute], `${tier}: ${address}.${attribute}`).toEqual(value);
        }
      }
    }
  });
});
