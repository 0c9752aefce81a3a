import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IAksCluster } from "../../cluster/aks";
import { AksWorkloadIdentity } from "../../cluster/aks-workload-identity";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import { platformLabels } from "../namespaces";
import type { IAzureDataLayer } from "../../data/azure";
import type { BucketRef } from "../../data/data";
import type { IAzureKeyVault } from "../../data/keys/azure";
import type { IAzureDnsZone } from "../../dns/azure";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure, UdpServiceRequest } from "../target";
import { checkUdpServiceRequest, refuseStaticAddresses } from "./udp-service";

export interface AzurePlatformTargetProps {
  /** The cluster: identities federate with its OIDC issuer and live in its resource group. */
  readonly cluster: IAksCluster;
  /** The vault External Secrets reads secrets from (the deployment's, or one of your own: AzureKeys.vaultFromId). */
  readonly secretsVault: IAzureKeyVault;
  /** The public zone cert-manager answers DNS-01 challenges in. @default - no DNS-01 solver */
  readonly publicZone?: IAzureDnsZone;
  /** The data stores and buckets tenants' workloads get access to. @default - none */
  readonly data?: IAzureDataLayer;
  /**
   * Where in the network tenant pods may connect: the subnets of private endpoints and
   * of the database, never a range pods live in.
   * @default []
   */
  readonly tenantEgress?: TenantEgress[];
  /**
   * The VNet's range: the API server (VNet integration) calls webhooks from its
   * delegated subnet in it, and pods reach the API server there.
   */
  readonly networkCidr: string;
  /** The subscription of the public zone, for cert-manager. @default - the provider's (azurerm_client_config) */
  readonly subscriptionId?: string;
  /** Names the workload identities. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * How the platform add-ons meet Azure: External Secrets reads Key Vault and cert-manager
 * writes challenge records to Azure DNS, each as its own user-assigned identity through
 * workload identity (no client secret anywhere), with one role on one resource. The
 * gateway gets an internal load balancer; AKS already serves the metrics API.
 */
export class AzurePlatformTarget extends Construct implements IPlatformTarget {
  readonly cluster: IAksCluster;
  readonly gatewayService: GatewayService = {
    type: "LoadBalancer",
    annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
  };
  /** Only the Envoy gateway sends traffic into tenant namespaces; Azure's load balancer reaches the gateway, not the tenants. */
  readonly loadBalancerSources: string[] = [];
  readonly tenantEgress: TenantEgress[];
  readonly controlPlaneSources: string[];
  readonly apiServerEgress: TenantEgress[];
  /** Entra ID, Key Vault and Storage answer on public addresses or private endpoints: HTTPS to any address. */
  readonly cloudApiEgress: TenantEgress[] = [{ cidr: "0.0.0.0/0", ports: [{ port: 443, protocol: "TCP" }] }];
  readonly needsMetricsServer = false;
  readonly prerequisites: ITerraformDependable[] = [];
  readonly openshift = false;
  readonly data?: IAzureDataLayer;
  readonly secretsVault: IAzureKeyVault;
  readonly publicZone?: IAzureDnsZone;
  private readonly naming: Naming;
  private readonly subscription?: string;

  constructor(scope: Construct, id: string, props: AzurePlatformTargetProps) {
    super(scope, id);
    setComponent(this, "platform");
    this.naming = namingOf(this, props.naming);
    this.cluster = props.cluster;
    this.secretsVault = props.secretsVault;
    this.publicZone = props.publicZone;
    this.data = props.data;
    this.tenantEgress = props.tenantEgress ?? [];
    this.controlPlaneSources = [props.networkCidr];
    this.apiServerEgress = [{ cidr: props.networkCidr, ports: [{ port: 443, protocol: "TCP" }] }];
    this.subscription = props.subscriptionId;
    // AKS's own managed-csi encrypts with platform keys; the newest default StorageClass wins (Kubernetes 1.26+).
    if (this.cluster.diskEncryptionSetId && this.cluster.storageClass) {
      const storage = new StorageClassV1(this, "EncryptedStorageClass", {
        metadata: {
          name: this.cluster.storageClass,
          labels: platformLabels(this.naming.deployment, "storage"),
          annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        storageProvisioner: "disk.csi.azure.com",
        parameters: { skuname: "StandardSSD_LRS", kind: "managed", diskEncryptionSetID: this.cluster.diskEncryptionSetId },
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
      });
      // Volumes bound before it would stay on platform keys.
      this.prerequisites.push(storage);
    }
  }

  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const vault = this.secretsVault;
    const { identity, grants } = this.bind(scope, "ExternalSecrets", sa, {
      id: "VaultReader",
      role: "Key Vault Secrets User",
      scope: vault.keyVaultId,
      why: "Lets External Secrets read secret values in this vault, nothing else.",
    });
    return {
      identity,
      grants,
      config: {
        azurekv: {
          authType: "WorkloadIdentity",
          vaultUrl: vault.vaultUri,
          serviceAccountRef: { name: sa.name, namespace: sa.namespace },
        },
      },
    };
  }

  dns01Solver(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const zone = this.publicZone;
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

  /** The given subscription, else the one the provider signs in to (ARM_SUBSCRIPTION_ID). */
  private subscriptionId(): string {
    if (this.subscription) return this.subscription;
    const existing = this.node.tryFindChild("Client") as DataAzurermClientConfig | undefined;
    return (existing ?? new DataAzurermClientConfig(this, "Client")).subscriptionId;
  }

  /** A user-assigned identity that `sa` may act as (workload identity federation). */
  private identityFor(scope: Construct, id: string, serviceAccount: ServiceAccountRef): AksWorkloadIdentity {
    return new AksWorkloadIdentity(scope, id, { cluster: this.cluster, serviceAccount, naming: this.naming });
  }

  /** A user-assigned identity for `sa` (workload identity federation) holding one role. */
  private bind(scope: Construct, prefix: string, sa: ServiceAccountRef, grant: { id: string; role: string; scope: string; why: string }) {
    const bound = this.identityFor(scope, `${prefix}Identity`, sa);
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
    const { bound, grants } = this.bucketIdentity(scope, sa, buckets);
    const identity = bound.identity;
    const data = this.data;
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

  /** A user-assigned identity federated with `sa`, with Storage Blob Data Contributor on exactly the given containers. */
  bucketAccess(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>> {
    const { bound, grants } = this.bucketIdentity(scope, sa, buckets);
    return { identity: bound.workloadIdentity, grants, config: { AZURE_CLIENT_ID: bound.identity.clientId } };
  }

  private bucketIdentity(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]) {
    const bound = this.identityFor(scope, "CloudIdentity", sa);
    const grants: ITerraformDependable[] = [bound.credential];
    for (const bucket of buckets) {
      const container = this.data?.containerIds[bucket.purpose];
      if (!container) throw new Error(`${sa.namespace}/${sa.name}: no container for bucket ${bucket.purpose} in the Azure data layer`);
      grants.push(
        new RoleAssignment(scope, `Bucket-${bucket.purpose}`, {
          scope: container,
          roleDefinitionName: "Storage Blob Data Contributor",
          principalId: bound.identity.principalId,
          principalType: "ServicePrincipal",
          description: `Lets ${sa.namespace}/${sa.name} read and write blobs in the ${bucket.purpose} container only.`,
        }),
      );
    }
    return { bound, grants };
  }

  /**
   * A Standard load balancer, internal (`deny-all-except-load-balancer-source-ranges` on,
   * else the NSG's default rule admits the whole VNet) or public. AKS writes the
   * `loadBalancerSourceRanges` into its own NSG. The layer beneath it lives on the nodes
   * subnet's NSG in the infra stack (AzureNetwork's `udpServices`): the UDP port allowed
   * from the peers and the cluster's own ranges, then denied from everywhere else. Those
   * rules are inline on that NSG, as all its rules are (azurerm cannot mix inline rules
   * and separate rule resources on one NSG), so nothing is created here: the stack
   * wiring passes the same peers to both.
   *
   * Health: with `externalTrafficPolicy: Local` the cloud provider probes the UDP rule
   * over HTTP on the Service's `healthCheckNodePort`, where kube-proxy answers 200 only
   * on nodes with a ready pod, and a pod is ready when its health port answers.
   * Per-port probe annotations are not set: cloud-provider-azure skips them on UDP ports
   * (a UDP port's probe is the Local one or none), so the health port needs no Service
   * port of its own. The probes reach nodes, never pods: no health-check source for the
   * NetworkPolicy.
   */
  udpService(_scope: Construct, request: UdpServiceRequest): UdpServiceExposure {
    checkUdpServiceRequest("AzurePlatformTarget", request);
    refuseStaticAddresses("AzurePlatformTarget", request);
    const annotations: Record<string, string> = request.internal
      ? {
          "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
          "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges": "true",
        }
      : {};
    return { type: "LoadBalancer", annotations, healthCheckSources: [], grants: [] };
  }
}
