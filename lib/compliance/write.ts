import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { frameworkReport, reportMarkdown, type ComplianceReport } from "./report";
import { reportHtml } from "./report-html";

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
