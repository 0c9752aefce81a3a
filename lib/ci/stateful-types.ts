/**
 * Resource types whose loss loses data, keys, addresses others trust, or everything
 * inside them: the plan guard refuses to destroy or replace one without an explicit
 * override. By type, not only by `prevent_destroy`: removing a resource from the
 * configuration (or turning `data.protection` off) removes its `prevent_destroy` too,
 * and Terraform then plans the destroy without complaint.
 *
 * Every type the kit marks `prevent_destroy` is here (a test checks it against the
 * pinned protected addresses), plus the same kinds of resource the kit does not create
 * but a user's own stack may.
 */
export const STATEFUL_RESOURCE_TYPES: readonly string[] = [
  // AWS: databases, caches, document DBs
  "aws_db_instance",
  "aws_rds_cluster",
  "aws_docdb_cluster",
  "aws_docdb_elastic_cluster",
  "aws_dynamodb_table",
  "aws_elasticache_cluster",
  "aws_elasticache_replication_group",
  "aws_elasticache_serverless_cache",
  "aws_memorydb_cluster",
  // AWS: buckets, volumes, file systems, backups, keys, secrets
  "aws_s3_bucket",
  "aws_ebs_volume",
  "aws_efs_file_system",
  "aws_backup_vault",
  "aws_kms_key",
  "aws_kms_replica_key",
  "aws_secretsmanager_secret",
  // AWS: the cluster, addresses peers allowlist, zones others delegate to
  "aws_eks_cluster",
  "aws_eip",
  "aws_route53_zone",

  // Azure
  "azurerm_postgresql_flexible_server",
  "azurerm_postgresql_flexible_server_database",
  "azurerm_mongo_cluster",
  "azurerm_cosmosdb_account",
  "azurerm_managed_redis",
  "azurerm_redis_cache",
  "azurerm_storage_account",
  "azurerm_storage_container",
  "azurerm_managed_disk",
  "azurerm_recovery_services_vault",
  "azurerm_data_protection_backup_vault",
  "azurerm_key_vault",
  "azurerm_key_vault_key",
  "azurerm_disk_encryption_set",
  "azurerm_log_analytics_workspace",
  "azurerm_kubernetes_cluster",
  "azurerm_public_ip",
  "azurerm_dns_zone",

  // GCP
  "google_sql_database_instance",
  "google_sql_database",
  "google_alloydb_cluster",
  "google_firestore_database",
  "google_redis_instance",
  "google_redis_cluster",
  "google_memorystore_instance",
  "google_storage_bucket",
  "google_compute_disk",
  "google_compute_region_disk",
  "google_kms_key_ring",
  "google_kms_crypto_key",
  "google_secret_manager_secret",
  "google_container_cluster",
  "google_compute_address",
  "google_dns_managed_zone",

  // Kubernetes: a namespace's deletion deletes everything in it; a claim's, its volume
  "kubernetes_namespace",
  "kubernetes_namespace_v1",
  "kubernetes_persistent_volume_claim",
  "kubernetes_persistent_volume_claim_v1",
  "kubernetes_persistent_volume_v1",
  // Uninstalling a release deletes what it installed (the stateful add-ons among them)
  "helm_release",
];
