import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { requireBuild } from "../support/build";

const ROOT = join(__dirname, "..", "..");

/** Runs the cdktf app as `npm run synth` does (compiled, built by the test setup), in a scratch output directory. */
function run(config?: string) {
  const outdir = mkdtempSync(join(tmpdir(), "byoc-main-"));
  const env = { ...process.env, CDKTF_OUTDIR: outdir, BYOC_CONFIG: config };
  if (!config) delete env.BYOC_CONFIG;
  const result = spawnSync(process.execPath, [join(ROOT, "dist", "main.js")], { cwd: ROOT, env, encoding: "utf8" });
  return { ...result, outdir };
}

describe("dist/main.js, the cdktf app", () => {
  beforeAll(requireBuild);
  test("without a spec: the embedded default for every target, with a summary", () => {
    const { status, stdout, outdir } = run();
    expect(status).toBe(0);
    const stacks = ["byoc-aws-infra", "byoc-aws-platform", "byoc-azure-infra", "byoc-azure-platform", "byoc-gcp-infra", "byoc-gcp-platform", "byoc-onprem-platform"];
    for (const s of stacks) {
      expect(existsSync(join(outdir, "stacks", s, "cdk.tf.json")), s).toBe(true);
      expect(stdout).toMatch(new RegExp(`${s}\\s+\\d+ resources`));
    }
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual([...stacks].sort());
  });

  test("BYOC_CONFIG synthesizes that spec only", () => {
    const { status, outdir } = run(join(ROOT, "examples", "gcp", "byoc.yaml"));
    expect(status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(["globex-gcp-infra", "globex-gcp-platform"]);
  });

  test("a spec with mistakes prints every mistake and exits non-zero, without a stack trace", () => {
    const path = join(mkdtempSync(join(tmpdir(), "byoc-bad-")), "byoc.yaml");
    writeFileSync(path, "name: Acme\ntier: huge\ntarget: { cloud: aws, region: us-west-2 }\nnetwork: { cidr: 10.0.0.0/28 }\n");
    const { status, stderr, stdout } = run(path);
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toEqual([
      `${path} has 3 problems:`,
      expect.stringMatching(/^ {2}- name: /),
      expect.stringMatching(/^ {2}- tier: /),
      expect.stringMatching(/^ {2}- network\.cidr: a \/28 network is too small/),
    ]);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
