import { beforeAll, describe, expect, test } from "vitest";
import { synth, type StackJson } from "../support/synth";

describe("GcpNetwork", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth({ name: "acme", target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" }, network: { cidr: "10.80.0.0/16" } }));
  });

  test("a custom-mode VPC", () => {
    expect(infra.resource("google_compute_network")).toMatchObject({ name: "acme-vpc", auto_create_subnetworks: false, project: "acme-prod" });
  });

  test("one regional subnet with secondary ranges for pods and services and Private Google Access", () => {
    const subnet = infra.resource("google_compute_subnetwork");
    expect(subnet.region).toBe("europe-west4");
    expect(subnet.ip_cidr_range).toBe("10.80.0.0/20");
    expect(subnet.secondary_ip_range).toEqual([
      { range_name: "pods", ip_cidr_range: "10.80.128.0/17" },
      { range_name: "services", ip_cidr_range: "10.80.16.0/20" },
    ]);
    expect(subnet.private_ip_google_access).toBe(true);
  });

  test("flow logs on the subnet, routed to a log bucket kept for the spec's days", () => {
    const subnet = infra.resource("google_compute_subnetwork");
    expect(subnet.log_config).toMatchObject({ flow_sampling: 1, metadata: "INCLUDE_ALL_METADATA" });
    const bucket = infra.resource("google_logging_project_bucket_config");
    expect(bucket.retention_days).toBe(365);
    const sink = infra.resource("google_logging_project_sink");
    expect(sink.destination).toBe(`logging.googleapis.com/${infra.ref(bucket, "id")}`);
    expect(sink.filter).toContain('log_id("compute.googleapis.com/vpc_flows")');
    expect(infra.resource("google_logging_project_exclusion").filter).toBe(sink.filter);
  });

  test("Cloud NAT on a Cloud Router serves the subnet, with error logging", () => {
    const router = infra.resource("google_compute_router");
    const nat = infra.resource("google_compute_router_nat");
    expect(nat.router).toBe(infra.ref(router, "name"));
    expect(nat.source_subnetwork_ip_ranges_to_nat).toBe("LIST_OF_SUBNETWORKS");
    expect(nat.subnetwork[0].name).toBe(infra.ref(infra.resource("google_compute_subnetwork"), "id"));
    expect(nat.log_config).toEqual({ enable: true, filter: "ERRORS_ONLY" });
  });

  test("a private service access range peered to Google's service producers", () => {
    const range = infra.resource("google_compute_global_address");
    expect(range).toMatchObject({ purpose: "VPC_PEERING", address_type: "INTERNAL", address: "10.80.32.0", prefix_length: 20 });
    const conn = infra.resource("google_service_networking_connection");
    expect(conn.service).toBe("servicenetworking.googleapis.com");
    expect(conn.reserved_peering_ranges).toEqual([infra.ref(range, "name")]);
  });

  test("the firewall denies all ingress but from inside the network and from health checkers, and logs", () => {
    const rules = infra.resources("google_compute_firewall");
    const deny = rules.find((r) => r.deny)!;
    expect(deny).toMatchObject({ direction: "INGRESS", priority: 65534, source_ranges: ["0.0.0.0/0"], deny: [{ protocol: "all" }] });
    for (const allow of rules.filter((r) => r.allow)) {
      expect(allow.source_ranges).not.toContain("0.0.0.0/0");
      expect(allow.priority).toBeLessThan(65534);
    }
    expect(rules.find((r) => r.name === "acme-allow-internal")!.source_ranges).toEqual(["10.80.0.0/20", "10.80.128.0/17"]);
    for (const r of rules) expect(r.log_config, r.name).toEqual({ metadata: "INCLUDE_ALL_METADATA" });
  });

  test("the project's APIs are enabled and kept on destroy", () => {
    const apis = infra.resources("google_project_service");
    expect(apis.map((a) => a.service)).toEqual(
      expect.arrayContaining(["compute.googleapis.com", "dns.googleapis.com", "logging.googleapis.com", "servicenetworking.googleapis.com"]),
    );
    for (const a of apis) expect(a.disable_on_destroy).toBe(false);
  });

  test("without a project in the spec, the provider's project is used", async () => {
    const { infra: noProject } = await synth({ name: "acme", target: { cloud: "gcp", region: "europe-west4" } });
    const client = noProject.data("google_client_config")[0];
    expect(noProject.resource("google_compute_network").project).toBe(noProject.ref(client, "project"));
  });
});
