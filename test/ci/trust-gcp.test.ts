import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { evaluate } from "@marcbachmann/cel-js";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { CiTrustStack } from "../../lib/ci/trust-stack";
import { GcpCiTrust, type GcpCiTrustProps } from "../../lib/ci/trust-gcp";
import { StackJson, type Block } from "../support/synth";

/**
 * GcpCiTrust in a plain stack with the google provider. The provider's CEL (attribute
 * mapping, attribute condition) and the state bucket's IAM conditions are evaluated with a
 * CEL interpreter against token claims and object names as GitHub, GitLab and Terraform's
 * gcs backend produce them.
 */

/** Terraform JSON lists resources sorted by address, not in creation order: compare as sets. */
const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const BASE: GcpCiTrustProps = { ci: "github", repository: "acme/infra", deployments: ["shop", "billing"], stateBucket: "acme-tfstate" };

function synth(props: Partial<GcpCiTrustProps> = {}, s: TerraformStack = new TerraformStack(Testing.app(), "test")): StackJson {
  new GoogleProvider(s, "google", { project: "acme-ci", region: "europe-west4" });
  new GcpCiTrust(s, "Ci", { ...BASE, ...props } as GcpCiTrustProps);
  return new StackJson(s.node.id, JSON.parse(Testing.synth(s)), s);
}

/** What GCP's token exchange decides for a token: rejected, or the access it is mapped to. */
function exchange(provider: Block, assertion: Record<string, string>): "rejected" | "plan" | "apply" {
  const mapping = provider.attribute_mapping as Record<string, string>;
  const attribute = { byoc_access: evaluate(mapping["attribute.byoc_access"], { assertion }) as string };
  const google = { subject: evaluate(mapping["google.subject"], { assertion }) as string };
  const allowed = evaluate(provider.attribute_condition, { assertion, attribute, google }) as boolean;
  return allowed ? (attribute.byoc_access as "plan" | "apply") : "rejected";
}

/** A GitHub Actions token's claims (the ones the conditions read). */
const github = (claims: { sub: string; ref: string; repository?: string; repository_owner_id?: string; environment?: string }) => ({
  repository: "acme/infra",
  repository_owner_id: "4711",
  ...claims,
});
/** A GitLab CI id_token's claims; booleans are strings in GitLab's tokens. */
const gitlab = (claims: { ref: string; ref_protected: "true" | "false"; environment?: string; project_path?: string; ref_type?: string }) => {
  const project_path = claims.project_path ?? "acme/platform/infra";
  const ref_type = claims.ref_type ?? "branch";
  return { project_path, ref_type, sub: `project_path:${project_path}:ref_type:${ref_type}:ref:${claims.ref}`, ...claims };
};

describe("GcpCiTrust for GitHub Actions", () => {
  const json = synth({ repositoryOwnerId: "4711" });
  const provider = json.resource("google_iam_workload_identity_pool_provider");
  const pool = json.resource("google_iam_workload_identity_pool");

  test("a pool and an OIDC provider for GitHub's issuer, accepting its default audience (the provider's own name)", () => {
    expect(pool).toMatchObject({ project: "acme-ci", workload_identity_pool_id: "byoc-ci" });
    expect(provider).toMatchObject({
      project: "acme-ci",
      workload_identity_pool_id: json.ref(pool, "workload_identity_pool_id"),
      workload_identity_pool_provider_id: "github",
      oidc: { issuer_uri: "https://token.actions.githubusercontent.com" },
    });
    expect(provider.oidc.allowed_audiences).toBeUndefined();
    expect(provider.attribute_mapping["google.subject"]).toBe("assertion.sub");
  });

  test("the attribute condition pins the repository and the owner's numeric id", () => {
    expect(provider.attribute_condition).toContain("assertion.repository == 'acme/infra'");
    expect(provider.attribute_condition).toContain("assertion.repository_owner_id == '4711'");
  });

  test.each([
    ["a pull request", github({ sub: "repo:acme/infra:pull_request", ref: "refs/pull/7/merge" }), "plan"],
    ["a push to a feature branch", github({ sub: "repo:acme/infra:ref:refs/heads/feature/x", ref: "refs/heads/feature/x" }), "plan"],
    ["the byoc-shop environment on main", github({ sub: "repo:acme/infra:environment:byoc-shop", ref: "refs/heads/main", environment: "byoc-shop" }), "apply"],
    ["the byoc-shop environment on a feature branch", github({ sub: "repo:acme/infra:environment:byoc-shop", ref: "refs/heads/feature/x", environment: "byoc-shop" }), "rejected"],
    ["an environment of no deployment, on main", github({ sub: "repo:acme/infra:environment:scratch", ref: "refs/heads/main", environment: "scratch" }), "rejected"],
    ["a tag push", github({ sub: "repo:acme/infra:ref:refs/tags/v1", ref: "refs/tags/v1" }), "rejected"],
    ["another repository of the owner", github({ sub: "repo:acme/other:environment:byoc-shop", ref: "refs/heads/main", environment: "byoc-shop", repository: "acme/other" }), "rejected"],
    ["a re-created owner of the same name", github({ sub: "repo:acme/infra:environment:byoc-shop", ref: "refs/heads/main", environment: "byoc-shop", repository_owner_id: "9999" }), "rejected"],
  ])("%s: %s", (_, claims, expected) => {
    expect(exchange(provider, claims)).toBe(expected);
  });

  test("each service account may be impersonated by one principalSet of the pool: plan by plan tokens, apply by apply tokens", () => {
    const members = json.resources("google_service_account_iam_member");
    const sa = (kind: string) => json.resource("google_service_account", (s) => s.account_id === `byoc-ci-${kind}`);
    expect(sorted(members.map((m) => [m.service_account_id, m.role, m.member]))).toEqual(
      sorted([
        [json.ref(sa("plan"), "name"), "roles/iam.workloadIdentityUser", `principalSet://iam.googleapis.com/${json.ref(pool, "name")}/attribute.byoc_access/plan`],
        [json.ref(sa("apply"), "name"), "roles/iam.workloadIdentityUser", `principalSet://iam.googleapis.com/${json.ref(pool, "name")}/attribute.byoc_access/apply`],
      ]),
    );
  });

  test("project roles: viewer for plan, owner for apply by default; no service account key anywhere", () => {
    const sa = (kind: string) => json.resource("google_service_account", (s) => s.account_id === `byoc-ci-${kind}`);
    expect(sorted(json.resources("google_project_iam_member").map((m) => [m.role, m.member]))).toEqual([
      ["roles/owner", json.ref(sa("apply"), "member")],
      ["roles/viewer", json.ref(sa("plan"), "member")],
    ]);
    expect(Object.keys(json.json.resource).filter((t) => /key|hmac|secret/.test(t))).toEqual([]);
  });

  test("state: plan reads the deployments' prefixes and writes only their .tflock objects; apply writes the prefixes", () => {
    const grants = json.resources("google_storage_bucket_iam_member");
    const sa = (kind: string) => json.ref(json.resource("google_service_account", (s) => s.account_id === `byoc-ci-${kind}`), "member");
    const allows = (member: string, role: string, name: string, type = "storage.googleapis.com/Object") =>
      grants.filter((g) => g.member === member && g.role === role && g.bucket === "acme-tfstate").some((g) => evaluate(g.condition.expression, { resource: { name, type } }));
    const object = (path: string) => `projects/_/buckets/acme-tfstate/objects/${path}`;
    expect(grants.every((g) => g.bucket === "acme-tfstate")).toBe(true);
    // Reading: the bucket (object listing) and the deployments' state; not another prefix.
    expect(allows(sa("plan"), "roles/storage.objectViewer", "projects/_/buckets/acme-tfstate", "storage.googleapis.com/Bucket")).toBe(true);
    expect(allows(sa("plan"), "roles/storage.objectViewer", object("shop/shop-gcp-infra/default.tfstate"))).toBe(true);
    expect(allows(sa("plan"), "roles/storage.objectViewer", object("other/x/default.tfstate"))).toBe(false);
    // Writing: the lock objects only.
    expect(allows(sa("plan"), "roles/storage.objectUser", object("billing/billing-gcp-infra/default.tflock"))).toBe(true);
    expect(allows(sa("plan"), "roles/storage.objectUser", object("billing/billing-gcp-infra/default.tfstate"))).toBe(false);
    expect(allows(sa("plan"), "roles/storage.objectUser", object("other/x/default.tflock"))).toBe(false);
    expect(allows(sa("plan"), "roles/storage.objectUser", "projects/_/buckets/acme-tfstate", "storage.googleapis.com/Bucket")).toBe(false);
    expect(allows(sa("apply"), "roles/storage.objectUser", object("shop/shop-gcp-infra/default.tfstate"))).toBe(true);
    expect(allows(sa("apply"), "roles/storage.objectUser", object("other/x/default.tfstate"))).toBe(false);
  });

  test("outputs: the provider's full resource name and the service accounts' emails, per instance in a plain stack", () => {
    expect(json.json.output).toEqual({
      ci_workload_identity_provider: expect.objectContaining({ value: json.ref(provider, "name"), description: expect.stringMatching(/^CI variable BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER: /) }),
      ci_plan_service_account: expect.objectContaining({ value: json.ref(json.resource("google_service_account", (s) => s.account_id === "byoc-ci-plan"), "email") }),
      ci_apply_service_account: expect.objectContaining({ value: json.ref(json.resource("google_service_account", (s) => s.account_id === "byoc-ci-apply"), "email") }),
    });
  });
});

describe("GcpCiTrust for GitLab CI", () => {
  const json = synth({ ci: "gitlab", repository: "acme/platform/infra", deployments: ["shop"] });
  const provider = json.resource("google_iam_workload_identity_pool_provider");

  test("GitLab.com's issuer by default, the project path in the condition", () => {
    expect(provider.oidc.issuer_uri).toBe("https://gitlab.com");
    expect(provider.attribute_condition).toContain("assertion.project_path == 'acme/platform/infra'");
  });

  test.each([
    ["a merge request pipeline on a feature branch", gitlab({ ref: "feature-1", ref_protected: "false" }), "plan"],
    ["a drift check on main without an environment", gitlab({ ref: "main", ref_protected: "true" }), "plan"],
    ["the byoc-shop environment on protected main", gitlab({ ref: "main", ref_protected: "true", environment: "byoc-shop" }), "apply"],
    ["the byoc-shop environment on main while main is unprotected", gitlab({ ref: "main", ref_protected: "false", environment: "byoc-shop" }), "plan"],
    ["the byoc-shop environment on a feature branch", gitlab({ ref: "feature-1", ref_protected: "false", environment: "byoc-shop" }), "plan"],
    ["a protected tag named main", gitlab({ ref: "main", ref_protected: "true", ref_type: "tag", environment: "byoc-shop" }), "rejected"],
    ["another project", gitlab({ ref: "main", ref_protected: "true", environment: "byoc-shop", project_path: "acme/platform/other" }), "rejected"],
  ])("%s: %s", (_, claims, expected) => {
    expect(exchange(provider, claims)).toBe(expected);
  });
});

describe("GcpCiTrust in a CiTrustStack, and bad props", () => {
  test("outputs named exactly after the CI variables", () => {
    const json = synth({}, new CiTrustStack(Testing.app(), "ci-trust"));
    expect(Object.keys(json.json.output).sort()).toEqual(["BYOC_GCP_APPLY_SERVICE_ACCOUNT", "BYOC_GCP_PLAN_SERVICE_ACCOUNT", "BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER"]);
  });

  test.each([
    [{ name: "gcp-ci" }, 'name must not start with "gcp-", which Google reserves for pool ids (got "gcp-ci")'],
    [{ stateBucket: "Acme State" }, 'stateBucket must be a Cloud Storage bucket name (got "Acme State")'],
    [{ environments: Array.from({ length: 60 }, (_, i) => `byoc-environment-${i}`) }, /the access mapping is \d+ characters, over GCP's 2048: name fewer environments or applyBranches$/],
  ])("%j", (over, message) => {
    expect(() => synth(over as Partial<GcpCiTrustProps>)).toThrow(typeof message === "string" ? `GcpCiTrust test/Ci: ${message}` : message);
  });
});
