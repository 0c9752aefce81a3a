import { posix } from "node:path";
import { Token } from "cdktf";
import type { IConstruct } from "constructs";
import { PHASE_PRESETS } from "../config/secure-nodes";
import { parseIpv4Cidr } from "../core/cidr";
import { label } from "../core/validate";
import { NAMESPACE_NAME } from "../platform/namespaces";
import type { TenantEgress } from "../platform/target";
import type {
  SecureNodesAlertThresholds,
  SecureNodesAuditSink,
  SecureNodesAuthMode,
  SecureNodesEnvNames,
  SecureNodesHsm,
  SecureNodesKeys,
  SecureNodesLogLevel,
  SecureNodesMetricNames,
  SecureNodesProps,
  SecureNodesResources,
  SecureNodesSecurityProfile,
  SecureNodesTopology,
} from "./props";

/** The props with every default filled in, after validation. */
export interface SecureNodesSettings {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly topology: SecureNodesTopology;
  readonly replicas: number;
  /** Set for `gateway` only. */
  readonly autoscaling?: { readonly min: number; readonly max: number; readonly targetCpuPercent: number };
  readonly highAvailability: boolean;
  readonly udpPort: number;
  readonly peerUdpPort: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly livenessPath: string;
  readonly readinessPath: string;
  readonly metricsPath: string;
  readonly peers: readonly string[];
  readonly internal: boolean;
  readonly staticAddresses: boolean;
  readonly resources: SecureNodesResources;
  readonly logLevel: SecureNodesLogLevel;
  readonly securityProfile: SecureNodesSecurityProfile;
  readonly authMode: SecureNodesAuthMode;
  readonly envNames: Required<SecureNodesEnvNames>;
  readonly env: Record<string, string>;
  readonly configPath: string;
  readonly keys?: SecureNodesKeys & { readonly mountPath: string };
  readonly hsm?: SecureNodesHsm;
  readonly audit?: SecureNodesAuditSink & { readonly port: number };
  readonly runAsUser: number;
  readonly metricNames: Required<SecureNodesMetricNames>;
  readonly alerts: Required<SecureNodesAlertThresholds>;
}

export const DEFAULTS = {
  namespace: "secure-nodes",
  name: "secure-nodes",
  topology: "single" as SecureNodesTopology,
  udpPort: 4000,
  healthPort: 8080,
  metricsPort: 9090,
  livenessPath: "/health",
  readinessPath: "/ready",
  metricsPath: "/metrics",
  // The pilot phase's size: what the spec gives when it names no phase.
  resources: PHASE_PRESETS.pilot.resources,
  logLevel: "info" as SecureNodesLogLevel,
  securityProfile: "balanced" as SecureNodesSecurityProfile,
  authMode: "mode_a" as SecureNodesAuthMode,
  configPath: "/etc/b4ae/config.toml",
  keysPath: "/var/lib/b4ae/keys",
  auditPort: 6514,
  runAsUser: 10001,
  targetCpuPercent: 70,
  envNames: {
    logLevel: "RUST_LOG",
    logFormat: "B4AE_LOG_FORMAT",
    securityProfile: "B4AE_MODE",
    authMode: "B4AE_AUTH_MODE",
    hsmEnabled: "B4AE_HSM_ENABLED",
    hsmToken: "B4AE_HSM_TOKEN",
    hsmPin: "B4AE_HSM_PIN",
    hsmModule: "PKCS11_LIBRARY_PATH",
  } as Required<SecureNodesEnvNames>,
  metricNames: {
    sessionsActive: "b4ae_sessions_active",
    handshakes: "b4ae_handshakes_total",
    handshakeFailures: "b4ae_handshake_failures_total",
    handshakeDuration: "b4ae_handshake_duration_ms",
    messagesSent: "b4ae_messages_sent",
    messagesReceived: "b4ae_messages_received",
  } as Required<SecureNodesMetricNames>,
  alerts: { noSessionsFor: "15m", handshakeFailureRatio: 0.05, handshakeP99Ms: 500, restartsPerHour: 3 } as Required<SecureNodesAlertThresholds>,
} as const;

const TOPOLOGIES: readonly SecureNodesTopology[] = ["single", "hub", "gateway"];
const LOG_LEVELS: readonly SecureNodesLogLevel[] = ["error", "warn", "info", "debug", "trace"];
const PROFILES: readonly SecureNodesSecurityProfile[] = ["low_overhead", "balanced", "high_security"];
const AUTH_MODES: readonly SecureNodesAuthMode[] = ["mode_a", "mode_b", "both"];
const CPU = /^\d+(\.\d+)?m?$/;
const MEMORY = /^\d+(Ki|Mi|Gi|Ti)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const DURATION = /^(\d+h)?(\d+m)?(\d+s)?$/;
/** An absolute path of plain segments: no `..`, no spaces, no quotes. */
const ABSOLUTE_PATH = /^(\/[A-Za-z0-9._-]+)+$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~\/-]*$/;
/** Terraform reads these as templates in any string. */
const TERRAFORM_TEMPLATE = /[$%]\{/;

/** Validates the props (naming the prop, the value and what is allowed) and fills in the defaults. */
export function resolveSettings(scope: IConstruct, props: SecureNodesProps): SecureNodesSettings {
  const fail = (message: string): never => {
    throw new Error(`${label(scope)}: ${message}`);
  };
  const known = (v: unknown) => !Token.isUnresolved(v);
  const check = <T>(prop: string, value: T, ok: (v: T) => boolean, allowed: string) => {
    if (known(value) && !ok(value)) fail(`${prop} must be ${allowed} (got ${JSON.stringify(value)})`);
  };
  const port = (prop: string, value: number) =>
    check(prop, value, (v) => Number.isInteger(v) && v >= 1024 && v <= 65535, "a port from 1024 to 65535 (the node runs without the capability to bind lower ports)");
  const cidrs = (prop: string, values: readonly string[]) => {
    if (values.length === 0) fail(`${prop} must list at least one IPv4 range (got [])`);
    values.forEach((c, i) => check(`${prop}[${i}]`, c, (v) => parseIpv4Cidr(v) !== undefined, "an IPv4 range such as 203.0.113.0/24"));
  };
  const noTemplate = (prop: string, value: string) =>
    check(prop, value, (v) => !TERRAFORM_TEMPLATE.test(v), 'free of "${" and "%{", which Terraform reads as templates');

  const namespace = props.namespace ?? DEFAULTS.namespace;
  const name = props.name ?? DEFAULTS.name;
  check("namespace", namespace, (v) => NAMESPACE_NAME.test(v), 'a DNS label of a-z, 0-9 and "-", at most 63 characters');
  // Names derive from it: the Helm release of a synced Secret ("secret-<name>-audit-ca") has at most 53 characters.
  check("name", name, (v) => NAMESPACE_NAME.test(v) && v.length <= 37, 'a DNS label of a-z, 0-9 and "-", at most 37 characters');
  check("image", props.image, pinnedImage, 'an image with a tag or a digest, not "latest" alone, e.g. "registry.example/b4ae:2.1.3" or "registry.example/b4ae@sha256:<64 hex>"');

  const topology = props.topology ?? DEFAULTS.topology;
  check("topology", topology, (v) => TOPOLOGIES.includes(v), `one of ${TOPOLOGIES.map((t) => `"${t}"`).join(", ")}`);
  const replicas = props.replicas ?? (topology === "single" ? 1 : 2);
  if (topology === "single") check("replicas", replicas, (v) => v === 1, 'exactly 1 with topology "single" (use "hub" or "gateway" for more)');
  check("replicas", replicas, (v) => Number.isInteger(v) && v >= 1 && v <= 100, "an integer from 1 to 100");
  if (props.autoscaling && topology !== "gateway") fail(`autoscaling is for topology "gateway" only (got topology ${JSON.stringify(topology)}): StatefulSet nodes keep their identity and are not scaled by load`);
  const autoscaling =
    topology === "gateway"
      ? {
          min: props.autoscaling?.min ?? replicas,
          max: props.autoscaling?.max ?? replicas * 3,
          targetCpuPercent: props.autoscaling?.targetCpuPercent ?? DEFAULTS.targetCpuPercent,
        }
      : undefined;
  if (autoscaling) {
    check("autoscaling.min", autoscaling.min, (v) => Number.isInteger(v) && v >= 1, "an integer of at least 1");
    check("autoscaling.max", autoscaling.max, (v) => Number.isInteger(v) && v >= autoscaling.min && v <= 100, `an integer from autoscaling.min (${autoscaling.min}) to 100`);
    check("autoscaling.targetCpuPercent", autoscaling.targetCpuPercent, (v) => Number.isInteger(v) && v >= 10 && v <= 100, "an integer from 10 to 100");
  }

  const udpPort = props.udpPort ?? DEFAULTS.udpPort;
  const healthPort = props.healthPort ?? DEFAULTS.healthPort;
  const metricsPort = props.metricsPort ?? DEFAULTS.metricsPort;
  port("udpPort", udpPort);
  port("healthPort", healthPort);
  port("metricsPort", metricsPort);
  const peerUdpPort = props.peerUdpPort ?? udpPort;
  check("peerUdpPort", peerUdpPort, (v) => Number.isInteger(v) && v >= 1 && v <= 65535, "a port from 1 to 65535");
  if (healthPort === metricsPort) fail(`healthPort and metricsPort must differ (both ${healthPort}): the load balancer's health checks may reach the health port, never the metrics`);

  const paths = {
    livenessPath: props.livenessPath ?? DEFAULTS.livenessPath,
    readinessPath: props.readinessPath ?? DEFAULTS.readinessPath,
    metricsPath: props.metricsPath ?? DEFAULTS.metricsPath,
  };
  for (const [prop, value] of Object.entries(paths)) check(prop, value, (v) => HTTP_PATH.test(v), 'an HTTP path starting with "/", e.g. "/health"');

  cidrs("peers", props.peers);

  const resources = props.resources ?? DEFAULTS.resources;
  for (const kind of ["requests", "limits"] as const) {
    check(`resources.${kind}.cpu`, resources[kind].cpu, (v) => CPU.test(v), 'a CPU quantity such as "1" or "250m"');
    check(`resources.${kind}.memory`, resources[kind].memory, (v) => MEMORY.test(v), 'a memory quantity such as "512Mi"');
  }

  const logLevel = props.logLevel ?? DEFAULTS.logLevel;
  const securityProfile = props.securityProfile ?? DEFAULTS.securityProfile;
  const authMode = props.authMode ?? DEFAULTS.authMode;
  check("logLevel", logLevel, (v) => LOG_LEVELS.includes(v), `one of ${LOG_LEVELS.join(", ")}`);
  check("securityProfile", securityProfile, (v) => PROFILES.includes(v), `one of ${PROFILES.join(", ")}`);
  check("authMode", authMode, (v) => AUTH_MODES.includes(v), `one of ${AUTH_MODES.join(", ")}`);

  const envNames = { ...DEFAULTS.envNames, ...props.envNames };
  for (const [key, value] of Object.entries(envNames)) check(`envNames.${key}`, value, (v) => ENV_NAME.test(v), "an environment variable name (letters, digits and _)");
  const managed = new Set<string>(Object.values(envNames));
  const env = props.env ?? {};
  for (const [key, value] of Object.entries(env)) {
    check(`env key ${JSON.stringify(key)}`, key, (v) => ENV_NAME.test(v), "an environment variable name (letters, digits and _)");
    if (managed.has(key)) fail(`env sets ${key}, which the kit sets from its own props (envNames); set that prop instead`);
    noTemplate(`env.${key}`, value);
  }

  const configPath = props.configPath ?? DEFAULTS.configPath;
  check("configPath", configPath, (v) => ABSOLUTE_PATH.test(v) && posix.dirname(v) !== "/", 'an absolute file path below a directory, e.g. "/etc/b4ae/config.toml"');

  if (!props.keys && !props.hsm) fail("give keys (synced from the secret manager) or hsm (PKCS#11): a node needs a long-term key");
  const keys = props.keys && { ...props.keys, mountPath: props.keys.mountPath ?? DEFAULTS.keysPath };
  if (keys) check("keys.mountPath", keys.mountPath, (v) => ABSOLUTE_PATH.test(v), 'an absolute directory, e.g. "/var/lib/b4ae/keys"');
  // A volume mounted inside a read-only one cannot get its mount point.
  const mounts: [string, string][] = [["/tmp", "the scratch volume"], [posix.dirname(configPath), "the config's directory"]];
  if (keys) mounts.push([keys.mountPath, "keys.mountPath"]);
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  mounts.forEach(([a, what], i) =>
    mounts.slice(i + 1).forEach(([b, other]) => {
      if (inside(a, b) || inside(b, a)) fail(`${other} (${b}) and ${what} (${a}) must not contain each other: each is a volume of its own`);
    }),
  );
  if (keys) {
    check("keys.remoteKey", keys.remoteKey, (v) => /^\S+$/.test(v), "a secret manager key without spaces");
    for (const file of Object.keys(keys.properties ?? {})) {
      check(`keys.properties key ${JSON.stringify(file)}`, file, (v) => /^[A-Za-z0-9._-]{1,253}$/.test(v) && v !== "." && v !== "..", "a file name of letters, digits, \".\", \"_\" and \"-\" (a Secret key)");
    }
  }

  const hsm = props.hsm;
  if (hsm) {
    check("hsm.modulePath", hsm.modulePath, (v) => ABSOLUTE_PATH.test(v), 'the absolute path of the PKCS#11 module inside the image, e.g. "/opt/cloudhsm/lib/libcloudhsm_pkcs11.so"');
    check("hsm.tokenLabel", hsm.tokenLabel, (v) => /^[^\u0000-\u001f\u007f]{1,32}$/.test(v), "a PKCS#11 token label of 1 to 32 printable characters");
    noTemplate("hsm.tokenLabel", hsm.tokenLabel);
    if (hsm.slot !== undefined) check("hsm.slot", hsm.slot, (v) => Number.isInteger(v) && v >= 0, "a slot number of at least 0");
    check("hsm.pin.remoteKey", hsm.pin.remoteKey, (v) => /^\S+$/.test(v), "a secret manager key without spaces");
    if (hsm.configFile) {
      check("hsm.configFile.name", hsm.configFile.name, (v) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v), 'a file name such as "kmsp11.yaml"');
      noTemplate("hsm.configFile.content", hsm.configFile.content);
      if (hsm.configFile.envVar !== undefined) {
        check("hsm.configFile.envVar", hsm.configFile.envVar, (v) => ENV_NAME.test(v) && !managed.has(v) && !(v in env), "an environment variable name that no other prop sets");
      }
    }
    // A pod under restricted Pod Security has no device access: the HSM is on the network.
    egress("hsm.egress", hsm.egress, fail, check);
  }

  const audit = props.audit && { ...props.audit, port: props.audit.port ?? DEFAULTS.auditPort };
  if (audit) {
    check("audit.host", audit.host, (v) => /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v), 'a host name or IPv4 address, e.g. "siem.example.com"');
    check("audit.port", audit.port, (v) => Number.isInteger(v) && v >= 1 && v <= 65535, "a port from 1 to 65535");
    cidrs("audit.cidrs", audit.cidrs);
    if (audit.ca) check("audit.ca.remoteKey", audit.ca.remoteKey, (v) => /^\S+$/.test(v), "a secret manager key without spaces");
  }

  const runAsUser = props.runAsUser ?? DEFAULTS.runAsUser;
  check("runAsUser", runAsUser, (v) => Number.isInteger(v) && v >= 1 && v <= 2147483647, "a user id of at least 1 (never root)");

  const metricNames = { ...DEFAULTS.metricNames, ...props.metricNames };
  for (const [key, value] of Object.entries(metricNames)) check(`metricNames.${key}`, value, (v) => METRIC_NAME.test(v), "a Prometheus metric name");
  const alerts = { ...DEFAULTS.alerts, ...props.alerts };
  check("alerts.noSessionsFor", alerts.noSessionsFor, (v) => v !== "" && DURATION.test(v), 'a Prometheus duration such as "15m" or "1h"');
  check("alerts.handshakeFailureRatio", alerts.handshakeFailureRatio, (v) => v > 0 && v < 1, "a share between 0 and 1, e.g. 0.05");
  check("alerts.handshakeP99Ms", alerts.handshakeP99Ms, (v) => Number.isFinite(v) && v > 0, "a positive number of milliseconds");
  check("alerts.restartsPerHour", alerts.restartsPerHour, (v) => Number.isInteger(v) && v >= 1, "an integer of at least 1");

  return {
    namespace,
    name,
    image: props.image,
    args: props.args,
    topology,
    replicas,
    autoscaling,
    highAvailability: props.highAvailability ?? false,
    udpPort,
    peerUdpPort,
    healthPort,
    metricsPort,
    ...paths,
    peers: props.peers,
    internal: props.internal ?? true,
    staticAddresses: props.staticAddresses ?? false,
    resources,
    logLevel,
    securityProfile,
    authMode,
    envNames,
    env,
    configPath,
    keys,
    hsm,
    audit,
    runAsUser,
    metricNames,
    alerts,
  };
}

/** An image reference with a tag (not `latest`) or a sha256 digest. */
function pinnedImage(image: string): boolean {
  if (/\s/.test(image)) return false;
  const [ref, digest, extra] = image.split("@");
  if (extra !== undefined || (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest))) return false;
  const last = ref.slice(ref.lastIndexOf("/") + 1);
  const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : undefined;
  if (last === "" || last.startsWith(":") || (tag !== undefined && !/^\w[\w.-]{0,127}$/.test(tag))) return false;
  return digest !== undefined || (tag !== undefined && tag !== "latest");
}

function egress(
  prop: string,
  list: readonly TenantEgress[],
  fail: (message: string) => never,
  check: <T>(prop: string, value: T, ok: (v: T) => boolean, allowed: string) => void,
): void {
  if (list.length === 0) fail(`${prop} must list the HSM's address ranges (got []): a pod reaches an HSM over the network only`);
  list.forEach((e, i) => {
    check(`${prop}[${i}].cidr`, e.cidr, (v) => parseIpv4Cidr(v) !== undefined, "an IPv4 range such as 10.0.8.0/24");
    e.ports?.forEach((p, n) => check(`${prop}[${i}].ports[${n}].port`, p.port, (v) => Number.isInteger(v) && v >= 1 && v <= 65535, "a port from 1 to 65535"));
  });
}
