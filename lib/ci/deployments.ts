import { existsSync, readdirSync } from "node:fs";
import { join, posix } from "node:path";
import { loadSpec, type TargetCloud } from "../config/spec";
import { stackName } from "../../stacks/spec-stack";

/** Where CI looks for deployments: one folder each, holding its byoc.yaml. */
export const DEPLOYMENTS_DIR = "deployments";
/** A deployment's spec file, in its folder (or alone at the repository's root). */
export const SPEC_FILE = "byoc.yaml";
/** Exact addresses the plan guard lets through for that deployment, next to its byoc.yaml. */
export const ALLOW_FILE = "plan-guard-allow.txt";

/** One deployment as CI runs it: a matrix entry. */
export interface CiDeployment {
  /** The spec's `name`. */
  readonly name: string;
  /** The spec file, relative to the repository root, with `/` separators. */
  readonly config: string;
  readonly cloud: TargetCloud;
  /** Its stacks in apply order: infra before platform (on-prem has only platform). */
  readonly stacks: readonly string[];
  /** The CI environment that gates its applies, and that the apply identity trusts. */
  readonly environment: string;
}

/** The repository's layout or a spec in it is not one CI can run; the message names the file and the fix. */
export class CiLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CiLayoutError";
  }
}

/**
 * Finds `deployments/<name>/byoc.yaml` and `./byoc.yaml` under `root`, validates each spec
 * (a SpecError lists its problems) and returns them sorted by name. Refused: no spec at
 * all, a folder named otherwise than its spec's `name`, two specs with one name, and the
 * `local` state backend (each CI job starts from an empty disk, so its state would be lost).
 */
export function discoverDeployments(root: string): CiDeployment[] {
  const configs: string[] = [];
  if (existsSync(join(root, SPEC_FILE))) configs.push(SPEC_FILE);
  const dir = join(root, DEPLOYMENTS_DIR);
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      if (existsSync(join(dir, entry.name, SPEC_FILE))) configs.push(posix.join(DEPLOYMENTS_DIR, entry.name, SPEC_FILE));
    }
  }
  if (configs.length === 0) {
    throw new CiLayoutError(`no deployment found in ${root}: write ${DEPLOYMENTS_DIR}/<name>/${SPEC_FILE} for each deployment (or a single ./${SPEC_FILE})`);
  }

  const found = configs.map((config): CiDeployment => {
    const spec = loadSpec(join(root, config));
    const folder = posix.basename(posix.dirname(config));
    if (config !== SPEC_FILE && folder !== spec.name) {
      throw new CiLayoutError(`${config}: name is "${spec.name}"; name the folder after the deployment (${DEPLOYMENTS_DIR}/${spec.name}/${SPEC_FILE})`);
    }
    if (spec.state.backend === "local") {
      throw new CiLayoutError(`${config}: state.backend is local; CI needs a remote backend (s3, azurerm or gcs) because each job starts on an empty disk`);
    }
    const roles = spec.target.cloud === "onprem" ? (["platform"] as const) : (["infra", "platform"] as const);
    return { name: spec.name, config, cloud: spec.target.cloud, stacks: roles.map((r) => stackName(spec, r)), environment: `byoc-${spec.name}` };
  });

  const seen = new Map<string, string>();
  for (const d of found) {
    const other = seen.get(d.name);
    if (other) throw new CiLayoutError(`${other} and ${d.config} both name the deployment "${d.name}": their stacks and state would collide`);
    seen.set(d.name, d.config);
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The deployments a change touches, from the paths it changes (relative to the root). A
 * change inside `deployments/<name>/` touches that deployment; a change outside
 * `deployments/` (the kit's version, the lockfile, a root byoc.yaml) touches all of them.
 */
export function affectedDeployments(deployments: readonly CiDeployment[], changedPaths: readonly string[]): CiDeployment[] {
  const paths = changedPaths.map((p) => p.trim()).filter(Boolean);
  if (paths.some((p) => !p.startsWith(`${DEPLOYMENTS_DIR}/`))) return [...deployments];
  return deployments.filter((d) => paths.some((p) => p.startsWith(`${posix.dirname(d.config)}/`)));
}
