import { beforeAll, describe, expect, test } from "vitest";
import { synth, type StackJson } from "../support/synth";

const hq = { name: "hq", cidrs: ["192.168.0.0/20", "192.168.32.0/24"], gatewayIp: "198.51.100.10", psk: { secretRef: "acme/vpn/hq-psk" } };
/** Secrets the spec names (the data layer reads back its own, by reference). */
const specSecrets = (s: StackJson) => s.data("aws_secretsmanager_secret_version").filter((d) => !String(d.secret_id).startsWith("${"));

describe("AwsSiteToSiteVpn", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth({ name: "acme", tier: "medium", target: { cloud: "aws", region: "us-west-2" }, network: { peers: [hq] } }));
  });

  test("a virtual private gateway on the VPC, a customer gateway at the peer's address", () => {
    expect(infra.resource("aws_vpn_gateway").vpc_id).toBe(infra.ref(infra.resource("aws_vpc"), "id"));
    const cgw = infra.resource("aws_customer_gateway");
    expect(cgw.ip_address).toBe("198.51.100.10");
    expect(cgw.type).toBe("ipsec.1");
  });

  test("both tunnels take the pre-shared key from Secrets Manager, never a literal", () => {
    const [secret] = specSecrets(infra);
    expect(secret.secret_id).toBe("acme/vpn/hq-psk");
    const conn = infra.resource("aws_vpn_connection");
    expect(conn.tunnel1_preshared_key).toBe(infra.ref(secret, "secret_string"));
    expect(conn.tunnel2_preshared_key).toBe(infra.ref(secret, "secret_string"));
  });

  test("tunnels negotiate IKEv2 with AES-256, SHA-2 and elliptic-curve DH only, and log to an encrypted group", () => {
    const conn = infra.resource("aws_vpn_connection");
    const key = infra.resource("aws_kms_key", (k) => k.tags.Name === "acme-logs");
    for (const t of ["tunnel1", "tunnel2"]) {
      expect(conn[`${t}_ike_versions`]).toEqual(["ikev2"]);
      for (const phase of ["phase1", "phase2"]) {
        expect(conn[`${t}_${phase}_encryption_algorithms`].every((a: string) => a.startsWith("AES256"))).toBe(true);
        expect(conn[`${t}_${phase}_integrity_algorithms`].every((a: string) => a.startsWith("SHA2-"))).toBe(true);
        expect(conn[`${t}_${phase}_dh_group_numbers`].every((g: number) => g >= 19)).toBe(true);
      }
      const log = conn[`${t}_log_options`].cloudwatch_log_options;
      expect(log.log_enabled).toBe(true);
      const group = infra.resources("aws_cloudwatch_log_group").find((g) => log.log_group_arn === infra.ref(g, "arn"))!;
      expect(group.kms_key_id).toBe(infra.ref(key, "arn"));
    }
  });

  test("without BGP: static routes to each of the peer's ranges, propagated into every private route table", () => {
    const conn = infra.resource("aws_vpn_connection");
    expect(conn.static_routes_only).toBe(true);
    expect(infra.resources("aws_vpn_connection_route").map((r) => r.destination_cidr_block).sort()).toEqual(["192.168.0.0/20", "192.168.32.0/24"]);
    const propagated = infra.resources("aws_vpn_gateway_route_propagation").map((p) => p.route_table_id).sort();
    const privateTables = infra.resources("aws_route_table").filter((t) => t.tags.Name.includes("private")).map((t) => infra.ref(t, "id"));
    expect(propagated).toEqual(privateTables.sort());
  });

  test("with BGP: dynamic routing with the peer's ASN and tunnel ranges, no static routes", async () => {
    const { infra: bgp } = await synth({
      name: "acme",
      target: { cloud: "aws", region: "us-west-2" },
      network: { peers: [{ ...hq, bgpAsn: 65010, tunnelInsideCidrs: ["169.254.20.0/30", "169.254.20.4/30"] }] },
    });
    const conn = bgp.resource("aws_vpn_connection");
    expect(conn.static_routes_only).toBe(false);
    expect(conn.tunnel1_inside_cidr).toBe("169.254.20.0/30");
    expect(conn.tunnel2_inside_cidr).toBe("169.254.20.4/30");
    expect(bgp.resource("aws_customer_gateway").bgp_asn).toBe("65010");
    expect(bgp.resources("aws_vpn_connection_route")).toEqual([]);
  });

  test("no peers, no VPN resources", async () => {
    const { infra: none } = await synth({ name: "acme", target: { cloud: "aws", region: "us-west-2" } });
    expect(none.resources("aws_vpn_gateway")).toEqual([]);
    expect(specSecrets(none)).toEqual([]);
  });
});

describe("AzureSiteToSiteVpn", () => {
  const vault = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/acme-secrets";
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth({
      name: "acme",
      target: { cloud: "azure", region: "westeurope", keyVaultId: vault },
      network: { cidr: "10.60.0.0/16", peers: [{ ...hq, psk: { secretRef: "vpn-hq-psk" } }] },
    }));
  });

  test("a zone-redundant route-based gateway in GatewaySubnet", () => {
    const gw = infra.resource("azurerm_virtual_network_gateway");
    expect(gw.type).toBe("Vpn");
    expect(gw.vpn_type).toBe("RouteBased");
    expect(gw.sku).toBe("VpnGw1AZ");
    expect(gw.generation).toBeUndefined();
    const subnet = infra.resource("azurerm_subnet", (s) => s.name === "GatewaySubnet");
    expect(subnet.address_prefixes).toEqual(["10.60.255.0/24"]);
    expect(gw.ip_configuration[0].subnet_id).toBe(infra.ref(subnet, "id"));
    const ip = infra.resources("azurerm_public_ip").find((p) => gw.ip_configuration[0].public_ip_address_id === infra.ref(p, "id"))!;
    expect(ip.zones).toEqual(["1", "2", "3"]);
  });

  test("medium and large tiers get a Generation2 VpnGw2AZ; regions without zones a regional IP", async () => {
    const { infra: medium } = await synth({
      name: "acme",
      tier: "medium",
      target: { cloud: "azure", region: "westus", keyVaultId: vault },
      network: { peers: [{ ...hq, psk: { secretRef: "vpn-hq-psk" } }] },
    });
    expect(medium.resource("azurerm_virtual_network_gateway")).toMatchObject({ sku: "VpnGw2AZ", generation: "Generation2" });
    expect(medium.resource("azurerm_public_ip", (p) => p.name.includes("vpn")).zones).toBeUndefined();
  });

  test("the connection uses IKEv2, a strong custom IPsec policy and the Key Vault secret", () => {
    const secret = infra.data("azurerm_key_vault_secret")[0];
    expect(secret).toMatchObject({ name: "vpn-hq-psk", key_vault_id: vault });
    const conn = infra.resource("azurerm_virtual_network_gateway_connection");
    expect(conn.shared_key).toBe(infra.ref(secret, "value"));
    expect(conn.connection_protocol).toBe("IKEv2");
    expect(conn.ipsec_policy).toMatchObject({ ike_encryption: "GCMAES256", ipsec_encryption: "GCMAES256", dh_group: "ECP384", pfs_group: "ECP384" });
    const local = infra.resource("azurerm_local_network_gateway");
    expect(local.gateway_address).toBe("198.51.100.10");
    expect(local.address_space).toEqual(["192.168.0.0/20", "192.168.32.0/24"]);
    expect(conn.local_network_gateway_id).toBe(infra.ref(local, "id"));
  });
});

describe("GcpSiteToSiteVpn", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth({
      name: "acme",
      target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" },
      network: { peers: [{ ...hq, psk: { secretRef: "vpn-hq-psk" }, bgpAsn: 65010, tunnelInsideCidrs: ["169.254.10.0/30", "169.254.10.4/30"] }] },
    }));
  });

  test("an HA VPN gateway and two IKEv2 tunnels, one per interface, with the secret from Secret Manager", () => {
    const gw = infra.resource("google_compute_ha_vpn_gateway");
    expect(gw.network).toBe(infra.ref(infra.resource("google_compute_network"), "id"));
    const secret = infra.data("google_secret_manager_secret_version")[0];
    expect(secret.secret).toBe("vpn-hq-psk");
    const tunnels = infra.resources("google_compute_vpn_tunnel");
    expect(tunnels.map((t) => t.vpn_gateway_interface).sort()).toEqual([0, 1]);
    for (const t of tunnels) {
      expect(t.ike_version).toBe(2);
      expect(t.shared_secret).toBe(infra.ref(secret, "secret_data"));
      expect(t.vpn_gateway).toBe(infra.ref(gw, "id"));
    }
    const external = infra.resource("google_compute_external_vpn_gateway");
    expect(external.interface).toEqual([{ id: 0, ip_address: "198.51.100.10" }]);
  });

  test("a BGP session per tunnel on the peer's link-local ranges", () => {
    const router = infra.resource("google_compute_router", (r) => r.bgp !== undefined);
    expect(router.bgp.asn).toBe(64514);
    expect(infra.resources("google_compute_router_interface").map((i) => i.ip_range).sort()).toEqual(["169.254.10.1/30", "169.254.10.5/30"]);
    const peers = infra.resources("google_compute_router_peer");
    expect(peers.map((p) => p.peer_ip_address).sort()).toEqual(["169.254.10.2", "169.254.10.6"]);
    for (const p of peers) expect(p.peer_asn).toBe(65010);
  });
});
