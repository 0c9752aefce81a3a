import { z } from "zod";
import { CONTROLS, FRAMEWORKS, GDPR_REGIONS, isGdprRegion, minimumsOf, strictest, type Framework, type Minimums } from "../compliance/frameworks";
import { oneOf } from "./fields";
import { retentionMonths } from "./audit";

/**
 * The spec's `compliance`: the frameworks the deployment must satisfy. A profile raises
 * defaults the user left unset (`complianceDefaults`), refuses settings that contradict
 * it (`validateCompliance`, each error naming the control), and has its controls
 * checked over the synthesized stacks (lib/compliance).
 */
export const Compliance = z
  .array(oneOf(FRAMEWORKS))
  .default([])
  .describe(`Frameworks the deployment must satisfy: ${FRAMEWORKS.join(", ")}. Raises defaults, refuses contradicting settings and checks every stack at synth. Default: none`);

const NAMES: Record<Framework, string> = { soc2: "SOC 2", hipaa: "HIPAA", gdpr: "GDPR", iso27001: "ISO 27001" };

/** "SOC 2 A1.2, HIPAA §164.312(c)(1)": the controls of `frameworks` that evidence `check`. */
function controlsFor(frameworks: readonly Framework[], check: string): string {
  return CONTROLS.filter((c) => frameworks.includes(c.framework) && (c.checks as readonly string[]).includes(check))
    .map((c) => `${NAMES[c.framework]} ${c.reference}`)
    .join(", ");
}

interface Loose {
  compliance?: unknown;
  target?: { cloud?: string; region?: string };
  state?: { backend?: string; region?: string };
  dns?: { domain?: string; queryLogs?: unknown };
  data?: { protection?: unknown; postgres?: { backupDays?: unknown }; disasterRecovery?: { crossRegionBackups?: unknown; region?: unknown } };
  network?: { flowLogRetentionDays?: unknown };
  observability?: { logs?: { retentionDays?: unknown } };
  audit?: { type?: unknown; database?: { retention?: unknown } };
  secureNodes?: { enabled?: unknown; auditSink?: unknown };
}

/** The frameworks a spec declares, when it declares them well; [] otherwise (the field-level parse reports the rest). */
function frameworksOf(spec: Loose): Framework[] {
  const list = spec.compliance;
  return Array.isArray(list) ? [...new Set(list.filter((f): f is Framework => (FRAMEWORKS as readonly unknown[]).includes(f)))] : [];
}

/**
 * The spec with the profiles' raised defaults filled in where the user wrote nothing:
 * logs kept searchable for the frameworks' minimum. Applied before validation, so an
 * explicit value below the minimum is still refused with the control that needs more.
 */
export function complianceDefaults(input: unknown): unknown {
  if (typeof input !== "object" || input === null) return input;
  const spec = input as Loose;
  const frameworks = frameworksOf(spec);
  const { logRetentionDays } = minimumsOf(frameworks);
  const observability = spec.observability;
  if (!logRetentionDays || (observability !== undefined && (typeof observability !== "object" || observability === null))) return input;
  const logs = observability?.logs;
  if (logs !== undefined && (typeof logs !== "object" || logs === null || logs.retentionDays !== undefined)) return input;
  return { ...spec, observability: { ...observability, logs: { ...logs, retentionDays: logRetentionDays } } };
}

type Issue = (path: (string | number)[], message: string) => void;

/** What each declared framework refuses, at the field that contradicts it. */
export function validateCompliance(input: unknown, addIssue: z.RefinementCtx["addIssue"]): void {
  const spec = input as Loose;
  const frameworks = frameworksOf(spec);
  if (frameworks.length === 0) return;
  const issue: Issue = (path, message) => addIssue({ code: "custom", path, message });
  const min = minimumsOf(frameworks);
  const by = (key: keyof Minimums) => strictest(frameworks, key).map((f) => NAMES[f]).join(" and ");
  const declared = `compliance ${frameworks.join(", ")}`;

  if (spec.data?.protection === "disabled") {
    issue(["data", "protection"], `must stay enabled with ${declared} (${controlsFor(frameworks, "deletion-protection")}): stateful resources must refuse deletion`);
  }
  if (spec.audit === undefined) {
    issue(["audit"], `required with ${declared} (${controlsFor(frameworks, "audit-trail")}): add audit: { type: database } (on data.postgres) or a blockchain backend`);
  } else if ((spec.audit.type ?? "database") === "database" && typeof spec.audit.database?.retention === "string" && /^\d+-(days|months|years)$/.test(spec.audit.database.retention)) {
    const months = retentionMonths(spec.audit.database.retention);
    if (months < min.auditRetentionMonths) {
      issue(["audit", "database", "retention"], `keeps events ${months} months; with ${by("auditRetentionMonths")} they are kept at least ${min.auditRetentionMonths} (${controlsFor(strictest(frameworks, "auditRetentionMonths"), "audit-trail")}), e.g. "${min.auditRetentionMonths % 12 === 0 ? `${min.auditRetentionMonths / 12}-years` : `${min.auditRetentionMonths}-months`}"`);
    }
  }
  if (spec.secureNodes?.enabled === true && spec.secureNodes.auditSink === undefined) {
    issue(["secureNodes", "auditSink"], `required with ${declared} (${controlsFor(frameworks, "audit-trail")}): the nodes' security events go to your SIEM, { syslog: <host:port>, cidrs: [...] }`);
  }
  const logDays = spec.observability?.logs?.retentionDays;
  if (typeof logDays === "number" && logDays < min.logRetentionDays) {
    issue(["observability", "logs", "retentionDays"], `with ${by("logRetentionDays")} logs stay searchable at least ${min.logRetentionDays} days (${controlsFor(strictest(frameworks, "logRetentionDays"), "control-plane-logs")}; the kit's minimum for incident review); leave it unset for ${min.logRetentionDays}`);
  }
  const flowDays = spec.network?.flowLogRetentionDays;
  if (typeof flowDays === "number" && flowDays < min.logRetentionDays) {
    issue(["network", "flowLogRetentionDays"], `with ${by("logRetentionDays")} flow logs are kept at least ${min.logRetentionDays} days (${controlsFor(frameworks, "flow-logs")})`);
  }
  if (frameworks.includes("gdpr")) validateResidency(spec, issue);
}

/** GDPR Art. 44: every region the deployment writes personal data to, and its state, stays in the EU/EEA or an adequate country. */
function validateResidency(spec: Loose, issue: Issue): void {
  const cloud = spec.target?.cloud;
  if (cloud !== "aws" && cloud !== "azure" && cloud !== "gcp") return;
  const allowed = GDPR_REGIONS[cloud].join(", ");
  const outside = (region: unknown): region is string => typeof region === "string" && !isGdprRegion(cloud, region);
  const why = "is outside the EU/EEA, the UK and Switzerland, the regions the kit accepts for GDPR (Art. 44: elsewhere a transfer needs an adequacy decision or safeguards the kit cannot check)";
  if (outside(spec.target?.region)) issue(["target", "region"], `${why}; use one of ${allowed}`);
  const dr = spec.data?.disasterRecovery;
  if (dr && dr.crossRegionBackups !== false) {
    // Azure copies to the region's pair, which for every allowed region is allowed too.
    if (outside(dr.region)) issue(["data", "disasterRecovery", "region"], `${why}; copy backups to one of ${allowed}`);
  }
  if (spec.state?.backend === "s3" && outside(spec.state.region)) issue(["state", "region"], `${why}: Terraform state holds the deployment's configuration; use one of ${allowed}`);
  if (cloud === "aws" && typeof spec.dns?.domain === "string" && spec.dns.queryLogs !== false) {
    issue(["dns", "queryLogs"], "Route 53 writes a public zone's query logs (with client subnets) only to us-east-1, outside the EU/EEA (GDPR Art. 44): set dns.queryLogs: false, or keep the domain's zone elsewhere");
  }
}
