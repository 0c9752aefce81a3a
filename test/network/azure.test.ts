import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { Naming } from "../../lib/core/naming";
import { AzureKeys } from "../../lib/data/keys/azure";
import { AzureNetwork, clusterRanges, type AzureUdpService } from "../../lib/network/azure";
import { StackJson as Synthesized, synth, type Block, type StackJson } from "../support/synth";

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

  test("the flow-log account expects SAS tokens of one day at most, and records longer ones", () => {
    expect(flowLogAccount(infra).sas_policy).toEqual({ expiration_period: "01.00:00:00", expiration_action: "Log" });
  });

  test("encryptFlowLogs: the flow-log account wraps its keys with the given key, through an identity holding that key's role alone", () => {
    const s = new TerraformStack(Testing.app(), "net");
    new AzurermProvider(s, "azurerm", { features: [{}] });
    const network = new AzureNetwork(s, "Network", { naming: new Naming("acme"), location: "westeurope", cidr: "10.60.0.0/16" });
    const vault = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/acme-rg/providers/Microsoft.KeyVault/vaults/acmekv";
    const key = AzureKeys.fromKeyAttributes({ keyVaultId: vault, name: "acme-data", version: "0123456789abcdef0123456789abcdef" });
    network.encryptFlowLogs(key);
    const stack = new Synthesized("net", JSON.parse(Testing.synth(s)), s);
    const account = flowLogAccount(stack);
    const identity = stack.resource("azurerm_user_assigned_identity");
    expect(identity).toMatchObject({ name: "acme-flowlogs-cmk", location: "westeurope", resource_group_name: stack.ref(stack.resource("azurerm_resource_group"), "name") });
    expect(account.identity).toEqual({ type: "UserAssigned", identity_ids: [stack.ref(identity, "id")] });
    // Versionless: the account follows the key's rotations.
    expect(account.customer_managed_key).toEqual({ key_vault_key_id: "https://acmekv.vault.azure.net/keys/acme-data", user_assigned_identity_id: stack.ref(identity, "id") });
    const grant = stack.resource("azurerm_role_assignment");
    expect(grant).toMatchObject({
      scope: `${vault}/keys/acme-data`,
      role_definition_name: "Key Vault Crypto Service Encryption User",
      principal_id: stack.ref(identity, "principal_id"),
    });
    expect(account.depends_on).toContain(grant.tfAddress);
    expect(() => network.encryptFlowLogs(key)).toThrow(/encryptFlowLogs was already called/);
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

describe("AzureNetwork udpServices", () => {
  const PEERS = ["198.51.100.0/24", "203.0.113.7/32"];
  /** The planned nodes subnet of 10.60.0.0/16 and the overlay's first free /16 (see the tests above). */
  const CLUSTER = ["10.60.0.0/18", "100.64.0.0/16"];
  const udpRules = (nsg: Block): Block[] => nsg.security_rule.filter((r: Block) => r.protocol === "Udp");
  const byName = (nsg: Block, name: string): Block => {
    const found = nsg.security_rule.filter((r: Block) => r.name === name);
    expect(found, name).toHaveLength(1);
    return found[0];
  };

  /** The nodes subnet's NSG of a network in a plain stack with these services. */
  function nodesNsg(udpServices: readonly AzureUdpService[]): Block {
    const s = new TerraformStack(Testing.app(), "net");
    new AzurermProvider(s, "azurerm", { features: [{}] });
    new AzureNetwork(s, "Network", { naming: new Naming("acme"), location: "westeurope", cidr: "10.60.0.0/16", udpServices });
    return nsgOf(new Synthesized("net", JSON.parse(Testing.synth(s)), s), "nodes");
  }
  const build = (udpServices: readonly AzureUdpService[]) => () => nodesNsg(udpServices);
  const service = (over: Partial<AzureUdpService> = {}): AzureUdpService => ({ name: "secure-nodes", port: 4000, peers: PEERS, ...over });

  describe("from the spec's secureNodes", () => {
    let infra: StackJson;
    let platform: StackJson;
    beforeAll(async () => {
      ({ infra, platform } = await synth({
        name: "acme",
        target: { cloud: "azure", region: "westeurope" },
        network: { cidr: "10.60.0.0/16" },
        secureNodes: { enabled: true, image: "registry.example.com/b4ae/node:2.1.3", udpPort: 4100, trustedPeers: PEERS, keys: { secretRef: "b4ae-node-keys" } },
      }));
    });

    test("the nodes subnet's NSG admits UDP on the tier's port from its trusted peers and the cluster's own ranges, inline", () => {
      const allow = byName(nsgOf(infra, "nodes"), "allow-udp-secure-nodes");
      expect(allow).toMatchObject({ direction: "Inbound", access: "Allow", protocol: "Udp", destination_port_range: "4100", destination_address_prefix: "*", source_port_range: "*" });
      expect([...allow.source_address_prefixes].sort()).toEqual([...PEERS, ...CLUSTER].sort());
      expect(allow.source_address_prefix ?? "").toBe("");
    });

    test("then refuses that UDP port to every other address, after the allow and before the internet deny", () => {
      const nsg = nsgOf(infra, "nodes");
      const allow = byName(nsg, "allow-udp-secure-nodes");
      const deny = byName(nsg, "deny-udp-secure-nodes");
      expect(deny).toMatchObject({ direction: "Inbound", access: "Deny", protocol: "Udp", destination_port_range: "4100", destination_address_prefix: "*", source_address_prefix: "*" });
      expect(deny.source_address_prefixes ?? []).toEqual([]);
      const internetDeny = byName(nsg, "deny-internet-inbound").priority;
      expect(allow.priority).toBeLessThan(deny.priority);
      expect(deny.priority).toBeLessThan(internetDeny);
      // The pods' allow (any protocol, any port) is read first: it must not open the UDP port from everywhere.
      expect(byName(nsg, "allow-pods-inbound").source_address_prefix).toBe("100.64.0.0/16");
    });

    test("UDP on that port alone: no other rule of the nodes subnet is UDP, no other subnet's NSG changes", () => {
      expect(udpRules(nsgOf(infra, "nodes")).map((r) => [r.name, r.destination_port_range]).sort()).toEqual([
        ["allow-udp-secure-nodes", "4100"],
        ["deny-udp-secure-nodes", "4100"],
      ]);
      for (const subnet of ["api-server", "private-endpoints", "database"]) expect(udpRules(nsgOf(infra, subnet)), subnet).toEqual([]);
    });

    test("no separate rule resource anywhere: azurerm cannot mix those with the NSG's inline rules", () => {
      for (const stack of [infra, platform]) expect(stack.resources("azurerm_network_security_rule"), stack.name).toEqual([]);
    });
  });

  test("none without UDP services", async () => {
    const { infra } = await synth({ name: "acme", target: { cloud: "azure", region: "westeurope" } });
    for (const nsg of infra.resources("azurerm_network_security_group")) expect(udpRules(nsg), nsg.name).toEqual([]);
    expect(udpRules(nodesNsg([]))).toEqual([]);
  });

  test("several services: each its own allow and deny, every allow read before every deny, all between the pods' allow and the internet deny", () => {
    const nsg = nodesNsg([service(), service({ name: "relay", port: 4001, peers: ["192.0.2.0/28"] })]);
    const rules = udpRules(nsg);
    expect(rules.map((r) => [r.name, r.access, r.destination_port_range]).sort()).toEqual([
      ["allow-udp-relay", "Allow", "4001"],
      ["allow-udp-secure-nodes", "Allow", "4000"],
      ["deny-udp-relay", "Deny", "4001"],
      ["deny-udp-secure-nodes", "Deny", "4000"],
    ]);
    expect([...byName(nsg, "allow-udp-relay").source_address_prefixes].sort()).toEqual(["192.0.2.0/28", ...CLUSTER].sort());
    const allows = rules.filter((r) => r.access === "Allow").map((r) => r.priority);
    const denies = rules.filter((r) => r.access === "Deny").map((r) => r.priority);
    const priorities = nsg.security_rule.map((r: Block) => r.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
    expect(Math.max(...allows)).toBeLessThan(Math.min(...denies));
    expect(Math.min(...allows)).toBeGreaterThan(byName(nsg, "allow-pods-inbound").priority);
    expect(Math.max(...denies)).toBeLessThan(byName(nsg, "deny-internet-inbound").priority);
  });

  test("rule names come from the service's name: a new port or new peers change the same rules", () => {
    const names = (nsg: Block) => udpRules(nsg).map((r) => r.name).sort();
    const before = nodesNsg([service()]);
    const after = nodesNsg([service({ port: 4500, peers: ["192.0.2.0/28"] })]);
    expect(names(after)).toEqual(names(before));
    expect(byName(after, "allow-udp-secure-nodes").destination_port_range).toBe("4500");
  });

  test("a peer that is also a cluster range is listed once (Azure refuses a prefix listed twice)", () => {
    const allow = byName(nodesNsg([service({ peers: ["10.60.0.0/18", "198.51.100.0/24"] })]), "allow-udp-secure-nodes");
    expect([...allow.source_address_prefixes].sort()).toEqual(["10.60.0.0/18", "100.64.0.0/16", "198.51.100.0/24"]);
  });

  test("bad services are refused with the service's place, what is allowed and the value", () => {
    const prefix = "AzureNetwork net/Network: ";
    expect(build([service({ name: "Secure_Nodes" })])).toThrow(`${prefix}udpServices[0].name must be a DNS label (lowercase letters, digits and hyphens, at most 63), e.g. secure-nodes (got "Secure_Nodes")`);
    expect(build([service({ name: "a".repeat(64) })])).toThrow(/udpServices\[0\]\.name must be a DNS label/);
    expect(build([service({ port: 0 })])).toThrow(`${prefix}udpServices[0].port must be an integer from 1 to 65535 (got 0)`);
    expect(build([service({ port: 65536 })])).toThrow(`${prefix}udpServices[0].port must be an integer from 1 to 65535 (got 65536)`);
    expect(build([service({ peers: [] })])).toThrow(`${prefix}udpServices[0].peers must list at least one range: the port is opened to its peers only`);
    expect(build([service({ peers: ["198.51.100.0/24", "198.51.100.300/32"] })])).toThrow(`${prefix}udpServices[0].peers[1] must be an IPv4 range such as 198.51.100.0/24 (got "198.51.100.300/32")`);
    expect(build([service({ peers: ["2001:db8::/32"] })])).toThrow(/udpServices\[0\]\.peers\[0\] must be an IPv4 range/);
    expect(build([service({ peers: ["198.51.100.0/24", "198.51.100.0/24"] })])).toThrow(`${prefix}udpServices[0].peers lists 198.51.100.0/24 twice`);
  });

  test("two services of one name, or on one port, are refused", () => {
    const prefix = "AzureNetwork net/Network: ";
    expect(build([service(), service({ port: 4001 })])).toThrow(`${prefix}udpServices[1].name "secure-nodes" is udpServices[0]'s too: names identify the NSG rules`);
    expect(build([service(), service({ name: "relay" })])).toThrow(
      `${prefix}udpServices[1].port 4000 is udpServices[0]'s too: the NSG cannot tell two services on one port apart, so each would admit the other's peers`,
    );
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
