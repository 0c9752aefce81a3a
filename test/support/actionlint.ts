import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";

/** actionlint, which checks GitHub Actions workflows: built once from the Go module proxy into .cache/bin. */
export const ACTIONLINT_VERSION = "v1.7.12";
const ROOT = join(__dirname, "..", "..");
export const ACTIONLINT = join(ROOT, ".cache", "bin", `actionlint-${ACTIONLINT_VERSION}`);

export function ensureActionlint(): string {
  if (existsSync(ACTIONLINT)) return ACTIONLINT;
  mkdirSync(dirname(ACTIONLINT), { recursive: true });
  const gobin = join(ROOT, ".cache", "gobin");
  try {
    execFileSync("go", ["install", `github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
      stdio: "inherit",
    });
  } catch (e) {
    throw new Error(`the workflow tests run actionlint ${ACTIONLINT_VERSION}, built with Go (go install github.com/rhysd/actionlint/cmd/actionlint): ${(e as Error).message}`);
  }
  renameSync(join(gobin, "actionlint"), ACTIONLINT);
  return ACTIONLINT;
}
