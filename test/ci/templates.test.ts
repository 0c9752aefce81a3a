/**
 * The shipped pipeline templates: `ci init` writes them into a project; actionlint passes
 * on the GitHub workflows, GitLab's published CI schema accepts the GitLab files and a
 * generated child pipeline, and the Jenkinsfile parses with the declarative structure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { parse } from "yaml";
import { ci } from "../../lib/cli/ci";
import { ensureActionlint } from "../support/actionlint";
import { checkBuiltinSchema, ensureCheckJsonschema } from "../support/check-jsonschema";
import { jenkinsfileOutline } from "./support/groovy";
import { project, SPECS } from "./support/project";

const ROOT = join(__dirname, "..", "..");
const TEMPLATES = join(ROOT, "ci", "templates");

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await ci(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

afterEach(() => vi.unstubAllEnvs());

describe("ci init", () => {
  test("github: writes the four workflows and names the variables to set", async () => {
    const dir = project({});
    const { code, out } = await run(["init", "github", "--dir", dir]);
    expect(code).toBe(0);
    expect(readdirSync(join(dir, ".github", "workflows")).sort()).toEqual(["byoc-apply.yml", "byoc-deploy.yml", "byoc-drift.yml", "byoc-plan.yml"]);
    expect(readFileSync(join(dir, ".github", "workflows", "byoc-plan.yml"), "utf8")).toBe(readFileSync(join(TEMPLATES, "github", "byoc-plan.yml"), "utf8"));
    expect(out).toContain(`Wrote ${join(dir, ".github/workflows/byoc-plan.yml")}, `);
    expect(out).toContain("  aws    BYOC_AWS_PLAN_ROLE_ARN BYOC_AWS_APPLY_ROLE_ARN BYOC_AWS_REGION\n");
    expect(out).toContain("  gcp    BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER BYOC_GCP_PLAN_SERVICE_ACCOUNT BYOC_GCP_APPLY_SERVICE_ACCOUNT\n");
    expect(out).toContain("environment byoc-<deployment>");
  });

  test("refuses to overwrite, writing nothing, unless --force", async () => {
    const dir = project({ ".gitlab-ci.yml": "mine: {script: [true]}\n" });
    const refused = await run(["init", "gitlab", "--dir", dir]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^ci init: \.gitlab-ci\.yml already exists; merge the templates by hand \(see .+\) or run again with --force to overwrite\n$/);
    expect(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")).toBe("mine: {script: [true]}\n");
    expect(existsSync(join(dir, ".gitlab", "byoc-jobs.yml"))).toBe(false);
    const forced = await run(["init", "gitlab", "--dir", dir, "--force"]);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")).toContain("byoc-discover:");
    expect(forced.out).toContain("BYOC_GITLAB_TOKEN");
  });

  test("jenkins writes the Jenkinsfile; an unknown system is a usage error", async () => {
    const dir = project({});
    expect((await run(["init", "jenkins", "--dir", dir])).code).toBe(0);
    expect(existsSync(join(dir, "Jenkinsfile"))).toBe(true);
    const bad = await run(["init", "circleci", "--dir", dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('ci init: the CI system must be one of github, gitlab, jenkins (got "circleci")\n');
  });
});

describe("GitHub Actions workflows", () => {
  beforeAll(() => void ensureActionlint(), 300_000);

  const actionlint = (dir: string) => spawnSync(ensureActionlint(), ["-no-color", "-shellcheck=", "-pyflakes="], { cwd: dir, encoding: "utf8" });

  test("actionlint passes on them as ci init writes them (the reusable deploy workflow's inputs checked too)", async () => {
    const dir = project(SPECS, true);
    await run(["init", "github", "--dir", dir]);
    const r = actionlint(dir);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("actionlint does check them: a call with a wrong input fails", async () => {
    const dir = project(SPECS, true);
    await run(["init", "github", "--dir", dir]);
    const apply = join(dir, ".github", "workflows", "byoc-apply.yml");
    writeFileSync(apply, readFileSync(apply, "utf8").replace("cloud: ${{ matrix.deployment.cloud }}", "clowd: ${{ matrix.deployment.cloud }}"));
    expect(actionlint(dir).status).toBe(1);
  });

  test("third-party actions are pinned by full commit SHA, with the version beside it", () => {
    for (const file of readdirSync(join(TEMPLATES, "github"))) {
      const uses = [...readFileSync(join(TEMPLATES, "github", file), "utf8").matchAll(/uses: (\S+)(.*)/g)];
      for (const [, ref, comment] of uses) {
        if (ref.startsWith("./")) continue;
        expect(ref, `${file}: ${ref}`).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
        expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/);
      }
    }
  });

  test("apply jobs run in the environment byoc-<deployment> with the apply identity; plan jobs never see it", () => {
    const deploy = parse(readFileSync(join(TEMPLATES, "github", "byoc-deploy.yml"), "utf8"));
    for (const job of ["apply-infra", "apply-platform"]) {
      expect(deploy.jobs[job].environment).toBe("byoc-${{ inputs.name }}");
      expect(Object.keys(deploy.jobs[job].env)).toContain("BYOC_AWS_APPLY_ROLE_ARN");
      expect(deploy.jobs[job].steps.map((s: { run?: string }) => s.run).filter(Boolean)).toContain('bash "$BYOC_CI" apply "$NAME" "$' + (job === "apply-infra" ? "INFRA" : "PLATFORM") + '"');
    }
    for (const job of ["plan-infra", "plan-platform"]) {
      expect(deploy.jobs[job].environment).toBeUndefined();
      expect(JSON.stringify(deploy.jobs[job])).not.toContain("APPLY");
    }
    expect(deploy.jobs["plan-platform"].needs).toEqual(["plan-infra", "apply-infra"]);
    const plan = parse(readFileSync(join(TEMPLATES, "github", "byoc-plan.yml"), "utf8"));
    expect(JSON.stringify(plan)).not.toContain("APPLY");
    expect(plan.jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });
});

describe("GitLab CI", () => {
  beforeAll(() => void ensureCheckJsonschema(), 300_000);

  test("the pipeline and its jobs file validate against GitLab's CI schema", () => {
    const r = checkBuiltinSchema("vendor.gitlab-ci", [join(TEMPLATES, "gitlab", "gitlab-ci.yml"), join(TEMPLATES, "gitlab", "byoc-jobs.yml")]);
    expect(r.output).toContain("ok -- validation done");
    expect(r.status).toBe(0);
  });

  test("the child pipelines generated for plan, apply and drift validate too", async () => {
    const dir = project(SPECS);
    await run(["init", "gitlab", "--dir", dir]);
    const files: string[] = [];
    for (const [mode, env] of [
      ["plan", { CI_PIPELINE_SOURCE: "merge_request_event" }],
      ["apply", { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main" }],
      ["drift", { CI_PIPELINE_SOURCE: "schedule" }],
    ] as const) {
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      const { code, out } = await run(["gitlab-pipeline", "--root", dir]);
      vi.unstubAllEnvs();
      expect(code).toBe(0);
      writeFileSync(join(dir, `child-${mode}.yml`), out);
      files.push(join(dir, `child-${mode}.yml`));
    }
    const r = checkBuiltinSchema("vendor.gitlab-ci", files);
    expect(r.output).toContain("ok -- validation done");
  });

  test("the schema check does check: a job with an unknown key fails", () => {
    const dir = project({ "bad.yml": "job:\n  script: [true]\n  whenn: manual\n" });
    expect(checkBuiltinSchema("vendor.gitlab-ci", [join(dir, "bad.yml")]).status).toBe(1);
  });
});

describe("Jenkinsfile", () => {
  let outline: string;
  beforeAll(() => {
    outline = jenkinsfileOutline(join(TEMPLATES, "jenkins", "Jenkinsfile"));
  }, 300_000);

  test("parses, and is a declarative pipeline: agent, triggers, then the Discover and Deployments stages with steps", () => {
    const top = outline.split("\n").filter((l) => /^ {0,4}\S/.test(l) && !l.startsWith("def "));
    expect(top.slice(0, 9)).toEqual(["pipeline", "  agent", "  options", "    disableConcurrentBuilds", "  triggers", "    cron", "  environment", "  stages", "    stage 'Discover'"]);
    expect(outline).toMatch(/    stage 'Discover'\n      agent\n      steps\n/);
    expect(outline).toMatch(/    stage 'Deployments'\n      steps\n        script\n/);
  });

  test("each deployment runs in parallel; an apply waits at an input step between its plan and its apply", () => {
    expect(outline).toMatch(/parallel\n\s+collectEntries\n\s+runDeployment/);
    const apply = outline.slice(outline.indexOf("def runDeployment"), outline.indexOf("def onAgent"));
    const order = ["plan \"$BYOC_DEPLOYMENT\" \"$BYOC_STACK\"", "stash", "\n  input", "unstash", "login apply", "apply \"$BYOC_DEPLOYMENT\" \"$BYOC_STACK\""].map((s) => apply.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("a syntax error is reported, so the parse can fail", () => {
    const dir = project({ Jenkinsfile: "pipeline {\n  stages {\n    stage('x') { steps { sh 'true' }\n  }\n" });
    expect(() => jenkinsfileOutline(join(dir, "Jenkinsfile"))).toThrow(/does not parse/);
  }, 120_000);
});
