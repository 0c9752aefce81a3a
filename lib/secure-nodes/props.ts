import type { ITerraformDependable } from "cdktf";
import type { Naming } from "../core/naming";
import type { ResourceSize } from "../observability/metrics";
import type { IExternalSecrets } from "../platform/external-secrets";
import type { IPlatformTarget, TenantEgress } from "../platform/target";

/**
 * How the nodes run: `single` is one StatefulSet pod (a proof of concept); `hub` is a
 * StatefulSet of `replicas` pods, each with a stable name and DNS record through a
 * headless Service; `gateway` is a stateless Deployment scaled by CPU (an HPA).
 */
export type SecureNodesTopology = "single" | "hub" | "gateway";

/** B4AE's security profiles (`B4AE_MODE` in its deployment guide). */
export type SecureNodesSecurityProfile = "low_overhead" | "balanced" | "high_security";

/** B4AE's authentication modes (`B4AE_AUTH_MODE`): deniable, post-quantum, or both. */
export type SecureNodesAuthMode = "mode_a" | "mode_b" | "both";

export type SecureNodesLogLevel = "error" | "warn" | "info" | "debug" | "trace";

/** CPU and memory the node container asks for and may use at most. */
export interface SecureNodesResources {
  readonly requests: ResourceSize;
  readonly limits: ResourceSize;
}

/** The HPA of the `gateway` topology. */
export interface SecureNodesAutoscaling {
  /** @default - `replicas` */
  readonly min?: number;
  readonly max: number;
  /** Average CPU use, in percent of the request, the HPA keeps the pods at. @default 70 */
  readonly targetCpuPercent?: number;
}

/** A secret in the target's secret manager: the whole value, or one JSON property of it. */
export interface SecretManagerValue {
  /** The secret's name in the secret manager. */
  readonly remoteKey: string;
  /** A JSON property of the value. @default - the whole value (a plain, non-JSON secret) */
  readonly property?: string;
}

/**
 * The nodes' long-term keys: a secret of the secret manager, synced by External Secrets
 * into a Kubernetes Secret and mounted read-only, one file per key. Rotating a key is
 * changing the secret manager's value; the node's own key rotation cannot write here.
 */
export interface SecureNodesKeys {
  /** The secret's name in the secret manager: a JSON object, one property per key file. */
  readonly remoteKey: string;
  /**
   * File names from JSON properties, e.g. `{ "node.key": "privateKey" }`. A hub whose
   * nodes each have their own key names the files after the pods (`<name>-0`, ...): each
   * node finds its own under its host name. @default - every property, under its own name
   */
  readonly properties?: Record<string, string>;
  /** Where the key files are mounted (B4AE's documented `keys.storage_path`). @default "/var/lib/b4ae/keys" */
  readonly mountPath?: string;
}

/** An extra file the PKCS#11 module reads, e.g. Google Cloud KMS's kmsp11 YAML. */
export interface SecureNodesHsmConfigFile {
  /** The file's name, mounted under `<config dir>/hsm/`, e.g. "kmsp11.yaml". */
  readonly name: string;
  /** Its content: configuration only, never a credential (the PIN comes from `pin`). */
  readonly content: string;
  /** An environment variable the module finds the file by, e.g. "KMS_PKCS11_CONFIG". @default - none */
  readonly envVar?: string;
}

/**
 * Long-term keys in an HSM through PKCS#11. The kit configures: the module's path, the
 * token label and slot (config file and env), the user PIN synced from the secret
 * manager into an env var, an optional extra config file, and egress to the HSM's
 * endpoints only. The operator provides: the module (and its client configuration, such
 * as CloudHSM's cluster CA or a Luna client certificate) inside the image, the HSM, its
 * token and key objects, the PIN in the secret manager, and the HSM's address ranges.
 * Examples: AWS CloudHSM's `/opt/cloudhsm/lib/libcloudhsm_pkcs11.so` (PIN
 * `<crypto user>:<password>`, HSM ENIs on TCP 2223-2225); Google Cloud HSM through Cloud
 * KMS's kmsp11 library (its YAML named by `KMS_PKCS11_CONFIG`, credentials from the
 * pod's workload identity, egress to Google's APIs); an on-prem or Azure Cloud HSM
 * with the vendor's PKCS#11 client.
 */
export interface SecureNodesHsm {
  /** The PKCS#11 module's absolute path inside the image. */
  readonly modulePath: string;
  /** The token's label. */
  readonly tokenLabel: string;
  /** The slot, where the module needs it. @default - found by `tokenLabel` */
  readonly slot?: number;
  /** The user PIN, from the secret manager. */
  readonly pin: SecretManagerValue;
  /** @default - none */
  readonly configFile?: SecureNodesHsmConfigFile;
  /** Where the HSM answers: the only ranges (and ports) the nodes may reach for it. */
  readonly egress: readonly TenantEgress[];
}

/** Audit events to a syslog / SIEM collector over TLS (RFC 5425). */
export interface SecureNodesAuditSink {
  /** The collector's host name or address. */
  readonly host: string;
  /** @default 6514 */
  readonly port?: number;
  /** The ranges `host` resolves to: the only ones the nodes may send audit events to. */
  readonly cidrs: readonly string[];
  /** The CA that signs the collector's certificate, from the secret manager (PEM). @default - the image's trust store */
  readonly ca?: SecretManagerValue;
}

/** Names of the environment variables the node reads. */
export interface SecureNodesEnvNames {
  /** @default "RUST_LOG" */
  readonly logLevel?: string;
  /** B4AE documents no variable for it. @default "B4AE_LOG_FORMAT" */
  readonly logFormat?: string;
  /** @default "B4AE_MODE" */
  readonly securityProfile?: string;
  /** @default "B4AE_AUTH_MODE" */
  readonly authMode?: string;
  /** @default "B4AE_HSM_ENABLED" */
  readonly hsmEnabled?: string;
  /** @default "B4AE_HSM_TOKEN" */
  readonly hsmToken?: string;
  /** @default "B4AE_HSM_PIN" */
  readonly hsmPin?: string;
  /** The module's path (the variable B4AE's HSM guide uses). @default "PKCS11_LIBRARY_PATH" */
  readonly hsmModule?: string;
}

/**
 * The metrics the rules and the dashboard read. The defaults are the names B4AE's
 * documents recommend (it registers none yet): `b4ae_sessions_active` (gauge),
 * `b4ae_handshakes_total` (counter of every handshake, success or failure),
 * `b4ae_handshake_failures_total` (counter of failed ones),
 * `b4ae_handshake_duration_ms` (histogram in milliseconds: `_bucket` series with `le`),
 * `b4ae_messages_sent` and `b4ae_messages_received` (counters).
 */
export interface SecureNodesMetricNames {
  /** @default "b4ae_sessions_active" */
  readonly sessionsActive?: string;
  /** @default "b4ae_handshakes_total" */
  readonly handshakes?: string;
  /** @default "b4ae_handshake_failures_total" */
  readonly handshakeFailures?: string;
  /** The histogram of handshake time in milliseconds, without `_bucket`. @default "b4ae_handshake_duration_ms" */
  readonly handshakeDuration?: string;
  /** @default "b4ae_messages_sent" */
  readonly messagesSent?: string;
  /** @default "b4ae_messages_received" */
  readonly messagesReceived?: string;
}

/** When the tier's alerts fire. */
export interface SecureNodesAlertThresholds {
  /** How long the tier may hold no session at all. @default "15m" */
  readonly noSessionsFor?: string;
  /** Share of failed handshakes over 5 minutes, for 10 minutes. @default 0.05 */
  readonly handshakeFailureRatio?: number;
  /** The 99th percentile of handshake time, in milliseconds, for 10 minutes. @default 500 */
  readonly handshakeP99Ms?: number;
  /** Restarts of one pod within an hour. @default 3 */
  readonly restartsPerHour?: number;
}

/** Where the PodMonitor and PrometheusRule go: the observability stack's CRDs. */
export interface SecureNodesMonitoring {
  /** The release installing the Prometheus operator's CRDs (`Metrics.crds`). */
  readonly crds: ITerraformDependable;
  /** What the rules wait for besides the CRDs: the release whose webhook validates them. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

export interface SecureNodesProps {
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Exposes the UDP Service (load balancer, cloud firewall) and names the cluster's ranges. */
  readonly target: IPlatformTarget;
  /** Syncs the keys, the HSM PIN and the audit CA from the target's secret manager. */
  readonly secrets: IExternalSecrets;
  /** The node image, with a tag or a digest (`repo/b4ae@sha256:...`); never `latest`. */
  readonly image: string;
  /** Arguments to the image's entrypoint. @default - the image's own */
  readonly args?: readonly string[];
  /** @default "single" */
  readonly topology?: SecureNodesTopology;
  /** Pods (the HPA's minimum for `gateway`). @default - 1 for `single`, 2 otherwise */
  readonly replicas?: number;
  /** The HPA, for `gateway` only. @default - `{ min: replicas, max: 3 × replicas, targetCpuPercent: 70 }` */
  readonly autoscaling?: SecureNodesAutoscaling;
  /** Zone spread is required (DoNotSchedule) rather than preferred. @default false */
  readonly highAvailability?: boolean;
  /** The namespace the tier gets to itself. @default "secure-nodes" */
  readonly namespace?: string;
  /** The workload's and the peers' Service's name (at most 37 characters; other objects' names derive from it). @default "secure-nodes" */
  readonly name?: string;
  /** The UDP port peers send to. @default 4000 */
  readonly udpPort?: number;
  /** The UDP port of the peers the nodes send to. @default - `udpPort` */
  readonly peerUdpPort?: number;
  /** The TCP port answering health checks over HTTP. @default 8080 */
  readonly healthPort?: number;
  /** The TCP port serving Prometheus metrics. @default 9090 */
  readonly metricsPort?: number;
  /** @default "/health" */
  readonly livenessPath?: string;
  /** Also what the load balancer checks. @default "/ready" */
  readonly readinessPath?: string;
  /** @default "/metrics" */
  readonly metricsPath?: string;
  /** The only IPv4 ranges that may reach the UDP port and that the nodes may send to. */
  readonly peers: readonly string[];
  /** A load balancer with a private address only. @default true */
  readonly internal?: boolean;
  /** Fixed public addresses for an internet-facing load balancer. @default false */
  readonly staticAddresses?: boolean;
  /** @default - requests 250m CPU and 256Mi, limits 1 CPU and 512Mi */
  readonly resources?: SecureNodesResources;
  /** @default "info" */
  readonly logLevel?: SecureNodesLogLevel;
  /** @default "balanced" */
  readonly securityProfile?: SecureNodesSecurityProfile;
  /** @default "mode_a" */
  readonly authMode?: SecureNodesAuthMode;
  /** @default - B4AE's documented names */
  readonly envNames?: SecureNodesEnvNames;
  /** More plain (non-secret) environment variables. @default none */
  readonly env?: Record<string, string>;
  /** Where the rendered config.toml is mounted. @default "/etc/b4ae/config.toml" */
  readonly configPath?: string;
  /** The long-term keys. At least one of `keys` and `hsm`. @default - none */
  readonly keys?: SecureNodesKeys;
  /** @default - none: keys from `keys` */
  readonly hsm?: SecureNodesHsm;
  /** @default - none: auditing off in the config */
  readonly audit?: SecureNodesAuditSink;
  /** The non-root user (and group) the node runs as. @default 10001 */
  readonly runAsUser?: number;
  /** Annotations of the nodes' service account, e.g. a workload identity for kmsp11. @default none */
  readonly serviceAccountAnnotations?: Record<string, string>;
  /** More pod labels, e.g. a workload identity's opt-in. @default none */
  readonly podLabels?: Record<string, string>;
  /** The PodMonitor and alert rules; without it only the dashboard ships. @default - none */
  readonly monitoring?: SecureNodesMonitoring;
  /** @default - B4AE's documented names (SecureNodesMetricNames) */
  readonly metricNames?: SecureNodesMetricNames;
  /** @default - see SecureNodesAlertThresholds */
  readonly alerts?: SecureNodesAlertThresholds;
  /** What everything waits for besides the namespace. @default - the target's prerequisites */
  readonly dependsOn?: ITerraformDependable[];
}
