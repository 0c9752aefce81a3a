import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureHelm, HELM } from "./helm-binary";
import { ensureAmtool } from "./amtool";
import { ensureAnvil } from "./evm-node";
import { ensurePromtool } from "./promtool";

const ROOT = join(__dirname, "..", "..");

declare module "vitest" {
  export interface ProvidedContext {
    /** Why dist/ could not be built ("" when it was); tests of compiled code fail with it. */
    buildError: string;
  }
}

/**
 * Runs once before the suite: compiles the package (dist/, what `npm run synth` and
 * consumers run; incremental, so a no-op when nothing changed) and builds the Helm CLI
 * (chart tests), promtool (rule tests), amtool (Alertmanager config tests) and fetches
 * anvil (anchoring tests, a local EVM node), if missing. A failed compile fails only the tests that run dist/
 * (`requireBuild`); the type errors themselves fail `npm test`'s type-check first.
 */
export default function setup(project: TestProject): void {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", join(ROOT, "tsconfig.build.json")], { encoding: "utf8" });
  // The anchoring job's program, one bundled file its ConfigMap carries (npm run build does the same).
  const bundle = build.status === 0 ? spawnSync(process.execPath, [join(ROOT, "dist", "lib", "audit", "anchor", "bundle.js")], { encoding: "utf8" }) : build;
  project.provide(
    "buildError",
    build.status !== 0 ? `tsc -b tsconfig.build.json failed:\n${build.stdout}${build.stderr}` : bundle.status !== 0 ? `the anchor bundle failed:\n${bundle.stdout}${bundle.stderr}` : "",
  );
  mkdirSync(dirname(HELM), { recursive: true });
  ensureHelm();
  ensurePromtool();
  ensureAmtool();
  ensureAnvil();
}
