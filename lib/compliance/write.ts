import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { frameworkReport, reportMarkdown, type ComplianceReport, type ReportInput } from "./report";
import { reportHtml } from "./report-html";

/**
 * What a report says about the deployment it was made from: its name and target, the
 * spec's path and the SHA-256 of its bytes as read (`sha256sum byoc.yaml` prints the same),
 * the kit's version.
 */
export function reportInputOf(spec: { readonly name: string; readonly target: { readonly cloud: string } }, source: string, specBytes: string | Buffer): ReportInput {
  return { deployment: spec.name, target: spec.target.cloud, source, specSha256: createHash("sha256").update(specBytes).digest("hex"), kitVersion: kitVersion() };
}

/** The kit's version, from its package.json (found above this file in the sources and in the package). */
function kitVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

/** Writes `<dir>/<framework>.{json,md,html}` for each framework of the report; returns the paths. */
export function writeComplianceReport(report: ComplianceReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return report.frameworks.flatMap((fw) => {
    const one = frameworkReport(report, fw.id);
    const files: [string, string][] = [
      [`${fw.id}.json`, `${JSON.stringify(one, null, 2)}\n`],
      [`${fw.id}.md`, reportMarkdown(one)],
      [`${fw.id}.html`, reportHtml(one)],
    ];
    return files.map(([name, text]) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    });
  });
}
