import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { reportOf } from "../../lib/cli/compliance-report";
import { CONTROLS } from "../../lib/compliance/frameworks";
import type { ComplianceReport } from "../../lib/compliance/report";
import { writeComplianceReport } from "../../lib/compliance/write";
import { loadSpec } from "../../lib/config/spec";
import { EXAMPLES_DIR } from "../support/synth";

const ROOT = join(__dirname, "..", "..");
const EXAMPLE = join(EXAMPLES_DIR, "azure", "byoc.yaml");
/** Where the browser's screenshot is kept for a person to look at. */
const SHOTS = join(ROOT, ".cache", "compliance-report");

/** Debian's chromium (.ci/run installs it). */
function chromium(): string {
  for (const bin of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(bin)) return bin;
  throw new Error("chromium is not installed: apt-get install -y chromium (.ci/run installs it)");
}

/** Runs headless Chromium on a file; root needs --no-sandbox. */
function browse(file: string, ...args: string[]): string {
  return execFileSync(chromium(), ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", ...args, `file://${file}`], { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
}

describe("the evidence report", () => {
  let report: ComplianceReport;
  let dir: string;
  beforeAll(async () => {
    report = await reportOf(loadSpec(EXAMPLE), "examples/azure/byoc.yaml", readFileSync(EXAMPLE));
    dir = mkdtempSync(join(tmpdir(), "byoc-report-"));
    writeComplianceReport(report, dir);
  });

  test("names the deployment, the spec it was made from (with its digest) and the date", () => {
    expect(report).toMatchObject({ deployment: "contoso", target: "azure", source: "examples/azure/byoc.yaml", kitVersion: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version });
    // The file's bytes, as `sha256sum examples/azure/byoc.yaml` prints them.
    expect(report.specSha256).toBe(createHash("sha256").update(readFileSync(EXAMPLE)).digest("hex"));
    expect(Date.now() - Date.parse(report.generatedAt)).toBeLessThan(10 * 60_000);
  });

  test("one JSON, Markdown and HTML file per framework of the spec", () => {
    expect(readdirSync(dir).sort()).toEqual(["gdpr", "iso27001", "soc2"].flatMap((f) => [`${f}.html`, `${f}.json`, `${f}.md`]));
  });

  test("every control of each framework is there, its summary adding up to the controls' statuses", () => {
    for (const fw of report.frameworks) {
      expect(fw.controls.map((c) => c.id)).toEqual(CONTROLS.filter((c) => c.framework === fw.id).map((c) => c.id));
      const counted = Object.fromEntries(Object.keys(fw.summary).map((s) => [s, fw.controls.filter((c) => c.status === s).length]));
      expect(fw.summary).toEqual(counted);
      expect(fw.summary.fail).toBe(0);
    }
  });

  test("evidence names the resources and the exact attributes: keys rotate yearly, the server takes TLS only", () => {
    const soc2 = report.frameworks.find((f) => f.id === "soc2")!;
    const rotation = soc2.controls.find((c) => c.reference === "CC6.1")!.checks.find((c) => c.id === "key-rotation")!;
    expect(rotation.counts.pass).toBeGreaterThanOrEqual(2);
    for (const f of rotation.findings) expect(f).toMatchObject({ stack: "contoso-azure-infra", status: "pass", evidence: "rotation_policy.automatic.time_after_creation=P365D" });
    const tls = soc2.controls.find((c) => c.reference === "CC6.7")!.checks[0].findings.find((f) => f.address.startsWith("azurerm_postgresql_flexible_server."));
    expect(tls).toMatchObject({ status: "pass", evidence: "require_secure_transport=on" });
  });

  test("an exemption is reported as suppressed, with its reason", () => {
    const gdpr = JSON.parse(readFileSync(join(dir, "gdpr.json"), "utf8")) as ComplianceReport;
    const residency = gdpr.frameworks[0].controls.find((c) => c.reference === "Art. 44")!;
    expect(residency.status).toBe("suppressed");
    const suppressed = residency.checks[0].findings.filter((f) => f.status === "suppressed");
    expect(suppressed.length).toBeGreaterThan(0);
    for (const f of suppressed) expect(f).toMatchObject({ evidence: "location=global", reason: expect.stringContaining("holds configuration, not the deployment's data") });
  });

  test("Markdown: the summary table and a row per finding", () => {
    const md = readFileSync(join(dir, "soc2.md"), "utf8");
    const soc2 = report.frameworks.find((f) => f.id === "soc2")!;
    expect(md).toContain(`| pass | ${soc2.summary.pass} |\n| FAIL | 0 |`);
    const rows = md.split("\n").filter((l) => /^\| [a-z-]+ \| `/.test(l));
    expect(rows).toHaveLength(soc2.controls.flatMap((c) => c.checks.flatMap((k) => k.findings)).length);
  });

  test("HTML renders in Chromium: the page's summary counts and finding rows match the JSON, and a screenshot is made", () => {
    mkdirSync(SHOTS, { recursive: true });
    for (const framework of ["soc2", "gdpr"]) {
      const html = join(dir, `${framework}.html`);
      const json = JSON.parse(readFileSync(join(dir, `${framework}.json`), "utf8")) as ComplianceReport;
      const dom = browse(html, "--dump-dom");
      const counts = Object.fromEntries([...dom.matchAll(/data-status="([a-z-]+)" data-count="(\d+)"/g)].map((m) => [m[1], Number(m[2])]));
      expect(counts).toEqual(json.frameworks[0].summary);
      const findings = json.frameworks[0].controls.flatMap((c) => c.checks.flatMap((k) => k.findings));
      expect([...dom.matchAll(/<tr class="finding" data-status="([a-z]+)">/g)].map((m) => m[1])).toEqual(findings.map((f) => f.status));
      expect(dom).toContain(`<title>Compliance evidence: contoso (azure)</title>`);

      const shot = join(SHOTS, `contoso-azure-${framework}.png`);
      browse(html, `--screenshot=${shot}`, "--window-size=1280,2400");
      expect(readFileSync(shot).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      // A blank page compresses to a few kilobytes; text, badges and tables do not.
      expect(statSync(shot).size).toBeGreaterThan(50_000);
    }
  });
});

test("the UDP node tier's audit sink evidences the audit trail (examples/gcp)", async () => {
  const file = join(EXAMPLES_DIR, "gcp", "byoc.yaml");
  const report = await reportOf(loadSpec(file), "examples/gcp/byoc.yaml", readFileSync(file));
  const trail = report.frameworks.find((f) => f.id === "hipaa")!.controls.find((c) => c.reference === "§164.312(b)")!.checks.find((c) => c.id === "audit-trail")!;
  expect(trail.findings.map((f) => [f.status, f.evidence])).toEqual([
    ["pass", "hash-chained PostgreSQL ledger, append-only for the application, verified daily; retentionMonths=84 (at least 72)"],
    ["pass", "secure-node events to syslog 192.168.16.40:6514 over TLS (RFC 5425)"],
  ]);
});

describe("npm run compliance-report", () => {
  const cli = join(ROOT, "dist", "lib", "cli", "main.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, "compliance-report", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, BYOC_CONFIG: "" }, timeout: 300_000 });

  test("writes each framework's files for a spec and exits 0 when no control fails", () => {
    const out = mkdtempSync(join(tmpdir(), "byoc-report-cli-"));
    const result = run("--config", "examples/gcp/byoc.yaml", "--out", out);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^globex-gcp hipaa {4}6 pass, 0 fail, 0 partial, 0 suppressed, 0 not evidenced\nglobex-gcp soc2 {5}5 pass, 0 fail, 0 partial, 0 suppressed, 0 not evidenced\n {2}wrote 6 files to /);
    expect(readdirSync(join(out, "globex-gcp")).sort()).toEqual(["hipaa.html", "hipaa.json", "hipaa.md", "soc2.html", "soc2.json", "soc2.md"]);
  });

  test("--framework applies the profile's rules to the spec: a contradiction is the spec error, exit 2", () => {
    const result = run("--config", "examples/aws-production/byoc.yaml", "--framework", "gdpr", "--out", mkdtempSync(join(tmpdir(), "byoc-report-cli-")));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^examples\/aws-production\/byoc\.yaml has \d+ problems:\n {2}- target\.region: is outside the EU\/EEA, the UK and Switzerland/);
  });

  test("a missing spec file is a spec error, exit 2", () => {
    const missing = run("--config", "deployments/nowhere/byoc.yaml");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^deployments\/nowhere\/byoc\.yaml has 1 problem:\n {2}- /);
  });

  test("an unknown framework and a spec without frameworks are refused, exit 2", () => {
    const unknown = run("--config", "examples/gcp/byoc.yaml", "--framework", "pci");
    expect([unknown.status, unknown.stderr.trim()]).toEqual([2, "--framework pci: not a framework; use soc2, hipaa, gdpr, iso27001"]);
    const none = run("--config", "examples/onprem/byoc.yaml");
    expect([none.status, none.stderr.trim()]).toEqual([2, "examples/onprem/byoc.yaml declares no compliance frameworks: add compliance: [soc2, hipaa, gdpr, iso27001] (any of them) to the spec, or pass --framework"]);
  });
});
