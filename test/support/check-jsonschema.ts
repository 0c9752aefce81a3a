import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * check-jsonschema (PyPI), which carries GitLab's published CI schema as the built-in
 * `vendor.gitlab-ci`: installed once into a virtualenv under .cache, then reused.
 */
export const CHECK_JSONSCHEMA_VERSION = "0.39.0";
const ROOT = join(__dirname, "..", "..");
const VENV = join(ROOT, ".cache", `check-jsonschema-${CHECK_JSONSCHEMA_VERSION}`);
export const CHECK_JSONSCHEMA = join(VENV, "bin", "check-jsonschema");

export function ensureCheckJsonschema(): string {
  if (existsSync(CHECK_JSONSCHEMA)) return CHECK_JSONSCHEMA;
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  // Built aside and renamed into place, so an interrupted install never leaves a half-filled
  // virtualenv at the final path. The entry script's shebang names the staging python, so
  // the checker runs as `python -m check_jsonschema` from the final path instead.
  const staging = mkdtempSync(join(ROOT, ".cache", "check-jsonschema-install-"));
  try {
    run("python3", ["-m", "venv", staging], "python3 -m venv (Debian: apt-get install python3-venv)");
    run(join(staging, "bin", "python"), ["-m", "pip", "install", "--quiet", "--no-input", "--disable-pip-version-check", `check-jsonschema==${CHECK_JSONSCHEMA_VERSION}`], `pip install check-jsonschema==${CHECK_JSONSCHEMA_VERSION}`);
    try {
      renameSync(staging, VENV);
    } catch (e) {
      if (!existsSync(CHECK_JSONSCHEMA)) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return CHECK_JSONSCHEMA;
}

/** Validates files against a built-in schema of check-jsonschema; returns its exit status and output. */
export function checkBuiltinSchema(schema: string, files: string[]): { status: number; output: string } {
  ensureCheckJsonschema();
  const r = spawnSync(join(VENV, "bin", "python"), ["-m", "check_jsonschema", "--builtin-schema", schema, ...files], { encoding: "utf8" });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`the GitLab CI schema check needs ${what}, which failed: ${r.error?.message ?? ""}${r.stdout}${r.stderr}`);
}
