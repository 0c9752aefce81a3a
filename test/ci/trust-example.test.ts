import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { StackJson } from "../support/synth";

/**
 * examples/library-ci-trust/main.ts run as `cdktf synth` runs an app (through tsx, which
 * maps `cdktf-byoc` to the sources as the tsconfig does).
 */

const ROOT = join(__dirname, "..", "..");

describe("examples/library-ci-trust", () => {
  test("synthesizes one trust stack whose outputs are exactly the CI variables, with its state in S3 under ci-trust/", () => {
    const outdir = mkdtempSync(join(tmpdir(), "byoc-ci-trust-"));
    const run = spawnSync(process.execPath, [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), join(ROOT, "examples", "library-ci-trust", "main.ts")], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const json = new StackJson("acme-ci-trust", JSON.parse(readFileSync(join(outdir, "stacks", "acme-ci-trust", "cdk.tf.json"), "utf8")), undefined!);

    expect(Object.keys(json.json.output).sort()).toEqual([
      "BYOC_AWS_APPLY_ROLE_ARN",
      "BYOC_AWS_PLAN_ROLE_ARN",
      "BYOC_GCP_APPLY_SERVICE_ACCOUNT",
      "BYOC_GCP_PLAN_SERVICE_ACCOUNT",
      "BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER",
    ]);
    expect(json.json.terraform.backend.s3).toMatchObject({ bucket: "acme-byoc-tfstate", key: "ci-trust/acme-ci-trust.tfstate", encrypt: true, use_lockfile: true });

    // The deployments' environments, the user's boundary and session length reach the AWS roles.
    const apply = json.resource("aws_iam_role", (r) => r.name === "byoc-ci-apply");
    expect(apply).toMatchObject({ permissions_boundary: "arn:aws:iam::111122223333:policy/byoc-boundary", max_session_duration: 7200 });
    expect(apply.tags).toMatchObject({ "managed-by": "cdktf-byoc", component: "ci-trust", team: "platform" });
    const subjects = json
      .data("aws_iam_policy_document")
      .flatMap((d) => d.statement)
      .flatMap((st: { condition?: { variable: string; values: string[] }[] }) => st.condition ?? [])
      .filter((c: { variable: string }) => c.variable === "token.actions.githubusercontent.com:sub")
      .flatMap((c: { values: string[] }) => c.values);
    expect(subjects.sort()).toEqual([
      "repo:acme/byoc-deployments:environment:byoc-dev",
      "repo:acme/byoc-deployments:environment:byoc-prod",
      "repo:acme/byoc-deployments:environment:byoc-staging",
      "repo:acme/byoc-deployments:pull_request",
      "repo:acme/byoc-deployments:ref:refs/heads/*",
    ]);
    // GCP pins the organization's id.
    expect(json.resource("google_iam_workload_identity_pool_provider").attribute_condition).toContain("assertion.repository_owner_id == '81234567'");
  });
});
