import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { reportOf } from "../../lib/cli/compliance-report";
import { FRAMEWORKS, type Framework } from "../../lib/compliance/frameworks";
import { reportHtml } from "../../lib/compliance/report-html";
import { readSpecFile } from "../../lib/config/load";
import { parseSpec, SpecError, type DeploymentSpec } from "../../lib/config/spec";
import { exampleSpecs } from "../support/synth";

/** What a contradiction error names: the framework or the control. */
const CONTRADICTION = /compliance|GDPR|SOC 2|HIPAA|ISO 27001/;

/**
 * Every example under each framework: the spec is either refused with the framework's
 * contradictions only, or synthesizes with no failing control and a report whose HTML,
 * rendered by Chromium, shows the JSON's counts. The accepted frameworks are checked in
 * one synth per example (the controls of several frameworks are checked side by side).
 */
describe.each(exampleSpecs().map((e) => [e.name, e.path]))("examples/%s", (_, path) => {
  const input = readSpecFile(path).data as Record<string, unknown>;
  const outcomes = FRAMEWORKS.map((framework) => {
    try {
      return { framework, spec: parseSpec({ ...input, compliance: [framework] }) };
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      return { framework, problems: e.problems };
    }
  });

  test("each framework either accepts the spec or refuses it only for what contradicts the framework", () => {
    for (const o of outcomes) for (const p of o.problems ?? []) expect(p, `${o.framework}: ${p}`).toMatch(CONTRADICTION);
  });

  const accepted = outcomes.filter((o): o is { framework: Framework; spec: DeploymentSpec } => o.spec !== undefined).map((o) => o.framework);
  test(`with the frameworks it accepts (${accepted.join(", ") || "none"}): no control fails, and the rendered report shows the JSON's counts`, async () => {
    // An example every framework refuses (a throwaway deployment, no audit backend) has nothing to synthesize.
    if (accepted.length === 0) return expect(outcomes.every((o) => o.problems?.length)).toBe(true);
    const spec = parseSpec({ ...input, compliance: accepted });
    const report = await reportOf(spec, relative(process.cwd(), path), readFileSync(path));
    for (const fw of report.frameworks) expect(fw.summary.fail, `${fw.id}: ${JSON.stringify(fw.controls.filter((c) => c.status === "fail").map((c) => c.id))}`).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), "byoc-example-report-")), "report.html");
    writeFileSync(file, reportHtml(report));
    const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
    if (!chromium) throw new Error("chromium is not installed: apt-get install -y chromium (.ci/run installs it)");
    const dom = execFileSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
    const sections = [...dom.matchAll(/<section class="framework" data-framework="([a-z0-9]+)">(.*?)<section class="control"/gs)].map((m) => ({
      id: m[1],
      counts: Object.fromEntries([...m[2].matchAll(/data-status="([a-z-]+)" data-count="(\d+)"/g)].map((c) => [c[1], Number(c[2])])),
    }));
    expect(sections).toEqual(report.frameworks.map((fw) => ({ id: fw.id, counts: fw.summary })));
  });
});
