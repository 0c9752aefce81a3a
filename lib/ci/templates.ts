import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { CI_SYSTEMS, type CiSystem } from "./systems";

export { CI_SYSTEMS, type CiSystem };

/** A shipped template (under ci/templates/) and where `ci init` writes it in a project. */
export interface TemplateFile {
  readonly source: string;
  readonly target: string;
}

export const TEMPLATE_FILES: Record<CiSystem, readonly TemplateFile[]> = {
  github: [
    { source: "github/byoc-plan.yml", target: ".github/workflows/byoc-plan.yml" },
    { source: "github/byoc-apply.yml", target: ".github/workflows/byoc-apply.yml" },
    { source: "github/byoc-deploy.yml", target: ".github/workflows/byoc-deploy.yml" },
    { source: "github/byoc-drift.yml", target: ".github/workflows/byoc-drift.yml" },
  ],
  gitlab: [
    { source: "gitlab/gitlab-ci.yml", target: ".gitlab-ci.yml" },
    { source: "gitlab/byoc-jobs.yml", target: ".gitlab/byoc-jobs.yml" },
  ],
  jenkins: [{ source: "jenkins/Jenkinsfile", target: "Jenkinsfile" }],
};

/** The shared shell steps every template runs, from the installed package. */
export const CI_SCRIPT = "byoc-ci.sh";

/**
 * The variables a project sets in its CI system (GitHub: repository or environment
 * variables, not secrets: none of them is a credential; GitLab: CI/CD variables; Jenkins:
 * environment), per cloud. Their values are the outputs of the CI trust stack.
 */
export const CI_VARIABLES = {
  aws: ["BYOC_AWS_PLAN_ROLE_ARN", "BYOC_AWS_APPLY_ROLE_ARN", "BYOC_AWS_REGION"],
  azure: ["BYOC_AZURE_TENANT_ID", "BYOC_AZURE_SUBSCRIPTION_ID", "BYOC_AZURE_PLAN_CLIENT_ID", "BYOC_AZURE_APPLY_CLIENT_ID"],
  gcp: ["BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER", "BYOC_GCP_PLAN_SERVICE_ACCOUNT", "BYOC_GCP_APPLY_SERVICE_ACCOUNT"],
} as const;

/** Optional settings every template reads, with their defaults. */
export const CI_SETTINGS: Readonly<Record<string, string>> = {
  BYOC_TF_BIN: "terraform (or tofu, for OpenTofu)",
  BYOC_TF_VERSION: "1.17.1 for terraform, 1.12.3 for tofu; at least 1.10 (S3 native locking)",
};

/** The directory holding the shipped templates, from the source tree or the compiled package. */
export function templatesDir(): string {
  const candidates = [join(__dirname, "..", "..", "ci", "templates"), join(__dirname, "..", "..", "..", "ci", "templates")];
  const found = candidates.find((c) => existsSync(join(c, CI_SCRIPT)));
  if (!found) throw new Error(`the CI templates are missing from this install of cdktf-byoc (looked in ${candidates.join(", ")})`);
  return found;
}

/** `ci init` would overwrite files: none is written. */
export class TemplateExistsError extends Error {
  constructor(readonly existing: readonly string[]) {
    super(`${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; merge the templates by hand (see ${templatesDir()}) or run again with --force to overwrite`);
    this.name = "TemplateExistsError";
  }
}

/** Writes a CI system's templates into `dir`; refuses, writing nothing, if any exists unless `force`. Returns the paths written. */
export function writeTemplates(system: CiSystem, dir: string, force = false): string[] {
  const files = TEMPLATE_FILES[system];
  const existing = files.map((f) => f.target).filter((t) => existsSync(join(dir, t)));
  if (existing.length > 0 && !force) throw new TemplateExistsError(existing);
  const source = templatesDir();
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.target)), { recursive: true });
    writeFileSync(join(dir, f.target), readFileSync(join(source, f.source)));
  }
  return files.map((f) => f.target);
}
