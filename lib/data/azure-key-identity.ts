import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Construct } from "constructs";
import { AzureKeys, type IAzureKey } from "./keys/azure";

export interface AzureKeyIdentityProps {
  readonly name: string;
  readonly resourceGroupName: string;
  /** Where the identity lives: the service's region (for geo backups, the paired one). */
  readonly location: string;
  /** The customer-managed key the service wraps its data keys with. */
  readonly key: IAzureKey;
  /** What the service is, for the role assignment's description. */
  readonly service: string;
}

/**
 * The user-assigned identity a data service reaches its customer-managed key through,
 * holding one role on that one key: wrap and unwrap (Key Vault Crypto Service
 * Encryption User), never the vault's other keys or secrets. One identity per service,
 * so revoking one service's access leaves the others running.
 */
export class AzureKeyIdentity extends Construct {
  readonly identity: UserAssignedIdentity;
  /** What the service must wait for: it checks the key at creation. */
  readonly grant: RoleAssignment;

  constructor(scope: Construct, id: string, props: AzureKeyIdentityProps) {
    super(scope, id);
    this.identity = new UserAssignedIdentity(this, "Identity", {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
    });
    this.grant = new RoleAssignment(this, "KeyUser", {
      // The key's Azure resource id: Key Vault RBAC scopes roles to a single key.
      scope: props.key.resourceVersionlessId,
      roleDefinitionName: AzureKeys.SERVICE_ENCRYPTION_ROLE,
      principalId: this.identity.principalId,
      // A fresh identity may not have replicated yet; naming its type skips the lookup.
      principalType: "ServicePrincipal",
      description: `Lets ${props.service} wrap and unwrap its data encryption key with this key only.`,
    });
  }
}
