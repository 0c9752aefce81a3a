import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { CiIssuer, type CiTrustProps } from "../../lib/ci/trust";
import { AwsCiTrust } from "../../lib/ci/trust-aws";

/** The CI issuer model every cloud's trust shares: defaults, subjects, and the errors for bad props. */

const issuer = (props: Partial<CiTrustProps>) => new CiIssuer("Test", { ci: "github", repository: "acme/infra", deployments: ["shop"], ...props } as CiTrustProps);

describe("CiIssuer", () => {
  test("GitHub: its issuer, environment byoc-<deployment>, main as the apply branch", () => {
    const i = issuer({ deployments: ["shop", "billing"] });
    expect([i.issuerUrl, i.issuerHost]).toEqual(["https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com"]);
    expect(i.environments).toEqual(["byoc-shop", "byoc-billing"]);
    expect(i.applyBranches).toEqual(["main"]);
    expect(i.planSubjects()).toEqual(["repo:acme/infra:pull_request", "repo:acme/infra:ref:refs/heads/*"]);
    expect(i.exactPlanSubjects(["main", "develop"])).toEqual(["repo:acme/infra:pull_request", "repo:acme/infra:ref:refs/heads/main", "repo:acme/infra:ref:refs/heads/develop"]);
    expect(i.applySubjects()).toEqual(["repo:acme/infra:environment:byoc-shop", "repo:acme/infra:environment:byoc-billing"]);
  });

  test("GitLab: gitlab.com by default, subjects of project_path, ref_type and ref (subgroups kept)", () => {
    const i = issuer({ ci: "gitlab", repository: "acme/platform/infra", applyBranches: ["main", "release/2026"] });
    expect(i.issuerUrl).toBe("https://gitlab.com");
    expect(i.planSubjects()).toEqual(["project_path:acme/platform/infra:ref_type:branch:ref:*"]);
    expect(i.applySubjects()).toEqual(["project_path:acme/platform/infra:ref_type:branch:ref:main", "project_path:acme/platform/infra:ref_type:branch:ref:release/2026"]);
  });

  test("Jenkins: subjects are the multibranch job's branch-job URLs under the Jenkins root (the issuer without /oidc), branch names URL-encoded", () => {
    const i = issuer({ ci: "jenkins", repository: "platform/infra", issuerUrl: "https://ci.example.com/oidc", applyBranches: ["release/1"] });
    expect(i.planSubjects()).toEqual(["https://ci.example.com/job/platform/job/infra/job/*"]);
    expect(i.applySubjects()).toEqual(["https://ci.example.com/job/platform/job/infra/job/release%2F1/"]);
    const alternate = issuer({ ci: "jenkins", repository: "infra", issuerUrl: "https://oidc.example.com/jenkins", jenkinsUrl: "https://ci.example.com" });
    expect(alternate.applySubjects()).toEqual(["https://ci.example.com/job/infra/job/main/"]);
  });

  test.each([
    [{ repository: "infra" }, 'repository must be owner/name, such as acme/infra (got "infra")'],
    [{ repository: "acme/*" }, 'repository must be owner/name, such as acme/infra (got "acme/*")'],
    [{ ci: "gitlab", repository: "infra" }, 'repository must be the project path group/project, such as acme/platform/infra (got "infra")'],
    [{ ci: "bitbucket" }, 'ci must be one of github, gitlab, jenkins (got "bitbucket")'],
    [{ issuerUrl: "http://gitlab.example.com" }, 'issuerUrl must be an https URL without a trailing slash, query or fragment, such as https://gitlab.example.com (got "http://gitlab.example.com")'],
    [{ issuerUrl: "https://gitlab.example.com/" }, 'issuerUrl must be an https URL without a trailing slash, query or fragment, such as https://gitlab.example.com (got "https://gitlab.example.com/")'],
    [{ ci: "jenkins", repository: "infra" }, "issuerUrl is required for Jenkins: the OpenID Connect Provider plugin's issuer, such as https://jenkins.example.com/oidc (got undefined)"],
    [{ deployments: [] }, "deployments must name at least one deployment (got [])"],
    [{ deployments: ["shop", "shop"] }, 'deployments must be distinct deployment names (3-20 of a-z, 0-9 and "-", a letter first) (got "shop")'],
    [{ environments: [] }, "environments must name at least one CI environment: apply runs only in one (got [])"],
    [{ environments: ["prod:*"] }, 'environments must be environment names of letters, digits, ".", "_" and "-" (got "prod:*")'],
    [{ applyBranches: [] }, "applyBranches must name at least one protected branch (got [])"],
    [{ applyBranches: ["release/*"] }, 'applyBranches must be branch names without wildcards, such as main (got "release/*")'],
    [{ repositoryOwnerId: "acme" }, 'repositoryOwnerId is GitHub\'s numeric owner id, for ci "github" only (got "acme")'],
    [{ name: "CI" }, 'name must be 4-20 of a-z, 0-9 and "-", a letter first, not ending in "-" (got "CI")'],
    [{ jenkinsUrl: "https://ci.example.com" }, 'jenkinsUrl is for ci "jenkins" only (got "https://ci.example.com")'],
  ])("refuses %j", (over, message) => {
    expect(() => issuer(over as Partial<CiTrustProps>)).toThrow(`Test: ${message}`);
  });

  test("a construct's error names the construct and its path", () => {
    const s = new TerraformStack(Testing.app(), "trust");
    new AwsProvider(s, "aws", { region: "eu-central-1" });
    expect(() => new AwsCiTrust(s, "Ci", { ci: "github", repository: "infra", deployments: ["shop"], stateBucket: "acme-tfstate" })).toThrow(
      'AwsCiTrust trust/Ci: repository must be owner/name, such as acme/infra (got "infra")',
    );
  });
});
