import { block, isCustomerKey, openToInternet, preventsDestroy, verdict, type Rules } from "./checks";

/** Seconds in a year: the longest rotation period the checks accept. */
const YEAR_SECONDS = 365 * 24 * 3600;

/** Checks per Google Cloud resource type; see frameworks.ts for what each check means. */
export const GCP_RULES: Rules = {
  google_kms_crypto_key: (s) => {
    const seconds = /^(\d+)s$/.exec(String(s.attrs.rotation_period ?? ""))?.[1];
    return [verdict("key-rotation", seconds !== undefined && Number(seconds) <= YEAR_SECONDS, s.attrs, "rotation_period"), preventsDestroy(s)];
  },
  google_sql_database_instance: (s, ctx) => {
    const settings = block(s.attrs.settings) ?? {};
    const ip = block(settings.ip_configuration) ?? {};
    const backup = block(settings.backup_configuration) ?? {};
    const retained = block(backup.backup_retention_settings)?.retained_backups;
    return [
      verdict("encryption-at-rest", isCustomerKey(s.attrs.encryption_key_name), s.attrs, "encryption_key_name"),
      verdict("encryption-in-transit", ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"].includes(ip.ssl_mode), s.attrs, "settings.ip_configuration.ssl_mode"),
      // One automated backup a day: the count kept is the days kept.
      verdict("backups", backup.enabled === true && backup.point_in_time_recovery_enabled === true && retained >= ctx.minimums.backupDays, s.attrs, "settings.backup_configuration.enabled", "settings.backup_configuration.point_in_time_recovery_enabled", "settings.backup_configuration.backup_retention_settings.retained_backups"),
      // deletion_protection is Terraform's guard; the service's own is settings.deletion_protection_enabled.
      verdict("deletion-protection", settings.deletion_protection_enabled === true && s.attrs.deletion_protection === true && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "settings.deletion_protection_enabled", "deletion_protection", "lifecycle.prevent_destroy"),
      verdict("private-data", ip.ipv4_enabled === false, s.attrs, "settings.ip_configuration.ipv4_enabled"),
    ];
  },
  google_redis_instance: (s) => [
    verdict("encryption-at-rest", isCustomerKey(s.attrs.customer_managed_key), s.attrs, "customer_managed_key"),
    verdict("encryption-in-transit", s.attrs.transit_encryption_mode === "SERVER_AUTHENTICATION", s.attrs, "transit_encryption_mode"),
    preventsDestroy(s),
    verdict("private-data", s.attrs.connect_mode === "PRIVATE_SERVICE_ACCESS", s.attrs, "connect_mode"),
  ],
  google_firestore_database: (s) => [
    verdict("encryption-at-rest", isCustomerKey(block(s.attrs.cmek_config)?.kms_key_name), s.attrs, "cmek_config.kms_key_name"),
    verdict("backups", s.attrs.point_in_time_recovery_enablement === "POINT_IN_TIME_RECOVERY_ENABLED", s.attrs, "point_in_time_recovery_enablement"),
    verdict("deletion-protection", s.attrs.delete_protection_state === "DELETE_PROTECTION_ENABLED" && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "delete_protection_state", "lifecycle.prevent_destroy"),
  ],
  google_storage_bucket: (s) => [
    verdict("encryption-at-rest", isCustomerKey(block(s.attrs.encryption)?.default_kms_key_name), s.attrs, "encryption.default_kms_key_name"),
    preventsDestroy(s),
    verdict("private-data", s.attrs.public_access_prevention === "enforced" && s.attrs.uniform_bucket_level_access === true, s.attrs, "public_access_prevention", "uniform_bucket_level_access"),
  ],
  google_container_cluster: (s) => {
    const priv = block(s.attrs.private_cluster_config) ?? {};
    const networks = block(s.attrs.master_authorized_networks_config);
    const authorized = ((networks?.cidr_blocks ?? []) as { cidr_block: string }[]).map((b) => b.cidr_block);
    // Google Cloud's own public ranges count as public too, and so does the DNS endpoint open to outside traffic.
    const onlyAllowlist = !!networks && networks.gcp_public_cidrs_access_enabled === false && !openToInternet(authorized);
    const dnsEndpointPublic = block(block(s.attrs.control_plane_endpoints_config)?.dns_endpoint_config)?.allow_external_traffic === true;
    const components = (block(s.attrs.logging_config)?.enable_components ?? []) as string[];
    const secrets = block(s.attrs.database_encryption) ?? {};
    return [
      verdict("encryption-at-rest", secrets.state === "ENCRYPTED" && isCustomerKey(secrets.key_name), s.attrs, "database_encryption.state", "database_encryption.key_name"),
      verdict("private-api", (priv.enable_private_endpoint === true || onlyAllowlist) && !dnsEndpointPublic, s.attrs, "private_cluster_config.enable_private_endpoint", "master_authorized_networks_config.cidr_blocks", "master_authorized_networks_config.gcp_public_cidrs_access_enabled", "control_plane_endpoints_config.dns_endpoint_config.allow_external_traffic"),
      // Admin Activity audit logs are always on in GKE; the API server's own log is the component.
      verdict("control-plane-logs", components.includes("APISERVER"), s.attrs, "logging_config.enable_components"),
      verdict("deletion-protection", s.attrs.deletion_protection === true && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "deletion_protection", "lifecycle.prevent_destroy"),
    ];
  },
  google_container_node_pool: (s) => [verdict("encryption-at-rest", isCustomerKey(block(s.attrs.node_config)?.boot_disk_kms_key), s.attrs, "node_config.boot_disk_kms_key")],
  // Every flow: sampling 1 (the default samples half).
  google_compute_subnetwork: (s) => [verdict("flow-logs", block(s.attrs.log_config)?.flow_sampling === 1, s.attrs, "log_config.flow_sampling", "log_config.metadata")],
};
