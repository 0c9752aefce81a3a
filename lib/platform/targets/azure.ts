import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { AksCluster } from "../../cluster/aks";
import type { DeploymentSpec } from "../../config/spec";
import type { AzureDataLayer } from "../../data/azure";
import type { BucketRef, IDataLayer } from "../../data/data";
import type { AzureKeys } from "../../data/keys/azure";
import { setComponent } from "../../core/tags";
import type { AzureDns } from "../../dns/azure";
import { azurePlan } from "../../network/plan";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress } from "../target";

export interface AzurePlatformTargetProps {
  readonly spec: DeploymentSpec;
  /** The infra stack's cluster: identities federate with its OIDC issuer. */
  readonly cluster: AksCluster;
  /** The deployment's vault: External Secrets reads it unless the spec names `target.keyVaultId`. */
  readonly keys: AzureKeys;
  /** The public zone cert-manager answers DNS-01 challenges in. */
  readonly dns: AzureDns;
  /** The infra stack's data stores and buckets, which tenants' workloads get access to. @default none */
  readonly data?: AzureDataLayer;
}

/**
 * How the platform add-ons meet Azure: External Secrets reads Key Vault and cert-manager
 * writes challenge records to Azure DNS, each as its own user-assigned identity through
 * workload identity (no client secret anywhere), with one role on one resource. The
 * gateway gets an internal load balancer; AKS already serves the metrics API.
 */
export class AzurePlatformTarget extends Construct implements IPlatformTarget {
  readonly cluster: AksCluster;
  readonly gatewayService: GatewayService = {
    type: "LoadBalancer",
    annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
  };
  /** Only the Envoy gateway sends traffic into tenant namespaces; Azure's load balancer reaches the gateway, not the tenants. */
  readonly loadBalancerSources: string[] = [];
  readonly tenantEgress: TenantEgress[];
  readonly needsMetricsServer = false;
  readonly prerequisites: ITerraformDependable[] = [];
  readonly openshift = false;
  readonly data?: IDataLayer;
  private readonly props: AzurePlatformTargetProps;

  constructor(scope: Construct, id: string, props: AzurePlatformTargetProps) {
    super(scope, id);
    setComponent(this, "platform");
    this.cluster = props.cluster;
    this.props = props;
    this.data = props.data;
    // Pods live in the overlay range, outside the VNet: the private endpoints and the
    // database subnet are what tenants reach.
    const plan = azurePlan(props.spec.network.cidr);
    this.tenantEgress = [{ cidr: plan.privateEndpoints }, { cidr: plan.database }];
  }

  /** The vault External Secrets reads: the spec's `target.keyVaultId`, else the deployment's own. */
  get secretVault(): { id: string; url: string } {
    const { spec, keys } = this.props;
    const external = spec.target.cloud === "azure" ? spec.target.keyVaultId : undefined;
    if (!external) return { id: keys.vault.id, url: keys.vault.vaultUri };
    // The id's last segment is the vault's name (the spec checks the id's shape).
    return { id: external, url: `https://${external.split("/").at(-1)}.vault.azure.net/` };
  }

  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const vault = this.secretVault;
    const { identity, grants } = this.bind(scope, "ExternalSecrets", sa, {
      id: "VaultReader",
      role: "Key Vault Secrets User",
      scope: vault.id,
      why: "Lets External Secrets read secret values in this vault, nothing else.",
    });
    return {
      identity,
      grants,
      config: {
        azurekv: {
          authType: "WorkloadIdentity",
          vaultUrl: vault.url,
          serviceAccountRef: { name: sa.name, namespace: sa.namespace },
        },
      },
    };
  }

  dns01Solver(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const zone = this.props.dns.publicZone;
    if (!zone) return undefined;
    const { identity, grants, clientId } = this.bind(scope, "CertManager", sa, {
      id: "ZoneContributor",
      role: "DNS Zone Contributor",
      scope: zone.id,
      why: "Lets cert-manager write ACME challenge records in the public zone only.",
    });
    return {
      identity,
      grants,
      config: {
        azureDNS: {
          subscriptionID: this.subscriptionId(),
          resourceGroupName: zone.resourceGroupName,
          hostedZoneName: zone.name,
          environment: "AzurePublicCloud",
          managedIdentity: { clientID: clientId },
        },
      },
    };
  }

  /** The spec's subscription, else the one the provider signs in to (ARM_SUBSCRIPTION_ID). */
  private subscriptionId(): string {
    const { target } = this.props.spec;
    if (target.cloud === "azure" && target.subscriptionId) return target.subscriptionId;
    const existing = this.node.tryFindChild("Client") as DataAzurermClientConfig | undefined;
    return (existing ?? new DataAzurermClientConfig(this, "Client")).subscriptionId;
  }

  /** A user-assigned identity for `sa` (workload identity federation) holding one role. */
  private bind(scope: Construct, prefix: string, sa: ServiceAccountRef, grant: { id: string; role: string; scope: string; why: string }) {
    const bound = this.cluster.bindServiceAccount(scope, `${prefix}Identity`, sa);
    const assignment = new RoleAssignment(scope, `${prefix}${grant.id}`, {
      scope: grant.scope,
      roleDefinitionName: grant.role,
      principalId: bound.identity.principalId,
      principalType: "ServicePrincipal",
      description: grant.why,
    });
    return { identity: bound.workloadIdentity, grants: [bound.credential, assignment], clientId: bound.identity.clientId };
  }

  /**
   * Nothing to sync: every Azure store signs workloads in with Microsoft Entra ID
   * (PostgreSQL, the document database, Redis, blobs), so no store publishes
   * credentials and tenants get no store that can read the vault.
   */
  dataCredentialsStore(): undefined {
    return undefined;
  }

  /**
   * The tenant's workload identity: a user-assigned identity federated with `sa`, with
   * Storage Blob Data Contributor on exactly the given containers, and an Entra sign-in
   * on each store of the data layer (PostgreSQL administrator, document database user,
   * Redis access policy assignment).
   */
  workloadIdentity(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>> {
    const bound = this.cluster.bindServiceAccount(scope, "CloudIdentity", sa);
    const identity = bound.identity;
    const grants: ITerraformDependable[] = [bound.credential];
    const data = this.props.data;
    for (const bucket of buckets) {
      const container = data?.storage.containers[bucket.purpose];
      if (!container) throw new Error(`${sa.namespace}/${sa.name}: no container for bucket ${bucket.purpose} in the Azure data layer`);
      grants.push(
        new RoleAssignment(scope, `Bucket-${bucket.purpose}`, {
          scope: container.resourceManagerId,
          roleDefinitionName: "Storage Blob Data Contributor",
          principalId: identity.principalId,
          principalType: "ServicePrincipal",
          description: `Lets ${sa.namespace}/${sa.name} read and write blobs in the ${bucket.purpose} container only.`,
        }),
      );
    }
    if (data?.postgres) grants.push(data.postgres.allowEntraLogin(scope, "PostgresLogin", identity));
    if (data?.documents) grants.push(data.documents.allowEntraLogin(scope, "DocumentsLogin", identity));
    if (data?.redis) grants.push(data.redis.allowEntraLogin(scope, "RedisLogin", identity));
    // Entra logins: PostgreSQL knows the identity by its name, Redis by its object id.
    const config: Record<string, string> = {
      AZURE_CLIENT_ID: identity.clientId,
      ...(data?.postgres ? { POSTGRES_USER: identity.name } : {}),
      ...(data?.redis ? { REDIS_USER: identity.principalId } : {}),
    };
    return { identity: bound.workloadIdentity, grants, config };
  }
}
