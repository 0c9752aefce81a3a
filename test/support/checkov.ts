import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * checkov, the Terraform security scanner, from PyPI into a virtualenv under
 * .cache/checkov: installed once, then reused. Every other package in the virtualenv is
 * held to security/checkov-constraints.txt, so the findings change only when the pins do.
 */
export const CHECKOV_VERSION = "3.3.30";
const ROOT = join(__dirname, "..", "..");
const CONSTRAINTS = join(ROOT, "security", "checkov-constraints.txt");
const CACHE = join(ROOT, ".cache", "checkov");

/** One check on one resource, as checkov reports it. */
export interface CheckovResult {
  readonly checkId: string;
  readonly checkName: string;
  /** The scanned file, relative to the scanned directory, without a leading slash. */
  readonly file: string;
  /**
   * checkov's name for the block: `type.name`, or for the terraform_json framework often
   * `resource.name` / `data.name` (it drops the type there).
   */
  readonly resource: string;
}

/** A check that raised an error instead of giving a verdict (a checkov bug): it neither passed nor failed. */
export interface CheckovCrash {
  readonly checkId: string;
  readonly file: string;
  readonly resource: string;
}

export interface CheckovScan {
  readonly passed: readonly CheckovResult[];
  readonly failed: readonly CheckovResult[];
  readonly crashed: readonly CheckovCrash[];
}

/** The virtualenv's python with checkov installed; installs it on first use (about 1.5 min). */
export function ensureCheckov(): string {
  const constraints = readFileSync(CONSTRAINTS, "utf8");
  const hash = createHash("sha256").update(constraints).digest("hex").slice(0, 12);
  const venv = join(CACHE, `${CHECKOV_VERSION}-${hash}`);
  const python = join(venv, "bin", "python");
  if (existsSync(python)) return python;

  // Built aside and renamed into place, so an interrupted or concurrent install never
  // leaves a half-filled virtualenv at the final path. checkov runs as `python -c`, which
  // needs no absolute script paths, so the moved virtualenv works.
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, "install-"));
  try {
    run("python3", ["-m", "venv", staging], "python3 -m venv (Debian: apt-get install python3-venv)");
    run(join(staging, "bin", "python"), ["-m", "pip", "install", "--quiet", "--no-input", "--disable-pip-version-check", "-c", CONSTRAINTS, `checkov==${CHECKOV_VERSION}`], `pip install checkov==${CHECKOV_VERSION}`);
    try {
      renameSync(staging, venv);
    } catch (e) {
      // Another run finished first: use its copy.
      if (!existsSync(python)) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return python;
}

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`the checkov gate needs ${what}, which failed: ${r.error?.message ?? ""}${r.stdout}${r.stderr}`);
}

/** checkov's own script, minus the SyntaxWarnings its regexes print on newer Pythons. */
const MAIN = "import sys, warnings; warnings.simplefilter('ignore', SyntaxWarning); from checkov.main import Checkov; sys.exit(Checkov().run())";

/**
 * Scans every `cdk.tf.json` under `dir` in one checkov process with the terraform_json
 * framework (the terraform framework finds no resources in cdktf's JSON). Offline: no
 * update check, no platform download or upload, no API key even if one is set.
 */
export function scanTerraformJson(python: string, dir: string): CheckovScan {
  const out = mkdtempSync(join(dir, "..", "checkov-report-"));
  try {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(BC_|PRISMA_|CKV_|CHECKOV_)/.test(k)),
    );
    const r = spawnSync(
      python,
      ["-c", MAIN, "-d", dir, "--framework", "terraform_json", "-o", "json", "--output-file-path", out, "--skip-download", "--skip-results-upload"],
      { encoding: "utf8", env: { ...env, CKV_SKIP_PACKAGE_UPDATE_CHECK: "true", BC_SKIP_MAPPING: "TRUE", LOG_LEVEL: "ERROR" }, maxBuffer: 64 * 1024 * 1024 },
    );
    // 0: every check passed, 1: some failed; anything else is checkov itself failing.
    const report = join(out, "results_json.json");
    if ((r.status !== 0 && r.status !== 1) || !existsSync(report)) {
      throw new Error(`checkov exited with ${r.status ?? r.signal}: ${r.error?.message ?? ""}\n${r.stderr.slice(-4000)}`);
    }
    const json = JSON.parse(readFileSync(report, "utf8"));
    const results = (json.results ?? {}) as Record<string, RawResult[]>;
    return {
      passed: (results.passed_checks ?? []).map(toResult),
      failed: (results.failed_checks ?? []).map(toResult),
      crashed: crashes(r.stderr),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

interface RawResult {
  check_id: string;
  check_name: string;
  file_path: string;
  resource: string;
}

function toResult(r: RawResult): CheckovResult {
  return { checkId: r.check_id, checkName: r.check_name, file: r.file_path.replace(/^\//, ""), resource: r.resource };
}

/** checkov logs a check that raised as `Failed to run check <id> on <file>:<type>.<name>` and goes on. */
function crashes(stderr: string): CheckovCrash[] {
  return [...stderr.matchAll(/Failed to run check (\S+) on \/?([^:\s]+):(\S+)/g)].map(([, checkId, file, resource]) => ({ checkId, file, resource }));
}
