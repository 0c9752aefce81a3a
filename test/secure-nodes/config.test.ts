import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import type { SecureNodesProps } from "../../lib/secure-nodes/props";
import type { Block, StackJson } from "../support/synth";
import { podSpecs, synthNodes } from "./fixture";

/** Parses TOML with a TOML 1.0 parser (smol-toml): an independent reader of what the node will read. */
const parseToml = (text: string): Record<string, any> => parse(text);

function configToml(stack: StackJson): string {
  return stack.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "secure-nodes-config").data["config.toml"];
}

const env = (stack: StackJson): Record<string, string> =>
  Object.fromEntries((podSpecs(stack)[0].container[0].env as Block[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));

describe("SecureNodes config file", () => {
  test("a valid TOML file with the props' ports, health paths, JSON logs, profile, auth modes, keys path and audit sink", () => {
    const { stack } = synthNodes({
      udpPort: 4100,
      healthPort: 8181,
      metricsPort: 9191,
      metricsPath: "/prom",
      logLevel: "debug",
      securityProfile: "high_security",
      authMode: "both",
      keys: { remoteKey: "acme/keys", mountPath: "/keys" },
      audit: { host: "siem.example.com", port: 10514, cidrs: ["10.5.0.0/24"], ca: { remoteKey: "acme/siem-ca" } },
    });
    expect(parseToml(configToml(stack))).toEqual({
      network: { listen_address: "0.0.0.0:4100" },
      health: { listen_address: "0.0.0.0:8181", liveness_path: "/health", readiness_path: "/ready" },
      monitoring: { metrics_enabled: true, metrics_port: 9191, metrics_path: "/prom" },
      logging: { format: "json", level: "debug" },
      security: { profile: "high_security" },
      authentication: { supported_modes: ["mode_a", "mode_b"], preferred_mode: "mode_a" },
      keys: { storage_path: "/keys", hsm_enabled: false },
      audit: { enabled: true, sink: "syslog", syslog_endpoint: "siem.example.com:10514", syslog_tls: true, syslog_ca_file: "/etc/b4ae/tls/audit-ca.crt", hash_identities: true },
    });
  });

  test("with an HSM: module, token, slot and the extra file's path, and never the PIN", () => {
    const hsm = {
      modulePath: "/usr/lib/libkmsp11.so",
      tokenLabel: 'token "one"',
      slot: 0,
      pin: { remoteKey: "acme/pin" },
      configFile: { name: "kmsp11.yaml", content: "tokens: []\n" },
      egress: [{ cidr: "199.36.153.8/30", ports: [{ port: 443, protocol: "TCP" as const }] }],
    };
    const toml = configToml(synthNodes({ keys: undefined, hsm }).stack);
    const config = parseToml(toml);
    expect(config.keys).toEqual({ hsm_enabled: true, hsm_module: "/usr/lib/libkmsp11.so", hsm_token: 'token "one"', hsm_slot: 0, hsm_config_file: "/etc/b4ae/hsm/kmsp11.yaml" });
    expect(config.audit).toEqual({ enabled: false });
    expect(toml).not.toMatch(/pin\s*=/);
  });

  test("the file is mounted at configPath from the ConfigMap, and a change to the ConfigMap restarts the pods", () => {
    const { stack } = synthNodes({ configPath: "/opt/node/etc/node.toml" });
    const [spec] = podSpecs(stack);
    expect(spec.container[0].volume_mount).toContainEqual({ name: "config", mount_path: "/opt/node/etc", read_only: true });
    const configMap = stack.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "secure-nodes-config");
    const source = spec.volume.find((v: Block) => v.name === "config").projected[0].sources[0].config_map[0];
    expect(source).toEqual({ name: stack.ref(configMap, "metadata[0].name"), items: [{ key: "config.toml", path: "node.toml" }] });
    const template = stack.resource("kubernetes_stateful_set_v1").spec.template;
    expect(template.metadata.annotations["checksum/config"]).toBe(`\${sha256(jsonencode(${configMap.tfAddress}.data))}`);
  });
});

describe("SecureNodes environment", () => {
  test("log level, JSON logs, profile and auth mode under B4AE's documented names, then the props' plain variables", () => {
    const { stack } = synthNodes({ logLevel: "warn", securityProfile: "low_overhead", authMode: "mode_b", env: { B4AE_SCHEDULER_RATE: "200" } });
    expect(env(stack)).toEqual({
      RUST_LOG: "warn",
      B4AE_LOG_FORMAT: "json",
      B4AE_MODE: "low_overhead",
      B4AE_AUTH_MODE: "mode_b",
      B4AE_HSM_ENABLED: "false",
      B4AE_SCHEDULER_RATE: "200",
    });
  });

  test("envNames renames the variables", () => {
    const { stack } = synthNodes({ envNames: { logLevel: "NODE_LOG", logFormat: "NODE_LOG_FORMAT", securityProfile: "NODE_PROFILE", authMode: "NODE_AUTH" } });
    expect(env(stack)).toMatchObject({ NODE_LOG: "info", NODE_LOG_FORMAT: "json", NODE_PROFILE: "balanced", NODE_AUTH: "mode_a" });
    expect(Object.keys(env(stack))).not.toContain("RUST_LOG");
  });
});

describe("SecureNodes props", () => {
  const fails = (props: Partial<SecureNodesProps>) => () => synthNodes(props);

  test.each<[string, Partial<SecureNodesProps>, RegExp]>([
    ["an image without a tag", { image: "registry.example/b4ae" }, /image must be an image with a tag or a digest, not "latest" alone.*\(got "registry.example\/b4ae"\)/],
    ["the latest tag", { image: "registry.example:5000/b4ae:latest" }, /image must be an image with a tag or a digest/],
    ["no peers", { peers: [] }, /peers must list at least one IPv4 range \(got \[\]\)/],
    ["a peer that is no range", { peers: ["10.0.0.1"] }, /peers\[0\] must be an IPv4 range such as 203\.0\.113\.0\/24 \(got "10\.0\.0\.1"\)/],
    ["a privileged port", { udpPort: 500 }, /udpPort must be a port from 1024 to 65535 \(the node runs without the capability to bind lower ports\) \(got 500\)/],
    ["health and metrics on one port", { healthPort: 9090 }, /healthPort and metricsPort must differ \(both 9090\)/],
    ["a second replica of a single node", { replicas: 2 }, /replicas must be exactly 1 with topology "single"/],
    ["autoscaling of a hub", { topology: "hub", autoscaling: { max: 4 } }, /autoscaling is for topology "gateway" only \(got topology "hub"\)/],
    ["a maximum below the minimum", { topology: "gateway", replicas: 3, autoscaling: { max: 2 } }, /autoscaling\.max must be an integer from autoscaling\.min \(3\) to 100 \(got 2\)/],
    ["neither keys nor an HSM", { keys: undefined }, /give keys \(synced from the secret manager\) or hsm \(PKCS#11\)/],
    ["keys inside the config directory", { keys: { remoteKey: "k", mountPath: "/etc/b4ae/keys" } }, /keys\.mountPath \(\/etc\/b4ae\/keys\) and the config.s directory \(\/etc\/b4ae\) must not contain each other/],
    ["the config under /tmp", { configPath: "/tmp/b4ae/config.toml" }, /the config's directory \(\/tmp\/b4ae\) and the scratch volume \(\/tmp\) must not contain each other/],
    ["a key file name with a slash", { keys: { remoteKey: "k", properties: { "a/b": "x" } } }, /keys\.properties key "a\/b" must be a file name/],
    ["an env var the kit sets", { env: { RUST_LOG: "trace" } }, /env sets RUST_LOG, which the kit sets from its own props/],
    ["a Terraform template in an env value", { env: { GREETING: "${var.x}" } }, /env\.GREETING must be free of "\$\{" and "%\{"/],
    ["an HSM without endpoints", { hsm: { modulePath: "/lib/p11.so", tokenLabel: "t", pin: { remoteKey: "p" }, egress: [] } }, /hsm\.egress must list the HSM's address ranges \(got \[\]\)/],
    ["a relative module path", { hsm: { modulePath: "lib/p11.so", tokenLabel: "t", pin: { remoteKey: "p" }, egress: [{ cidr: "10.0.0.0/24" }] } }, /hsm\.modulePath must be the absolute path of the PKCS#11 module/],
    ["an audit sink without ranges", { audit: { host: "siem.example.com", cidrs: [] } }, /audit\.cidrs must list at least one IPv4 range/],
    ["a root user", { runAsUser: 0 }, /runAsUser must be a user id of at least 1 \(never root\)/],
    ["a metric name with a dash", { metricNames: { sessionsActive: "b4ae-sessions" } }, /metricNames\.sessionsActive must be a Prometheus metric name/],
    ["a failure ratio above 1", { alerts: { handshakeFailureRatio: 5 } }, /alerts\.handshakeFailureRatio must be a share between 0 and 1/],
    ["a name too long for the Helm releases named after it", { name: "n".repeat(38) }, /name must be a DNS label of a-z, 0-9 and "-", at most 37 characters/],
    ["a namespace that is no DNS label", { namespace: "Secure_Nodes" }, /namespace must be a DNS label/],
  ])("refuses %s, naming the prop and the value", (_, props, message) => {
    expect(fails(props)).toThrow(message);
  });

  test("errors name the construct", () => {
    expect(fails({ peers: [] })).toThrow(/^SecureNodes lab\/SecureNodes: peers/);
  });

  test("accepts a digest, a registry with a port, and a tag with a digest", () => {
    for (const image of ["registry.example:5000/b4ae@sha256:" + "a".repeat(64), "registry.example:5000/team/b4ae:2.1.3", "b4ae:latest@sha256:" + "0".repeat(64)]) {
      expect(podSpecs(synthNodes({ image }).stack)[0].container[0].image).toBe(image);
    }
  });
});
