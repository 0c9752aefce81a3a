import { TerraformOutput, Testing } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { AksCluster } from "../../lib/cluster/aks";
import { AksWorkloadIdentity } from "../../lib/cluster/aks-workload-identity";
import { parseSpec } from "../../lib/config/spec";
import { buildStacks } from "../../stacks";
import { StackJson, synth, type Block } from "../support/synth";

const ADMIN = "11111111-2222-4333-8444-555555555555";
const base = { name: "acme", target: { cloud: "azure", region: "westeurope" }, network: { cidr: "10.60.0.0/16" }, cluster: { admins: [ADMIN] } };
const publicRestricted = { ...base, cluster: { admins: [ADMIN], endpoint: "public-restricted", allowedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] } };

/** The etcd key, the vault and its endpoint (the data layer adds its own key and endpoints). */
const etcdKey = (stack: StackJson) => stack.resource("azurerm_key_vault_key", (k) => k.name === "acme-etcd");
const vaultEndpoint = (stack: StackJson) =>
  stack.resource("azurerm_private_endpoint", (e) => e.private_service_connection.private_connection_resource_id === stack.ref(stack.resource("azurerm_key_vault"), "id"));

const role = (stack: StackJson, name: string, scope: string) =>
  stack.resources("azurerm_role_assignment").filter((r) => r.role_definition_name === name && r.scope === scope);

describe("AzureKeys", () => {
  let infra: StackJson;
  let vault: Block;
  let key: Block;
  beforeAll(async () => {
    ({ infra } = await synth(base));
    vault = infra.resource("azurerm_key_vault");
    key = etcdKey(infra);
  });

  test("the vault authorizes with Azure RBAC, keeps deleted keys 90 days under purge protection and refuses destroy", () => {
    expect(vault).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true, soft_delete_retention_days: 90 });
    expect(vault.lifecycle.prevent_destroy).toBe(true);
    expect(vault.tenant_id).toBe(infra.ref(infra.data("azurerm_client_config").find((d) => d.tfAddress.includes("Keys"))!, "tenant_id"));
  });

  test("its globally unique name is derived from the resource group id, so it is stable", () => {
    expect(vault.name).toContain("acmekv");
    expect(vault.name).toContain(`sha1(${infra.resource("azurerm_resource_group").tfAddress}.id)`);
  });

  test("with a private cluster it has no public endpoint: its firewall denies all, and a private endpoint serves the VNet", () => {
    expect(vault.public_network_access_enabled).toBe(false);
    expect(vault.network_acls).toEqual({ default_action: "Deny", bypass: "AzureServices", ip_rules: [] });
    const endpoint = vaultEndpoint(infra);
    const subnet = infra.resource("azurerm_subnet", (s) => s.name === "private-endpoints");
    expect(endpoint.subnet_id).toBe(infra.ref(subnet, "id"));
    expect(endpoint.private_service_connection).toMatchObject({
      private_connection_resource_id: infra.ref(vault, "id"),
      subresource_names: ["vault"],
      is_manual_connection: false,
    });
    const zone = infra.resource("azurerm_private_dns_zone", (z) => z.name === "privatelink.vaultcore.azure.net");
    expect(endpoint.private_dns_zone_group.private_dns_zone_ids).toEqual([infra.ref(zone, "id")]);
    const link = infra.resource("azurerm_private_dns_zone_virtual_network_link", (l) => l.private_dns_zone_name === infra.ref(zone, "name"));
    expect(link.virtual_network_id).toBe(infra.ref(infra.resource("azurerm_virtual_network"), "id"));
  });

  test("with a public-restricted cluster its firewall admits exactly the API server's allowlist", async () => {
    const { infra: pub } = await synth(publicRestricted);
    const v = pub.resource("azurerm_key_vault");
    expect(v.public_network_access_enabled).toBe(true);
    expect(v.network_acls).toEqual({ default_action: "Deny", bypass: "AzureServices", ip_rules: ["203.0.113.0/24", "198.51.100.7"] });
    expect(pub.resources("azurerm_private_endpoint").filter((e) => e.private_service_connection.subresource_names[0] === "vault")).toHaveLength(1);
  });

  test("the deployer may create keys (Key Vault Crypto Officer on this vault only), and the key waits for that grant and the endpoint", () => {
    const client = infra.data("azurerm_client_config").find((d) => d.tfAddress.includes("Keys"))!;
    const [officer] = role(infra, "Key Vault Crypto Officer", infra.ref(vault, "id"));
    expect(officer.principal_id).toBe(infra.ref(client, "object_id"));
    expect(key.depends_on).toEqual(expect.arrayContaining([officer.tfAddress, vaultEndpoint(infra).tfAddress]));
  });

  test("the etcd key: RSA 2048 for encrypt/decrypt, rotated yearly, never expiring, refusing destroy", () => {
    expect(key).toMatchObject({ name: "acme-etcd", key_vault_id: infra.ref(vault, "id"), key_type: "RSA", key_size: 2048, key_opts: ["encrypt", "decrypt"] });
    expect(key.rotation_policy).toEqual({ automatic: { time_after_creation: "P365D" } });
    expect(key.rotation_policy.expire_after).toBeUndefined();
    expect(key.lifecycle.prevent_destroy).toBe(true);
  });

  test("vault audit events go to the cluster's Log Analytics workspace", () => {
    const audit = infra.resource("azurerm_monitor_diagnostic_setting", (d) => d.target_resource_id === infra.ref(vault, "id"));
    expect(audit.log_analytics_workspace_id).toBe(infra.ref(infra.resource("azurerm_log_analytics_workspace"), "id"));
    expect(audit.enabled_log).toEqual([{ category_group: "audit" }]);
  });
});

describe("AksCluster", () => {
  let infra: StackJson;
  let aks: Block;
  let controlPlane: Block;
  let kubelet: Block;
  let subnets: Record<string, Block>;
  beforeAll(async () => {
    ({ infra } = await synth(base));
    aks = infra.resource("azurerm_kubernetes_cluster");
    controlPlane = infra.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-aks-control-plane");
    kubelet = infra.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-aks-kubelet");
    subnets = Object.fromEntries(infra.resources("azurerm_subnet").map((s) => [s.name, s]));
  });

  test("named from the deployment, on the spec's version, Standard tier, refusing destroy", () => {
    expect(aks).toMatchObject({ name: "acme-cluster", kubernetes_version: "1.35", sku_tier: "Standard", location: "westeurope" });
    expect(aks.lifecycle.prevent_destroy).toBe(true);
  });

  test("private by default: private cluster with an AKS-managed zone, and no authorized ranges", () => {
    expect(aks.private_cluster_enabled).toBe(true);
    expect(aks.private_dns_zone_id).toBe("System");
    expect(aks.api_server_access_profile.authorized_ip_ranges).toBeUndefined();
  });

  test("public-restricted: a public API server that admits exactly the allowlist", async () => {
    const { infra: pub } = await synth(publicRestricted);
    const c = pub.resource("azurerm_kubernetes_cluster");
    expect(c.private_cluster_enabled).toBe(false);
    expect(c.private_dns_zone_id).toBeUndefined();
    expect(c.api_server_access_profile.authorized_ip_ranges).toEqual(["203.0.113.0/24", "198.51.100.7/32"]);
  });

  test("the API server is projected into its own subnet, delegated to AKS", () => {
    expect(aks.api_server_access_profile).toMatchObject({ subnet_id: infra.ref(subnets["api-server"], "id"), virtual_network_integration_enabled: true });
    expect(subnets["api-server"].delegation[0].service_delegation.name).toBe("Microsoft.ContainerService/managedClusters");
  });

  test("Entra ID authentication with Azure RBAC and the spec's admin groups; no local accounts, no run command", () => {
    expect(aks.azure_active_directory_role_based_access_control).toEqual({
      azure_rbac_enabled: true,
      admin_group_object_ids: [ADMIN],
      tenant_id: infra.ref(infra.data("azurerm_client_config").find((d) => d.tfAddress.includes("Cluster"))!, "tenant_id"),
    });
    expect(aks.role_based_access_control_enabled).toBe(true);
    expect(aks.local_account_disabled).toBe(true);
    expect(aks.run_command_enabled).toBe(false);
  });

  test("OIDC issuer and workload identity are on", () => {
    expect(aks.oidc_issuer_enabled).toBe(true);
    expect(aks.workload_identity_enabled).toBe(true);
  });

  test("Azure CNI overlay with the Cilium data plane and policies; egress through the nodes subnet's NAT gateway", () => {
    expect(aks.network_profile).toEqual({
      network_plugin: "azure",
      network_plugin_mode: "overlay",
      network_data_plane: "cilium",
      network_policy: "cilium",
      pod_cidr: "100.64.0.0/16",
      service_cidr: "100.65.0.0/16",
      dns_service_ip: "100.65.0.10",
      outbound_type: "userAssignedNATGateway",
      load_balancer_sku: "standard",
    });
    expect(aks.depends_on).toContain(infra.resource("azurerm_subnet_nat_gateway_association").tfAddress);
  });

  test("user-assigned control-plane and kubelet identities", () => {
    expect(aks.identity).toEqual({ type: "UserAssigned", identity_ids: [infra.ref(controlPlane, "id")] });
    expect(aks.kubelet_identity).toEqual({
      client_id: infra.ref(kubelet, "client_id"),
      object_id: infra.ref(kubelet, "principal_id"),
      user_assigned_identity_id: infra.ref(kubelet, "id"),
    });
  });

  test("the control plane is granted exactly what it needs, before the cluster is created", () => {
    const vault = infra.resource("azurerm_key_vault");
    const grants = [
      ...role(infra, "Network Contributor", infra.ref(subnets.nodes, "id")),
      ...role(infra, "Network Contributor", infra.ref(subnets["api-server"], "id")),
      ...role(infra, "Managed Identity Operator", infra.ref(kubelet, "id")),
      ...role(infra, "Key Vault Crypto User", infra.ref(vault, "id")),
      ...role(infra, "Key Vault Contributor", infra.ref(vault, "id")),
      ...role(infra, "Reader", infra.ref(infra.resource("azurerm_disk_encryption_set"), "id")),
    ];
    expect(grants).toHaveLength(6);
    const byControlPlane = infra.resources("azurerm_role_assignment").filter((r) => r.principal_id === infra.ref(controlPlane, "principal_id"));
    expect(byControlPlane.map((r) => r.tfAddress).sort()).toEqual(grants.map((g) => g.tfAddress).sort());
    for (const g of grants) {
      expect(g.principal_type).toBe("ServicePrincipal");
      expect(aks.depends_on).toContain(g.tfAddress);
    }
  });

  test("KMS encrypts etcd with the vault's key (versioned id) through the private network path", () => {
    expect(aks.key_management_service).toEqual({
      key_vault_key_id: infra.ref(etcdKey(infra), "id"),
      key_vault_network_access: "Private",
    });
  });

  test("node OS disks are encrypted with the deployment's data key through a disk encryption set set at creation", () => {
    const set = infra.resource("azurerm_disk_encryption_set");
    expect(aks.disk_encryption_set_id).toBe(infra.ref(set, "id"));
    const dataKey = infra.resource("azurerm_key_vault_key", (k) => k.name === "acme-data");
    // Versionless with automatic rotation: the set follows the key's yearly rotations.
    expect(set).toMatchObject({
      name: "acme-aks-disks",
      location: "westeurope",
      key_vault_key_id: infra.ref(dataKey, "versionless_id"),
      auto_key_rotation_enabled: true,
      encryption_type: "EncryptionAtRestWithCustomerKey",
      lifecycle: { prevent_destroy: true },
    });
    const identity = infra.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-aks-disks");
    expect(set.identity).toEqual({ type: "UserAssigned", identity_ids: [infra.ref(identity, "id")] });
    // RBAC on the one key (not the vault), wrap and unwrap only, granted before the set checks the key.
    const grants = infra.resources("azurerm_role_assignment").filter((r) => r.principal_id === infra.ref(identity, "principal_id"));
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      scope: infra.ref(dataKey, "resource_versionless_id"),
      role_definition_name: "Key Vault Crypto Service Encryption User",
      principal_type: "ServicePrincipal",
    });
    expect(set.depends_on).toContain(grants[0].tfAddress);
  });

  test("patch upgrades and node images are automatic, each in its own weekly night window", () => {
    expect(aks.automatic_upgrade_channel).toBe("patch");
    expect(aks.node_os_upgrade_channel).toBe("NodeImage");
    const window = { frequency: "Weekly", interval: 1, start_time: "01:00", utc_offset: "+00:00", duration: 4 };
    expect(aks.maintenance_window_auto_upgrade).toEqual({ ...window, day_of_week: "Sunday" });
    expect(aks.maintenance_window_node_os).toEqual({ ...window, day_of_week: "Saturday" });
  });

  test("Azure Policy, the Key Vault secrets provider with rotation, and the image cleaner are on", () => {
    expect(aks.azure_policy_enabled).toBe(true);
    expect(aks.key_vault_secrets_provider).toEqual({ secret_rotation_enabled: true, secret_rotation_interval: "2m" });
    expect(aks.image_cleaner_enabled).toBe(true);
    expect(aks.image_cleaner_interval_hours).toBe(168);
  });

  test("the system pool runs critical add-ons only, autoscaling across the zones on encrypted Azure Linux nodes", () => {
    expect(aks.default_node_pool).toEqual({
      name: "system",
      temporary_name_for_rotation: "systemtmp",
      only_critical_addons_enabled: true,
      vm_size: "Standard_D2s_v5",
      orchestrator_version: "1.35",
      zones: ["1", "2", "3"],
      auto_scaling_enabled: true,
      min_count: 2,
      max_count: 3,
      max_pods: 110,
      os_sku: "AzureLinux",
      os_disk_type: "Managed",
      os_disk_size_gb: 100,
      host_encryption_enabled: true,
      vnet_subnet_id: infra.ref(subnets.nodes, "id"),
      upgrade_settings: { max_surge: "33%", drain_timeout_in_minutes: 30, node_soak_duration_in_minutes: 5 },
    });
  });

  test("a user pool for the workloads, autoscaling across the zones with the tier's sizes", () => {
    const pool = infra.resource("azurerm_kubernetes_cluster_node_pool");
    expect(pool).toMatchObject({
      name: "workloads",
      mode: "User",
      kubernetes_cluster_id: infra.ref(aks, "id"),
      temporary_name_for_rotation: "workloadstmp",
      vm_size: "Standard_D4s_v5",
      zones: ["1", "2", "3"],
      auto_scaling_enabled: true,
      min_count: 1,
      max_count: 8,
      os_sku: "AzureLinux",
      host_encryption_enabled: true,
      vnet_subnet_id: infra.ref(subnets.nodes, "id"),
      upgrade_settings: { max_surge: "33%", drain_timeout_in_minutes: 30, node_soak_duration_in_minutes: 5 },
    });
    expect(pool.upgrade_settings.max_unavailable).toBeUndefined();
  });

  test("the spec's node pool sizes override the tier", async () => {
    const { infra: custom } = await synth({ ...base, cluster: { admins: [], nodePools: { workloads: { instanceType: "Standard_E4s_v5", min: 2, max: 20, diskGb: 256 } } } });
    expect(custom.resource("azurerm_kubernetes_cluster_node_pool")).toMatchObject({ vm_size: "Standard_E4s_v5", min_count: 2, max_count: 20, os_disk_size_gb: 256 });
  });

  test("in a region without zones the pools are regional", async () => {
    const { infra: westus } = await synth({ ...base, target: { cloud: "azure", region: "westus" } });
    expect(westus.resource("azurerm_kubernetes_cluster").default_node_pool.zones).toBeUndefined();
    expect(westus.resource("azurerm_kubernetes_cluster_node_pool").zones).toBeUndefined();
  });

  test("control-plane logs, audit included, go to a dedicated Log Analytics workspace reached with Entra ID only", () => {
    const workspace = infra.resource("azurerm_log_analytics_workspace");
    expect(workspace).toMatchObject({ name: "acme-aks-logs", sku: "PerGB2018", retention_in_days: 365, local_authentication_enabled: false });
    expect(workspace.lifecycle.prevent_destroy).toBe(true);
    const diag = infra.resource("azurerm_monitor_diagnostic_setting", (d) => d.target_resource_id === infra.ref(aks, "id"));
    expect(diag.log_analytics_workspace_id).toBe(infra.ref(workspace, "id"));
    expect(diag.log_analytics_destination_type).toBe("Dedicated");
    expect(diag.enabled_log.map((l: { category: string }) => l.category)).toEqual([
      "kube-audit-admin", "guard", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "cluster-autoscaler", "cloud-controller-manager",
    ]);
    expect(diag.enabled_metric).toEqual([{ category: "AllMetrics" }]);
  });

  test.each([
    [7, 30],
    [90, 90],
  ])("log retention follows the spec's flow-log days (%i), at least Log Analytics' 30 (%i)", async (days, expected) => {
    const { infra: s } = await synth({ ...base, network: { cidr: "10.60.0.0/16", flowLogRetentionDays: days } });
    expect(s.resource("azurerm_log_analytics_workspace").retention_in_days).toBe(expected);
  });

  test("the deployer administers the cluster through Azure RBAC, so the platform stack can install add-ons", () => {
    const client = infra.data("azurerm_client_config").find((d) => d.tfAddress.includes("Cluster"))!;
    const [admin] = role(infra, "Azure Kubernetes Service RBAC Cluster Admin", infra.ref(aks, "id"));
    expect(admin.principal_id).toBe(infra.ref(client, "object_id"));
  });

  test("outputs named after the construct: cluster name and id, OIDC issuer, resource group", () => {
    const out = infra.json.output;
    expect(out.cluster_name.value).toBe(infra.ref(aks, "name"));
    expect(out.cluster_id.value).toBe(infra.ref(aks, "id"));
    expect(out.cluster_oidc_issuer_url.value).toBe(infra.ref(aks, "oidc_issuer_url"));
    expect(out.cluster_resource_group_name.value).toBe(infra.ref(infra.resource("azurerm_resource_group"), "name"));
  });

  test("connection: the kube_config host and decoded CA, and a kubelogin exec credential instead of any static one", async () => {
    const app = Testing.app();
    const [stack] = await buildStacks(app, parseSpec(base));
    const conn = (stack.node.findChild("Cluster") as AksCluster).connection;
    if (!("host" in conn)) throw new Error("expected an endpoint connection");
    new TerraformOutput(stack, "probe_host", { value: conn.host });
    new TerraformOutput(stack, "probe_ca", { value: conn.clusterCaCertificate });
    const json = new StackJson(stack.node.id, JSON.parse(Testing.synth(stack)), stack);
    const aksBlock = json.resource("azurerm_kubernetes_cluster");
    expect(json.json.output.probe_host.value).toBe(json.ref(aksBlock, "kube_config[0].host"));
    expect(json.json.output.probe_ca.value).toBe(`\${base64decode(${aksBlock.tfAddress}.kube_config[0].cluster_ca_certificate)}`);
    expect(conn.exec).toEqual({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
    });
  });

  test("AksWorkloadIdentity: one identity per service account, federated with the cluster's issuer for exactly that account", async () => {
    const app = Testing.app();
    const [stack] = await buildStacks(app, parseSpec(base));
    const cluster = stack.node.findChild("Cluster") as AksCluster;
    const bound = new AksWorkloadIdentity(stack, "Probe", { cluster, serviceAccount: { namespace: "team-a", name: "worker" } });
    expect(Object.keys(bound.workloadIdentity.serviceAccountAnnotations)).toEqual(["azure.workload.identity/client-id"]);
    expect(bound.workloadIdentity.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    new TerraformOutput(stack, "probe_client_id", { value: bound.workloadIdentity.serviceAccountAnnotations["azure.workload.identity/client-id"] });
    const json = new StackJson(stack.node.id, JSON.parse(Testing.synth(stack)), stack);
    const identity = json.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-wi-team-a-worker");
    expect(json.json.output.probe_client_id.value).toBe(json.ref(identity, "client_id"));
    expect(identity.resource_group_name).toBe(json.ref(json.resource("azurerm_resource_group"), "name"));
    expect(json.resource("azurerm_federated_identity_credential")).toMatchObject({
      name: "acme-wi-team-a-worker",
      parent_id: json.ref(identity, "id"),
      audience: ["api://AzureADTokenExchange"],
      issuer: json.ref(json.resource("azurerm_kubernetes_cluster"), "oidc_issuer_url"),
      subject: "system:serviceaccount:team-a:worker",
    });
  });

  test("a tier change keeps every stateful address and every replacement-forcing attribute; pools resize in place", async () => {
    const { infra: small } = await synth({ ...base, tier: "small" });
    const { infra: large } = await synth({ ...base, tier: "large" });
    const stateful = [
      "azurerm_kubernetes_cluster",
      "azurerm_kubernetes_cluster_node_pool",
      "azurerm_key_vault",
      "azurerm_key_vault_key",
      "azurerm_log_analytics_workspace",
      "azurerm_user_assigned_identity",
      "azurerm_disk_encryption_set",
    ];
    for (const type of stateful) expect(large.resources(type).map((r) => r.tfAddress), type).toEqual(small.resources(type).map((r) => r.tfAddress));

    const forcing = (s: StackJson) => {
      const c = s.resource("azurerm_kubernetes_cluster");
      const v = s.resource("azurerm_key_vault");
      const k = etcdKey(s);
      const p = s.resource("azurerm_kubernetes_cluster_node_pool");
      return {
        cluster: [
          c.name,
          c.location,
          c.resource_group_name,
          c.dns_prefix,
          c.node_resource_group,
          c.private_cluster_enabled,
          c.private_dns_zone_id,
          c.kubelet_identity,
          c.network_profile,
          c.api_server_access_profile.subnet_id,
          c.default_node_pool.name,
          c.disk_encryption_set_id,
        ],
        pool: [p.name, p.kubernetes_cluster_id, p.mode],
        vault: [v.name, v.location, v.resource_group_name, v.tenant_id],
        key: [k.name, k.key_vault_id, k.key_type, k.key_size],
      };
    };
    expect(forcing(large)).toEqual(forcing(small));

    const [sp, lp] = [small, large].map((s) => s.resource("azurerm_kubernetes_cluster").default_node_pool);
    expect([sp.vm_size, lp.vm_size]).toEqual(["Standard_D2s_v5", "Standard_D8s_v5"]);
    expect(lp.temporary_name_for_rotation).toBe("systemtmp");
    expect(large.resource("azurerm_kubernetes_cluster_node_pool")).toMatchObject({ vm_size: "Standard_D16s_v5", temporary_name_for_rotation: "workloadstmp" });
  });
});
