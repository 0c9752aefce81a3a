import { IamWorkloadIdentityPool } from "@cdktf/provider-google/lib/iam-workload-identity-pool";
import { IamWorkloadIdentityPoolProvider } from "@cdktf/provider-google/lib/iam-workload-identity-pool-provider";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { setComponent } from "../core/tags";
import { resolveProject } from "../network/gcp-context";
import { CiIssuer, exportCiVariables, type CiTrustProps, type ICiTrust } from "./trust";

export interface GcpCiTrustProps extends CiTrustProps {
  /**
   * The Cloud Storage bucket holding the deployments' state (the spec's `state.bucket`,
   * backend gcs). It must use uniform bucket-level access: the state grants carry IAM
   * conditions on object names.
   */
  readonly stateBucket: string;
  /** Object prefixes of the deployments' state (`<prefix>/<stack>/default.tfstate`). @default - the deployment names, as configureBackend writes them */
  readonly statePrefixes?: readonly string[];
  /** Project roles of the plan service account. @default ["roles/viewer"] */
  readonly planRoles?: readonly string[];
  /**
   * Project roles of the apply service account. The infra stack sets IAM policies on the
   * project, keys and service accounts, which roles/editor cannot; narrow to predefined
   * admin roles of the services the deployments use.
   * @default ["roles/owner"]
   */
  readonly applyRoles?: readonly string[];
  /** @default - the google provider's project */
  readonly project?: string;
}

const BUCKET = "storage.googleapis.com/Bucket";
const OBJECT = "storage.googleapis.com/Object";
/** A workload identity pool provider's limit on one attribute mapping expression. */
const MAX_MAPPING = 2048;

/**
 * Keyless CI access to a GCP project through workload identity federation: a pool, an
 * OIDC provider for the issuer (audience: the provider's own resource name, what GitHub's
 * auth action sends by default), and two service accounts the CI impersonates.
 * The provider admits only tokens of the repository (attribute_condition) that are a
 * plan or an apply token, and maps each to `attribute.byoc_access` = plan | apply:
 * - apply: the apply subjects AND the ref (GitHub: environment subject and `ref`; GitLab:
 *   `environment`, a protected `ref`); roles/owner by default, object user on the state.
 * - plan: pull requests and any branch; roles/viewer, reading the state, creating and
 *   deleting only its `.tflock` objects.
 * Each service account's roles/iam.workloadIdentityUser goes to the principalSet of one value.
 */
export class GcpCiTrust extends Construct implements ICiTrust {
  readonly issuer: CiIssuer;
  readonly pool: IamWorkloadIdentityPool;
  readonly provider: IamWorkloadIdentityPoolProvider;
  readonly planServiceAccount: ServiceAccount;
  readonly applyServiceAccount: ServiceAccount;
  readonly ciVariables: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: GcpCiTrustProps) {
    super(scope, id);
    const label = `GcpCiTrust ${this.node.path}`;
    this.issuer = new CiIssuer(label, props);
    const issuer = this.issuer;
    if (issuer.name.startsWith("gcp-")) throw new Error(`${label}: name must not start with "gcp-", which Google reserves for pool ids (got ${JSON.stringify(issuer.name)})`);
    if (!Token.isUnresolved(props.stateBucket) && !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(props.stateBucket)) {
      throw new Error(`${label}: stateBucket must be a Cloud Storage bucket name (got ${JSON.stringify(props.stateBucket)})`);
    }
    const prefixes = props.statePrefixes ?? issuer.deployments;
    if (prefixes.length === 0) throw new Error(`${label}: statePrefixes must name at least one prefix (got [])`);
    const access = `(${issuer.applyCondition()}) ? 'apply' : (${issuer.planCondition()}) ? 'plan' : 'none'`;
    if (access.length > MAX_MAPPING) {
      throw new Error(`${label}: the access mapping is ${access.length} characters, over GCP's ${MAX_MAPPING}: name fewer environments or applyBranches`);
    }
    setComponent(this, "ci-trust");
    const project = resolveProject(this, props.project);

    this.pool = new IamWorkloadIdentityPool(this, "Pool", {
      project,
      workloadIdentityPoolId: issuer.name,
      displayName: issuer.name,
      description: `CI of ${issuer.repository} (cdktf-byoc)`,
    });
    this.provider = new IamWorkloadIdentityPoolProvider(this, "Provider", {
      project,
      workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: issuer.ci,
      displayName: issuer.ci,
      description: `${issuer.ci} tokens of ${issuer.repository}`,
      attributeMapping: { "google.subject": "assertion.sub", "attribute.byoc_access": access },
      attributeCondition: `${issuer.repositoryCondition()} && attribute.byoc_access != 'none'`,
      // No allowed_audiences: the token's audience must then be this provider's full resource name.
      oidc: { issuerUri: issuer.issuerUrl },
    });

    const bucket = props.stateBucket;
    const under = prefixes.map((p) => `resource.name.startsWith('projects/_/buckets/${bucket}/objects/${p}/')`).join(" || ");
    const serviceAccount = (kind: "plan" | "apply", roles: readonly string[]) => {
      const sa = new ServiceAccount(this, kind === "plan" ? "PlanServiceAccount" : "ApplyServiceAccount", {
        project,
        accountId: `${issuer.name}-${kind}`,
        displayName: `${issuer.ci} ${kind} (cdktf-byoc)`,
        description: `Impersonated by ${kind} jobs of ${issuer.repository}`,
      });
      new ServiceAccountIamMember(this, `${kind}-federation`, {
        serviceAccountId: sa.name,
        role: "roles/iam.workloadIdentityUser",
        member: `principalSet://iam.googleapis.com/${this.pool.name}/attribute.byoc_access/${kind}`,
      });
      roles.forEach((role) => new ProjectIamMember(this, `${kind}-${role.replace(/^roles\//, "").replace(/[^A-Za-z0-9]+/g, "-")}`, { project, role, member: sa.member }));
      return sa;
    };
    this.planServiceAccount = serviceAccount("plan", props.planRoles ?? ["roles/viewer"]);
    this.applyServiceAccount = serviceAccount("apply", props.applyRoles ?? ["roles/owner"]);

    const grant = (id: string, sa: ServiceAccount, role: string, title: string, expression: string) =>
      new StorageBucketIamMember(this, id, { bucket, role, member: sa.member, condition: { title, expression } });
    grant("PlanStateRead", this.planServiceAccount, "roles/storage.objectViewer", "byoc-state-read", `resource.type == '${BUCKET}' || ${under}`);
    // Terraform locks a plan too: it creates `<prefix>/<workspace>.tflock` and deletes it.
    grant("PlanStateLock", this.planServiceAccount, "roles/storage.objectUser", "byoc-state-lock", `resource.type == '${OBJECT}' && (${under}) && resource.name.endsWith('.tflock')`);
    grant("ApplyState", this.applyServiceAccount, "roles/storage.objectUser", "byoc-state-write", `resource.type == '${BUCKET}' || ${under}`);

    this.ciVariables = exportCiVariables(this, [
      { name: "BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER", value: this.provider.name, description: "the workload identity provider (projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>)" },
      { name: "BYOC_GCP_PLAN_SERVICE_ACCOUNT", value: this.planServiceAccount.email, description: "the service account plan jobs impersonate" },
      { name: "BYOC_GCP_APPLY_SERVICE_ACCOUNT", value: this.applyServiceAccount.email, description: "the service account apply jobs impersonate" },
    ]);
  }
}
