import { describe, expect, test } from "vitest";
import { PHASE_PRESETS } from "../../lib/config/secure-nodes";
import { manifests } from "../support/helm";
import { synth, type StackJson } from "../support/synth";

/**
 * The secure-node tier as each target's stacks wire it from the spec: the phase's size,
 * the spec's ports and peers on the Service, the cloud firewall layer in the right stack,
 * and the tier's alerts only where observability runs.
 */

const secureNodes = {
  enabled: true,
  phase: "pilot",
  image: "registry.example.com/b4ae/node:2.1.3",
  udpPort: 4100,
  healthPort: 8181,
  readinessPath: "/readyz",
  trustedPeers: ["198.51.100.0/24"],
  keys: { secretRef: "acme-node-keys" },
};
const vault = { secretStore: { vault: { server: "https://vault.acme.example.com:8200", role: "byoc" } } };
const specs = {
  aws: { name: "acme", target: { cloud: "aws", region: "eu-west-1" }, secureNodes },
  azure: { name: "acme", target: { cloud: "azure", region: "westeurope" }, secureNodes },
  gcp: { name: "acme", target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" }, secureNodes: { ...secureNodes, topology: "gateway", maxReplicas: 5 } },
  onprem: { name: "acme", target: { cloud: "onprem", loadBalancer: "metallb", loadBalancerAddresses: ["10.0.250.10-10.0.250.20"] }, platform: vault, secureNodes, observability: { enabled: false } },
} as const;

describe.each(Object.keys(specs) as (keyof typeof specs)[])("%s", (cloud) => {
  let platform: StackJson;
  let infra: StackJson | undefined;
  test("synthesizes", async () => {
    const stacks = await synth(specs[cloud]);
    platform = stacks.platform;
    infra = stacks.infra;
  }, 120_000);

  const service = () => platform.resource("kubernetes_service_v1", (s) => s.metadata.name === "secure-nodes" && ["LoadBalancer", "NodePort"].includes(s.spec.type));

  test("the phase sizes the nodes; the gateway topology autoscales to maxReplicas", () => {
    const node = platform.resources(cloud === "gcp" ? "kubernetes_deployment_v1" : "kubernetes_stateful_set_v1").find((w) => w.metadata.name === "secure-nodes");
    const container = node?.spec.template.spec.container[0];
    expect(container.image).toBe(secureNodes.image);
    expect(container.resources).toEqual({ requests: PHASE_PRESETS.pilot.resources.requests, limits: PHASE_PRESETS.pilot.resources.limits });
    if (cloud === "gcp") {
      const hpa = platform.resources("kubernetes_horizontal_pod_autoscaler_v2")[0];
      expect([hpa.spec.min_replicas, hpa.spec.max_replicas]).toEqual([PHASE_PRESETS.pilot.replicas, 5]);
    } else {
      expect(node?.spec.replicas).toBe(String(PHASE_PRESETS.pilot.replicas));
    }
  });

  test("the Service carries the spec's UDP port and peers, and the probes the spec's health port and path", () => {
    const svc = service();
    expect(svc.spec.port.filter((p: { protocol: string }) => p.protocol === "UDP").map((p: { port: number }) => p.port)).toEqual([4100]);
    expect(svc.spec.load_balancer_source_ranges).toEqual(secureNodes.trustedPeers);
    const workload = platform.resources(cloud === "gcp" ? "kubernetes_deployment_v1" : "kubernetes_stateful_set_v1").find((w) => w.metadata.name === "secure-nodes");
    const container = workload?.spec.template.spec.container[0];
    const probe = container.readiness_probe.http_get;
    expect(probe.path).toBe("/readyz");
    expect(container.port.find((p: { name: string }) => p.name === probe.port)).toMatchObject({ container_port: 8181, protocol: "TCP" });
  });

  test("the cloud firewall layer admits the same peers, in the stack that owns it", () => {
    if (cloud === "aws") {
      const rules = platform.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.ip_protocol === "udp");
      expect(new Set(rules.map((r) => `${r.cidr_ipv4}:${r.from_port}`))).toEqual(new Set(["198.51.100.0/24:4100"]));
    } else if (cloud === "azure") {
      // Inline on the nodes subnet's NSG, which the infra stack owns.
      const rules = infra!.resources("azurerm_network_security_group").flatMap((n) => n.security_rule ?? []).filter((r) => r.protocol === "Udp");
      expect(rules.find((r) => r.access === "Allow")?.source_address_prefixes).toEqual(expect.arrayContaining(secureNodes.trustedPeers));
      expect(rules.every((r) => r.destination_port_range === "4100")).toBe(true);
      expect(platform.resources("azurerm_network_security_rule")).toEqual([]);
    } else if (cloud === "gcp") {
      const allow = platform.resources("google_compute_firewall").find((f) => f.allow?.[0]?.protocol === "udp");
      expect(allow?.source_ranges).toEqual(expect.arrayContaining(secureNodes.trustedPeers));
      expect(allow?.allow[0].ports).toEqual(["4100"]);
    } else {
      expect(service().spec.type).toBe("LoadBalancer");
    }
  });

  test("the tier's PodMonitor and alerts ship with observability, and not without it", () => {
    const kinds = manifests(platform).map((m) => m.object.kind);
    if (cloud === "onprem") expect(kinds).not.toContain("PrometheusRule");
    else expect(kinds).toEqual(expect.arrayContaining(["PodMonitor", "PrometheusRule"]));
  });
});

test("off by default: no secure-node namespace, no UDP service", async () => {
  const { platform } = await synth({ name: "acme", target: { cloud: "aws", region: "eu-west-1" } });
  expect(platform.resources("kubernetes_namespace_v1").map((n) => n.metadata.name)).not.toContain("secure-nodes");
  expect(platform.resources("kubernetes_service_v1").filter((s) => (s.spec.port ?? []).some((p: { protocol: string }) => p.protocol === "UDP") && s.spec.type === "LoadBalancer")).toEqual([]);
}, 120_000);
