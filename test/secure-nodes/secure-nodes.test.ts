import { describe, expect, test } from "vitest";
import type { SecureNodesProps } from "../../lib/secure-nodes/props";
import { manifests, object } from "../support/helm";
import type { Block, StackJson } from "../support/synth";
import { HEALTH_CHECKERS, IMAGE, PEERS, operatorCrds, podSpecs, synthNodes } from "./fixture";

const HSM: SecureNodesProps["hsm"] = {
  modulePath: "/opt/cloudhsm/lib/libcloudhsm_pkcs11.so",
  tokenLabel: "b4ae-token",
  slot: 2,
  pin: { remoteKey: "acme/secure-nodes/hsm", property: "userPin" },
  egress: [{ cidr: "10.0.8.0/24", ports: [{ port: 2223, protocol: "TCP" }, { port: 2224, protocol: "TCP" }, { port: 2225, protocol: "TCP" }] }],
};
const AUDIT: SecureNodesProps["audit"] = { host: "siem.example.com", cidrs: ["10.5.0.0/24"], ca: { remoteKey: "acme/siem/ca" } };
/** Everything that adds a volume, an env var or an egress rule. */
const FULL: Partial<SecureNodesProps> = { hsm: HSM, audit: AUDIT };
const TOPOLOGIES = [
  ["single", {}],
  ["hub", { topology: "hub", replicas: 3 }],
  ["gateway", { topology: "gateway", replicas: 2 }],
] as const;

const selector = { "app.kubernetes.io/name": "secure-node", "app.kubernetes.io/instance": "secure-nodes" };

/** The NetworkPolicies in the tier's namespace, by name. */
function policies(stack: StackJson): Record<string, Block> {
  const namespace = stack.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "secure-nodes");
  const reference = stack.ref(namespace, "metadata[0].name");
  return Object.fromEntries(stack.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.namespace === reference).map((p) => [p.metadata.name, p]));
}

const container = (stack: StackJson): Block => {
  const [spec] = podSpecs(stack);
  expect(spec.container).toHaveLength(1);
  return spec.container[0];
};

describe("SecureNodes workload", () => {
  test.each(TOPOLOGIES)("%s: every pod runs hardened, as its own service account without an API token", (_, topology) => {
    const { stack } = synthNodes({ ...FULL, ...topology });
    const specs = podSpecs(stack);
    expect(specs).toHaveLength(1);
    const account = stack.resource("kubernetes_service_account_v1");
    expect(account.automount_service_account_token).toBe(false);
    for (const spec of specs) {
      expect(spec.service_account_name).toBe(stack.ref(account, "metadata[0].name"));
      expect(spec.automount_service_account_token).toBe(false);
      expect(spec.host_network ?? false).toBe(false);
      expect(spec.security_context).toMatchObject({ run_as_non_root: true, run_as_user: "10001", seccomp_profile: { type: "RuntimeDefault" } });
      for (const c of spec.container) {
        expect(c.security_context).toMatchObject({
          run_as_non_root: true,
          allow_privilege_escalation: false,
          read_only_root_filesystem: true,
          capabilities: { drop: ["ALL"] },
          seccomp_profile: { type: "RuntimeDefault" },
        });
        expect(c.security_context.capabilities.add).toBeUndefined();
        expect(c.security_context.privileged ?? false).toBe(false);
        expect(c.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } });
        // /tmp is the only writable path; everything else is mounted read-only.
        const writable = c.volume_mount.filter((m: Block) => !m.read_only).map((m: Block) => m.mount_path);
        expect(writable).toEqual(["/tmp"]);
      }
      const emptyDirs = spec.volume.filter((v: Block) => v.empty_dir).map((v: Block) => v.name);
      expect(emptyDirs).toEqual(["tmp"]);
      expect(spec.volume.filter((v: Block) => v.host_path)).toEqual([]);
    }
  });

  test("readiness and liveness probes ask the TCP health port over HTTP; the node's ports are UDP, health and metrics", () => {
    const { stack } = synthNodes({ healthPort: 8181, metricsPort: 9191, udpPort: 4100, livenessPath: "/livez", readinessPath: "/readyz" });
    const c = container(stack);
    expect(c.port).toEqual([
      { name: "udp", container_port: 4100, protocol: "UDP" },
      { name: "health", container_port: 8181, protocol: "TCP" },
      { name: "metrics", container_port: 9191, protocol: "TCP" },
    ]);
    expect(c.readiness_probe.http_get).toEqual({ path: "/readyz", port: "health" });
    expect(c.liveness_probe.http_get).toEqual({ path: "/livez", port: "health" });
    expect(c.image).toBe(IMAGE);
  });

  test("single: one StatefulSet pod with a headless governing Service; no budget or autoscaler", () => {
    const { stack } = synthNodes();
    const set = stack.resource("kubernetes_stateful_set_v1");
    expect(set.spec.replicas).toBe("1");
    const headless = stack.resource("kubernetes_service_v1", (s) => s.spec.cluster_ip === "None");
    expect(set.spec.service_name).toBe(stack.ref(headless, "metadata[0].name"));
    expect(stack.resources("kubernetes_deployment_v1")).toEqual([]);
    expect(stack.resources("kubernetes_horizontal_pod_autoscaler_v2")).toEqual([]);
    expect(stack.resources("kubernetes_pod_disruption_budget_v1")).toEqual([]);
  });

  test("hub: a StatefulSet of the replicas, each pod named in DNS by the headless Service, and at most one down at a time", () => {
    const { stack } = synthNodes({ topology: "hub", replicas: 5 });
    const set = stack.resource("kubernetes_stateful_set_v1");
    expect(set.spec.replicas).toBe("5");
    expect(set.spec.selector.match_labels).toEqual(selector);
    const headless = stack.resource("kubernetes_service_v1", (s) => s.spec.cluster_ip === "None");
    expect(headless.metadata.name).toBe("secure-nodes-headless");
    expect(headless.spec).toMatchObject({ selector, publish_not_ready_addresses: true, port: [{ port: 4000, protocol: "UDP" }] });
    expect(set.spec.service_name).toBe(stack.ref(headless, "metadata[0].name"));
    expect(stack.resource("kubernetes_pod_disruption_budget_v1").spec).toEqual({ max_unavailable: "1", selector: { match_labels: selector } });
    expect(stack.resources("kubernetes_deployment_v1")).toEqual([]);
  });

  test("gateway: a Deployment whose replica count the HPA owns, scaled on CPU, with a budget when two or more pods serve", () => {
    const { stack } = synthNodes({ topology: "gateway", replicas: 2, autoscaling: { max: 8, targetCpuPercent: 60 } });
    const deployment = stack.resource("kubernetes_deployment_v1");
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = stack.resource("kubernetes_horizontal_pod_autoscaler_v2");
    expect(hpa.spec).toMatchObject({
      min_replicas: 2,
      max_replicas: 8,
      scale_target_ref: { api_version: "apps/v1", kind: "Deployment", name: stack.ref(deployment, "metadata[0].name") },
      metric: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", average_utilization: 60 } } }],
    });
    expect(stack.resource("kubernetes_pod_disruption_budget_v1").spec.max_unavailable).toBe("1");
    expect(stack.resources("kubernetes_stateful_set_v1")).toEqual([]);
    expect(stack.resources("kubernetes_service_v1").filter((s) => s.spec.cluster_ip === "None")).toEqual([]);

    const one = synthNodes({ topology: "gateway", replicas: 1 }).stack;
    expect(one.resource("kubernetes_horizontal_pod_autoscaler_v2").spec).toMatchObject({ min_replicas: 1, max_replicas: 3 });
    expect(one.resources("kubernetes_pod_disruption_budget_v1")).toEqual([]);
  });

  test.each([
    [false, "ScheduleAnyway"],
    [true, "DoNotSchedule"],
  ])("highAvailability %s: pods spread over zones and hosts, %s", (highAvailability, when) => {
    const { stack } = synthNodes({ topology: "hub", replicas: 3, highAvailability });
    const [spec] = podSpecs(stack);
    expect(spec.topology_spread_constraint).toEqual(
      ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((key) => ({ max_skew: 1, topology_key: key, when_unsatisfiable: when, label_selector: [{ match_labels: selector }] })),
    );
  });

  test("resources come from the props", () => {
    const resources = { requests: { cpu: "2", memory: "2Gi" }, limits: { cpu: "4", memory: "4Gi" } };
    expect(container(synthNodes({ resources }).stack).resources).toEqual(resources);
  });
});

describe("SecureNodes exposure", () => {
  test("the target is asked for a UDP service with the props' ports, peers, health path and scheme", () => {
    const { target } = synthNodes({ udpPort: 4100, healthPort: 8181, readinessPath: "/readyz", internal: false, staticAddresses: true, name: "edge", namespace: "b4ae" });
    expect(target.requests).toEqual([
      { name: "edge", namespace: "b4ae", udpPort: 4100, healthPort: 8181, healthPath: "/readyz", peers: PEERS, internal: false, staticAddresses: true },
    ]);
    expect(synthNodes().target.requests[0]).toMatchObject({ internal: true, staticAddresses: false, healthPath: "/ready" });
  });

  test("the Service takes the target's type, annotations and class, admits the peers only, keeps the client address, and waits for the firewall", () => {
    const { stack, target } = synthNodes();
    const service = stack.resource("kubernetes_service_v1", (s) => s.metadata.name === "secure-nodes");
    expect(service.metadata.annotations).toEqual({ "lb.example/kind": "passthrough", "lb.example/health-check-port": "8080" });
    expect(service.spec).toMatchObject({
      type: "LoadBalancer",
      load_balancer_class: "lb.example/l4",
      load_balancer_source_ranges: PEERS,
      external_traffic_policy: "Local",
      selector,
    });
    expect(service.spec.port).toEqual([{ name: "udp", port: 4000, target_port: "udp", protocol: "UDP" }]);
    const firewall = stack.resource("kubernetes_config_map_v1", (c) => c.metadata.name === `${target.requests[0].name}-firewall`);
    const controller = stack.resource("helm_release", (r) => r.chart === "lb-controller");
    expect(service.depends_on).toEqual(expect.arrayContaining([firewall.tfAddress, controller.tfAddress]));
  });

  test("with exposeHealthPort the Service lists the TCP health port too", () => {
    const { stack } = synthNodes({}, { exposeHealthPort: true });
    const service = stack.resource("kubernetes_service_v1", (s) => s.metadata.name === "secure-nodes");
    expect(service.spec.port).toEqual([
      { name: "udp", port: 4000, target_port: "udp", protocol: "UDP" },
      { name: "health", port: 8080, target_port: "health", protocol: "TCP" },
    ]);
  });

  test("a NodePort exposure gets no load-balancer fields (Kubernetes refuses them) and still keeps the client address", () => {
    const { stack } = synthNodes({}, { type: "NodePort", loadBalancerClass: undefined });
    const service = stack.resource("kubernetes_service_v1", (s) => s.metadata.name === "secure-nodes");
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.load_balancer_source_ranges).toBeUndefined();
    expect(service.spec.load_balancer_class).toBeUndefined();
    expect(service.spec.external_traffic_policy).toBe("Local");
  });
});

describe("SecureNodes NetworkPolicies", () => {
  const PROMETHEUS = {
    namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "observability" } },
    pod_selector: { match_labels: { "app.kubernetes.io/name": "prometheus" } },
  };
  const ranges = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ ip_block: { cidr } }));

  test("everything is denied but the UDP port from the peers, the health port from the health checkers and the metrics port from Prometheus", () => {
    const found = policies(synthNodes(FULL).stack);
    expect(found["default-deny-all"].spec).toEqual({ pod_selector: { match_labels: {} }, policy_types: ["Ingress", "Egress"] });
    const ingress = Object.values(found).flatMap((p) => (p.spec.ingress ?? []).map((rule: Block) => ({ pods: p.spec.pod_selector, rule })));
    expect(ingress).toHaveLength(3);
    for (const { pods } of ingress) expect(pods).toEqual({ match_labels: selector });
    const byPort = Object.fromEntries(ingress.map(({ rule }) => [rule.ports.map((p: Block) => `${p.port}/${p.protocol}`).join(","), rule.from]));
    expect(byPort).toEqual({
      "4000/UDP": ranges(PEERS),
      "8080/TCP": ranges(HEALTH_CHECKERS),
      "9090/TCP": [PROMETHEUS],
    });
  });

  test("the nodes reach only the peers' UDP port, the cluster's DNS, the audit collector and the HSM", () => {
    const found = policies(synthNodes({ ...FULL, peerUdpPort: 4500 }).stack);
    const egress: Record<string, Block[]> = Object.fromEntries(Object.values(found).filter((p) => p.spec.egress).map((p) => [p.metadata.name, p.spec.egress]));
    expect(Object.keys(egress).sort()).toEqual(["allow-audit-sink", "allow-dns", "allow-hsm", "allow-to-peers"]);
    expect(egress["allow-dns"]).toHaveLength(1);
    expect(egress["allow-dns"][0].ports.map((p: Block) => p.port)).toEqual(["53", "53", "5353", "5353"]);
    expect(egress["allow-to-peers"]).toEqual([{ to: ranges(PEERS), ports: [{ port: "4500", protocol: "UDP" }] }]);
    expect(egress["allow-audit-sink"]).toEqual([{ to: ranges(["10.5.0.0/24"]), ports: [{ port: "6514", protocol: "TCP" }] }]);
    expect(egress["allow-hsm"]).toEqual([{ to: ranges(["10.0.8.0/24"]), ports: ["2223", "2224", "2225"].map((port) => ({ port, protocol: "TCP" })) }]);
    const destinations = Object.values(egress).flat().flatMap((rule) => rule.to as Block[]);
    expect(destinations.filter((d) => d.ip_block?.cidr === "0.0.0.0/0")).toEqual([]);
    expect(JSON.stringify(destinations)).not.toContain("192.0.2.16/28");
  });

  test("without an audit sink, HSM or health checkers there are no such allows", () => {
    const found = policies(synthNodes({}, { healthCheckSources: [] }).stack);
    expect(Object.keys(found).sort()).toEqual(["allow-dns", "allow-peers", "allow-scrape", "allow-to-peers", "default-deny-all"]);
  });

  test("the pods wait for their namespace's policies", () => {
    const { stack } = synthNodes();
    const set = stack.resource("kubernetes_stateful_set_v1");
    expect(set.depends_on).toEqual(expect.arrayContaining(Object.values(policies(stack)).map((p) => p.tfAddress)));
  });
});

describe("SecureNodes keys and secrets", () => {
  test("the long-term keys come from the secret manager through an ExternalSecret, mounted read-only; no Secret is written by Terraform", () => {
    const { stack } = synthNodes({ keys: { remoteKey: "acme/nodes/keys", properties: { "secure-nodes-0": "node0", "secure-nodes-1": "node1" }, mountPath: "/keys" } });
    const { object: external, release } = object(stack, "ExternalSecret", "secure-nodes-keys");
    expect(external.metadata.namespace).toBe("secure-nodes");
    expect(external.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "secret-manager" });
    expect(external.spec.data).toEqual([
      { secretKey: "secure-nodes-0", remoteRef: { key: "acme/nodes/keys", property: "node0" } },
      { secretKey: "secure-nodes-1", remoteRef: { key: "acme/nodes/keys", property: "node1" } },
    ]);
    const [spec] = podSpecs(stack);
    const keys = spec.volume.find((v: Block) => v.name === "keys");
    expect(keys.secret.secret_name).toBe(external.spec.target.name);
    expect(spec.container[0].volume_mount).toContainEqual({ name: "keys", mount_path: "/keys", read_only: true });
    expect(stack.resource("kubernetes_stateful_set_v1").depends_on).toContain(release.block.tfAddress);
    expect(stack.resources("kubernetes_secret_v1")).toEqual([]);
  });

  test("with an HSM: the PIN reaches the node only as an env var from a synced Secret, with the module, token and extra config file", () => {
    const configFile = { name: "kmsp11.yaml", content: "tokens:\n  - key_ring: projects/acme/locations/europe-west4/keyRings/b4ae\n", envVar: "KMS_PKCS11_CONFIG" };
    const { stack } = synthNodes({ keys: undefined, hsm: { ...HSM!, configFile } });
    const { object: pin } = object(stack, "ExternalSecret", "secure-nodes-hsm-pin");
    expect(pin.spec.data).toEqual([{ secretKey: "pin", remoteRef: { key: "acme/secure-nodes/hsm", property: "userPin" } }]);
    const env = container(stack).env as Block[];
    expect(env.find((e) => e.name === "B4AE_HSM_PIN")).toEqual({ name: "B4AE_HSM_PIN", value_from: { secret_key_ref: { name: pin.spec.target.name, key: "pin" } } });
    expect(env.filter((e) => e.value_from).map((e) => e.name)).toEqual(["B4AE_HSM_PIN"]);
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "B4AE_HSM_ENABLED", value: "true" },
        { name: "B4AE_HSM_TOKEN", value: "b4ae-token" },
        { name: "PKCS11_LIBRARY_PATH", value: "/opt/cloudhsm/lib/libcloudhsm_pkcs11.so" },
        { name: "KMS_PKCS11_CONFIG", value: "/etc/b4ae/hsm/kmsp11.yaml" },
      ]),
    );
    const configMap = stack.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "secure-nodes-config");
    expect(Object.values(configMap.data)).toContain(configFile.content);
    const [spec] = podSpecs(stack);
    const projected = spec.volume.find((v: Block) => v.name === "config").projected[0];
    expect(projected.sources[0].config_map[0].items).toContainEqual({ key: "hsm-config", path: "hsm/kmsp11.yaml" });
    // No keys from the secret manager: the HSM holds them.
    expect(spec.volume.map((v: Block) => v.name)).not.toContain("keys");
    expect(manifests(stack).filter((m) => m.object.kind === "ExternalSecret").map((m) => m.object.metadata.name)).toEqual(["secure-nodes-hsm-pin"]);
  });

  test("the audit collector's CA is synced and mounted beside the config", () => {
    const { stack } = synthNodes({ audit: AUDIT });
    const { object: ca } = object(stack, "ExternalSecret", "secure-nodes-audit-ca");
    expect(ca.spec.data).toEqual([{ secretKey: "ca.crt", remoteRef: { key: "acme/siem/ca" } }]);
    const [spec] = podSpecs(stack);
    const projected = spec.volume.find((v: Block) => v.name === "config").projected[0];
    expect(projected.sources).toContainEqual({ secret: [{ name: ca.spec.target.name, items: [{ key: "ca.crt", path: "tls/audit-ca.crt" }] }] });
  });
});

describe("SecureNodes operations", () => {
  test("a PodMonitor scrapes the metrics port and path; the rules ship with it, after the operator's CRDs", () => {
    const { stack } = synthNodes((s) => ({ metricsPath: "/prom", monitoring: { crds: operatorCrds(s) } }));
    const { object: monitor, release } = object(stack, "PodMonitor");
    expect(monitor.metadata.namespace).toBe("secure-nodes");
    expect(monitor.spec).toEqual({ selector: { matchLabels: selector }, podMetricsEndpoints: [{ port: "metrics", path: "/prom", interval: "30s" }] });
    const { object: rule, release: ruleRelease } = object(stack, "PrometheusRule");
    expect(ruleRelease.block.tfAddress).toBe(release.block.tfAddress);
    expect(rule.spec.groups.flatMap((g: Block) => g.rules.map((r: Block) => r.alert))).toEqual([
      "SecureNodesNoActiveSessions",
      "SecureNodesHandshakeFailures",
      "SecureNodesHandshakeLatencyHigh",
      "SecureNodeRestarting",
    ]);
    const crds = stack.resource("helm_release", (r) => r.chart === "operator-crds");
    expect(release.block.depends_on).toContain(crds.tfAddress);
  });

  test("without monitoring there is no PodMonitor or PrometheusRule", () => {
    const kinds = manifests(synthNodes().stack).map((m) => m.object.kind);
    expect(kinds).not.toContain("PodMonitor");
    expect(kinds).not.toContain("PrometheusRule");
  });

  test("the dashboard ships as a ConfigMap Grafana's sidecar collects, querying the props' metric names", () => {
    const { stack } = synthNodes({ metricNames: { sessionsActive: "node_sessions", handshakeDuration: "node_handshake_ms" } });
    const configMap = stack.resource("kubernetes_config_map_v1", (c) => c.metadata.labels?.grafana_dashboard === "1");
    expect(configMap.metadata.labels).toMatchObject({ "app.kubernetes.io/part-of": "acme" });
    const [json] = Object.values(configMap.data) as string[];
    const dashboard = JSON.parse(json);
    expect(dashboard.uid).toBe("byoc-secure-nodes-secure-nodes");
    const exprs: string[] = dashboard.panels.flatMap((p: Block) => (p.targets ?? []).map((t: Block) => t.expr));
    expect(exprs.some((e) => e.includes('node_sessions{namespace="secure-nodes"}'))).toBe(true);
    expect(exprs.some((e) => e.includes("node_handshake_ms_bucket"))).toBe(true);
    expect(exprs.join(" ")).not.toContain("b4ae_sessions_active");
  });
});
