import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TARGET_CLOUDS, defaultSpec } from "../../lib/config/defaults";
import { loadSpec, parseSpec, type DeploymentSpec } from "../../lib/config/spec";
import { ensureCheckov, scanTerraformJson, type CheckovResult, type CheckovScan } from "../support/checkov";
import { exampleSpecs, synthSpec } from "../support/synth";
import { CATEGORIES, categoryOf, loadAllowlist, review, type AllowlistEntry, type Finding } from "./allowlist";

/**
 * The security scanner gate: checkov over every stack of the embedded default
 * deployment (each target) and of every example, in one process. A failed check must be
 * accepted in security/checkov-allowlist.yaml with its reason; an entry that accepts
 * nothing any more must go.
 */
const ALLOWLIST = join(__dirname, "..", "..", "security", "checkov-allowlist.yaml");

interface Deployment {
  /** Directory name in the scan, and how failures name the deployment. */
  readonly label: string;
  readonly spec: DeploymentSpec;
}

const deployments: Deployment[] = [
  ...TARGET_CLOUDS.map((c) => ({ label: `default-${c}`, spec: parseSpec(defaultSpec(c)) })),
  ...exampleSpecs().map(({ name, path }) => ({ label: `examples-${name}`, spec: loadSpec(path) })),
];

/** A scanned file: which deployment and stack it is, and its blocks by name. */
interface ScannedStack {
  readonly deployment: string;
  readonly cloud: string;
  readonly stack: string;
  /** Block name (cdktf's logical id) to its address, `type.name` or `data.type.name`. */
  readonly addresses: Map<string, string>;
}

let dir: string;
let scan: CheckovScan;
const stacks = new Map<string, ScannedStack>();

beforeAll(async () => {
  const python = ensureCheckov();
  dir = mkdtempSync(join(tmpdir(), "byoc-checkov-"));
  const root = join(dir, "stacks");
  for (const { label, spec } of deployments) {
    for (const s of Object.values(await synthSpec(spec))) {
      const file = `${label}/${s.name}/cdk.tf.json`;
      mkdirSync(join(root, label, s.name), { recursive: true });
      // Indented as cdktf writes it: checkov's report carries each block's lines.
      writeFileSync(join(root, file), JSON.stringify(s.json, null, 2));
      stacks.set(file, { deployment: label, cloud: spec.target.cloud, stack: s.name, addresses: addressesOf(s.json) });
    }
  }
  scan = scanTerraformJson(python, root);
}, 20 * 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function addressesOf(json: Record<string, any>): Map<string, string> {
  const addresses = new Map<string, string>();
  for (const [section, prefix] of [["resource", ""], ["data", "data."]] as const) {
    for (const [type, byName] of Object.entries<Record<string, unknown>>(json[section] ?? {})) {
      for (const name of Object.keys(byName)) addresses.set(name, `${prefix}${type}.${name}`);
    }
  }
  return addresses;
}

function stackOf(r: { file: string }): ScannedStack {
  const s = stacks.get(r.file);
  if (!s) throw new Error(`checkov reported ${r.file}, which the test did not write`);
  return s;
}

/** checkov names a terraform_json block `resource.<name>` or `data.<name>`: the stack's JSON gives its type back. */
function findingOf(r: CheckovResult): Finding {
  const s = stackOf(r);
  const name = r.resource.slice(r.resource.lastIndexOf(".") + 1);
  return { checkId: r.checkId, checkName: r.checkName, stack: s.stack, address: s.addresses.get(name) ?? r.resource };
}

const describeEntry = (e: AllowlistEntry) => `${e.check} ${e.resource}${e.stacks ? ` in ${e.stacks.join(", ")}` : ""}: ${e.reason}`;

describe("checkov over every synthesized stack", () => {
  test("scans every stack of every deployment and evaluates checks in each", () => {
    const evaluated = new Set([...scan.passed, ...scan.failed].map((r) => r.file));
    expect([...stacks.keys()].filter((f) => !evaluated.has(f))).toEqual([]);
    expect(new Set([...stacks.values()].map((s) => s.deployment))).toEqual(new Set(deployments.map((d) => d.label)));
  });

  test("every failed check is accepted in security/checkov-allowlist.yaml", () => {
    const { unlisted } = review(loadAllowlist(ALLOWLIST), scan.failed.map(findingOf));
    const lines = unlisted.map((f) => `${f.checkId} ${f.stack} ${f.address}: ${f.checkName}`);
    expect(lines, "fix the resource, or add a reviewed entry with its reason").toEqual([]);
  });

  test("every allowlist entry still accepts a failure", () => {
    const { stale } = review(loadAllowlist(ALLOWLIST), scan.failed.map(findingOf));
    expect(stale.map(describeEntry), "remove entries that accept nothing any more").toEqual([]);
  });

  test("reports the pass rate per cloud", () => {
    const byCloud = new Map<string, { passed: number; failed: number }>();
    for (const [results, key] of [[scan.passed, "passed"], [scan.failed, "failed"]] as const) {
      for (const r of results) {
        const cloud = stackOf(r).cloud;
        const counts = byCloud.get(cloud) ?? { passed: 0, failed: 0 };
        counts[key]++;
        byCloud.set(cloud, counts);
      }
    }
    const entries = loadAllowlist(ALLOWLIST);
    const categories = CATEGORIES.map((c) => `${entries.filter((e) => categoryOf(e) === c).length} ${c}`);
    console.log(
      [
        `checkov: ${stacks.size} stacks of ${deployments.length} deployments; allowlist: ${entries.length} entries (${categories.join(", ")})`,
        ...[...byCloud].map(([cloud, { passed, failed }]) => `  ${cloud.padEnd(7)} ${passed} of ${passed + failed} checks pass (${((100 * passed) / (passed + failed)).toFixed(1)} %)`),
        // A check that raised gave no verdict: neither counted nor gated; shown so it is not forgotten.
        ...[...new Set(scan.crashed.map((c) => c.checkId))].map((id) => {
          const on = scan.crashed.filter((c) => c.checkId === id);
          return `  checkov could not run ${id} (a checkov bug) on ${on.length} blocks, e.g. ${stackOf(on[0]).stack} ${on[0].resource}`;
        }),
      ].join("\n"),
    );
    expect([...byCloud.keys()].sort()).toEqual([...new Set(deployments.map((d) => d.spec.target.cloud))].sort());
  });
});
