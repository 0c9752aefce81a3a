import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { ALERTMANAGER_VERSION } from "../../lib/observability/alertmanager";

/**
 * Alertmanager's CLI at the version the kit runs, for `amtool check-config` and
 * `amtool config routes test` on the rendered config: built once from the Go module
 * proxy into .cache/bin, as the Helm CLI is.
 */
const ROOT = join(__dirname, "..", "..");
export const AMTOOL = join(ROOT, ".cache", "bin", `amtool-${ALERTMANAGER_VERSION}`);

export function ensureAmtool(): string {
  if (existsSync(AMTOOL)) return AMTOOL;
  const gobin = join(ROOT, ".cache", "gobin");
  try {
    execFileSync("go", ["install", `github.com/prometheus/alertmanager/cmd/amtool@${ALERTMANAGER_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
      stdio: "inherit",
    });
  } catch (e) {
    throw new Error(`the Alertmanager config is checked with amtool ${ALERTMANAGER_VERSION}, built with Go (go install github.com/prometheus/alertmanager/cmd/amtool): ${(e as Error).message}`);
  }
  mkdirSync(dirname(AMTOOL), { recursive: true });
  renameSync(join(gobin, "amtool"), AMTOOL);
  return AMTOOL;
}
