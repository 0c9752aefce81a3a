import { STATUS_TEXT, type ComplianceReport } from "./report";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #d0d7de;padding-bottom:.3rem}h3{font-size:1.05rem;margin:1.6rem 0 .4rem}
.meta{color:#57606a}.summary{display:flex;gap:.75rem;margin:1rem 0}
.summary div{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:7rem}.summary b{display:block;font-size:1.4rem}
.status{font-weight:600;border-radius:4px;padding:0 .4rem}.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}
.suppressed{background:#fff8c5;color:#7d4e00}.partial{background:#ddf4ff;color:#0a3069}.not-evidenced{background:#eaeef2;color:#424a53}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
td code{word-break:break-all}details{margin:.3rem 0}
@media print{details>summary{list-style:none}section.control{break-inside:avoid-page}}`;

/**
 * The report as one self-contained HTML page (no script, no external resource), for an
 * auditor: a summary per framework, then each control with its checks and the
 * resources that evidence them. Summary counts carry `data-status`/`data-count`.
 */
export function reportHtml(report: ComplianceReport): string {
  const badge = (status: keyof typeof STATUS_TEXT) => `<span class="status ${status}">${escape(STATUS_TEXT[status])}</span>`;
  const frameworks = report.frameworks.map((fw) => {
    const summary = (Object.keys(fw.summary) as (keyof typeof fw.summary)[])
      .map((s) => `<div class="${s}" data-status="${s}" data-count="${fw.summary[s]}"><b>${fw.summary[s]}</b>${escape(STATUS_TEXT[s])}</div>`)
      .join("");
    const controls = fw.controls.map((c) => {
      const checks = c.checks
        .map((check) => {
          const rows = check.findings
            .map((f) => `<tr class="finding" data-status="${f.status}"><td><code>${escape(f.address)}</code><br><small>${escape(f.stack)}</small></td><td>${badge(f.status)}</td><td>${escape(f.evidence)}${f.reason ? `<br><em>${escape(f.reason)}</em>` : ""}</td></tr>`)
            .join("");
          // Open, so the page prints with its evidence; a reader folds what they have seen.
          return `<details open><summary>${badge(check.status)} ${escape(check.statement)} <small>(${check.id}: ${check.counts.pass} pass, ${check.counts.fail} fail, ${check.counts.suppressed} suppressed)</small></summary>${rows ? `<table><thead><tr><th>Resource</th><th>Status</th><th>Evidence</th></tr></thead><tbody>${rows}</tbody></table>` : "<p>No resource of this deployment evidences it.</p>"}</details>`;
        })
        .join("");
      return `<section class="control" data-control="${escape(c.id)}" data-status="${c.status}"><h3>${badge(c.status)} ${escape(c.reference)}: ${escape(c.title)}</h3>${checks}</section>`;
    });
    return `<section class="framework" data-framework="${fw.id}"><h2>${escape(fw.name)}</h2><div class="summary">${summary}</div>${controls.join("")}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Compliance evidence: ${escape(report.deployment)} (${escape(report.target)})</title><style>${STYLE}</style></head>
<body><h1>Compliance evidence: ${escape(report.deployment)} (${escape(report.target)})</h1>
<p class="meta">Generated ${escape(report.generatedAt)} by cdktf-byoc ${escape(report.kitVersion)} from ${escape(report.source)}; spec SHA-256 <code>${escape(report.specSha256)}</code>.<br>
Minimums applied: audit events kept ${report.minimums.auditRetentionMonths} months, backups ${report.minimums.backupDays} days, logs searchable ${report.minimums.logRetentionDays} days.
Controls marked “not evidenced” and the policies, people and processes of each framework are the operator's to show.</p>
${frameworks.join("\n")}
</body></html>
`;
}
