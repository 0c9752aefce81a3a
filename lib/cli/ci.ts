import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ComplianceError } from "../compliance/aspect";
import { SpecError } from "../config/spec";
import { MissingProviderError } from "../core/provider-packages";
import { commentTarget, upsertComment } from "../ci/comment";
import { affectedDeployments, CiLayoutError, discoverDeployments, type CiDeployment } from "../ci/deployments";
import { gitlabChildPipeline, gitlabMode } from "../ci/gitlab";
import { synthDeployment } from "../ci/synth";
import { CI_SETTINGS, CI_SYSTEMS, CI_VARIABLES, TemplateExistsError, writeTemplates, type CiSystem } from "../ci/templates";

const USAGE = `Usage: cdktf-byoc ci <subcommand> [options]

  init <github|gitlab|jenkins> [--dir <project>] [--force]
      write the pipeline templates into the project (default: the current directory);
      refuses to overwrite a file without --force
  matrix [--root <dir>] [--since <git-ref>] [--format json|tsv]
      list the deployments (deployments/<name>/byoc.yaml and ./byoc.yaml), validated, with
      their stacks in apply order; --since keeps those a change since <git-ref> touches
  synth --config <byoc.yaml> --out <dir>
      synthesize one deployment into <dir>/stacks/<stack>/cdk.tf.json; prints its stacks in apply order
  gitlab-pipeline [--root <dir>] [--jobs <file>]
      print the GitLab child pipeline for this pipeline (plan, apply or drift, from
      CI_PIPELINE_SOURCE); --jobs is the hidden jobs file (default .gitlab/byoc-jobs.yml)
  comment --key <deployment> --file <summary.md>
      post or update the summary on the pull request (GitHub) or merge request (GitLab)`;

/** `cdktf-byoc ci`: returns the exit code (0 done, 1 refused or failed, 2 bad arguments). */
export async function ci(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case "init":
        return init(rest);
      case "matrix":
        return matrix(rest);
      case "synth":
        return await synth(rest);
      case "gitlab-pipeline":
        return gitlabPipeline(rest);
      case "comment":
        return await comment(rest);
      case undefined:
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return sub ? 0 : 2;
      default:
        return usageError(`unknown subcommand "${sub}"`);
    }
  } catch (e) {
    if (e instanceof SpecError || e instanceof ComplianceError || e instanceof CiLayoutError || e instanceof TemplateExistsError || e instanceof MissingProviderError || e instanceof ArgumentError) {
      process.stderr.write(`ci ${sub}: ${e.message}\n`);
      return e instanceof ArgumentError ? 2 : 1;
    }
    throw e;
  }
}

class ArgumentError extends Error {}

type Options = Record<string, { type: "string" | "boolean"; default?: string | boolean }>;

function args(argv: string[], options: Options, positionals = 0): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals > 0 });
  } catch (e) {
    throw new ArgumentError((e as Error).message);
  }
  if (parsed.positionals.length !== positionals) throw new ArgumentError(`expected ${positionals} argument${positionals === 1 ? "" : "s"}, got ${parsed.positionals.length}`);
  return parsed;
}

function init(argv: string[]): number {
  const { values, positionals } = args(argv, { dir: { type: "string", default: "." }, force: { type: "boolean", default: false } }, 1);
  const system = positionals[0] as CiSystem;
  if (!CI_SYSTEMS.includes(system)) throw new ArgumentError(`the CI system must be one of ${CI_SYSTEMS.join(", ")} (got "${positionals[0]}")`);
  const written = writeTemplates(system, values.dir as string, values.force as boolean);
  const lines = [`Wrote ${written.map((w) => join(values.dir as string, w)).join(", ")}.`, "", "Set these variables for each cloud you deploy to (values: the CI trust stack's outputs; none is a secret):"];
  for (const [cloud, names] of Object.entries(CI_VARIABLES)) lines.push(`  ${cloud.padEnd(5)}  ${names.join(" ")}`);
  lines.push("Optional:");
  for (const [name, meaning] of Object.entries(CI_SETTINGS)) lines.push(`  ${name}  ${meaning}`);
  lines.push(...NEXT_STEPS[system]);
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

const NEXT_STEPS: Record<CiSystem, string[]> = {
  github: [
    "Then create an environment byoc-<deployment> per deployment (Settings > Environments) with required reviewers",
    "and deployment branches limited to main and release tags: the apply jobs wait there for approval.",
  ],
  gitlab: [
    "  BYOC_GITLAB_TOKEN  a project access token (scope api, masked) to post plan summaries as merge request notes",
    "Then protect an environment byoc-<deployment> per deployment with approvals (Settings > CI/CD > Protected environments),",
    "and add a pipeline schedule on the default branch for drift detection.",
  ],
  jenkins: [
    "In Jenkins: OpenID Connect id token credentials byoc-oidc-aws (audience sts.amazonaws.com), byoc-oidc-azure",
    "(api://AzureADTokenExchange) and byoc-oidc-gcp (https://iam.googleapis.com/<BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER>),",
    "and BYOC_APPROVERS: who may approve an apply (the input step's submitter).",
  ],
};

function matrix(argv: string[]): number {
  const { values } = args(argv, { root: { type: "string", default: "." }, since: { type: "string" }, format: { type: "string", default: "json" } });
  const root = values.root as string;
  let deployments = discoverDeployments(root);
  if (values.since) deployments = affectedDeployments(deployments, changedSince(root, values.since as string));
  switch (values.format) {
    case "json":
      process.stdout.write(`${JSON.stringify(deployments)}\n`);
      return 0;
    case "tsv":
      process.stdout.write(deployments.map(tsvLine).join(""));
      return 0;
    default:
      throw new ArgumentError(`--format must be json or tsv (got "${values.format}")`);
  }
}

/** name, config, cloud, stacks (comma-separated, in apply order), environment: for shells and Jenkins. */
function tsvLine(d: CiDeployment): string {
  return `${[d.name, d.config, d.cloud, d.stacks.join(","), d.environment].join("\t")}\n`;
}

function changedSince(root: string, ref: string): string[] {
  try {
    return execFileSync("git", ["diff", "--name-only", `${ref}...HEAD`], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n");
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? "").trim();
    throw new CiLayoutError(`git diff ${ref}...HEAD failed (${stderr}); fetch the full history (GitHub: fetch-depth: 0; GitLab: GIT_DEPTH: 0)`);
  }
}

async function synth(argv: string[]): Promise<number> {
  const { values } = args(argv, { config: { type: "string" }, out: { type: "string" } });
  if (!values.config || !values.out) throw new ArgumentError("--config and --out are required");
  const stacks = await synthDeployment(values.config as string, values.out as string);
  process.stdout.write(`${stacks.join("\n")}\n`);
  return 0;
}

function gitlabPipeline(argv: string[]): number {
  const { values } = args(argv, { root: { type: "string", default: "." }, jobs: { type: "string", default: ".gitlab/byoc-jobs.yml" } });
  const mode = gitlabMode(process.env);
  if (!mode) throw new CiLayoutError("this pipeline is neither a merge request, a schedule, the default branch nor a tag: nothing to run");
  const root = values.root as string;
  let deployments = discoverDeployments(root);
  if (mode === "plan") {
    const base = process.env.CI_MERGE_REQUEST_DIFF_BASE_SHA;
    if (base) deployments = affectedDeployments(deployments, changedSince(root, base));
  }
  process.stdout.write(gitlabChildPipeline(deployments, mode, readFileSync(join(root, values.jobs as string), "utf8")));
  return 0;
}

async function comment(argv: string[]): Promise<number> {
  const { values } = args(argv, { key: { type: "string" }, file: { type: "string" } });
  if (!values.key || !values.file) throw new ArgumentError("--key and --file are required");
  const target = commentTarget(process.env);
  if (typeof target === "string") {
    process.stdout.write(`Plan summary not posted: ${target}.\n`);
    return 0;
  }
  const done = await upsertComment(target, values.key as string, readFileSync(values.file as string, "utf8"));
  process.stdout.write(`Plan summary ${done} on the ${target.system === "github" ? "pull request" : "merge request"}.\n`);
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`ci: ${message}\n\n${USAGE}\n`);
  return 2;
}
