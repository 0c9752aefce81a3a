import { block, isCustomerKey, openToInternet, preventsDestroy, verdict, type RuleContext, type Rules, type Subject, type Verdict } from "./checks";

/** A customer-managed key block naming a Key Vault key of the deployment. */
const cmk = (s: Subject): Verdict => verdict("encryption-at-rest", isCustomerKey(block(s.attrs.customer_managed_key)?.key_vault_key_id), s.attrs, "customer_managed_key.key_vault_key_id");

/** A flexible server's setting, from its configuration resources. */
function serverSetting(s: Subject, ctx: RuleContext, name: string): string | undefined {
  return ctx.referring("azurerm_postgresql_flexible_server_configuration", s).find((c) => c.attrs.name === name)?.attrs.value;
}

/** Diagnostic settings sending the resource's logs somewhere, by category. */
function loggedCategories(s: Subject, ctx: RuleContext): string[] {
  return ctx.referring("azurerm_monitor_diagnostic_setting", s).flatMap((d) => ((d.attrs.enabled_log ?? []) as { category?: string; category_group?: string }[]).map((l) => l.category ?? l.category_group ?? ""));
}

/** Checks per Azure resource type; see frameworks.ts for what each check means. */
export const AZURE_RULES: Rules = {
  azurerm_key_vault_key: (s) => {
    const rotation = block(block(s.attrs.rotation_policy)?.automatic);
    // ISO 8601 durations as Key Vault takes them: P365D, P12M, P1Y.
    const period = /^P(\d+)([DMY])$/.exec(String(rotation?.time_after_creation ?? ""));
    const days = period ? Number(period[1]) * { D: 1, M: 31, Y: 366 }[period[2] as "D" | "M" | "Y"] : undefined;
    return [verdict("key-rotation", days !== undefined && days <= 366, s.attrs, "rotation_policy.automatic.time_after_creation"), preventsDestroy(s)];
  },
  azurerm_key_vault: (s) => [
    verdict("deletion-protection", s.attrs.purge_protection_enabled === true && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "purge_protection_enabled", "lifecycle.prevent_destroy"),
    // The vault's firewall denies by default; the deployer's allowlisted range manages keys.
    verdict("private-data", s.attrs.public_network_access_enabled === false || block(s.attrs.network_acls)?.default_action === "Deny", s.attrs, "public_network_access_enabled", "network_acls.default_action"),
  ],
  azurerm_postgresql_flexible_server: (s, ctx) => [
    cmk(s),
    { check: "encryption-in-transit", pass: serverSetting(s, ctx, "require_secure_transport") === "on", evidence: `require_secure_transport=${serverSetting(s, ctx, "require_secure_transport") ?? "<unset>"}` },
    verdict("backups", s.attrs.backup_retention_days >= ctx.minimums.backupDays, s.attrs, "backup_retention_days"),
    preventsDestroy(s),
    verdict("private-data", s.attrs.public_network_access_enabled === false, s.attrs, "public_network_access_enabled"),
  ],
  azurerm_mongo_cluster: (s) => [cmk(s), preventsDestroy(s), verdict("private-data", s.attrs.public_network_access === "Disabled", s.attrs, "public_network_access")],
  azurerm_managed_redis: (s) => [
    cmk(s),
    verdict("encryption-in-transit", block(s.attrs.default_database)?.client_protocol === "Encrypted", s.attrs, "default_database.client_protocol"),
    preventsDestroy(s),
    verdict("private-data", s.attrs.public_network_access === "Disabled", s.attrs, "public_network_access"),
  ],
  azurerm_storage_account: (s) => [
    cmk(s),
    verdict("encryption-in-transit", s.attrs.https_traffic_only_enabled === true && s.attrs.min_tls_version !== "TLS1_0" && s.attrs.min_tls_version !== "TLS1_1", s.attrs, "https_traffic_only_enabled", "min_tls_version"),
    preventsDestroy(s),
    verdict("private-data", s.attrs.allow_nested_items_to_be_public === false && (s.attrs.public_network_access_enabled === false || block(s.attrs.network_rules)?.default_action === "Deny"), s.attrs, "allow_nested_items_to_be_public", "public_network_access_enabled", "network_rules.default_action"),
  ],
  azurerm_kubernetes_cluster: (s, ctx) => {
    const api = block(s.attrs.api_server_access_profile);
    const ranges = (api?.authorized_ip_ranges ?? []) as string[];
    const categories = loggedCategories(s, ctx);
    return [
      verdict("encryption-at-rest", isCustomerKey(s.attrs.disk_encryption_set_id) && isCustomerKey(block(s.attrs.key_management_service)?.key_vault_key_id), s.attrs, "disk_encryption_set_id", "key_management_service.key_vault_key_id"),
      verdict("private-api", s.attrs.private_cluster_enabled === true || !openToInternet(ranges), s.attrs, "private_cluster_enabled", "api_server_access_profile.authorized_ip_ranges"),
      { check: "control-plane-logs", pass: categories.some((c) => ["kube-audit", "kube-audit-admin", "audit", "allLogs"].includes(c)), evidence: `diagnostic setting categories: ${categories.join(", ") || "<none>"}` },
      preventsDestroy(s),
    ];
  },
  azurerm_virtual_network: (s, ctx) => {
    const logs = ctx.referring("azurerm_network_watcher_flow_log", s).filter((f) => f.attrs.enabled === true);
    return [{ check: "flow-logs", pass: logs.length > 0, evidence: logs.length ? logs.map((f) => `${f.address} enabled=true, retention_policy.days=${block(f.attrs.retention_policy)?.days}`).join(", ") : "no enabled flow log targets this virtual network" }];
  },
  azurerm_log_analytics_workspace: (s) => [preventsDestroy(s)],
};
