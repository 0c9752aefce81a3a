import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { GkeCluster } from "../../lib/cluster/gke";
import { GkeNodePool } from "../../lib/cluster/gke-node-pool";
import { Naming } from "../../lib/core/naming";
import { ByocStack } from "../../lib/core/stack";
import { GcpDataLayer } from "../../lib/data/gcp";
import { GcpBuckets } from "../../lib/data/gcp-buckets";
import { GcpDocuments } from "../../lib/data/gcp-documents";
import { GcpPostgres } from "../../lib/data/gcp-postgres";
import { GcpRedis } from "../../lib/data/gcp-redis";
import { GcpKeys, type IGcpKey } from "../../lib/data/keys/gcp";
import { GcpDns } from "../../lib/dns/gcp";
import { GcpNetwork, type IGcpPrivateServiceNetwork } from "../../lib/network/gcp";
import { GcpPlatformTarget } from "../../lib/platform/targets/gcp";
import { GcpSiteToSiteVpn, type GcpVpnPeer } from "../../lib/vpn/gcp";
import { StackJson } from "../support/synth";

/**
 * The GCP constructs as a library user composes them: each alone in a plain
 * TerraformStack with just the google provider, given only the props it needs. Existing
 * resources come in as ids.
 */

const naming = new Naming("acme");
const VPC = "projects/acme-prod/global/networks/shared";
/** An existing VPC with private service access, by ids only. */
const psa: IGcpPrivateServiceNetwork = { networkId: VPC, privateServiceRangeName: "shared-psa" };
/** An existing VPC for GKE: its nodes subnet, secondary ranges and private service access. */
const vpc = GcpNetwork.fromNetworkAttributes({
  networkId: VPC,
  cidr: "10.30.0.0/16",
  nodesSubnetId: "projects/acme-prod/regions/europe-west4/subnetworks/gke",
  podsRangeName: "gke-pods",
  servicesRangeName: "gke-services",
  privateServiceRangeName: "shared-psa",
  privateServiceCidr: "10.30.64.0/20",
});
const ring = "projects/acme-prod/locations/europe-west4/keyRings/mine/cryptoKeys";
/** One key of the user's per purpose, already granted to the services' agents. */
const dataKey: IGcpKey = { id: `${ring}/data` };
const secretsKey: IGcpKey = { id: `${ring}/secrets` };
const clusterKey: IGcpKey = { id: `${ring}/etcd` };
const disksKey: IGcpKey = { id: `${ring}/disks` };

/** A plain TerraformStack with just the google provider. */
function stack(provider: { project?: string; region?: string } = { project: "acme-prod", region: "europe-west4" }): TerraformStack {
  const s = new TerraformStack(Testing.app(), "test");
  new GoogleProvider(s, "google", provider);
  return s;
}
const synthesized = (s: TerraformStack) => new StackJson("test", JSON.parse(Testing.synth(s)), s);
/** The stack's Cloud KMS resource types: none where the user's keys are given. */
const kmsTypes = (json: StackJson) => Object.keys(json.json.resource ?? {}).filter((t) => t.startsWith("google_kms"));

describe("GcpPostgres alone", () => {
  test("in an existing VPC given by ids, with the user's key: private, TLS-only, encrypted with that key, protected, small-tier sizes; no key created", () => {
    // GIVEN a plain stack and an existing VPC and key
    const s = stack();
    // WHEN only the network ids, the key and the naming are given
    new GcpPostgres(s, "Postgres", { naming, network: psa, key: dataKey });
    const json = synthesized(s);

    // THEN the instance is private in the given range, TLS-only, encrypted and protected
    const instance = json.resource("google_sql_database_instance");
    expect(instance).toMatchObject({
      name: "acme-postgres",
      project: "acme-prod",
      region: "europe-west4",
      database_version: "POSTGRES_17",
      encryption_key_name: dataKey.id,
      deletion_protection: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(instance.settings).toMatchObject({
      tier: "db-custom-2-8192",
      availability_type: "ZONAL",
      disk_size: 100,
      disk_autoresize_limit: 1000,
      deletion_protection_enabled: true,
      retain_backups_on_delete: true,
      ip_configuration: { ipv4_enabled: false, private_network: VPC, allocated_ip_range: "shared-psa", ssl_mode: "ENCRYPTED_ONLY" },
      backup_configuration: { enabled: true, point_in_time_recovery_enabled: true, backup_retention_settings: { retained_backups: 7 } },
      user_labels: { deployment: "acme", environment: "production", "managed-by": "cdktf-byoc", component: "data" },
    });
    // The existing peering needs no wait, the user's key no grant.
    expect(instance.depends_on ?? []).toEqual([]);
    expect(json.resource("google_sql_database")).toMatchObject({ name: "acme", deletion_policy: "ABANDON", lifecycle: { prevent_destroy: true } });
    expect(kmsTypes(json)).toEqual([]);
    expect(Object.keys(json.json.output).sort()).toEqual(["postgres_connection_name", "postgres_instance", "postgres_private_ip"]);
  });

  test("with the kit's keys for Cloud SQL only: one ring, the data key and Cloud SQL's grant, and the instance waits for the grant", () => {
    const s = stack();
    const keys = new GcpKeys(s, "Keys", { naming, clusterKeys: false, dataStores: ["postgres"] });
    new GcpPostgres(s, "Postgres", { naming, network: psa, key: keys.keyFor("postgres") });
    const json = synthesized(s);

    expect(json.resources("google_kms_crypto_key").map((k) => k.name)).toEqual(["data"]);
    const grant = json.resource("google_kms_crypto_key_iam_member");
    expect(grant.member).toMatch(/@gcp-sa-cloud-sql\.iam\.gserviceaccount\.com$/);
    expect(json.resource("google_sql_database_instance").depends_on).toEqual([grant.tfAddress]);
    expect(() => keys.keyFor("cluster")).toThrow("GcpKeys test/Keys: no cluster key; clusterKeys is false");
  });

  test("two instances in one stack get their own outputs, and names from their own naming", () => {
    const s = stack();
    new GcpPostgres(s, "Orders", { naming: new Naming("orders"), network: psa, key: dataKey });
    new GcpPostgres(s, "Billing", { naming: new Naming("billing"), network: psa, key: dataKey });
    const json = synthesized(s);

    expect(json.resources("google_sql_database_instance").map((i) => i.name).sort()).toEqual(["billing-postgres", "orders-postgres"]);
    expect(json.json.output.orders_instance.value).toBe(json.ref(json.resource("google_sql_database_instance", (i) => i.name === "orders-postgres"), "name"));
    expect(json.json.output.billing_instance.value).toBe(json.ref(json.resource("google_sql_database_instance", (i) => i.name === "billing-postgres"), "name"));
  });

  test("a region that disagrees with the provider's is refused", () => {
    expect(() => new GcpPostgres(stack(), "Postgres", { naming, network: psa, key: dataKey, region: "us-east1" })).toThrow(
      'GcpPostgres test/Postgres: region "us-east1" differs from the google provider\'s region "europe-west4"; give the provider\'s region or leave region unset',
    );
  });

  test("bad sizes are refused, naming the prop and the value", () => {
    expect(() => new GcpPostgres(stack(), "Postgres", { naming, network: psa, key: dataKey, storageGb: 500, maxStorageGb: 200 })).toThrow(
      "GcpPostgres test/Postgres: maxStorageGb must be at least storageGb 500 (got 200)",
    );
    expect(() => new GcpPostgres(stack(), "Postgres", { naming, network: psa, key: dataKey, version: "12" })).toThrow(
      'GcpPostgres test/Postgres: version must be one of 15, 16, 17 (got "12")',
    );
  });

  test("without a naming outside a ByocStack, the error says how to give one", () => {
    expect(() => new GcpPostgres(stack(), "Postgres", { network: psa, key: dataKey })).toThrow(/GcpPostgres test\/Postgres: no naming: pass props\.naming/);
  });

  test("inside a ByocStack: its naming and environment label the instance", () => {
    const s = new ByocStack(Testing.app(), "acme-dev", { deployment: "acme", environment: "staging" });
    new GoogleProvider(s, "google", { project: "acme-prod", region: "europe-west4" });
    new GcpPostgres(s, "Postgres", { network: psa, key: dataKey });
    const instance = new StackJson("acme-dev", JSON.parse(Testing.synth(s)), s).resource("google_sql_database_instance");
    expect(instance.name).toBe("acme-postgres");
    expect(instance.settings.user_labels).toMatchObject({ deployment: "acme", environment: "staging" });
  });
});

describe("the project", () => {
  test("without one in the provider, every construct reads the credentials' through one google_client_config", () => {
    const s = stack({ region: "europe-west4" });
    new GcpPostgres(s, "Postgres", { naming, network: psa, key: dataKey });
    new GcpDocuments(s, "Documents", { naming, key: dataKey });
    const json = synthesized(s);
    const client = json.data("google_client_config");
    expect(client.map((c) => c.tfAddress)).toEqual(["data.google_client_config.Client"]);
    expect(json.resource("google_sql_database_instance").project).toBe(json.ref(client[0], "project"));
    expect(json.resource("google_firestore_database").project).toBe(json.ref(client[0], "project"));
  });

  test("a project prop wins over the provider's", () => {
    const s = stack();
    new GcpDocuments(s, "Documents", { naming, key: dataKey, project: "other-project" });
    expect(synthesized(s).resource("google_firestore_database").project).toBe("other-project");
  });
});

describe("GcpRedis alone", () => {
  test("in an existing VPC: Standard tier, private service access, AUTH and TLS, encrypted, its AUTH string in a CMEK secret", () => {
    const s = stack();
    new GcpRedis(s, "Redis", { naming, network: psa, key: dataKey, secretsKey });
    const json = synthesized(s);
    expect(json.resource("google_redis_instance")).toMatchObject({
      tier: "STANDARD_HA",
      memory_size_gb: 1,
      authorized_network: VPC,
      connect_mode: "PRIVATE_SERVICE_ACCESS",
      reserved_ip_range: "shared-psa",
      auth_enabled: true,
      transit_encryption_mode: "SERVER_AUTHENTICATION",
      customer_managed_key: dataKey.id,
      lifecycle: { prevent_destroy: true },
    });
    expect(json.resource("google_secret_manager_secret")).toMatchObject({
      secret_id: "acme_redis_auth",
      deletion_protection: true,
      replication: { user_managed: { replicas: [{ location: "europe-west4", customer_managed_encryption: { kms_key_name: secretsKey.id } }] } },
    });
    expect(kmsTypes(json)).toEqual([]);
    expect(Object.keys(json.json.output)).toEqual(["redis_host"]);
  });

  test("a memory size out of range is refused", () => {
    expect(() => new GcpRedis(stack(), "Redis", { naming, network: psa, key: dataKey, secretsKey, memorySizeGb: 500 })).toThrow(
      "GcpRedis test/Redis: memorySizeGb must be a whole number of GB from 1 to 300 (got 500)",
    );
  });
});

describe("GcpDocuments alone", () => {
  test("Firestore Enterprise in the provider's region, CMEK, point-in-time recovery, delete protection and daily and weekly backups", () => {
    const s = stack();
    new GcpDocuments(s, "Documents", { naming, key: dataKey });
    const json = synthesized(s);
    expect(json.resource("google_firestore_database")).toMatchObject({
      name: "acme-documents",
      location_id: "europe-west4",
      database_edition: "ENTERPRISE",
      cmek_config: { kms_key_name: dataKey.id },
      point_in_time_recovery_enablement: "POINT_IN_TIME_RECOVERY_ENABLED",
      delete_protection_state: "DELETE_PROTECTION_ENABLED",
      deletion_policy: "ABANDON",
      lifecycle: { prevent_destroy: true },
    });
    expect(json.resources("google_firestore_backup_schedule").map((b) => b.retention).sort()).toEqual(["1209600s", "604800s"]);
  });

  test("protection off is explicit: no delete protection, no prevent_destroy", () => {
    const s = stack();
    new GcpDocuments(s, "Documents", { naming, key: dataKey, protection: false });
    const db = synthesized(s).resource("google_firestore_database");
    expect(db).toMatchObject({ delete_protection_state: "DELETE_PROTECTION_DISABLED", deletion_policy: "DELETE" });
    expect(db.lifecycle).toBeUndefined();
  });
});

describe("GcpBuckets alone", () => {
  test("the default purposes, private and versioned, encrypted with the given key; usage logs to the logs bucket; one output per bucket", () => {
    const s = stack();
    new GcpBuckets(s, "Buckets", { naming, key: dataKey });
    const json = synthesized(s);
    const buckets = json.resources("google_storage_bucket");
    expect(buckets.map((b) => b.name.split("-")[1]).sort()).toEqual(["backups", "config", "logs", "metrics"]);
    for (const b of buckets) {
      expect(b).toMatchObject({
        location: "europe-west4",
        uniform_bucket_level_access: true,
        public_access_prevention: "enforced",
        versioning: { enabled: true },
        encryption: { default_kms_key_name: dataKey.id },
        force_destroy: false,
        lifecycle: { prevent_destroy: true },
      });
    }
    expect(Object.keys(json.json.output).sort()).toEqual(["buckets_backups", "buckets_config", "buckets_logs", "buckets_metrics"]);
  });

  test("a purpose a bucket name cannot hold is refused", () => {
    expect(() => new GcpBuckets(stack(), "Buckets", { naming, key: dataKey, purposes: ["Backups"] })).toThrow(
      'GcpBuckets test/Buckets: purposes[0] must be 3-22 characters of a-z, 0-9 and "-", e.g. backups (got "Backups")',
    );
  });
});

describe("GcpDataLayer alone", () => {
  test("only the stores given: Cloud SQL and the buckets, in an existing VPC, with the user's key", () => {
    const s = stack();
    const layer = new GcpDataLayer(s, "Data", { naming, postgres: { network: psa, key: dataKey }, buckets: { key: dataKey, purposes: ["backups"] } });
    const json = synthesized(s);
    expect(layer.stores.map((st) => st.kind)).toEqual(["postgres"]);
    expect(layer.postgresInstanceName).toBe("acme-postgres");
    expect(json.resources("google_redis_instance")).toEqual([]);
    expect(json.resources("google_firestore_database")).toEqual([]);
    expect(Object.keys(json.json.output).sort()).toEqual(["data_buckets_backups", "data_postgres_connection_name", "data_postgres_instance", "data_postgres_private_ip"]);
  });
});

describe("GcpKeys alone", () => {
  test("the GKE keys by default, rotating and protected, each granted to its agent only", () => {
    const s = stack();
    const keys = new GcpKeys(s, "Keys", { naming });
    const json = synthesized(s);
    expect(json.resources("google_kms_crypto_key").map((k) => k.name).sort()).toEqual(["cluster", "disks"]);
    for (const k of json.resources("google_kms_crypto_key")) expect(k).toMatchObject({ rotation_period: "7776000s", lifecycle: { prevent_destroy: true } });
    expect(json.resources("google_kms_crypto_key_iam_member").map((g) => g.member.replace(/.*@/, "")).sort()).toEqual([
      "compute-system.iam.gserviceaccount.com",
      "container-engine-robot.iam.gserviceaccount.com",
    ]);
    expect(() => keys.keyFor("postgres")).toThrow('GcpKeys test/Keys: no postgres key; add "postgres" to dataStores');
  });

  test("recovery stores need a recovery region", () => {
    expect(() => new GcpKeys(stack(), "Keys", { naming, dataStores: ["postgres"], recoveryStores: ["postgres"] })).toThrow("GcpKeys test/Keys: recoveryStores needs a recoveryRegion");
  });
});

describe("GcpNetwork alone", () => {
  test("a custom-mode VPC with defaults: 10.0.0.0/16, flow logs for 365 days, deny-all ingress, private service access", () => {
    const s = stack();
    const network = new GcpNetwork(s, "Network", { naming });
    const json = synthesized(s);
    expect(json.resource("google_compute_network")).toMatchObject({ name: "acme-vpc", auto_create_subnetworks: false });
    expect(json.resource("google_compute_subnetwork")).toMatchObject({ ip_cidr_range: "10.0.0.0/20", private_ip_google_access: true, region: "europe-west4" });
    expect(json.resource("google_logging_project_bucket_config").retention_days).toBe(365);
    expect(json.resource("google_compute_firewall", (f) => f.name === "acme-deny-all-ingress")).toMatchObject({ source_ranges: ["0.0.0.0/0"], deny: [{ protocol: "all" }] });
    expect(network.privateServiceCidr).toBe("10.0.32.0/20");
  });

  test("a range the address plan cannot split is refused", () => {
    expect(() => new GcpNetwork(stack(), "Network", { naming, cidr: "10.0.0.0/26" })).toThrow(
      'GcpNetwork test/Network: cidr must be an IPv4 range of /24 or larger, such as 10.0.0.0/16 (got "10.0.0.0/26")',
    );
  });

  test("the adopter fills the secondary range names and lists", () => {
    const adopted = GcpNetwork.fromNetworkAttributes({ networkId: VPC, cidr: "10.0.0.0/16", nodesSubnetId: "s", privateServiceRangeName: "p", privateServiceCidr: "10.0.32.0/20" });
    expect(adopted).toMatchObject({ podsRangeName: "pods", servicesRangeName: "services", zones: [], peerCidrs: [] });
  });
});

describe("GcpDns alone", () => {
  test("a private zone on an existing VPC, the public zone with DNSSEC, and the name servers as an output", () => {
    const s = stack();
    new GcpDns(s, "Dns", { naming, networkId: VPC, domain: "acme.example.com" });
    const json = synthesized(s);
    expect(json.resource("google_dns_managed_zone", (z) => z.visibility === "private")).toMatchObject({
      dns_name: "internal.acme.example.com.",
      private_visibility_config: { networks: [{ network_url: VPC }] },
    });
    expect(json.resource("google_dns_managed_zone", (z) => z.visibility === "public").dnssec_config).toEqual({ state: "on" });
    expect(Object.keys(json.json.output)).toEqual(["dns_public_zone_name_servers"]);
  });
});

describe("GcpSiteToSiteVpn alone", () => {
  const peer: GcpVpnPeer = { name: "dc1", gatewayIp: "203.0.113.50", pskSecret: "acme-vpn-dc1", bgpAsn: 65010, tunnelInsideCidrs: ["169.254.10.0/30", "169.254.10.4/30"] };

  test("HA VPN on an existing VPC: two IKEv2 tunnels and BGP sessions, the key read from Secret Manager", () => {
    const s = stack();
    new GcpSiteToSiteVpn(s, "Vpn", { naming, networkId: VPC, peers: [peer] });
    const json = synthesized(s);
    expect(json.resource("google_compute_ha_vpn_gateway").network).toBe(VPC);
    expect(json.resource("google_compute_router").bgp.asn).toBe(64514);
    expect(json.resources("google_compute_vpn_tunnel").map((t) => t.ike_version)).toEqual([2, 2]);
    expect(json.resources("google_compute_router_peer").map((p) => p.peer_ip_address).sort()).toEqual(["169.254.10.2", "169.254.10.6"]);
    expect(json.data("google_secret_manager_secret_version")[0].secret).toBe("acme-vpn-dc1");
  });

  test("a tunnel range outside link-local space is refused", () => {
    expect(() => new GcpSiteToSiteVpn(stack(), "Vpn", { naming, networkId: VPC, peers: [{ ...peer, tunnelInsideCidrs: ["10.0.0.0/30", "169.254.10.4/30"] }] })).toThrow(
      'GcpSiteToSiteVpn test/Vpn: peers[0].tunnelInsideCidrs[0] must be a /30 in 169.254.0.0/16, such as 169.254.10.0/30 (got "10.0.0.0/30")',
    );
  });
});

describe("GkeCluster alone", () => {
  test("in an existing VPC with the user's keys: private nodes and endpoint, Workload Identity, secrets encryption, small-tier pools; no key created", () => {
    const s = stack();
    const cluster = new GkeCluster(s, "Gke", { naming, network: vpc, clusterKey, disksKey });
    const json = synthesized(s);
    const gke = json.resource("google_container_cluster");
    expect(gke).toMatchObject({
      name: "acme-cluster",
      location: "europe-west4",
      network: VPC,
      subnetwork: vpc.nodesSubnetId,
      ip_allocation_policy: { cluster_secondary_range_name: "gke-pods", services_secondary_range_name: "gke-services" },
      private_cluster_config: { enable_private_nodes: true, enable_private_endpoint: true, master_ipv4_cidr_block: "10.30.48.0/28" },
      master_authorized_networks_config: { cidr_blocks: [{ cidr_block: "10.30.0.0/16", display_name: "network" }] },
      workload_identity_config: { workload_pool: "acme-prod.svc.id.goog" },
      database_encryption: { state: "ENCRYPTED", key_name: clusterKey.id },
      master_auth: { client_certificate_config: { issue_client_certificate: false } },
      deletion_protection: true,
      lifecycle: { prevent_destroy: true },
      resource_labels: { deployment: "acme", environment: "production", "managed-by": "cdktf-byoc", component: "cluster" },
    });
    expect(json.resources("google_container_node_pool").map((p) => [p.name, p.node_config.machine_type, p.node_config.boot_disk_kms_key])).toEqual([
      ["system", "e2-standard-2", disksKey.id],
      ["workloads", "e2-standard-4", disksKey.id],
    ]);
    expect(kmsTypes(json)).toEqual([]);
    expect(Object.keys(json.json.output).sort()).toEqual(["gke_endpoint", "gke_location", "gke_name", "gke_workload_pool"]);
    expect(cluster).toMatchObject({ project: "acme-prod", location: "europe-west4", diskEncryptionKey: disksKey.id });
  });

  test("node auto-provisioning refuses a machine type whose vCPUs it cannot read, naming the prop", () => {
    expect(
      () => new GkeCluster(stack(), "Gke", { naming, network: vpc, clusterKey, disksKey, autoscaling: "node-auto-provisioning", workloadsPool: { instanceType: "m1-megamem-96", min: 1, max: 3, diskGb: 100 } }),
    ).toThrow(/^GkeCluster test\/Gke: workloadsPool\.instanceType: node auto-provisioning needs the machine's vCPUs .*\(got "m1-megamem-96"\)$/);
  });

  test("allowed ranges need the public-restricted endpoint", () => {
    expect(() => new GkeCluster(stack(), "Gke", { naming, network: vpc, clusterKey, disksKey, allowedCidrs: ["198.51.100.0/24"] })).toThrow(
      'GkeCluster test/Gke: allowedCidrs ["198.51.100.0/24"] need endpoint "public-restricted"; a private endpoint admits the network and the peers only',
    );
  });
});

describe("GkeNodePool alone", () => {
  test("on an existing cluster: shielded COS nodes on the given account and key, surge upgrades; bad counts are refused", () => {
    const s = stack();
    const cluster = "projects/acme-prod/locations/europe-west4/clusters/main";
    new GkeNodePool(s, "Batch", { clusterId: cluster, name: "batch", serviceAccount: "nodes@acme-prod.iam.gserviceaccount.com", bootDiskKmsKey: disksKey.id });
    const pool = synthesized(s).resource("google_container_node_pool");
    expect(pool).toMatchObject({
      cluster,
      location: "europe-west4",
      autoscaling: { total_min_node_count: 1, total_max_node_count: 8 },
      upgrade_settings: { strategy: "SURGE", max_surge: 1, max_unavailable: 0 },
      node_config: { image_type: "COS_CONTAINERD", shielded_instance_config: { enable_secure_boot: true }, workload_metadata_config: { mode: "GKE_METADATA" } },
    });
    expect(
      () => new GkeNodePool(stack(), "Bad", { clusterId: cluster, name: "bad", serviceAccount: "n", bootDiskKmsKey: "k", size: { instanceType: "e2-standard-4", min: 5, max: 2, diskGb: 100 } }),
    ).toThrow("GkeNodePool test/Bad: size.min and size.max must satisfy 0 <= min <= max and max >= 1 (got min 5, max 2)");
  });
});

describe("GcpPlatformTarget alone", () => {
  const cluster = {
    name: "main",
    distribution: "gke" as const,
    connection: { configPath: "~/.kube/config" },
    storageClass: "cmek-rwo",
    project: "acme-prod",
    location: "europe-west4",
    workloadPool: "acme-prod.svc.id.goog",
    diskEncryptionKey: disksKey.id,
    nodeServiceAccountEmail: "gke-nodes@acme-prod.iam.gserviceaccount.com",
  };

  test("on an existing cluster: the encrypted default StorageClass, and secret access conditioned on the deployment's prefix", () => {
    const s = stack();
    const target = new GcpPlatformTarget(s, "Target", { naming, cluster, privateServiceCidr: "10.30.64.0/20", controlPlaneCidr: "172.16.0.32/28", networkCidr: "10.30.0.0/16" });
    target.secretStore(s, { namespace: "external-secrets", name: "external-secrets" });
    const json = synthesized(s);
    expect(json.resource("kubernetes_storage_class_v1").parameters).toEqual({ type: "pd-balanced", "disk-encryption-kms-key": disksKey.id });
    expect(json.resource("google_project_iam_member").condition.expression).toContain('/secrets/acme-")');
    expect(json.resource("google_service_account_iam_member").member).toBe("serviceAccount:acme-prod.svc.id.goog[external-secrets/external-secrets]");
    expect(target.tenantEgress[0]).toEqual({ cidr: "10.30.64.0/20" });
    expect(target.loadBalancerSources).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
  });
});
