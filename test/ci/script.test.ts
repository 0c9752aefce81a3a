/**
 * The shared shell steps (ci/templates/byoc-ci.sh) run for real, as the templates run them,
 * up to where cloud credentials are needed: discovery, the matrix, synth, ordering, the
 * plan guard on a fixture plan, the keyless login's files.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { requireBuild } from "../support/build";
import { project } from "./support/project";

const ROOT = join(__dirname, "..", "..");
const SCRIPT = join(ROOT, "ci", "templates", "byoc-ci.sh");
const CLI = `${process.execPath} ${join(ROOT, "dist", "lib", "cli", "main.js")}`;

function step(cwd: string, args: string[], env: Record<string, string> = {}): { status: number; out: string; err: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BYOC_|GITHUB_|GITLAB_|CI_|ACTIONS_|RUNNER_|AWS_|ARM_|GOOGLE_)/.test(k)));
  const r = spawnSync("bash", [SCRIPT, ...args], { cwd, encoding: "utf8", env: { ...clean, BYOC_CLI: CLI, ...env } });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(() => requireBuild());

describe("byoc-ci.sh matrix", () => {
  test("finds each deployment with its stacks in apply order (infra first; on-prem has platform only) and its environment", () => {
    const dir = project();
    const r = step(dir, ["matrix"]);
    expect(r.err).toBe("");
    expect(JSON.parse(r.out)).toEqual([
      { name: "acme", config: "deployments/acme/byoc.yaml", cloud: "aws", stacks: ["acme-aws-infra", "acme-aws-platform"], environment: "byoc-acme" },
      { name: "globex", config: "deployments/globex/byoc.yaml", cloud: "gcp", stacks: ["globex-gcp-infra", "globex-gcp-platform"], environment: "byoc-globex" },
      { name: "initech", config: "deployments/initech/byoc.yaml", cloud: "onprem", stacks: ["initech-onprem-platform"], environment: "byoc-initech" },
    ]);
  });

  test("tsv for Jenkins: one line per deployment", () => {
    const r = step(project(), ["matrix", "--format", "tsv"]);
    expect(r.out.split("\n")[0]).toBe("acme\tdeployments/acme/byoc.yaml\taws\tacme-aws-infra,acme-aws-platform\tbyoc-acme");
    expect(r.out.trim().split("\n")).toHaveLength(3);
  });

  test("--since keeps the deployments a change touches; a change outside deployments/ touches all", () => {
    const dir = project(undefined, true);
    writeFileSync(join(dir, "deployments", "globex", "byoc.yaml"), `${readFileSync(join(dir, "deployments", "globex", "byoc.yaml"), "utf8")}tier: medium\n`);
    const commit = (m: string) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", m], { cwd: dir });
    commit("globex grows");
    expect(JSON.parse(step(dir, ["matrix", "--since", "HEAD~1"]).out).map((d: { name: string }) => d.name)).toEqual(["globex"]);
    writeFileSync(join(dir, "package.json"), "{}\n");
    spawnSync("git", ["add", "package.json"], { cwd: dir });
    commit("kit version");
    expect(JSON.parse(step(dir, ["matrix", "--since", "HEAD~1"]).out)).toHaveLength(3);
    expect(JSON.parse(step(dir, ["matrix", "--since", "HEAD"]).out)).toEqual([]);
  });

  test("refuses local state, a folder named otherwise than its spec, and a broken spec, each with the file named", () => {
    const local = step(project({ "deployments/acme/byoc.yaml": "name: acme\ntarget:\n  cloud: aws\n  region: eu-west-1\n" }), ["matrix"]);
    expect(local.status).toBe(1);
    expect(local.err).toBe("ci matrix: deployments/acme/byoc.yaml: state.backend is local; CI needs a remote backend (s3, azurerm or gcs) because each job starts on an empty disk\n");
    const misnamed = step(project({ "deployments/acme-prod/byoc.yaml": "name: acme\ntarget:\n  cloud: onprem\nstate:\n  backend: gcs\n  bucket: acme-tf\n" }), ["matrix"]);
    expect(misnamed.err).toBe('ci matrix: deployments/acme-prod/byoc.yaml: name is "acme"; name the folder after the deployment (deployments/acme/byoc.yaml)\n');
    const broken = step(project({ "deployments/acme/byoc.yaml": "name: acme\ntier: huge\ntarget:\n  cloud: onprem\nstate:\n  backend: gcs\n  bucket: acme-tf\n" }), ["matrix"]);
    expect(broken.status).toBe(1);
    expect(broken.err).toContain('deployments/acme/byoc.yaml has 1 problem:\n  - tier: expected one of "small", "medium", "large" (got "huge")');
    const none = step(project({ "README.md": "x\n" }), ["matrix"]);
    expect(none.err).toMatch(/^ci matrix: no deployment found in \.: write deployments\/<name>\/byoc.yaml for each deployment \(or a single \.\/byoc.yaml\)\n$/);
  });
});

describe("byoc-ci.sh synth and guard", () => {
  test("synthesizes a deployment into cdktf.out/<name>, records its stacks in order, and the guard reads its plan with the stack's prevent_destroy", () => {
    const dir = project();
    const synth = step(dir, ["synth", "acme", "deployments/acme/byoc.yaml"]);
    expect(synth.err).toBe("");
    expect(synth.status).toBe(0);
    expect(readFileSync(join(dir, "cdktf.out", "acme", "stacks.txt"), "utf8")).toBe("acme-aws-infra\nacme-aws-platform\n");
    const infra = join(dir, "cdktf.out", "acme", "stacks", "acme-aws-infra");
    const tf = JSON.parse(readFileSync(join(infra, "cdk.tf.json"), "utf8"));
    expect(tf.terraform.backend.s3).toMatchObject({ bucket: "acme-tfstate", key: "acme/acme-aws-infra.tfstate", use_lockfile: true });

    // The plan job's `terraform show -json` output, here a fixture that destroys the database.
    copyFileSync(join(__dirname, "fixtures", "destroy-db.json"), join(infra, "tfplan.json"));
    const blocked = step(dir, ["guard", "acme", "acme-aws-infra"]);
    expect(blocked.status).toBe(1);
    expect(blocked.out).toContain("BLOCKED: 1 stateful resource would be destroyed or replaced:\n  aws_db_instance.Data_Postgres_Instance_13686EA5: destroy");
    expect(readFileSync(join(infra, "plan-summary.txt"), "utf8")).toBe(blocked.out);

    // The deliberate override: the address, committed beside the deployment's byoc.yaml.
    writeFileSync(join(dir, "deployments", "acme", "plan-guard-allow.txt"), "# moved to Aurora, CHG-1234\naws_db_instance.Data_Postgres_Instance_13686EA5\n");
    const allowed = step(dir, ["guard", "acme", "acme-aws-infra"]);
    expect(allowed.status).toBe(0);
    expect(allowed.out).toContain("Allowed by --allow: aws_db_instance.Data_Postgres_Instance_13686EA5");
  }, 60_000);

  test("a deployment that declares compliance frameworks gets its evidence report beside its stacks; one that does not gets none", () => {
    const spec = [
      "name: initech",
      "target: { cloud: onprem, context: initech-prod }",
      "state: { backend: s3, bucket: initech-tfstate, region: eu-central-1 }",
      "data: { postgres: { enabled: true } }",
      "audit: { type: database }",
      "compliance: [soc2, iso27001]",
      "",
    ].join("\n");
    const dir = project({ "deployments/initech/byoc.yaml": spec });
    const synth = step(dir, ["synth", "initech", "deployments/initech/byoc.yaml"]);
    expect([synth.status, synth.err]).toEqual([0, ""]);
    expect(readFileSync(join(dir, "cdktf.out", "initech", "stacks.txt"), "utf8")).toBe("initech-onprem-platform\n");
    const reports = join(dir, "cdktf.out", "initech", "compliance");
    expect(readdirSync(reports).sort()).toEqual(["iso27001.html", "iso27001.json", "iso27001.md", "soc2.html", "soc2.json", "soc2.md"]);
    const soc2 = JSON.parse(readFileSync(join(reports, "soc2.json"), "utf8"));
    expect(soc2).toMatchObject({ deployment: "initech", target: "onprem", source: "deployments/initech/byoc.yaml" });
    expect(soc2.frameworks[0].summary.fail).toBe(0);
    const plain = project();
    expect(step(plain, ["synth", "acme", "deployments/acme/byoc.yaml"]).status).toBe(0);
    expect(existsSync(join(plain, "cdktf.out", "acme", "compliance"))).toBe(false);
  }, 120_000);

  test("apply refuses to run without the saved plan", () => {
    const dir = project();
    expect(step(dir, ["synth", "initech", "deployments/initech/byoc.yaml"]).status).toBe(0);
    const r = step(dir, ["apply", "initech", "initech-onprem-platform"]);
    expect(r.status).toBe(1);
    expect(r.err).toBe("byoc-ci: cdktf.out/initech/stacks/initech-onprem-platform/tfplan is missing: apply takes the plan the plan job saved\n");
  }, 60_000);
});

describe("byoc-ci.sh login", () => {
  const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln";

  test("aws: the SDKs' web-identity variables point at the token, in a file only the job's user reads", () => {
    const dir = project();
    const r = step(dir, ["login", "apply", "aws"], { BYOC_OIDC_TOKEN_AWS: token, BYOC_AWS_APPLY_ROLE_ARN: "arn:aws:iam::123456789012:role/acme-ci-apply", BYOC_AWS_PLAN_ROLE_ARN: "arn:aws:iam::123456789012:role/acme-ci-plan", BYOC_AWS_REGION: "eu-west-1", CI_JOB_ID: "77" });
    expect(r.err).toBe("");
    expect(r.out).toBe("Logged in to aws with the apply identity (OIDC, no stored key)\n");
    const env = readFileSync(join(dir, ".byoc", "env"), "utf8");
    expect(env).toContain("export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/acme-ci-apply\n");
    expect(env).toContain(`export AWS_WEB_IDENTITY_TOKEN_FILE=${join(dir, ".byoc", "oidc-aws.jwt")}\n`);
    expect(env).toContain("export AWS_ROLE_SESSION_NAME=byoc-apply-77\n");
    expect(readFileSync(join(dir, ".byoc", "oidc-aws.jwt"), "utf8")).toBe(token);
    expect(statSync(join(dir, ".byoc", "oidc-aws.jwt")).mode & 0o077).toBe(0);
    expect(statSync(join(dir, ".byoc")).mode & 0o077).toBe(0);
  });

  test("gcp: a workload identity federation credential file for the plan service account", () => {
    const dir = project();
    const provider = "projects/123456789/locations/global/workloadIdentityPools/ci/providers/gitlab";
    const r = step(dir, ["login", "plan", "gcp"], { BYOC_OIDC_TOKEN_GCP: token, BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER: provider, BYOC_GCP_PLAN_SERVICE_ACCOUNT: "byoc-plan@globex-prod.iam.gserviceaccount.com" });
    expect(r.status).toBe(0);
    const credentials = JSON.parse(readFileSync(join(dir, ".byoc", "gcp-credentials.json"), "utf8"));
    expect(credentials).toEqual({
      type: "external_account",
      audience: `//iam.googleapis.com/${provider}`,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      token_url: "https://sts.googleapis.com/v1/token",
      service_account_impersonation_url: "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/byoc-plan@globex-prod.iam.gserviceaccount.com:generateAccessToken",
      credential_source: { file: join(dir, ".byoc", "oidc-gcp.jwt"), format: { type: "text" } },
    });
    expect(readFileSync(join(dir, ".byoc", "env"), "utf8")).toContain(`export GOOGLE_APPLICATION_CREDENTIALS=${join(dir, ".byoc", "gcp-credentials.json")}\n`);
  });

  test("azure: the providers' OIDC settings for the client of the identity asked for", () => {
    const dir = project();
    const r = step(dir, ["login", "plan", "azure"], {
      BYOC_OIDC_TOKEN_AZURE: token,
      BYOC_AZURE_TENANT_ID: "11111111-1111-1111-1111-111111111111",
      BYOC_AZURE_SUBSCRIPTION_ID: "22222222-2222-2222-2222-222222222222",
      BYOC_AZURE_PLAN_CLIENT_ID: "33333333-3333-3333-3333-333333333333",
      BYOC_AZURE_APPLY_CLIENT_ID: "44444444-4444-4444-4444-444444444444",
      PATH: "/usr/bin:/bin",
    });
    expect(r.status).toBe(0);
    const env = readFileSync(join(dir, ".byoc", "env"), "utf8");
    expect(env).toContain("export ARM_USE_OIDC=true\n");
    expect(env).toContain("export ARM_CLIENT_ID=33333333-3333-3333-3333-333333333333\n");
    expect(env).toContain(`export ARM_OIDC_TOKEN_FILE_PATH=${join(dir, ".byoc", "oidc-azure.jwt")}\n`);
    expect(r.err).toContain("the Azure CLI is not installed");
  });

  test("a missing variable or token is named, and nothing is written", () => {
    const dir = project();
    const noRole = step(dir, ["login", "apply", "aws"], { BYOC_OIDC_TOKEN_AWS: token, BYOC_AWS_REGION: "eu-west-1" });
    expect(noRole.status).toBe(1);
    expect(noRole.err).toBe("byoc-ci: BYOC_AWS_APPLY_ROLE_ARN is not set: set it as a CI variable (the CI trust stack's output of that name)\n");
    const noToken = step(dir, ["login", "plan", "aws"], { BYOC_AWS_PLAN_ROLE_ARN: "arn:aws:iam::123456789012:role/p", BYOC_AWS_REGION: "eu-west-1" });
    expect(noToken.status).toBe(1);
    expect(noToken.err).toContain("byoc-ci: no OIDC token for aws: set BYOC_OIDC_TOKEN_AWS");
    expect(existsSync(join(dir, ".byoc", "env"))).toBe(false);
  });
});

describe("GitLab child pipeline", () => {
  test("a merge request touching nothing outside deployments/ of three gets one plan job per deployment, none waiting on another", () => {
    const dir = project();
    writeFileSync(join(dir, "jobs.yml"), readFileSync(join(ROOT, "ci", "templates", "gitlab", "byoc-jobs.yml")));
    const r = step(dir, ["gitlab-pipeline", "--jobs", "jobs.yml"], { CI_PIPELINE_SOURCE: "merge_request_event" });
    expect(r.err).toBe("");
    const child = parse(r.out);
    const jobs = Object.keys(child).filter((k) => !k.startsWith(".") && !["stages", "variables"].includes(k));
    expect(jobs).toEqual(["acme:plan", "globex:plan", "initech:plan"]);
    for (const job of jobs) expect(child[job]).toMatchObject({ extends: ".byoc-plan-all", stage: "plan" });
    expect(child["acme:plan"].variables).toEqual({ BYOC_DEPLOYMENT: "acme", BYOC_CONFIG: "deployments/acme/byoc.yaml", BYOC_CLOUD: "aws" });
    expect(child[".byoc"].id_tokens.BYOC_OIDC_TOKEN_AWS.aud).toBe("sts.amazonaws.com");
  });

  test("on the default branch: per deployment, plan then manual apply in its environment, infra before platform", () => {
    const dir = project();
    writeFileSync(join(dir, "jobs.yml"), readFileSync(join(ROOT, "ci", "templates", "gitlab", "byoc-jobs.yml")));
    const child = parse(step(dir, ["gitlab-pipeline", "--jobs", "jobs.yml"], { CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main" }).out);
    expect(child.stages).toEqual(["infra-plan", "infra-apply", "platform-plan", "platform-apply"]);
    expect(child["acme:infra:plan"].needs).toEqual([]);
    expect(child["acme:infra:apply"]).toMatchObject({ extends: ".byoc-apply", needs: ["acme:infra:plan"], environment: { name: "byoc-acme" } });
    expect(child["acme:platform:plan"].needs).toEqual(["acme:infra:apply"]);
    expect(child["acme:platform:apply"].needs).toEqual(["acme:platform:plan"]);
    expect(child["initech:platform:plan"].needs).toEqual([]);
    expect(child["initech:infra:plan"]).toBeUndefined();
    expect(child[".byoc-apply"].when).toBe("manual");
  });
});
