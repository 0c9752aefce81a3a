import { createHash } from "node:crypto";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Construct } from "constructs";
import { setComponent } from "../core/tags";
import { CiIssuer, exportCiVariables, type CiTrustProps, type ICiTrust } from "./trust";

/** The storage container holding the deployments' state (the spec's `state` with backend azurerm). */
export interface AzureStateContainer {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
  /** @default - the subscription the identities are in */
  readonly subscriptionId?: string;
}

export interface AzureCiTrustProps extends CiTrustProps {
  /** The resource group the two managed identities live in. */
  readonly resourceGroupName: string;
  /** The identities' region. */
  readonly location: string;
  readonly state: AzureStateContainer;
  /**
   * Branches whose pipelines may plan. Azure matches a federated credential's subject
   * exactly (no wildcards), so a branch needs a credential of its own; pull requests need
   * one credential on GitHub, and on GitLab each merge request branch must be listed.
   * @default - the applyBranches (scheduled drift detection runs there)
   */
  readonly planBranches?: readonly string[];
  /** Roles of the plan identity at each of `planScopes`. @default ["Reader"] */
  readonly planRoles?: readonly string[];
  /** @default - the subscription */
  readonly planScopes?: readonly string[];
  /**
   * Roles of the apply identity at each of `applyScopes`. The infra stack assigns roles and
   * sets resource locks, which Contributor cannot; narrow by scope (resource groups)
   * rather than by role.
   * @default ["Owner"]
   */
  readonly applyRoles?: readonly string[];
  /** @default - the subscription */
  readonly applyScopes?: readonly string[];
  /** The subscription the identities and the default scopes are in. @default - the azurerm provider's (azurerm_client_config) */
  readonly subscriptionId?: string;
}

/** The audience Entra ID's token exchange expects (the Contract with the pipeline templates). */
const AUDIENCE = "api://AzureADTokenExchange";
/** Federated credentials one user-assigned identity may hold. */
const MAX_CREDENTIALS = 20;
const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/**
 * Keyless CI access to an Azure subscription: two user-assigned managed identities with
 * federated identity credentials (issuer, exact subject, audience
 * api://AzureADTokenExchange). No app registration, no client secret.
 * - plan: pull requests and `planBranches`; Reader, plus read and lock on the state
 *   container. Azure has no lease-only permission: taking the blob lease Terraform locks
 *   with needs blob write, so the plan identity's state role (read and write, no delete)
 *   could also overwrite a state blob; keep versioning and soft delete on the state account.
 * - apply: the apply subjects; `applyRoles`, and Storage Blob Data Contributor on the container.
 */
export class AzureCiTrust extends Construct implements ICiTrust {
  static readonly AUDIENCE = AUDIENCE;

  readonly issuer: CiIssuer;
  readonly planIdentity: UserAssignedIdentity;
  readonly applyIdentity: UserAssignedIdentity;
  readonly planSubjects: readonly string[];
  readonly applySubjects: readonly string[];
  readonly ciVariables: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AzureCiTrustProps) {
    super(scope, id);
    const label = `AzureCiTrust ${this.node.path}`;
    this.issuer = new CiIssuer(label, props);
    const planBranches = props.planBranches ?? this.issuer.applyBranches;
    if (planBranches.some((b) => b.includes("*"))) {
      throw new Error(`${label}: planBranches must be exact branch names: Azure matches subjects exactly (got ${JSON.stringify(planBranches)})`);
    }
    this.planSubjects = this.issuer.exactPlanSubjects(planBranches);
    this.applySubjects = this.issuer.applySubjects();
    for (const [kind, subjects] of [["plan", this.planSubjects], ["apply", this.applySubjects]] as const) {
      if (subjects.length === 0 || subjects.length > MAX_CREDENTIALS) {
        throw new Error(`${label}: the ${kind} identity would need ${subjects.length} federated credentials; an identity holds 1 to ${MAX_CREDENTIALS} (fewer ${kind === "plan" ? "planBranches" : "environments or applyBranches"})`);
      }
    }
    setComponent(this, "ci-trust");

    const client = new DataAzurermClientConfig(this, "Client");
    const subscriptionId = props.subscriptionId ?? client.subscriptionId;
    const subscription = `/subscriptions/${subscriptionId}`;
    const st = props.state;
    const container = `/subscriptions/${st.subscriptionId ?? subscriptionId}/resourceGroups/${st.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${st.storageAccountName}/blobServices/default/containers/${st.containerName}`;

    const identity = (kind: "plan" | "apply", subjects: readonly string[]) => {
      const idn = new UserAssignedIdentity(this, kind === "plan" ? "PlanIdentity" : "ApplyIdentity", {
        name: `${this.issuer.name}-${kind}`,
        resourceGroupName: props.resourceGroupName,
        location: props.location,
      });
      // Azure refuses concurrent federated-credential writes on one identity: one at a time.
      let previous: FederatedIdentityCredential | undefined;
      for (const subject of subjects) {
        const name = credentialName(kind, subject);
        previous = new FederatedIdentityCredential(this, name, {
          name,
          resourceGroupName: props.resourceGroupName,
          parentId: idn.id,
          issuer: this.issuer.issuerUrl,
          subject,
          audience: [AUDIENCE],
          dependsOn: previous ? [previous] : undefined,
        });
      }
      return idn;
    };
    this.planIdentity = identity("plan", this.planSubjects);
    this.applyIdentity = identity("apply", this.applySubjects);

    const assign = (kind: string, idn: UserAssignedIdentity, roles: readonly string[], scopes: readonly string[]) =>
      roles.forEach((role, r) =>
        scopes.forEach(
          (scope, s) =>
            new RoleAssignment(this, `${kind}-role-${r}-${s}`, {
              scope,
              roleDefinitionName: role,
              principalId: idn.principalId,
              principalType: "ServicePrincipal",
            }),
        ),
      );
    assign("plan", this.planIdentity, props.planRoles ?? ["Reader"], props.planScopes ?? [subscription]);
    assign("apply", this.applyIdentity, props.applyRoles ?? ["Owner"], props.applyScopes ?? [subscription]);

    const lock = new RoleDefinition(this, "StateLockRole", {
      name: `${this.issuer.name} state read and lock ${st.storageAccountName}/${st.containerName}`,
      description: "Read Terraform state and take its blob lease (cdktf-byoc CI plan)",
      scope: container,
      assignableScopes: [container],
      permissions: [{ actions: [], dataActions: [`${BLOBS}/read`, `${BLOBS}/write`] }],
    });
    new RoleAssignment(this, "PlanState", {
      scope: container,
      roleDefinitionId: lock.roleDefinitionResourceId,
      principalId: this.planIdentity.principalId,
      principalType: "ServicePrincipal",
    });
    new RoleAssignment(this, "ApplyState", {
      scope: container,
      roleDefinitionName: "Storage Blob Data Contributor",
      principalId: this.applyIdentity.principalId,
      principalType: "ServicePrincipal",
    });

    this.ciVariables = exportCiVariables(this, [
      { name: "BYOC_AZURE_TENANT_ID", value: client.tenantId, description: "the Entra ID tenant" },
      { name: "BYOC_AZURE_SUBSCRIPTION_ID", value: subscriptionId, description: "the subscription deployed to" },
      { name: "BYOC_AZURE_PLAN_CLIENT_ID", value: this.planIdentity.clientId, description: "the managed identity plan jobs sign in as" },
      { name: "BYOC_AZURE_APPLY_CLIENT_ID", value: this.applyIdentity.clientId, description: "the managed identity apply jobs sign in as" },
    ]);
  }
}

/** A credential's name from its subject: 3-120 of letters, digits, "-" and "_", stable for the subject. */
function credentialName(kind: string, subject: string): string {
  const slug = `${kind}-${subject.replace(/^https:\/\//, "").replace(/[^A-Za-z0-9_-]+/g, "-")}`.replace(/-+$/, "");
  if (slug.length <= 120) return slug;
  const hash = createHash("sha256").update(subject).digest("hex").slice(0, 8);
  return `${slug.slice(0, 111).replace(/-+$/, "")}-${hash}`;
}
