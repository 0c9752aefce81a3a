import { beforeAll, describe, expect, test } from "vitest";
import { bootDiskType, machineShape } from "../../lib/cluster/gke-node-pool";
import { synth, type Block, type StackJson } from "../support/synth";

const peer = {
  name: "dc1",
  cidrs: ["192.168.16.0/20", "192.168.32.0/20"],
  gatewayIp: "203.0.113.50",
  psk: { secretRef: "vpn-dc1-psk" },
  bgpAsn: 65010,
  tunnelInsideCidrs: ["169.254.10.0/30", "169.254.10.4/30"],
};
const gcp = (extra: Record<string, unknown> = {}) => ({
  name: "acme",
  target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" },
  network: { cidr: "10.80.0.0/16", peers: [peer] },
  ...extra,
});
const ZONES = ["europe-west4-a", "europe-west4-b", "europe-west4-c"];
const NODE_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

const clusterOf = (infra: StackJson) => infra.resource("google_container_cluster");
const poolOf = (infra: StackJson, name: string) => infra.resource("google_container_node_pool", (p) => p.name === name);
const keyOf = (infra: StackJson, name: string) => infra.resource("google_kms_crypto_key", (k) => k.name === name);

describe("GcpKeys", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth(gcp()));
  });

  test("a key ring in the cluster's region, after the Cloud KMS API, that no plan can destroy", () => {
    const ring = infra.resource("google_kms_key_ring");
    expect(ring).toMatchObject({ name: "acme-keys", location: "europe-west4", project: "acme-prod", lifecycle: { prevent_destroy: true } });
    const kmsApi = infra.resource("google_project_service", (s) => s.service === "cloudkms.googleapis.com");
    expect(ring.depends_on).toContain(kmsApi.tfAddress);
  });

  test.each(["cluster", "disks"])("the %s key rotates every 90 days, keeps destroyed versions 30 days and cannot be destroyed", (name) => {
    expect(keyOf(infra, name)).toMatchObject({
      key_ring: infra.ref(infra.resource("google_kms_key_ring"), "id"),
      purpose: "ENCRYPT_DECRYPT",
      rotation_period: "7776000s",
      destroy_scheduled_duration: "2592000s",
      lifecycle: { prevent_destroy: true },
    });
  });

  test("each key is granted encrypt/decrypt to the one service agent that uses it, once that agent's API is on", () => {
    const number = infra.ref(infra.data("google_project")[0], "number");
    // The cluster's keys; the data layer's keys and grants are tested in test/data/gcp.test.ts.
    const clusterKeys = [keyOf(infra, "cluster"), keyOf(infra, "disks")].map((k) => infra.ref(k, "id"));
    const grants = infra.resources("google_kms_crypto_key_iam_member").filter((g) => clusterKeys.includes(g.crypto_key_id));
    expect(grants.map((g) => [g.crypto_key_id, g.role, g.member]).sort()).toEqual(
      [
        [infra.ref(keyOf(infra, "cluster"), "id"), "roles/cloudkms.cryptoKeyEncrypterDecrypter", `serviceAccount:service-${number}@container-engine-robot.iam.gserviceaccount.com`],
        [infra.ref(keyOf(infra, "disks"), "id"), "roles/cloudkms.cryptoKeyEncrypterDecrypter", `serviceAccount:service-${number}@compute-system.iam.gserviceaccount.com`],
      ].sort(),
    );
    const api = (service: string) => infra.resource("google_project_service", (s) => s.service === service).tfAddress;
    expect(grants.find((g) => g.member.includes("container-engine-robot"))!.depends_on).toContain(api("container.googleapis.com"));
    expect(grants.find((g) => g.member.includes("compute-system"))!.depends_on).toContain(api("compute.googleapis.com"));
  });
});

describe("GkeCluster", () => {
  let infra: StackJson;
  let cluster: Block;
  beforeAll(async () => {
    ({ infra } = await synth(gcp({ cluster: { admins: ["group:ops@example.com", "user:alice@example.com"] } })));
    cluster = clusterOf(infra);
  });

  test("a regional VPC-native cluster in the network's subnet, with its pods and services ranges", () => {
    const subnet = infra.resource("google_compute_subnetwork");
    expect(cluster).toMatchObject({
      name: "acme-cluster",
      location: "europe-west4",
      node_locations: ZONES,
      network: infra.ref(infra.resource("google_compute_network"), "id"),
      subnetwork: infra.ref(subnet, "id"),
      networking_mode: "VPC_NATIVE",
      ip_allocation_policy: { cluster_secondary_range_name: "pods", services_secondary_range_name: "services" },
    });
    expect(subnet.secondary_ip_range.map((r: { range_name: string }) => r.range_name)).toEqual(["pods", "services"]);
  });

  test("private nodes and, by default, a private endpoint in the address plan's control-plane /28, without global access", () => {
    expect(cluster.private_cluster_config).toEqual({
      enable_private_nodes: true,
      enable_private_endpoint: true,
      master_ipv4_cidr_block: "10.80.48.0/28",
      master_global_access_config: { enabled: false },
    });
    expect(cluster.control_plane_endpoints_config).toEqual({ dns_endpoint_config: { allow_external_traffic: false } });
  });

  test("the API server admits exactly the network and the site-to-site peers, on the private endpoint too, and no Google public ranges", () => {
    const config = cluster.master_authorized_networks_config;
    expect(config.cidr_blocks.map((b: { cidr_block: string }) => b.cidr_block)).toEqual(["10.80.0.0/16", "192.168.16.0/20", "192.168.32.0/20"]);
    expect(config.gcp_public_cidrs_access_enabled).toBe(false);
    expect(config.private_endpoint_enforcement_enabled).toBe(true);
  });

  test("Workload Identity on the project's pool, and every pool serves GKE's metadata server to pods", () => {
    expect(cluster.workload_identity_config).toEqual({ workload_pool: "acme-prod.svc.id.goog" });
    for (const pool of infra.resources("google_container_node_pool")) {
      expect(pool.node_config.workload_metadata_config, pool.name).toEqual({ mode: "GKE_METADATA" });
    }
    expect(cluster.node_config.workload_metadata_config).toEqual({ mode: "GKE_METADATA" });
  });

  test("Dataplane V2 enforces network policy, without the legacy Calico add-on", () => {
    expect(cluster.datapath_provider).toBe("ADVANCED_DATAPATH");
    expect(cluster.addons_config.network_policy_config).toBeUndefined();
    expect(cluster.network_policy).toBeUndefined();
  });

  test("intranode visibility: traffic between pods of one node goes through the VPC, where the flow logs see it", () => {
    expect(cluster.enable_intranode_visibility).toBe(true);
  });

  test("the REGULAR channel from the spec's version up, upgrading in weekend-night windows", () => {
    expect(cluster.release_channel).toEqual({ channel: "REGULAR" });
    expect(cluster.min_master_version).toBe("1.35");
    const window = cluster.maintenance_policy.recurring_window;
    expect(window.recurrence).toBe("FREQ=WEEKLY;BYDAY=SA,SU");
    expect(new Date(window.start_time).getUTCDay()).toBe(6);
    // GKE requires 48 hours in any 32 days: at least eight weekend days times the window.
    const hours = (Date.parse(window.end_time) - Date.parse(window.start_time)) / 3_600_000;
    expect(8 * hours).toBeGreaterThanOrEqual(48);
  });

  test("Kubernetes Secrets are encrypted with the cluster key, after GKE's agent may use it", () => {
    expect(cluster.database_encryption).toEqual({ state: "ENCRYPTED", key_name: infra.ref(keyOf(infra, "cluster"), "id") });
    const grant = infra.resource("google_kms_crypto_key_iam_member", (g) => g.member.includes("container-engine-robot"));
    expect(cluster.depends_on).toContain(grant.tfAddress);
  });

  test("shielded nodes with secure boot and integrity monitoring, on every pool and the transient default pool", () => {
    expect(cluster.enable_shielded_nodes).toBe(true);
    const shielded = { enable_secure_boot: true, enable_integrity_monitoring: true };
    for (const pool of infra.resources("google_container_node_pool")) expect(pool.node_config.shielded_instance_config, pool.name).toEqual(shielded);
    expect(cluster.node_config.shielded_instance_config).toEqual(shielded);
  });

  test("no client certificates, legacy ABAC, kubelet read-only port or legacy metadata endpoints", () => {
    expect(cluster.master_auth).toEqual({ client_certificate_config: { issue_client_certificate: false } });
    expect(cluster.enable_legacy_abac).toBe(false);
    expect(cluster.node_pool_defaults.node_config_defaults.insecure_kubelet_readonly_port_enabled).toBe("FALSE");
    for (const pool of infra.resources("google_container_node_pool")) {
      expect(pool.node_config.kubelet_config.insecure_kubelet_readonly_port_enabled, pool.name).toBe("FALSE");
      expect(pool.node_config.metadata, pool.name).toEqual({ "disable-legacy-endpoints": "true" });
    }
  });

  test("control-plane and workload logs, system metrics and managed Prometheus; security posture on", () => {
    expect(cluster.logging_config.enable_components).toEqual(["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"]);
    expect(cluster.monitoring_config).toEqual({ enable_components: ["SYSTEM_COMPONENTS"], managed_prometheus: { enabled: true } });
    expect(cluster.security_posture_config).toEqual({ mode: "BASIC", vulnerability_mode: "VULNERABILITY_DISABLED" });
    expect(cluster.binary_authorization).toEqual({ evaluation_mode: "DISABLED" });
  });

  test("add-ons: load balancing, the PD CSI driver and NodeLocal DNSCache; GKE's Gateway API for gke-gateway", () => {
    expect(cluster.addons_config).toMatchObject({
      http_load_balancing: { disabled: false },
      gce_persistent_disk_csi_driver_config: { enabled: true },
      dns_cache_config: { enabled: true },
    });
    expect(cluster.gateway_api_config).toEqual({ channel: "CHANNEL_STANDARD" });
  });

  test("nodes run as a dedicated service account with exactly the least-privilege roles, never the default compute one", () => {
    const sa = infra.resource("google_service_account", (s) => s.account_id === "acme-gke-nodes");
    const email = infra.ref(sa, "email");
    const roles = infra.resources("google_project_iam_member").filter((m) => m.member === infra.ref(sa, "member"));
    expect(roles.map((m) => m.role).sort()).toEqual(
      ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount", "roles/monitoring.metricWriter", "roles/stackdriver.resourceMetadata.writer"],
    );
    for (const pool of infra.resources("google_container_node_pool")) {
      expect(pool.node_config.service_account, pool.name).toBe(email);
      expect(pool.node_config.oauth_scopes, pool.name).toEqual(NODE_SCOPES);
    }
    expect(cluster.node_config.service_account).toBe(email);
    expect(infra.data("google_compute_default_service_account")).toEqual([]);
    expect(cluster.depends_on).toEqual(expect.arrayContaining(roles.map((r) => r.tfAddress)));
  });

  test("the default pool is removed, and the cluster is protected from deletion twice over", () => {
    expect(cluster).toMatchObject({ remove_default_node_pool: true, initial_node_count: 1, deletion_protection: true });
    expect(cluster.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ["node_config"] });
  });

  test("a tainted system pool and a workloads pool across the zones, sized by the tier in totals, with surge upgrades", () => {
    const system = poolOf(infra, "system");
    const workloads = poolOf(infra, "workloads");
    expect(system.autoscaling).toEqual({ total_min_node_count: 2, total_max_node_count: 3, location_policy: "BALANCED" });
    expect(workloads.autoscaling).toEqual({ total_min_node_count: 1, total_max_node_count: 8, location_policy: "BALANCED" });
    expect(system.node_config.machine_type).toBe("e2-standard-2");
    expect(workloads.node_config.machine_type).toBe("e2-standard-4");
    expect(system.node_config.taint).toEqual([{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
    expect(workloads.node_config.taint).toBeUndefined();
    for (const pool of [system, workloads]) {
      expect(pool).toMatchObject({
        cluster: infra.ref(cluster, "id"),
        location: "europe-west4",
        node_locations: ZONES,
        management: { auto_repair: true, auto_upgrade: true },
        upgrade_settings: { strategy: "SURGE", max_surge: 1, max_unavailable: 0 },
      });
      expect(pool.version, pool.name).toBeUndefined();
      expect(pool.node_config).toMatchObject({ image_type: "COS_CONTAINERD", disk_type: "pd-balanced", disk_size_gb: 100 });
    }
  });

  test("boot disks of every pool are encrypted with the disks key, after Compute Engine's agent may use it", () => {
    const key = infra.ref(keyOf(infra, "disks"), "id");
    for (const pool of infra.resources("google_container_node_pool")) expect(pool.node_config.boot_disk_kms_key, pool.name).toBe(key);
    expect(cluster.node_config.boot_disk_kms_key).toBe(key);
    const grant = infra.resource("google_kms_crypto_key_iam_member", (g) => g.member.includes("compute-system"));
    expect(cluster.depends_on).toContain(grant.tfAddress);
  });

  test("with the cluster autoscaler, node auto-provisioning stays off", () => {
    expect(cluster.cluster_autoscaling).toEqual({ enabled: false, autoscaling_profile: "BALANCED" });
    expect(cluster.node_pool_auto_config).toBeUndefined();
  });

  test("admins get roles/container.admin on the project, each exactly as the spec names them", () => {
    const admins = infra.resources("google_project_iam_member").filter((m) => m.role === "roles/container.admin");
    expect(admins.map((a) => [a.project, a.member]).sort()).toEqual([
      ["acme-prod", "group:ops@example.com"],
      ["acme-prod", "user:alice@example.com"],
    ]);
  });

  test("the control plane reaches the policy engines' webhooks on the nodes, from its /28 only", () => {
    const rule = infra.resource("google_compute_firewall", (f) => f.name === "acme-allow-control-plane-webhooks");
    const sa = infra.resource("google_service_account", (s) => s.account_id === "acme-gke-nodes");
    expect(rule).toMatchObject({
      direction: "INGRESS",
      source_ranges: ["10.80.48.0/28"],
      target_service_accounts: [infra.ref(sa, "email")],
      allow: [{ protocol: "tcp", ports: ["8443", "9443"] }],
    });
  });

  test("outputs named after the construct: the cluster, its endpoint, its location and the workload pool", () => {
    expect(infra.json.output).toMatchObject({
      cluster_name: { value: infra.ref(cluster, "name") },
      cluster_endpoint: { value: infra.ref(cluster, "endpoint") },
      cluster_location: { value: infra.ref(cluster, "location") },
      cluster_workload_pool: { value: infra.ref(cluster, "workload_identity_config[0].workload_pool") },
    });
  });

  test("public-restricted: the public endpoint admits the network, the peers and the allowlist, never the internet", async () => {
    const { infra } = await synth(gcp({ cluster: { endpoint: "public-restricted", allowedCidrs: ["198.51.100.0/24"] } }));
    const cluster = clusterOf(infra);
    expect(cluster.private_cluster_config).toMatchObject({ enable_private_nodes: true, enable_private_endpoint: false });
    const blocks = cluster.master_authorized_networks_config.cidr_blocks.map((b: { cidr_block: string }) => b.cidr_block);
    expect(blocks).toEqual(["10.80.0.0/16", "192.168.16.0/20", "192.168.32.0/20", "198.51.100.0/24"]);
    expect(blocks).not.toContain("0.0.0.0/0");
    expect(cluster.master_authorized_networks_config.gcp_public_cidrs_access_enabled).toBe(false);
  });

  test("with Envoy Gateway, GKE does not install the Gateway API CRDs that Envoy Gateway brings", async () => {
    const { infra } = await synth(gcp({ platform: { ingress: "envoy-gateway" } }));
    expect(clusterOf(infra).gateway_api_config).toEqual({ channel: "CHANNEL_DISABLED" });
  });

  test("node auto-provisioning: limits are every pool's max times its machine's vCPUs and memory; new pools are hardened alike", async () => {
    const { infra } = await synth(gcp({ tier: "medium", cluster: { autoscaling: "node-auto-provisioning" } }));
    const cluster = clusterOf(infra);
    const sa = infra.resource("google_service_account", (s) => s.account_id === "acme-gke-nodes");
    // medium: system 5 x n2-standard-4 (4 vCPU, 16 GiB), workloads 45 x n2-standard-8 (8 vCPU, 32 GiB).
    expect(cluster.cluster_autoscaling).toMatchObject({
      enabled: true,
      autoscaling_profile: "BALANCED",
      resource_limits: [
        { resource_type: "cpu", minimum: 0, maximum: 5 * 4 + 45 * 8 },
        { resource_type: "memory", minimum: 0, maximum: 5 * 16 + 45 * 32 },
      ],
      auto_provisioning_locations: ZONES,
    });
    expect(cluster.cluster_autoscaling.auto_provisioning_defaults).toEqual({
      service_account: infra.ref(sa, "email"),
      oauth_scopes: NODE_SCOPES,
      boot_disk_kms_key: infra.ref(keyOf(infra, "disks"), "id"),
      disk_type: "pd-balanced",
      disk_size: 100,
      image_type: "COS_CONTAINERD",
      shielded_instance_config: { enable_secure_boot: true, enable_integrity_monitoring: true },
      management: { auto_repair: true, auto_upgrade: true },
      upgrade_settings: { strategy: "SURGE", max_surge: 1, max_unavailable: 0 },
    });
    expect(cluster.node_pool_auto_config).toEqual({ node_kubelet_config: { insecure_kubelet_readonly_port_enabled: "FALSE" } });
    expect(infra.resources("google_container_node_pool").map((p) => p.name).sort()).toEqual(["system", "workloads"]);
  });

  test("node auto-provisioning refuses a machine type whose vCPUs it cannot read, naming the field", async () => {
    await expect(
      synth(gcp({ cluster: { autoscaling: "node-auto-provisioning", nodePools: { workloads: { instanceType: "m1-megamem-96" } } } })),
    ).rejects.toThrow(/cluster\.nodePools\.workloads\.instanceType: node auto-provisioning needs the machine's vCPUs.*"m1-megamem-96"/);
  });

  test("without a project in the spec, the workload pool and node roles use the provider's project", async () => {
    const { infra } = await synth({ name: "acme", target: { cloud: "gcp", region: "europe-west4" } });
    const project = infra.ref(infra.data("google_client_config")[0], "project");
    expect(clusterOf(infra).workload_identity_config.workload_pool).toBe(`${project}.svc.id.goog`);
    for (const m of infra.resources("google_project_iam_member")) expect(m.project, m.tfAddress).toBe(project);
  });

  test("a tier change resizes pools in place: no address or replacement-forcing attribute of the cluster, keys or pools moves", async () => {
    const [{ infra: small }, { infra: large }] = await Promise.all([synth(gcp()), synth(gcp({ tier: "large" }))]);
    const addresses = (s: StackJson) =>
      ["google_container_cluster", "google_container_node_pool", "google_kms_key_ring", "google_kms_crypto_key", "google_service_account"].flatMap((t) =>
        s.resources(t).map((r) => r.tfAddress),
      );
    expect(addresses(large)).toEqual(addresses(small));

    const forcing = (c: Block) => ({
      name: c.name,
      location: c.location,
      network: c.network,
      subnetwork: c.subnetwork,
      networking_mode: c.networking_mode,
      ip_allocation_policy: c.ip_allocation_policy,
      default_max_pods_per_node: c.default_max_pods_per_node,
      private_cluster_config: c.private_cluster_config,
      datapath_provider: c.datapath_provider,
      initial_node_count: c.initial_node_count,
      node_config: c.node_config,
    });
    expect(forcing(clusterOf(large))).toEqual(forcing(clusterOf(small)));

    // In google 6.x machine type, disk type and disk size update a pool in place (a
    // rolling migration); these attributes would replace it.
    const poolForcing = (p: Block) => ({
      name: p.name,
      location: p.location,
      cluster: p.cluster,
      max_pods_per_node: p.max_pods_per_node,
      service_account: p.node_config.service_account,
      oauth_scopes: p.node_config.oauth_scopes,
      metadata: p.node_config.metadata,
      shielded_instance_config: p.node_config.shielded_instance_config,
      boot_disk_kms_key: p.node_config.boot_disk_kms_key,
      image_type: p.node_config.image_type,
    });
    for (const name of ["system", "workloads"]) {
      const [before, after] = [poolOf(small, name), poolOf(large, name)];
      expect(poolForcing(after)).toEqual(poolForcing(before));
      expect(after.node_config.machine_type).not.toBe(before.node_config.machine_type);
      // initial_node_count forces replacement; it only matters on creation and is ignored afterwards.
      expect(after.lifecycle.ignore_changes).toContain("initial_node_count");
    }
    for (const name of ["cluster", "disks"]) {
      const pick = (k: Block) => [k.name, k.key_ring, k.destroy_scheduled_duration];
      expect(pick(keyOf(large, name))).toEqual(pick(keyOf(small, name)));
    }
  });
});

describe("GKE machine types", () => {
  test.each([
    ["n2-standard-8", { vcpus: 8, memoryGib: 32 }],
    ["e2-standard-2", { vcpus: 2, memoryGib: 8 }],
    ["c3-highcpu-22", { vcpus: 22, memoryGib: 44 }],
    ["n2d-highmem-16", { vcpus: 16, memoryGib: 128 }],
    ["c3d-standard-8-lssd", { vcpus: 8, memoryGib: 32 }],
    ["e2-medium", { vcpus: 2, memoryGib: 4 }],
    ["n2-custom-6-20480", { vcpus: 6, memoryGib: 20 }],
    ["m1-megamem-96", undefined],
    ["a2-highgpu-1g", undefined],
  ])("%s has the shape %j", (type, shape) => {
    expect(machineShape(type)).toEqual(shape);
  });

  test("Hyperdisk-only families boot from hyperdisk-balanced, the rest from pd-balanced", () => {
    expect(bootDiskType("n4-standard-8")).toBe("hyperdisk-balanced");
    expect(bootDiskType("c4a-standard-4")).toBe("hyperdisk-balanced");
    expect(bootDiskType("n2-standard-8")).toBe("pd-balanced");
    expect(bootDiskType("e2-standard-4")).toBe("pd-balanced");
  });
});
