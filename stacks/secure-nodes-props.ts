import type { DeploymentSpec } from "../lib/config/spec";
import type { IPlatformTarget } from "../lib/platform/target";
import type { SecureNodesProps } from "../lib/secure-nodes/props";

/**
 * The secure-node tier's props from the spec, on every target; the stack adds its
 * target, the Platform's External Secrets and observability's CRDs. Undefined when the
 * tier is off.
 */
export function secureNodesProps(spec: DeploymentSpec, target: IPlatformTarget): Omit<SecureNodesProps, "target" | "secrets" | "monitoring"> | undefined {
  const n = spec.secureNodes;
  if (!n) return undefined;
  const sink = n.auditSink && splitHostPort(n.auditSink.syslog);
  const hsm = n.hsm?.enabled ? n.hsm : undefined;
  return {
    image: n.image,
    topology: n.topology,
    replicas: n.replicas,
    autoscaling: n.maxReplicas === undefined ? undefined : { max: n.maxReplicas },
    highAvailability: n.highAvailability,
    udpPort: n.udpPort,
    healthPort: n.healthPort,
    metricsPort: n.metricsPort,
    livenessPath: n.livenessPath,
    readinessPath: n.readinessPath,
    metricsPath: n.metricsPath,
    peers: n.trustedPeers,
    internal: n.exposure === "internal",
    staticAddresses: n.staticAddresses,
    resources: n.resources,
    logLevel: n.logLevel,
    securityProfile: n.securityProfile,
    authMode: n.authMode,
    env: n.env,
    keys: { remoteKey: n.keys.secretRef },
    hsm: hsm && {
      modulePath: required(hsm.modulePath, "hsm.modulePath"),
      tokenLabel: required(hsm.tokenLabel, "hsm.tokenLabel"),
      slot: hsm.slot,
      pin: { remoteKey: required(hsm.pin, "hsm.pin").secretRef, property: "pin" },
      configFile: hsm.configFile,
      // Without endpoints the HSM is a cloud KMS behind HTTPS (Google's kmsp11).
      egress: hsm.endpoints.length > 0 ? hsm.endpoints.map(({ cidr, port }) => ({ cidr, ports: [{ port, protocol: "TCP" as const }] })) : target.cloudApiEgress,
    },
    audit: sink && n.auditSink && { host: sink.host, port: sink.port, cidrs: n.auditSink.cidrs ?? [`${sink.host}/32`], ca: n.auditSink.ca && { remoteKey: n.auditSink.ca.secretRef } },
    metricNames: n.metricNames,
  };
}

/** A field the spec's validation requires when the HSM is on. */
function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`secureNodes.${field} is required when hsm.enabled (the spec validation checks it)`);
  return value;
}

/** "host:port" as the spec validated it. */
function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}
