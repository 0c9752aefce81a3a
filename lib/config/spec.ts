import { DEFAULT_KUBERNETES_VERSION } from "./cluster";
import { readSpecFile, SpecFileError, type SpecDocument } from "./load";
import { describeIssues, MAX_PROBLEMS } from "./messages";
import { DEFAULT_AWS_ENDPOINTS, SpecSchema, type ParsedSpec, type SpecInput } from "./schema";
import { BUCKET_RETENTION_MARGIN_DAYS, observabilityBuckets, observabilityEnabled } from "./observability";
import { knownZones } from "./regions";
import { resolveAudit, type AuditPlan } from "./audit";
import { complianceDefaults } from "./compliance";
import { resolveSecureNodes, type SecureNodesSpec } from "./secure-nodes";
import { TIERS, type NodePoolSize } from "./tiers";
import { AUTOSCALING } from "./validate-cluster";

/**
 * The validated spec with every default resolved: what the constructs read. Defaults
 * that depend on other fields (zones from the region, NAT from the tier, the private
 * zone from the domain) are filled here, once.
 */
/** The data layer with the tier's sizes filled in; a store that is off is undefined. */
export interface DataSpec {
  readonly postgres?: {
    readonly version: string;
    readonly instanceClass: string;
    readonly storageGb: number;
    readonly maxStorageGb: number;
    readonly ha: boolean;
    readonly backupDays: number;
  };
  readonly documents?: { readonly instanceClass?: string; readonly instances: number };
  readonly redis?: { readonly nodeType: string; readonly ha: boolean };
  readonly buckets: string[];
  /** Days each bucket keeps objects; a bucket missing here keeps them. */
  readonly retentionDays: Record<string, number>;
  /** Present when backups are copied to another region (`region` unset on azure: the pair). */
  readonly disasterRecovery?: { readonly region?: string };
  readonly objectStore?: ParsedSpec["data"]["objectStore"];
  /** Deletion protection, prevent_destroy and final snapshots. */
  readonly protection: boolean;
}

/** Observability with the tier's sizes filled in; undefined when it is off. */
export interface ObservabilitySpec {
  readonly metrics: { readonly retentionDays: number; readonly longTermDays: number; readonly volumeGb: number };
  readonly logs: { readonly retentionDays: number; readonly mode: "monolithic" | "distributed" };
  readonly traces: ParsedSpec["observability"]["traces"];
  readonly alerts: ParsedSpec["observability"]["alerts"];
  readonly grafana: ParsedSpec["observability"]["grafana"];
}

export interface DeploymentSpec extends Omit<ParsedSpec, "network" | "dns" | "cluster" | "platform" | "data" | "observability" | "secureNodes" | "audit"> {
  readonly network: Omit<ParsedSpec["network"], "zones" | "natGateways" | "endpoints"> & {
    /** Zone names, in the region's order; empty on-prem and in Azure regions without zones. */
    readonly zones: string[];
    readonly natGateways: "single" | "one-per-zone";
    readonly endpoints: string[];
  };
  readonly dns: {
    readonly domain?: string;
    readonly privateZone: string;
    readonly certificates: "acm" | "cert-manager";
    readonly queryLogs: boolean;
    readonly dnssec: boolean;
  };
  readonly cluster: {
    readonly version: string;
    readonly endpoint: "private" | "public-restricted";
    readonly allowedCidrs: string[];
    /** Node pool sizes, the tier's filled in; undefined on-prem (the cluster exists). */
    readonly nodePools?: { readonly system: NodePoolSize; readonly workloads: NodePoolSize };
    readonly autoscaling?: "karpenter" | "cluster-autoscaler" | "node-auto-provisioning";
    readonly admins: string[];
  };
  readonly platform: Omit<ParsedSpec["platform"], "ingress"> & {
    readonly ingress: "envoy-gateway" | "aws-load-balancer-controller" | "gke-gateway";
  };
  readonly data: DataSpec;
  readonly observability?: ObservabilitySpec;
  /** The UDP secure-node tier with its phase's presets filled in; undefined when it is off. */
  readonly secureNodes?: SecureNodesSpec;
  /** The audit backend; undefined when the spec has no `audit` section. */
  readonly audit?: AuditPlan;
}

export type Target = DeploymentSpec["target"];
export type TargetCloud = Target["cloud"];

/** A spec that failed validation: one message listing every problem (the first MAX_PROBLEMS of them). */
export class SpecError extends Error {
  /** How many problems the spec has; `problems` lists at most MAX_PROBLEMS of them. */
  readonly total: number;

  constructor(
    readonly problems: string[],
    source = "the deployment spec",
    total = problems.length,
  ) {
    const listed = problems.slice(0, MAX_PROBLEMS);
    const more = total - listed.length;
    super(
      `${source} has ${total} problem${total === 1 ? "" : "s"}:\n${listed.map((p) => `  - ${p}`).join("\n")}` +
        (more > 0 ? `\n  - and ${more} more; fix these first, the rest often go with them` : ""),
    );
    this.name = "SpecError";
    this.total = total;
  }
}

/**
 * Validates a spec and resolves its defaults; throws a SpecError listing every problem.
 * It takes `unknown` because specs usually come from YAML or JSON. A spec written in code
 * is type-checked as you write it when declared as `SpecInput`:
 * `const spec: SpecInput = { name: "acme", target: { cloud: "aws", region: "eu-west-1" } };`
 */
export function parseSpec(input: unknown, source?: string): DeploymentSpec {
  return validate({ data: input }, source);
}

/**
 * Reads a YAML or JSON spec file (JSON is YAML), then validates it. Throws SpecError, in
 * words, for a missing or unreadable file, one too large, not UTF-8, empty, with a
 * duplicate or merge key, or with fields that are wrong.
 */
export function loadSpec(path: string): DeploymentSpec {
  let doc: SpecDocument;
  try {
    doc = readSpecFile(path);
  } catch (e) {
    if (e instanceof SpecFileError) throw new SpecError(e.problems, path);
    throw e;
  }
  return validate(doc, path);
}

function validate(doc: Pick<SpecDocument, "data"> & Partial<SpecDocument>, source?: string): DeploymentSpec {
  // A compliance profile's raised defaults are filled in first; explicit values are then checked against them.
  const result = SpecSchema.safeParse(complianceDefaults(doc.data));
  if (!result.success) {
    const { problems, total } = describeIssues(SpecSchema, result.error.issues, doc.data, { sourceOf: doc.sourceOf });
    throw new SpecError(problems, source, total);
  }
  return resolve(result.data);
}

function resolve(spec: ParsedSpec): DeploymentSpec {
  const { target, network, dns, cluster, platform, data, observability } = spec;
  const sizes = TIERS[spec.tier].data;
  const cloud = target.cloud;
  let zones: string[] = [];
  if (target.cloud !== "onprem") {
    const known = knownZones(target.cloud, target.region) ?? [];
    if (Array.isArray(network.zones)) zones = network.zones;
    else zones = known.slice(0, network.zones ?? 3);
  }
  return {
    ...spec,
    network: {
      ...network,
      zones,
      natGateways: network.natGateways ?? TIERS[spec.tier].natGateways,
      endpoints: target.cloud === "aws" ? (network.endpoints ?? DEFAULT_AWS_ENDPOINTS) : [],
    },
    dns: {
      domain: dns.domain,
      privateZone: dns.privateZone ?? (dns.domain ? `internal.${dns.domain}` : `${spec.name}.internal`),
      certificates: dns.certificates ?? (target.cloud === "aws" && dns.domain ? "acm" : "cert-manager"),
      queryLogs: dns.queryLogs,
      dnssec: dns.dnssec,
    },
    cluster: {
      version: cluster.version ?? DEFAULT_KUBERNETES_VERSION,
      endpoint: cluster.endpoint ?? "private",
      allowedCidrs: cluster.allowedCidrs ?? [],
      admins: cluster.admins,
      ...(target.cloud === "onprem"
        ? {}
        : {
            nodePools: {
              system: { ...TIERS[spec.tier].nodePools[target.cloud].system, ...cluster.nodePools?.system },
              workloads: { ...TIERS[spec.tier].nodePools[target.cloud].workloads, ...cluster.nodePools?.workloads },
            },
            autoscaling: cluster.autoscaling ?? AUTOSCALING[target.cloud][0],
          }),
    },
    data: {
      postgres: data.postgres.enabled
        ? {
            version: data.postgres.version,
            instanceClass: data.postgres.instanceClass ?? sizes.postgres.instanceClass[cloud],
            storageGb: data.postgres.storageGb ?? sizes.postgres.storageGb,
            maxStorageGb: data.postgres.maxStorageGb ?? sizes.postgres.maxStorageGb,
            ha: data.postgres.ha ?? sizes.postgres.ha,
            backupDays: data.postgres.backupDays ?? sizes.postgres.backupDays,
          }
        : undefined,
      documents: data.documents.enabled
        ? { instanceClass: data.documents.instanceClass ?? sizes.documents.instanceClass[cloud], instances: sizes.documents.instances }
        : undefined,
      redis: data.redis.enabled ? { nodeType: data.redis.nodeType ?? sizes.redis.nodeType[cloud], ha: data.redis.ha ?? sizes.redis.ha } : undefined,
      buckets: data.buckets,
      retentionDays: { ...bucketRetention(observabilityEnabled(spec) ? observability : undefined), ...data.retentionDays },
      disasterRecovery: data.disasterRecovery?.crossRegionBackups ? { region: data.disasterRecovery.region } : undefined,
      objectStore: data.objectStore,
      protection: data.protection === "enabled",
    },
    secureNodes: resolveSecureNodes(spec.secureNodes),
    audit: resolveAudit(spec.audit),
    observability: observabilityEnabled(spec)
      ? {
          metrics: { ...observability.metrics, volumeGb: observability.metrics.volumeGb ?? TIERS[spec.tier].observability.metricsVolumeGb },
          logs: { ...observability.logs, mode: observability.logs.mode ?? TIERS[spec.tier].observability.logsMode },
          traces: observability.traces,
          alerts: observability.alerts,
          grafana: observability.grafana,
        }
      : undefined,
    platform: {
      ...platform,
      // Envoy behind the cloud's load balancer keeps tenants apart by namespace; ALB
      // targets share the pods' subnets. GKE Gateway's proxies come from Google's ranges.
      ingress: platform.ingress ?? (target.cloud === "gcp" ? "gke-gateway" : "envoy-gateway"),
    },
  };
}

/**
 * The logs and metrics buckets' lifecycle when the spec sets none: a week behind what
 * observability keeps there, so its compactors delete whole blocks first; 30 days when
 * observability does not use the bucket.
 */
function bucketRetention(observability: ParsedSpec["observability"] | undefined): Record<string, number> {
  const days: Record<string, number> = { logs: 30, metrics: 30 };
  for (const { bucket, days: kept } of observability ? observabilityBuckets(observability) : []) {
    days[bucket] = Math.max(days[bucket] ?? 0, kept + BUCKET_RETENTION_MARGIN_DAYS);
  }
  return days;
}

/** The node pools of a cloud target's cluster (a programming error on-prem). */
export function nodePools(spec: DeploymentSpec): NonNullable<DeploymentSpec["cluster"]["nodePools"]> {
  if (!spec.cluster.nodePools) throw new Error(`${spec.target.cloud} has no node pools`);
  return spec.cluster.nodePools;
}

export type { SpecInput };
