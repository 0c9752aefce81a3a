import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import type { Construct } from "constructs";

/**
 * A CanNotDelete lock on a store while its `protection` is on: prevent_destroy
 * stops Terraform, the lock stops everyone else (portal, CLI, a stray `az group
 * delete`), Owners included, until someone removes it on purpose. Azure services that
 * lack their own deletion protection (PostgreSQL flexible server, the document
 * database, storage accounts) get it this way. Locks are inherited: children of the
 * store (databases, containers, Entra administrators and users) cannot be deleted
 * either while it holds.
 */
export function deleteLock(scope: Construct, id: string, props: { name: string; resourceId: string; protection: boolean; what: string }): ManagementLock | undefined {
  if (!props.protection) return undefined;
  return new ManagementLock(scope, id, {
    name: props.name,
    scope: props.resourceId,
    lockLevel: "CanNotDelete",
    notes: `Protects ${props.what} from deletion (data.protection is enabled); remove the lock on purpose before deleting.`,
  });
}
