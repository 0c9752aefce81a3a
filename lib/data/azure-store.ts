import type { ITerraformDependable } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import type { Naming } from "../core/naming";
import type { IAzureNetwork } from "../network/azure";
import type { IAzureKey } from "./keys/azure";
import { label } from "../core/validate";

/** What every Azure data store takes besides its own sizes. */
export interface AzureStoreProps {
  /**
   * The store's resource group, region and zones; its private endpoint goes in the
   * private-endpoints subnet, its private zone is linked to the VNet.
   */
  readonly network: IAzureNetwork;
  /** The customer-managed key the store wraps its data encryption keys with, through an identity of its own. */
  readonly key: IAzureKey;
  /** The Log Analytics workspace the store's logs go to. */
  readonly logsWorkspaceId: string;
  /**
   * `prevent_destroy`, and a CanNotDelete lock where the service has no deletion
   * protection of its own. Turning it off is for throwaway environments only.
   * @default true
   */
  readonly protection?: boolean;
  /** Names the store's resources. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** A managed identity as a store's Entra sign-in needs it (a UserAssignedIdentity fits). */
export interface IAzureIdentity {
  readonly id: string;
  readonly name: string;
  readonly principalId: string;
  readonly tenantId: string;
}

/** A store that signs workloads in with Microsoft Entra ID. */
export interface IAzureEntraLogin {
  /** Lets `identity` sign in with an Entra token; returns what a workload must wait for. */
  allowEntraLogin(scope: Construct, id: string, identity: IAzureIdentity): ITerraformDependable;
}




/** A network member a construct cannot do without, such as the database subnet for PostgreSQL. */
export function requireNetworkId(scope: IConstruct, member: string, value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`${label(scope)}: network.${member} is required: ${what}`);
  return value;
}
