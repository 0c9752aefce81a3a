import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A user's repository with three deployments on three targets, each with a remote state backend. */
export const SPECS: Record<string, string> = {
  "deployments/acme/byoc.yaml": "name: acme\nenvironment: staging\ntarget:\n  cloud: aws\n  region: eu-west-1\nstate:\n  backend: s3\n  bucket: acme-tfstate\n",
  "deployments/globex/byoc.yaml": "name: globex\ntarget:\n  cloud: gcp\n  region: europe-west4\n  project: globex-prod\nstate:\n  backend: gcs\n  bucket: globex-tfstate\n",
  "deployments/initech/byoc.yaml":
    "name: initech\ntarget:\n  cloud: onprem\n  context: initech-prod\nstate:\n  backend: s3\n  bucket: initech-tfstate\n  region: eu-central-1\n",
};

/** Writes files into a new temporary directory and returns it; with `git`, commits them. */
export function project(files: Record<string, string> = SPECS, git = false): string {
  const dir = mkdtempSync(join(tmpdir(), "byoc-ci-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  if (git) {
    const g = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, stdio: "pipe" });
    g("init", "-q", "-b", "main");
    g("add", ".");
    g("commit", "-q", "-m", "deployments");
  }
  return dir;
}
