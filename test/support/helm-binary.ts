import { execFileSync } from "node:child_process";
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";

/**
 * The Helm CLI the tests render charts with: the same Helm 3 library line the Terraform
 * helm provider 3.x embeds, built once from the Go module proxy into .cache/bin (the
 * machine has Go; no binary download site is needed).
 */
export const HELM_VERSION = "v3.19.2";
const ROOT = join(__dirname, "..", "..");
export const HELM = join(ROOT, ".cache", "bin", `helm-${HELM_VERSION}`);

export function ensureHelm(): string {
  if (existsSync(HELM)) return HELM;
  const gobin = join(ROOT, ".cache", "gobin");
  try {
    execFileSync("go", ["install", `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
      stdio: "inherit",
    });
  } catch (e) {
    throw new Error(`the chart tests render with Helm ${HELM_VERSION}, built with Go (go install helm.sh/helm/v3/cmd/helm): ${(e as Error).message}`);
  }
  renameSync(join(gobin, "helm"), HELM);
  return HELM;
}
