import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureHelm, HELM } from "./helm-binary";

const ROOT = join(__dirname, "..", "..");

/**
 * Runs once before the suite: compiles the package (dist/, what `npm run synth` and
 * consumers run; incremental, so a no-op when nothing changed) and builds the Helm CLI
 * the chart tests use, if missing.
 */
export default function setup(): void {
  execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b", join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
  mkdirSync(dirname(HELM), { recursive: true });
  ensureHelm();
}
