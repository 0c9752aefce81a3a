import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Prometheus's promtool, which checks the shipped rule files and runs their unit tests:
 * built once from the Go module proxy into .cache/bin, as the Helm CLI is. Prometheus
 * 3.x publishes its Go module as v0.3xx (v3.16 is v0.316.0).
 */
export const PROMTOOL_VERSION = "v0.316.0";
const ROOT = join(__dirname, "..", "..");
export const PROMTOOL = join(ROOT, ".cache", "bin", `promtool-${PROMTOOL_VERSION}`);

export function ensurePromtool(): string {
  if (existsSync(PROMTOOL)) return PROMTOOL;
  mkdirSync(dirname(PROMTOOL), { recursive: true });
  const gobin = join(ROOT, ".cache", "gobin");
  const built = join(gobin, "promtool");
  try {
    execFileSync("go", ["install", `github.com/prometheus/prometheus/cmd/promtool@${PROMTOOL_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
      stdio: "inherit",
    });
  } catch (e) {
    throw new Error(`the rule tests run promtool ${PROMTOOL_VERSION}, built with Go (go install github.com/prometheus/prometheus/cmd/promtool): ${(e as Error).message}`);
  }
  renameSync(built, PROMTOOL);
  return PROMTOOL;
}
