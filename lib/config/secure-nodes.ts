import { z } from "zod";
import { parseIpv4Cidr } from "../core/cidr";
import { cidr, hostname, oneOf, SecretRef } from "./fields";

/**
 * The spec's `secureNodes` section: nodes that speak an encrypted protocol over UDP to
 * trusted peers only. The node software's ports, paths and settings are fields, not
 * assumptions; a rollout phase sets replicas, availability and limits.
 */

export const PHASES = ["poc", "pilot", "production"] as const;
export type Phase = (typeof PHASES)[number];

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface PhasePreset {
  readonly replicas: number;
  /** Hard zone spread and a PodDisruptionBudget. */
  readonly highAvailability: boolean;
  readonly resources: Resources;
  /** Gateways scale from `replicas` up to this many times `replicas`. */
  readonly maxScale: number;
}

/** What each rollout phase gives by default; every value can be set in the spec. */
export const PHASE_PRESETS: Record<Phase, PhasePreset> = {
  poc: { replicas: 1, highAvailability: false, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } }, maxScale: 2 },
  pilot: { replicas: 2, highAvailability: true, resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } }, maxScale: 3 },
  production: { replicas: 3, highAvailability: true, resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "1Gi" } }, maxScale: 4 },
};

// A registry reference with an explicit tag or digest: an image without one runs "latest".
const IMAGE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

export const imageParts = (image: string) => IMAGE.exec(image)?.groups as { tag?: string; digest?: string } | undefined;

const port = z.number().int().min(1).max(65535);
const path = z.string().regex(/^\/[A-Za-z0-9/_.~-]*$/, "must be an HTTP path such as /health");
const cpu = z.string().regex(/^(\d+m|\d+(\.\d{1,3})?)$/, 'must be a CPU quantity such as "500m" or "2"');
const memory = z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, 'must be a memory quantity such as "512Mi" or "1Gi"');
const quantities = z.object({ cpu, memory }).strict();
const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be host:port such as siem.example.com:6514");

export const SecureNodes = z
  .object({
    enabled: z.boolean().default(false).describe("The UDP secure-node tier. Default: false"),
    phase: oneOf(PHASES).default("pilot").describe("Rollout phase: sets replicas, availability and limits (poc 1 replica; pilot 2; production 3, and needs an image digest and an audit sink). Default: pilot"),
    image: z
      .string()
      .superRefine((value, ctx) => {
        const parts = imageParts(value);
        if (!parts) ctx.addIssue({ code: "custom", message: "must be an image reference such as registry.example.com/b4ae/node:2.1.3 or …/node@sha256:<64 hex>" });
        else if (!parts.tag && !parts.digest) ctx.addIssue({ code: "custom", message: "needs a tag (:2.1.3) or a digest (@sha256:…): without one the cluster pulls whatever is latest" });
        else if (parts.tag === "latest" && !parts.digest) ctx.addIssue({ code: "custom", message: 'the "latest" tag moves: pin a version tag or a digest' });
      })
      .optional()
      .describe("The node's container image: a version tag or a digest (a digest in production). Required when enabled"),
    topology: oneOf(["single", "hub", "gateway"])
      .default("hub")
      .describe("single: one node (StatefulSet); hub: N nodes with a stable identity each (StatefulSet); gateway: stateless nodes that autoscale (Deployment + HPA). Default: hub"),
    replicas: z.number().int().min(1).max(100).optional().describe("Nodes (the gateway's minimum). Default: from the phase (1/2/3); single is always 1"),
    maxReplicas: z.number().int().min(1).max(500).optional().describe("Gateway only: the autoscaler's ceiling. Default: from the phase (2/3/4 times replicas)"),
    udpPort: port.default(4000).describe("The UDP port peers send to. Default: 4000"),
    healthPort: port.default(8080).describe("The TCP port answering HTTP health checks (probes and the load balancer). Default: 8080"),
    livenessPath: path.default("/health").describe("Default: /health"),
    readinessPath: path.default("/ready").describe("Also the load balancer's health check. Default: /ready"),
    metricsPort: port.default(9090).describe("The TCP port serving Prometheus metrics. Default: 9090"),
    metricsPath: path.default("/metrics").describe("Default: /metrics"),
    trustedPeers: z
      .array(cidr("a trusted peer"))
      .min(1)
      .optional()
      .describe("The only IPv4 ranges allowed to reach the UDP port, enforced by the load balancer, the cloud firewall and a NetworkPolicy. Required when enabled; never 0.0.0.0/0 in production"),
    exposure: oneOf(["internal", "internet-facing"]).default("internal").describe("The load balancer's address: private to the network (peers over VPN or peering) or public. Default: internal"),
    staticAddresses: z.boolean().default(false).describe("aws, internet-facing only: fixed Elastic IPs (one per zone) that peers can allowlist. Default: false"),
    resources: z.object({ requests: quantities.partial().optional(), limits: quantities.partial().optional() }).strict().optional().describe("Per node. Default: from the phase"),
    securityProfile: oneOf(["low_overhead", "balanced", "high_security"]).default("balanced").describe("Passed to the node as B4AE_MODE. Default: balanced (B4AE's documented default)"),
    authMode: oneOf(["mode_a", "mode_b", "both"]).default("mode_a").describe("Passed to the node as B4AE_AUTH_MODE. Default: mode_a (B4AE's documented default)"),
    logLevel: oneOf(["error", "warn", "info", "debug", "trace"]).default("info").describe("Passed as RUST_LOG; logs are JSON. Default: info"),
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, "must be an environment variable name such as B4AE_SCHEDULER_RATE"), z.string().max(1024))
      .optional()
      .describe("More plain (non-secret) settings as environment variables. Default: none"),
    keys: SecretRef.optional().describe("The secret holding the nodes' long-term keys (one JSON property per file, e.g. node-0.key). Required when enabled"),
    hsm: z
      .object({
        enabled: z.boolean().default(false),
        modulePath: z.string().regex(/^\/[A-Za-z0-9/_.+-]+\.so(\.\d+)*$/, "must be the PKCS#11 library's absolute path in the image, e.g. /opt/cloudhsm/lib/libcloudhsm_pkcs11.so").optional(),
        tokenLabel: z.string().min(1).max(32).optional().describe("The PKCS#11 token label."),
        slot: z.number().int().min(0).optional().describe("The slot, where the module needs it. Default: found by tokenLabel"),
        pin: SecretRef.optional().describe("A secret whose JSON value has `pin` (e.g. CloudHSM's crypto-user:password)."),
        configFile: z
          .object({
            name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be a file name such as kmsp11.yaml"),
            content: z.string().min(1).max(16384),
            envVar: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, "must be an environment variable name such as KMS_PKCS11_CONFIG").optional(),
          })
          .strict()
          .optional()
          .describe("The module's own configuration file, configuration only (e.g. Google's kmsp11 YAML), and the variable that names it."),
        endpoints: z
          .array(z.object({ cidr: cidr("an HSM endpoint"), port: port }).strict())
          .default([])
          .describe("Where the HSM answers (CloudHSM ENIs on 2223-2225, an on-prem HSM): the only extra egress the nodes get. Cloud KMS-backed HSMs are reached over HTTPS"),
      })
      .strict()
      .optional()
      .describe("PKCS#11: the image carries the vendor's library; the kit mounts its configuration and PIN and opens the network path"),
    auditSink: z
      .object({
        syslog: hostPort.describe("The syslog/SIEM receiver over TLS, host:port (RFC 5425; usually 6514)."),
        ca: SecretRef.optional().describe("A secret whose value is the PEM CA that signed the receiver's certificate. Default: the image's trust store"),
        cidrs: z.array(cidr("an audit sink address")).min(1).optional().describe("The receiver's addresses (NetworkPolicies match addresses, not names). Required when syslog names a host"),
      })
      .strict()
      .optional()
      .describe("Where nodes send security events. Required in production"),
    metricNames: z
      .object({
        sessionsActive: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/).optional(),
        handshakes: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/).optional(),
        handshakeFailures: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/).optional(),
        handshakeDuration: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/).optional(),
      })
      .strict()
      .default({})
      .describe("The node's metric names for the tier's alerts and dashboard. Default: the b4ae_* names"),
  })
  .strict()
  .default({
    enabled: false,
    phase: "pilot",
    topology: "hub",
    udpPort: 4000,
    healthPort: 8080,
    livenessPath: "/health",
    readinessPath: "/ready",
    metricsPort: 9090,
    metricsPath: "/metrics",
    exposure: "internal",
    staticAddresses: false,
    securityProfile: "balanced",
    authMode: "mode_a",
    logLevel: "info",
    metricNames: {},
  });

type ParsedSecureNodes = z.infer<typeof SecureNodes>;

interface Loose {
  target?: { cloud?: string };
  platform?: { secretStore?: object };
  secureNodes?: Partial<ParsedSecureNodes>;
}

const everywhere = (range: string) => parseIpv4Cidr(range)?.prefix === 0;
const isAddress = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

/** Cross-field rules: what `enabled` requires, what production refuses, what a target cannot do. */
export function validateSecureNodes(input: unknown, addIssue: z.RefinementCtx["addIssue"]): void {
  const spec = input as Loose;
  const n = spec.secureNodes;
  if (!n || typeof n !== "object" || n.enabled !== true) return;
  const issue = (path: (string | number)[], message: string) => addIssue({ code: "custom", path: ["secureNodes", ...path], message });
  const production = n.phase === "production";
  if (n.image === undefined) issue(["image"], "required when secureNodes.enabled: the node's container image, e.g. registry.example.com/b4ae/node:2.1.3");
  else if (production && !imageParts(n.image)?.digest) issue(["image"], "production needs a digest (…@sha256:<64 hex>): a tag can be moved to other code after review");
  if (n.trustedPeers === undefined) issue(["trustedPeers"], "required when secureNodes.enabled: the peer ranges allowed to reach the UDP port, e.g. [198.51.100.0/24]");
  else if (production) {
    n.trustedPeers.forEach((peer, i) => {
      if (everywhere(peer)) issue(["trustedPeers", i], "production admits trusted peers only, not every address");
    });
  }
  if (n.keys === undefined) issue(["keys"], "required when secureNodes.enabled: { secretRef: <the secret holding the nodes' long-term keys> }");
  if (n.healthPort !== undefined && n.healthPort === n.metricsPort) {
    issue(["metricsPort"], "must differ from healthPort: load balancer health checkers are admitted to the health port and must not reach metrics");
  }
  if (n.topology === "single" && n.replicas !== undefined && n.replicas !== 1) issue(["replicas"], `a single topology runs one node; use hub or gateway for ${n.replicas}`);
  if (n.topology !== "gateway" && n.maxReplicas !== undefined) issue(["maxReplicas"], "only a gateway autoscales; hub and single nodes keep a stable identity each");
  if (n.topology === "gateway" && n.maxReplicas !== undefined && n.replicas !== undefined && n.maxReplicas < n.replicas) {
    issue(["maxReplicas"], `must be at least replicas (${n.replicas})`);
  }
  if (n.staticAddresses === true) {
    if (spec.target?.cloud !== "aws") issue(["staticAddresses"], `only on aws (Elastic IPs); on ${spec.target?.cloud} peers allowlist the load balancer's address once it exists`);
    else if (n.exposure !== "internet-facing") issue(["staticAddresses"], "needs exposure: internet-facing: an internal load balancer has no public address");
  }
  const hsm = n.hsm;
  if (hsm?.enabled) {
    if (!hsm.modulePath) issue(["hsm", "modulePath"], "required when hsm.enabled: the PKCS#11 library's path inside the image");
    if (!hsm.tokenLabel) issue(["hsm", "tokenLabel"], "required when hsm.enabled: the label of the token that holds the keys");
    if (!hsm.pin) issue(["hsm", "pin"], "required when hsm.enabled: { secretRef: <a secret whose JSON value has pin> }");
  }
  const sink = n.auditSink;
  if (sink) {
    const host = sink.syslog?.split(":")[0];
    if (host && !isAddress(host) && !sink.cidrs) issue(["auditSink", "cidrs"], `required when auditSink.syslog names a host (${host}): the addresses it resolves to, for the nodes' egress NetworkPolicy`);
    if (host && !isAddress(host) && !hostname.safeParse(host.toLowerCase()).success) issue(["auditSink", "syslog"], `"${host}" is not a host name or IPv4 address`);
  } else if (production) {
    issue(["auditSink"], "production needs an audit sink: { syslog: <host:port>, cidrs: [...] }, where the nodes' security events go");
  }
  if (spec.target?.cloud === "onprem" && spec.platform?.secretStore === undefined) {
    const refs: [(string | number)[], unknown][] = [
      [["keys"], n.keys],
      [["hsm", "pin"], hsm?.enabled ? hsm.pin : undefined],
      [["auditSink", "ca"], sink?.ca],
    ];
    for (const [path, ref] of refs) if (ref !== undefined) issue(path, "needs platform.secretStore on onprem: External Secrets has no store to read it from");
  }
}

/** The tier with the phase's presets filled in; undefined when it is off. */
export interface SecureNodesSpec extends Omit<ParsedSecureNodes, "enabled" | "image" | "trustedPeers" | "keys" | "replicas" | "maxReplicas" | "resources"> {
  readonly image: string;
  readonly trustedPeers: string[];
  readonly keys: { readonly secretRef: string };
  readonly replicas: number;
  /** Gateways only. */
  readonly maxReplicas?: number;
  readonly highAvailability: boolean;
  readonly resources: Resources;
}

export function resolveSecureNodes(n: ParsedSecureNodes): SecureNodesSpec | undefined {
  if (!n.enabled) return undefined;
  const { enabled: _enabled, image, trustedPeers, keys, replicas, maxReplicas, resources, ...rest } = n;
  // validateSecureNodes has refused an enabled tier without these.
  if (!image || !trustedPeers || !keys) throw new Error("secureNodes: image, trustedPeers and keys are required when enabled");
  const preset = PHASE_PRESETS[n.phase];
  const count = n.topology === "single" ? 1 : (replicas ?? preset.replicas);
  return {
    ...rest,
    image,
    trustedPeers,
    keys,
    replicas: count,
    maxReplicas: n.topology === "gateway" ? (maxReplicas ?? count * preset.maxScale) : undefined,
    highAvailability: preset.highAvailability && count > 1,
    resources: {
      requests: { ...preset.resources.requests, ...resources?.requests },
      limits: { ...preset.resources.limits, ...resources?.limits },
    },
  };
}
