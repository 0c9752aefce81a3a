import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { ServiceAccountRef, WorkloadIdentity } from "../platform/target";
import type { IAksCluster } from "./aks";

export interface AksWorkloadIdentityProps {
  /** The identity lives in the cluster's resource group and region, and trusts its OIDC issuer. */
  readonly cluster: IAksCluster;
  readonly serviceAccount: ServiceAccountRef;
  /** Names the identity and its credential. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * A user-assigned identity that one Kubernetes service account may act as, through a
 * federated credential trusting the cluster's OIDC issuer for exactly that account.
 * One identity per service account: Azure refuses concurrent federated-credential
 * writes on one identity, and a grant then reaches one workload only. Callers add the
 * identity's role assignments, and put `workloadIdentity` on the service account and pods.
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
    const { cluster, serviceAccount: sa } = props;
    const name = namingOf(this, props.naming).name("wi", `${sa.namespace}-${sa.name}`, 120);
    this.identity = new UserAssignedIdentity(this, "Identity", {
      name,
      resourceGroupName: cluster.resourceGroupName,
      location: cluster.location,
    });
    this.credential = new FederatedIdentityCredential(this, "Credential", {
      name,
      resourceGroupName: cluster.resourceGroupName,
      parentId: this.identity.id,
      audience: [AksWorkloadIdentity.AUDIENCE],
      issuer: cluster.oidcIssuerUrl,
      subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
    });
    this.workloadIdentity = {
      serviceAccountAnnotations: { "azure.workload.identity/client-id": this.identity.clientId },
      podLabels: { "azure.workload.identity/use": "true" },
    };
  }
}
