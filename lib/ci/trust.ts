/**
 * What the CI trust constructs of every cloud share: which CI system issues the tokens,
 * for which repository, and the OIDC subjects (and, for GCP, claims) its plan and apply
 * jobs present. No provider package is loaded here.
 */
import { TerraformOutput, TerraformStack, Token } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import { constructOutput } from "../core/outputs";
import { ByocStack } from "../core/stack";

import { CI_SYSTEMS, type CiSystem } from "./systems";

export { CI_SYSTEMS, type CiSystem };

/** The issuer each hosted CI system signs its tokens with (Jenkins has none by default). */
export const CI_ISSUERS: Readonly<Record<Exclude<CiSystem, "jenkins">, string>> = {
  github: "https://token.actions.githubusercontent.com",
  gitlab: "https://gitlab.com",
};

/** The issuer, repository and refs the plan and apply identities trust; shared by every cloud's trust. */
export interface CiTrustProps {
  readonly ci: CiSystem;
  /**
   * GitHub `owner/name`; GitLab the project path `group[/subgroup...]/project`; Jenkins the
   * full name of the multibranch job that runs the pipeline, `folder/job`.
   */
  readonly repository: string;
  /**
   * The token issuer, an https URL without a trailing slash. Required for Jenkins: the
   * OpenID Connect Provider plugin's issuer, `<jenkins>/oidc` unless an alternate issuer is set.
   * @default - GitHub https://token.actions.githubusercontent.com, GitLab https://gitlab.com
   */
  readonly issuerUrl?: string;
  /** The deployments this repository applies (`deployments/<name>/byoc.yaml`); their state is what the identities may read and lock. */
  readonly deployments: readonly string[];
  /**
   * CI environments an apply job must run in (GitHub `environment:`, GitLab
   * `environment:`), each gated by the CI system's approvals. Jenkins has no environment
   * claim: its apply trusts `applyBranches` and the pipeline's input step gates it.
   * @default - `byoc-<deployment>` for each deployment
   */
  readonly environments?: readonly string[];
  /** Protected branches apply runs from (GitLab: must also be protected, `ref_protected`). @default ["main"] */
  readonly applyBranches?: readonly string[];
  /** GitHub only: the owner's numeric id, which GCP also checks so a deleted and re-created owner name gets nothing. @default - the repository name only */
  readonly repositoryOwnerId?: string;
  /** Jenkins only: the root URL its job URLs (the token subjects) begin with. @default - issuerUrl without its trailing `/oidc` */
  readonly jenkinsUrl?: string;
  /** Prefix of every identity's name: `<name>-plan`, `<name>-apply` (GCP: also the pool id). 4-20 of a-z, 0-9 and "-". @default "byoc-ci" */
  readonly name?: string;
}

/** A construct that publishes the CI variables its pipeline jobs need. */
export interface ICiTrust {
  /** CI variable name (e.g. BYOC_AWS_PLAN_ROLE_ARN) to its value. */
  readonly ciVariables: Readonly<Record<string, string>>;
}

/** A CI variable a trust publishes as a Terraform output. */
export interface CiVariable {
  readonly name: string;
  readonly value: string;
  readonly description: string;
}

/** A stack whose outputs are named exactly after the CI variables (CiTrustStack). */
export interface ICiVariableScope {
  /** Records that `owner` publishes `variable`; throws when another construct already does. */
  claimCiVariable(variable: string, owner: IConstruct): void;
}

function isCiVariableScope(stack: unknown): stack is ICiVariableScope {
  return typeof (stack as Partial<ICiVariableScope>).claimCiVariable === "function";
}

/**
 * Publishes CI variables as outputs. In a CiTrustStack (one trust per cloud) an output is
 * named exactly after its variable, so `terraform output` prints what to paste into the CI
 * settings; elsewhere it is named per construct instance (constructOutput), with the
 * variable named in its description.
 */
export function exportCiVariables(scope: Construct, variables: readonly CiVariable[]): Record<string, string> {
  const stack = TerraformStack.of(scope);
  for (const v of variables) {
    const description = `CI variable ${v.name}: ${v.description}`;
    if (isCiVariableScope(stack)) {
      stack.claimCiVariable(v.name, scope);
      new TerraformOutput(scope, `output-${v.name}`, { value: v.value, description }).overrideLogicalId(v.name);
    } else {
      constructOutput(scope, v.name.replace(/^BYOC_[A-Z]+_/, "").toLowerCase(), { value: v.value, description });
    }
  }
  return Object.fromEntries(variables.map((v) => [v.name, v.value]));
}

const REPOSITORY: Record<CiSystem, { format: RegExp; example: string }> = {
  github: { format: /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, example: "acme/infra" },
  gitlab: { format: /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/, example: "acme/platform/infra" },
  jenkins: { format: /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/, example: "platform/infra" },
};
/** An https URL with a host and an optional path, no query, fragment or trailing slash. */
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~%-]+)*$/;
/** Environment names end up inside subjects and CEL strings: no ':', quotes or spaces. */
const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** A branch name without wildcards (git refuses `*`, `?`, `[` and `:` in ref names). */
const BRANCH = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const NAME = /^[a-z][a-z0-9-]{2,18}[a-z0-9]$/;

/**
 * The CI issuer model resolved from CiTrustProps: defaults filled, validated, and the
 * subjects each identity trusts. Plan subjects may end in `*` (any run of characters);
 * apply subjects are exact.
 */
export class CiIssuer {
  static readonly DEFAULT_NAME = "byoc-ci";
  static readonly DEFAULT_APPLY_BRANCHES: readonly string[] = ["main"];

  readonly ci: CiSystem;
  readonly repository: string;
  readonly issuerUrl: string;
  readonly deployments: readonly string[];
  readonly environments: readonly string[];
  readonly applyBranches: readonly string[];
  readonly repositoryOwnerId?: string;
  readonly name: string;
  /** Jenkins: the URL every branch job of the multibranch job starts with, ending in `/`. */
  private readonly jenkinsJobUrl?: string;

  constructor(label: string, props: CiTrustProps) {
    const fail = (prop: string, message: string, value: unknown): never => {
      throw new Error(`${label}: ${prop} ${message} (got ${JSON.stringify(value)})`);
    };
    requireLiteral(label, props);
    if (!CI_SYSTEMS.includes(props.ci)) fail("ci", `must be one of ${CI_SYSTEMS.join(", ")}`, props.ci);
    this.ci = props.ci;
    const repo = REPOSITORY[this.ci];
    if (!repo.format.test(props.repository)) fail("repository", `must be ${this.ci === "github" ? "owner/name" : this.ci === "gitlab" ? "the project path group/project" : "the multibranch job's full name"}, such as ${repo.example}`, props.repository);
    this.repository = props.repository;

    const issuer = props.issuerUrl ?? (this.ci === "jenkins" ? undefined : CI_ISSUERS[this.ci]);
    if (issuer === undefined) fail("issuerUrl", "is required for Jenkins: the OpenID Connect Provider plugin's issuer, such as https://jenkins.example.com/oidc", issuer);
    if (!HTTPS_URL.test(issuer!)) fail("issuerUrl", "must be an https URL without a trailing slash, query or fragment, such as https://gitlab.example.com", issuer);
    this.issuerUrl = issuer!;

    if (props.deployments.length === 0) fail("deployments", "must name at least one deployment", props.deployments);
    const badDeployment = props.deployments.find((d, i) => !ByocStack.DEPLOYMENT_NAME.test(d) || props.deployments.indexOf(d) !== i);
    if (badDeployment !== undefined) fail("deployments", "must be distinct deployment names (3-20 of a-z, 0-9 and \"-\", a letter first)", badDeployment);
    this.deployments = props.deployments;

    this.environments = props.environments ?? this.deployments.map((d) => `byoc-${d}`);
    if (this.environments.length === 0) fail("environments", "must name at least one CI environment: apply runs only in one", this.environments);
    const badEnv = this.environments.find((e) => !ENVIRONMENT.test(e));
    if (badEnv !== undefined) fail("environments", "must be environment names of letters, digits, \".\", \"_\" and \"-\"", badEnv);

    this.applyBranches = props.applyBranches ?? CiIssuer.DEFAULT_APPLY_BRANCHES;
    if (this.applyBranches.length === 0) fail("applyBranches", "must name at least one protected branch", this.applyBranches);
    const badBranch = this.applyBranches.find((b) => !BRANCH.test(b));
    if (badBranch !== undefined) fail("applyBranches", "must be branch names without wildcards, such as main", badBranch);

    if (props.repositoryOwnerId !== undefined && (this.ci !== "github" || !/^\d+$/.test(props.repositoryOwnerId))) {
      fail("repositoryOwnerId", "is GitHub's numeric owner id, for ci \"github\" only", props.repositoryOwnerId);
    }
    this.repositoryOwnerId = props.repositoryOwnerId;

    this.name = props.name ?? CiIssuer.DEFAULT_NAME;
    if (!NAME.test(this.name)) fail("name", "must be 4-20 of a-z, 0-9 and \"-\", a letter first, not ending in \"-\"", this.name);

    if (props.jenkinsUrl !== undefined && this.ci !== "jenkins") fail("jenkinsUrl", "is for ci \"jenkins\" only", props.jenkinsUrl);
    if (this.ci === "jenkins") {
      const root = props.jenkinsUrl ?? this.issuerUrl.replace(/\/oidc$/, "");
      if (!HTTPS_URL.test(root)) fail("jenkinsUrl", "must be an https URL without a trailing slash", root);
      this.jenkinsJobUrl = `${root}/job/${this.repository.split("/").join("/job/")}/`;
    }
  }

  /** The issuer without its scheme: the prefix of AWS condition keys (`<host>:sub`). */
  get issuerHost(): string {
    return this.issuerUrl.replace(/^https:\/\//, "");
  }

  /** Subjects of pull/merge requests and of any branch: plan jobs, drift detection. A trailing `*` matches anything. */
  planSubjects(): string[] {
    switch (this.ci) {
      case "github":
        return [`repo:${this.repository}:pull_request`, `repo:${this.repository}:ref:refs/heads/*`];
      case "gitlab":
        // Merge request pipelines run on the source branch: their subject is that branch's.
        return [`project_path:${this.repository}:ref_type:branch:ref:*`];
      case "jenkins":
        return [`${this.jenkinsJobUrl}job/*`];
    }
  }

  /** Exact plan subjects, for clouds that match subjects exactly (Azure): pull requests and the listed branches. */
  exactPlanSubjects(branches: readonly string[]): string[] {
    switch (this.ci) {
      case "github":
        return [`repo:${this.repository}:pull_request`, ...branches.map((b) => `repo:${this.repository}:ref:refs/heads/${b}`)];
      case "gitlab":
        return branches.map((b) => this.gitlabBranch(b));
      case "jenkins":
        return branches.map((b) => this.jenkinsBranch(b));
    }
  }

  /**
   * The subjects an apply job presents. GitHub: the environment (GitHub puts no ref in an
   * environment job's subject; the environment's deployment-branch rule restricts it).
   * GitLab and Jenkins: the protected branch (their subjects carry no environment).
   */
  applySubjects(): string[] {
    switch (this.ci) {
      case "github":
        return this.environments.map((e) => `repo:${this.repository}:environment:${e}`);
      case "gitlab":
        return this.applyBranches.map((b) => this.gitlabBranch(b));
      case "jenkins":
        return this.applyBranches.map((b) => this.jenkinsBranch(b));
    }
  }

  /** CEL over the token: it comes from this repository (a GCP provider's attribute_condition). */
  repositoryCondition(): string {
    switch (this.ci) {
      case "github":
        return [`assertion.repository == '${this.repository}'`, ...(this.repositoryOwnerId ? [`assertion.repository_owner_id == '${this.repositoryOwnerId}'`] : [])].join(" && ");
      case "gitlab":
        return `assertion.project_path == '${this.repository}'`;
      case "jenkins":
        return `assertion.sub.startsWith('${this.jenkinsJobUrl}')`;
    }
  }

  /**
   * CEL over the token: true for a token the apply identity may take. Where the cloud sees
   * every claim (GCP), both the ref and the environment are checked: GitHub the environment
   * subject and `ref`; GitLab `environment`, `ref` and `ref_protected`; Jenkins the branch job.
   */
  applyCondition(): string {
    const list = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(", ")}]`;
    switch (this.ci) {
      case "github":
        return `assertion.sub in ${list(this.applySubjects())} && assertion.ref in ${list(this.applyBranches.map((b) => `refs/heads/${b}`))}`;
      case "gitlab":
        return [
          `assertion.ref_type == 'branch'`,
          `assertion.ref in ${list(this.applyBranches)}`,
          `assertion.ref_protected == 'true'`,
          `has(assertion.environment)`,
          `assertion.environment in ${list(this.environments)}`,
        ].join(" && ");
      case "jenkins":
        return `assertion.sub in ${list(this.applySubjects())}`;
    }
  }

  /** CEL over the token: true for a token the plan identity may take (the plan subjects). */
  planCondition(): string {
    return this.planSubjects()
      .map((s) => (s.endsWith("*") ? `assertion.sub.startsWith('${s.slice(0, -1)}')` : `assertion.sub == '${s}'`))
      .join(" || ");
  }

  private gitlabBranch(branch: string): string {
    return `project_path:${this.repository}:ref_type:branch:ref:${branch}`;
  }

  private jenkinsBranch(branch: string): string {
    // Multibranch jobs are named after the branch, URL-encoded ("feature/x" is "feature%2Fx").
    return `${this.jenkinsJobUrl}job/${encodeURIComponent(branch)}/`;
  }
}

/** Throws unless every value is literal: subjects and conditions are built from them. */
function requireLiteral(label: string, props: CiTrustProps): void {
  const values = [props.repository, props.issuerUrl, props.jenkinsUrl, props.name, props.repositoryOwnerId, ...props.deployments, ...(props.environments ?? []), ...(props.applyBranches ?? [])];
  if (values.some((v) => v !== undefined && Token.isUnresolved(v))) {
    throw new Error(`${label}: repository, issuerUrl, deployments, environments, applyBranches and name must be literal strings, not Terraform references: the trust conditions are built from them`);
  }
}
