import { controlStatus, type ComplianceAspect, type ControlStatus } from "./aspect";
import { CHECKS, FRAMEWORK_NAMES, type CheckId, type Framework, type Minimums } from "./frameworks";

/**
 * The evidence report of one deployment: per framework, each control's status and, per
 * check, the resources and the exact attributes that satisfy (or fail) it. JSON is the
 * record; Markdown and HTML (report-html.ts) render the same object.
 */
export interface ComplianceReport {
  readonly deployment: string;
  readonly target: string;
  /** ISO 8601, when the report was made. */
  readonly generatedAt: string;
  /** The spec it was made from: a path, or the embedded default. */
  readonly source: string;
  /** SHA-256 of the validated spec (JSON), so the report can be matched to a spec version. */
  readonly specSha256: string;
  readonly kitVersion: string;
  readonly minimums: Minimums;
  readonly frameworks: readonly FrameworkReport[];
}

export type FindingStatus = "pass" | "fail" | "suppressed";
export type Summary = Record<ControlStatus, number>;

export interface FrameworkReport {
  readonly id: Framework;
  readonly name: string;
  /** Controls per status. */
  readonly summary: Summary;
  readonly controls: readonly ControlReport[];
}

export interface ControlReport {
  readonly id: string;
  readonly reference: string;
  readonly title: string;
  readonly status: ControlStatus;
  readonly checks: readonly CheckReport[];
}

export interface CheckReport {
  readonly id: CheckId;
  readonly statement: string;
  readonly status: ControlStatus;
  /** Findings per status. */
  readonly counts: Record<FindingStatus, number>;
  readonly findings: readonly { readonly stack: string; readonly address: string; readonly status: FindingStatus; readonly evidence: string; readonly reason?: string }[];
}

export interface ReportInput {
  readonly deployment: string;
  readonly target: string;
  readonly source: string;
  readonly specSha256: string;
  readonly kitVersion: string;
  /** @default now */
  readonly generatedAt?: Date;
}

const STATUSES: readonly ControlStatus[] = ["pass", "fail", "partial", "suppressed", "not-evidenced"];

function statusOf(counts: Record<FindingStatus, number>): ControlStatus {
  return counts.fail ? "fail" : counts.suppressed ? "suppressed" : counts.pass ? "pass" : "not-evidenced";
}

/** The report of the stacks an aspect checked (after synth). */
export function complianceReport(aspect: ComplianceAspect, input: ReportInput): ComplianceReport {
  const findings = aspect.stackFindings().flatMap(({ stack, findings: list }) => list.map((f) => ({ ...f, stack })));
  const frameworks = aspect.frameworks.map((framework): FrameworkReport => {
    const controls = aspect.controls
      .filter((c) => c.framework === framework)
      .map((control): ControlReport => {
        const checks = control.checks.map((check): CheckReport => {
          const mine = findings
            .filter((f) => f.check === check)
            .map((f) => ({ stack: f.stack, address: f.address, status: (f.pass ? "pass" : f.suppressed ? "suppressed" : "fail") as FindingStatus, evidence: f.evidence, ...(f.suppressed ? { reason: f.suppressed } : {}) }));
          const counts = { pass: 0, fail: 0, suppressed: 0 };
          for (const f of mine) counts[f.status]++;
          return { id: check, statement: CHECKS[check], status: statusOf(counts), counts, findings: mine };
        });
        return { id: control.id, reference: control.reference, title: control.title, status: controlStatus(checks.map((c) => c.status)), checks };
      });
    const summary = Object.fromEntries(STATUSES.map((s) => [s, controls.filter((c) => c.status === s).length])) as Summary;
    return { id: framework, name: FRAMEWORK_NAMES[framework], summary, controls };
  });
  return {
    deployment: input.deployment,
    target: input.target,
    generatedAt: (input.generatedAt ?? new Date()).toISOString(),
    source: input.source,
    specSha256: input.specSha256,
    kitVersion: input.kitVersion,
    minimums: aspect.minimums,
    frameworks,
  };
}

/** The report of one framework (the files are written per framework). */
export function frameworkReport(report: ComplianceReport, framework: Framework): ComplianceReport {
  return { ...report, frameworks: report.frameworks.filter((f) => f.id === framework) };
}

export const STATUS_TEXT: Record<ControlStatus | FindingStatus, string> = {
  pass: "pass",
  fail: "FAIL",
  partial: "partly evidenced (the rest is the operator's)",
  suppressed: "suppressed",
  "not-evidenced": "not evidenced by the infrastructure (the operator's)",
};

/** Markdown: a summary table, then each control with its checks and findings. */
export function reportMarkdown(report: ComplianceReport): string {
  // Markdown renderers take <…> for HTML (and drop it): evidence such as <unset> is escaped.
  const cell = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [
    `# Compliance evidence: ${report.deployment} (${report.target})`,
    "",
    `Generated ${report.generatedAt} by cdktf-byoc ${report.kitVersion} from ${report.source} (spec SHA-256 ${report.specSha256}).`,
    `Minimums applied: audit events kept ${report.minimums.auditRetentionMonths} months, backups ${report.minimums.backupDays} days, logs searchable ${report.minimums.logRetentionDays} days.`,
    "",
  ];
  for (const fw of report.frameworks) {
    lines.push(`## ${fw.name}`, "", "| Status | Controls |", "|---|---|", ...STATUSES.map((s) => `| ${STATUS_TEXT[s]} | ${fw.summary[s]} |`), "");
    for (const c of fw.controls) {
      lines.push(`### ${c.reference}: ${c.title}`, "", `Status: **${STATUS_TEXT[c.status]}**`, "");
      for (const check of c.checks) {
        lines.push(`- **${check.statement}** (${check.id}): ${check.counts.pass} pass, ${check.counts.fail} fail, ${check.counts.suppressed} suppressed`);
      }
      const findings = c.checks.flatMap((check) => check.findings.map((f) => ({ ...f, check: check.id })));
      if (findings.length) {
        lines.push("", "| Check | Resource | Status | Evidence |", "|---|---|---|---|");
        for (const f of findings) lines.push(`| ${f.check} | \`${cell(f.address)}\` (${f.stack}) | ${STATUS_TEXT[f.status]} | ${cell(f.evidence)}${f.reason ? ` — ${cell(f.reason)}` : ""} |`);
      }
      lines.push("");
    }
  }
  return `${lines.join("\n")}\n`;
}
