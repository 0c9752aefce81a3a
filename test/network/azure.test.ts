import { beforeAll, describe, expect, test } from "vitest";
import { clusterRanges } from "../../lib/network/azure";
import { synth, type Block, type StackJson } from "../support/synth";

const nsgOf = (stack: StackJson, subnetName: string): Block => {
  const subnet = stack.resource("azurerm_subnet", (s) => s.name === subnetName);
  const assoc = stack.resource("azurerm_subnet_network_security_group_association", (a) => a.subnet_id === stack.ref(subnet, "id"));
  return stack.resource("azurerm_network_security_group", (n) => assoc.network_security_group_id === stack.ref(n, "id"));
};

/** The flow-log account (the data layer has its own storage account for the buckets). */
const flowLogAccount = (stack: StackJson): Block => stack.resource("azurerm_storage_account", (a) => String(a.name).includes("flowlogs"));

describe("AzureNetwork", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth({ name: "acme", target: { cloud: "azure", region: "westeurope" }, network: { cidr: "10.60.0.0/16", flowLogRetentionDays: 90 } }));
  });

  test("a resource group and a VNet with the spec's range in the spec's region", () => {
    const rg = infra.resource("azurerm_resource_group");
    expect(rg).toMatchObject({ name: "acme-rg", location: "westeurope" });
    const vnet = infra.resource("azurerm_virtual_network");
    expect(vnet.address_space).toEqual(["10.60.0.0/16"]);
    expect(vnet.resource_group_name).toBe(infra.ref(rg, "name"));
  });

  test("subnets for nodes, private endpoints and the database, none with default outbound access", () => {
    const subnets: Record<string, Block> = Object.fromEntries(infra.resources("azurerm_subnet").map((s) => [s.name, s]));
    expect(subnets.nodes.address_prefixes).toEqual(["10.60.0.0/18"]);
    expect(subnets["private-endpoints"].address_prefixes).toEqual(["10.60.128.0/24"]);
    expect(subnets.database.address_prefixes).toEqual(["10.60.129.0/24"]);
    for (const s of Object.values(subnets)) expect(s.default_outbound_access_enabled, s.name).toBe(false);
    expect(subnets["private-endpoints"].private_endpoint_network_policies).toBe("Enabled");
  });

  test("the database subnet is delegated to PostgreSQL flexible server", () => {
    const db = infra.resource("azurerm_subnet", (s) => s.name === "database");
    expect(db.delegation[0].service_delegation.name).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
  });

  test("every subnet has an NSG that denies inbound traffic from the internet", () => {
    const subnets = infra.resources("azurerm_subnet");
    const assocs = infra.resources("azurerm_subnet_network_security_group_association");
    for (const s of subnets) {
      const assoc = assocs.find((a) => a.subnet_id === infra.ref(s, "id"));
      expect(assoc, s.name).toBeDefined();
      const nsg = infra.resources("azurerm_network_security_group").find((n) => assoc!.network_security_group_id === infra.ref(n, "id"))!;
      expect(nsg.security_rule).toContainEqual(expect.objectContaining({ direction: "Inbound", access: "Deny", source_address_prefix: "Internet" }));
    }
  });

  test("nodes reach the internet through a NAT gateway with a static public IP", () => {
    const nat = infra.resource("azurerm_nat_gateway");
    const nodes = infra.resource("azurerm_subnet", (s) => s.name === "nodes");
    expect(infra.resource("azurerm_subnet_nat_gateway_association")).toMatchObject({ subnet_id: infra.ref(nodes, "id"), nat_gateway_id: infra.ref(nat, "id") });
    const ip = infra.resource("azurerm_public_ip");
    expect(ip).toMatchObject({ sku: "Standard", allocation_method: "Static" });
    expect(infra.resource("azurerm_nat_gateway_public_ip_association").public_ip_address_id).toBe(infra.ref(ip, "id"));
  });

  test("VNet flow logs (version 2) go to a storage account closed to the internet, kept for the spec's days", () => {
    const flow = infra.resource("azurerm_network_watcher_flow_log");
    const account = flowLogAccount(infra);
    expect(flow.target_resource_id).toBe(infra.ref(infra.resource("azurerm_virtual_network"), "id"));
    expect(flow.storage_account_id).toBe(infra.ref(account, "id"));
    expect(flow.enabled).toBe(true);
    expect(flow.version).toBe(2);
    expect(flow.retention_policy).toEqual({ enabled: true, days: 90 });
    expect(account.min_tls_version).toBe("TLS1_2");
    expect(account.https_traffic_only_enabled).toBe(true);
    expect(account.allow_nested_items_to_be_public).toBe(false);
    expect(account.infrastructure_encryption_enabled).toBe(true);
    expect(account.network_rules.default_action).toBe("Deny");
    expect(account.lifecycle.prevent_destroy).toBe(true);
  });

  test("the flow-log account's globally unique name is derived from the resource group id, so it is stable", () => {
    const account = flowLogAccount(infra);
    expect(account.name).toContain("acmeflowlogs");
    expect(account.name).toContain(`sha1(${infra.resource("azurerm_resource_group").tfAddress}.id)`);
  });

  test("flow-log storage is zone-redundant where the region has zones, locally redundant elsewhere", async () => {
    expect(flowLogAccount(infra).account_replication_type).toBe("ZRS");
    const { infra: westus } = await synth({ name: "acme", target: { cloud: "azure", region: "westus" } });
    expect(flowLogAccount(westus).account_replication_type).toBe("LRS");
  });

  test("the API server gets a /28 delegated to AKS (API server VNet integration)", () => {
    const api = infra.resource("azurerm_subnet", (s) => s.name === "api-server");
    expect(api.address_prefixes).toEqual(["10.60.130.0/28"]);
    expect(api.default_outbound_access_enabled).toBe(false);
    expect(api.delegation).toEqual([
      {
        name: "aks-api-server",
        service_delegation: { name: "Microsoft.ContainerService/managedClusters", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] },
      },
    ]);
  });

  test("with a private cluster nothing outside the VNet is allowed into the API server subnet", () => {
    expect(nsgOf(infra, "api-server").security_rule.filter((r: Block) => r.access === "Allow")).toEqual([]);
  });

  test("with a public-restricted cluster the API server subnet admits HTTPS from exactly the allowlist", async () => {
    const { infra: pub } = await synth({
      name: "acme",
      target: { cloud: "azure", region: "westeurope" },
      cluster: { endpoint: "public-restricted", allowedCidrs: ["203.0.113.0/24"] },
    });
    const allows = nsgOf(pub, "api-server").security_rule.filter((r: Block) => r.access === "Allow");
    expect(allows).toEqual([
      expect.objectContaining({ direction: "Inbound", protocol: "Tcp", source_address_prefixes: ["203.0.113.0/24"], destination_port_range: "443", priority: 100 }),
    ]);
  });

  test("the nodes subnet admits the overlay's pod range (pod-to-pod traffic keeps pod addresses)", () => {
    const allows = nsgOf(infra, "nodes").security_rule.filter((r: Block) => r.access === "Allow");
    expect(allows).toEqual([expect.objectContaining({ direction: "Inbound", source_address_prefix: "100.64.0.0/16", priority: 100 })]);
  });

  test("no gateway subnet without peers", () => {
    expect(infra.resources("azurerm_subnet").map((s) => s.name)).not.toContain("GatewaySubnet");
  });
});

describe("clusterRanges", () => {
  test("pods and Services take the first two /16s of 100.64.0.0/10 that no routed range overlaps", () => {
    expect(clusterRanges(["10.60.0.0/16"])).toEqual(["100.64.0.0/16", "100.65.0.0/16"]);
    expect(clusterRanges(["100.64.0.0/20", "172.20.0.0/16"])).toEqual(["100.65.0.0/16", "100.66.0.0/16"]);
    expect(clusterRanges(["10.0.0.0/16", "100.64.0.0/15", "100.67.0.0/16"])).toEqual(["100.66.0.0/16", "100.68.0.0/16"]);
  });

  test("a peer covering the whole shared space is refused with the fix", () => {
    expect(() => clusterRanges(["10.0.0.0/16", "100.64.0.0/10"])).toThrow(/no two free \/16s in 100\.64\.0\.0\/10 for the AKS pod and Service ranges; move a peer range out of it/);
  });

  test("the cluster uses the network's choice, away from a peer in the shared space", async () => {
    const { infra } = await synth({
      name: "acme",
      target: { cloud: "azure", region: "westeurope", keyVaultId: "/subscriptions/x/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv-acme" },
      network: { peers: [{ name: "branch", cidrs: ["100.64.0.0/16"], gatewayIp: "198.51.100.20", psk: { secretRef: "branch-psk" } }] },
    });
    expect(infra.resource("azurerm_kubernetes_cluster").network_profile).toMatchObject({ pod_cidr: "100.65.0.0/16", service_cidr: "100.66.0.0/16", dns_service_ip: "100.66.0.10" });
  });
});
