import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { AwsCiTrust, type AwsCiTrustProps } from "../../lib/ci/trust-aws";
import { CiTrustStack } from "../../lib/ci/trust-stack";
import { StackJson, type Block } from "../support/synth";

/**
 * AwsCiTrust in a plain stack with the AWS provider. The trust policies are checked by
 * evaluating them, as STS would, against the subjects each CI system puts in its tokens
 * (written out here from the CI systems' documentation).
 */

const GITHUB: AwsCiTrustProps = { ci: "github", repository: "acme/infra", deployments: ["shop", "billing"], stateBucket: "acme-tfstate" };

function synth(props: Partial<AwsCiTrustProps> = {}, s: TerraformStack = new TerraformStack(Testing.app(), "test")): StackJson {
  new AwsProvider(s, "aws", { region: "eu-central-1" });
  new AwsCiTrust(s, "Ci", { ...GITHUB, ...props } as AwsCiTrustProps);
  return new StackJson(s.node.id, JSON.parse(Testing.synth(s)), s);
}

interface Statement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  not_resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}
const statements = (doc: Block): Statement[] => doc.statement;
/** The policy document a role's assume_role_policy refers to. */
function trustOf(json: StackJson, role: Block): Statement[] {
  const doc = json.data("aws_iam_policy_document").find((d) => role.assume_role_policy === `\${${d.tfAddress}.json}`);
  if (!doc) throw new Error(`no trust document for ${role.tfAddress}`);
  return statements(doc);
}
const role = (json: StackJson, name: string) => json.resource("aws_iam_role", (r) => r.name === name);

/** IAM's StringLike: `*` any run of characters, `?` one character. */
const like = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);

/** Whether a token with these claims may assume the role: some Allow statement whose every condition holds. */
function admits(trust: Statement[], host: string, claims: { sub: string; aud: string }): boolean {
  return trust.some(
    (st) =>
      (st.effect ?? "Allow") === "Allow" &&
      st.actions?.includes("sts:AssumeRoleWithWebIdentity") &&
      (st.condition ?? []).every((c) => {
        const claim = c.variable.startsWith(`${host}:`) ? claims[c.variable.slice(host.length + 1) as "sub" | "aud"] : undefined;
        if (claim === undefined) return false;
        if (c.test === "StringEquals") return c.values.includes(claim);
        if (c.test === "StringLike") return c.values.some((p) => like(p, claim));
        return false;
      }),
  );
}

describe("AwsCiTrust for GitHub Actions", () => {
  const json = synth();
  const plan = trustOf(json, role(json, "byoc-ci-plan"));
  const apply = trustOf(json, role(json, "byoc-ci-apply"));
  const host = "token.actions.githubusercontent.com";
  const token = (sub: string, aud = "sts.amazonaws.com") => ({ sub, aud });

  test("an OIDC provider for GitHub's issuer with audience sts.amazonaws.com and no thumbprint to go stale", () => {
    const provider = json.resource("aws_iam_openid_connect_provider");
    expect(provider.url).toBe("https://token.actions.githubusercontent.com");
    expect(provider.client_id_list).toEqual(["sts.amazonaws.com"]);
    expect(provider.thumbprint_list).toBeUndefined();
    for (const st of [...plan, ...apply]) expect(st.principals).toEqual([{ type: "Federated", identifiers: [json.ref(provider, "arn")] }]);
  });

  test("plan: pull requests with StringEquals and any branch with StringLike, both requiring the STS audience", () => {
    const conditions = plan.map((st) => st.condition);
    expect(conditions).toEqual([
      [
        { test: "StringEquals", variable: `${host}:aud`, values: ["sts.amazonaws.com"] },
        { test: "StringEquals", variable: `${host}:sub`, values: ["repo:acme/infra:pull_request"] },
      ],
      [
        { test: "StringEquals", variable: `${host}:aud`, values: ["sts.amazonaws.com"] },
        { test: "StringLike", variable: `${host}:sub`, values: ["repo:acme/infra:ref:refs/heads/*"] },
      ],
    ]);
  });

  test("apply: only the deployments' environments, matched exactly; no StringLike at all", () => {
    expect(apply).toHaveLength(1);
    expect(apply[0].condition).toEqual([
      { test: "StringEquals", variable: `${host}:aud`, values: ["sts.amazonaws.com"] },
      { test: "StringEquals", variable: `${host}:sub`, values: ["repo:acme/infra:environment:byoc-shop", "repo:acme/infra:environment:byoc-billing"] },
    ]);
  });

  test.each([
    ["a pull request", "repo:acme/infra:pull_request", true, false],
    ["a push to a feature branch", "repo:acme/infra:ref:refs/heads/feature/x", true, false],
    ["the main branch outside an environment", "repo:acme/infra:ref:refs/heads/main", true, false],
    ["the byoc-shop environment", "repo:acme/infra:environment:byoc-shop", false, true],
    ["an environment of no deployment", "repo:acme/infra:environment:scratch", false, false],
    ["a tag outside an environment", "repo:acme/infra:ref:refs/tags/v1.0.0", false, false],
    ["a repository whose name extends ours", "repo:acme/infra-fork:pull_request", false, false],
    ["another owner's repository of the same name", "repo:evil/infra:environment:byoc-shop", false, false],
  ])("%s (%s): plan %s, apply %s", (_, sub, mayPlan, mayApply) => {
    expect(admits(plan, host, token(sub))).toBe(mayPlan);
    expect(admits(apply, host, token(sub))).toBe(mayApply);
  });

  test("a token for another audience gets neither role", () => {
    expect(admits(plan, host, token("repo:acme/infra:pull_request", "https://github.com/acme"))).toBe(false);
    expect(admits(apply, host, token("repo:acme/infra:environment:byoc-shop", "https://github.com/acme"))).toBe(false);
  });

  test("no subject is a wildcard over repositories: every one is pinned to repo:acme/infra:", () => {
    const subjects = [...plan, ...apply].flatMap((st) => st.condition!.filter((c) => c.variable.endsWith(":sub")).flatMap((c) => c.values));
    expect(subjects.length).toBeGreaterThan(0);
    for (const s of subjects) expect(s.startsWith("repo:acme/infra:")).toBe(true);
  });

  test("no static credential anywhere: no IAM user, access key or login profile, and one-hour sessions by default", () => {
    const types = Object.keys(json.json.resource);
    expect(types.filter((t) => /iam_user|access_key|login_profile|secret/.test(t))).toEqual([]);
    expect(json.resources("aws_iam_role").map((r) => r.max_session_duration)).toEqual([3600, 3600]);
  });

  test("plan role: ReadOnlyAccess; writes nothing but the state's lock objects; stored data reads denied except the state", () => {
    const planRole = role(json, "byoc-ci-plan");
    const attached = json.resources("aws_iam_role_policy_attachment").filter((a) => a.role === json.ref(planRole, "name"));
    expect(attached.map((a) => a.policy_arn)).toEqual([`arn:\${${json.data("aws_partition")[0].tfAddress}.partition}:iam::aws:policy/ReadOnlyAccess`]);

    const inline = json.resource("aws_iam_role_policy", (p) => p.role === json.ref(planRole, "id"));
    const doc = statements(json.data("aws_iam_policy_document").find((d) => inline.policy === `\${${d.tfAddress}.json}`)!);
    const allowed = doc.filter((st) => (st.effect ?? "Allow") === "Allow");
    const writes = allowed.flatMap((st) => st.actions!.filter((a) => !/^(s3:(Get|List)|kms:Decrypt$|secretsmanager:GetSecretValue$)/.test(a)).map((a) => [a, st.resources]));
    const bucket = `arn:\${${json.data("aws_partition")[0].tfAddress}.partition}:s3:::acme-tfstate`;
    expect(writes).toEqual([
      ["s3:PutObject", [`${bucket}/shop/*.tflock`, `${bucket}/billing/*.tflock`]],
      ["s3:DeleteObject", [`${bucket}/shop/*.tflock`, `${bucket}/billing/*.tflock`]],
    ]);
    const denyObjects = doc.find((st) => st.effect === "Deny" && st.actions!.includes("s3:GetObject"))!;
    expect(denyObjects.not_resources).toEqual([`${bucket}/shop/*`, `${bucket}/billing/*`]);
    expect(doc.find((st) => st.effect === "Deny" && st.actions!.includes("dynamodb:Scan"))!.resources).toEqual(["*"]);
    // Secrets the plan reads are the deployments' own.
    expect(allowed.find((st) => st.actions!.includes("secretsmanager:GetSecretValue"))!.resources).toEqual([
      expect.stringMatching(/:secretsmanager:\*:\*:secret:shop-\*$/),
      expect.stringMatching(/:secretsmanager:\*:\*:secret:billing-\*$/),
    ]);
  });

  test("apply role: AdministratorAccess by default, and reads and writes the state", () => {
    const applyRole = role(json, "byoc-ci-apply");
    const attached = json.resources("aws_iam_role_policy_attachment").filter((a) => a.role === json.ref(applyRole, "name"));
    expect(attached.map((a) => a.policy_arn)).toEqual([expect.stringMatching(/:iam::aws:policy\/AdministratorAccess$/)]);
    const inline = json.resource("aws_iam_role_policy", (p) => p.role === json.ref(applyRole, "id"));
    const doc = statements(json.data("aws_iam_policy_document").find((d) => inline.policy === `\${${d.tfAddress}.json}`)!);
    expect(doc.find((st) => st.sid === "ReadWriteState")!.actions).toEqual(["s3:GetObject", "s3:PutObject"]);
  });

  test("outputs in a plain stack are named per instance and name the CI variable in their description", () => {
    expect(Object.keys(json.json.output).sort()).toEqual(["ci_apply_role_arn", "ci_plan_role_arn"]);
    expect(json.json.output.ci_plan_role_arn).toMatchObject({ value: json.ref(role(json, "byoc-ci-plan"), "arn"), description: expect.stringMatching(/^CI variable BYOC_AWS_PLAN_ROLE_ARN: /) });
  });
});

describe("AwsCiTrust options", () => {
  test("an existing OIDC provider is adopted: none is created and the roles trust the given one", () => {
    const arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    const json = synth({ oidcProviderArn: arn });
    expect(json.resources("aws_iam_openid_connect_provider")).toEqual([]);
    const trust = trustOf(json, role(json, "byoc-ci-apply"));
    expect(trust[0].principals).toEqual([{ type: "Federated", identifiers: [arn] }]);
  });

  test("narrowed apply: the user's policies, a permissions boundary on both roles, longer sessions, a KMS-encrypted state", () => {
    const json = synth({
      applyPolicyArns: ["arn:aws:iam::111122223333:policy/byoc-deployer"],
      permissionsBoundary: "arn:aws:iam::111122223333:policy/byoc-boundary",
      maxSessionDuration: 7200,
      stateKmsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/state",
      allowPlanDataReads: true,
    });
    const applyRole = role(json, "byoc-ci-apply");
    expect(json.resources("aws_iam_role_policy_attachment").filter((a) => a.role === json.ref(applyRole, "name")).map((a) => a.policy_arn)).toEqual(["arn:aws:iam::111122223333:policy/byoc-deployer"]);
    for (const r of json.resources("aws_iam_role")) expect(r).toMatchObject({ permissions_boundary: "arn:aws:iam::111122223333:policy/byoc-boundary", max_session_duration: 7200 });
    const docs = json.data("aws_iam_policy_document").flatMap(statements);
    expect(docs.filter((st) => st.sid === "StateKey").map((st) => [st.actions, st.resources])).toEqual([
      [["kms:Decrypt", "kms:GenerateDataKey"], ["arn:aws:kms:eu-central-1:111122223333:key/state"]],
      [["kms:Decrypt", "kms:GenerateDataKey"], ["arn:aws:kms:eu-central-1:111122223333:key/state"]],
    ]);
    expect(docs.filter((st) => st.effect === "Deny")).toEqual([]);
  });

  test("GitLab: plan for any branch of the project (merge requests run on theirs), apply for the protected branch only", () => {
    const json = synth({ ci: "gitlab", repository: "acme/platform/infra", issuerUrl: "https://gitlab.example.com", applyBranches: ["main", "release"] });
    const host = "gitlab.example.com";
    expect(json.resource("aws_iam_openid_connect_provider").url).toBe("https://gitlab.example.com");
    const plan = trustOf(json, role(json, "byoc-ci-plan"));
    const apply = trustOf(json, role(json, "byoc-ci-apply"));
    expect(plan.map((st) => st.condition![1])).toEqual([{ test: "StringLike", variable: `${host}:sub`, values: ["project_path:acme/platform/infra:ref_type:branch:ref:*"] }]);
    expect(apply.map((st) => st.condition![1])).toEqual([
      { test: "StringEquals", variable: `${host}:sub`, values: ["project_path:acme/platform/infra:ref_type:branch:ref:main", "project_path:acme/platform/infra:ref_type:branch:ref:release"] },
    ]);
    const t = (sub: string) => ({ sub, aud: "sts.amazonaws.com" });
    expect(admits(apply, host, t("project_path:acme/platform/infra:ref_type:branch:ref:feature-1"))).toBe(false);
    expect(admits(apply, host, t("project_path:acme/platform/infra:ref_type:tag:ref:main"))).toBe(false);
    expect(admits(plan, host, t("project_path:acme/platform/infra:ref_type:branch:ref:feature-1"))).toBe(true);
    expect(admits(plan, host, t("project_path:acme/platform/infra-other:ref_type:branch:ref:main"))).toBe(false);
  });

  test("Jenkins: the plugin's issuer, plan for any branch job of the multibranch job, apply for the main branch job", () => {
    const json = synth({ ci: "jenkins", repository: "platform/infra", issuerUrl: "https://jenkins.example.com/oidc" });
    const host = "jenkins.example.com/oidc";
    const plan = trustOf(json, role(json, "byoc-ci-plan"));
    const apply = trustOf(json, role(json, "byoc-ci-apply"));
    const t = (sub: string) => ({ sub, aud: "sts.amazonaws.com" });
    expect(admits(plan, host, t("https://jenkins.example.com/job/platform/job/infra/job/PR-12/"))).toBe(true);
    expect(admits(apply, host, t("https://jenkins.example.com/job/platform/job/infra/job/PR-12/"))).toBe(false);
    expect(admits(apply, host, t("https://jenkins.example.com/job/platform/job/infra/job/main/"))).toBe(true);
    expect(admits(plan, host, t("https://jenkins.example.com/job/platform/job/other/job/main/"))).toBe(false);
  });

  test("in a CiTrustStack the outputs are named exactly after the CI variables; a second AWS trust there is refused", () => {
    const s = new CiTrustStack(Testing.app(), "ci-trust");
    const json = synth({}, s);
    expect(Object.keys(json.json.output).sort()).toEqual(["BYOC_AWS_APPLY_ROLE_ARN", "BYOC_AWS_PLAN_ROLE_ARN"]);
    expect(json.json.output.BYOC_AWS_APPLY_ROLE_ARN.value).toBe(json.ref(role(json, "byoc-ci-apply"), "arn"));
    expect(() => new AwsCiTrust(s, "Second", { ...GITHUB, name: "byoc-ci-two" })).toThrow(
      "CiTrustStack ci-trust: ci-trust/Second and ci-trust/Ci both publish BYOC_AWS_PLAN_ROLE_ARN; a CiTrustStack holds one trust per cloud (use a stack per account, project or subscription)",
    );
  });

  test.each([
    [{ maxSessionDuration: 600 }, "maxSessionDuration must be whole seconds from 3600 to 43200 (got 600)"],
    [{ stateBucket: "Acme_State" }, 'stateBucket must be an S3 bucket name (got "Acme_State")'],
    [{ stateKeyPrefixes: [] }, "stateKeyPrefixes must name at least one prefix (got [])"],
  ])("bad props: %j", (over, message) => {
    expect(() => synth(over as Partial<AwsCiTrustProps>)).toThrow(`AwsCiTrust test/Ci: ${message}`);
  });
});
