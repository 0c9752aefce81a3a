import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Construct } from "constructs";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { ServiceAccountRef, WorkloadIdentity } from "../platform/target";

export interface AksWorkloadIdentityProps {
  readonly naming: Naming;
  /** The cluster's resource group and region: the identity lives next to the cluster. */
  readonly resourceGroupName: string;
  readonly location: string;
  /** The cluster's OIDC issuer URL. */
  readonly issuer: string;
  readonly serviceAccount: ServiceAccountRef;
}

/**
 * A user-assigned identity that one Kubernetes service account may act as, through a
 * federated credential trusting the cluster's OIDC issuer for exactly that account.
 * One identity per service account: Azure refuses concurrent federated-credential
 * writes on one identity, and a grant then reaches one workload only. Callers add the
 * identity's role assignments.
 */
export class AksWorkloadIdentity extends Construct {
  /** Audience Entra ID expects in the projected service-account token. */
  static readonly AUDIENCE = "api://AzureADTokenExchange";

  readonly identity: UserAssignedIdentity;
  readonly credential: FederatedIdentityCredential;
  /** The annotation and label that make the Azure workload identity webhook inject the token. */
  readonly workloadIdentity: WorkloadIdentity;

  constructor(scope: Construct, id: string, props: AksWorkloadIdentityProps) {
    super(scope, id);
    setComponent(this, "cluster");
    const { naming, serviceAccount: sa } = props;
    const name = naming.name("wi", `${sa.namespace}-${sa.name}`, 120);
    this.identity = new UserAssignedIdentity(this, "Identity", {
      name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
    });
    this.credential = new FederatedIdentityCredential(this, "Credential", {
      name,
      resourceGroupName: props.resourceGroupName,
      parentId: this.identity.id,
      audience: [AksWorkloadIdentity.AUDIENCE],
      issuer: props.issuer,
      subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
    });
    this.workloadIdentity = {
      serviceAccountAnnotations: { "azure.workload.identity/client-id": this.identity.clientId },
      podLabels: { "azure.workload.identity/use": "true" },
    };
  }
}
