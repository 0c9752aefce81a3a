import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { DiskEncryptionSet } from "@cdktf/provider-azurerm/lib/disk-encryption-set";
import {
  KubernetesCluster,
  type KubernetesClusterDefaultNodePoolUpgradeSettings,
  type KubernetesClusterMaintenanceWindowAutoUpgrade,
} from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDataCollectionRule } from "@cdktf/provider-azurerm/lib/monitor-data-collection-rule";
import { MonitorDataCollectionRuleAssociation } from "@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Fn, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS } from "../config/cluster";
import { TIERS, type NodePoolSize } from "../config/tiers";
import { host, parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { AzureKeyIdentity } from "../data/azure-key-identity";
import { requireNetworkId } from "../data/azure-store";
import type { IAzureKey } from "../data/keys/azure";
import { clusterRanges, type IAzureNetwork } from "../network/azure";
import type { ClusterConnection, IKubernetesCluster } from "./cluster";
import { requireInt, requireProp } from "../core/validate";

/**
 * An AKS cluster as the platform target uses it: the kit's AksCluster or an existing
 * cluster (AksCluster.fromClusterAttributes). Workload identities federate with its
 * OIDC issuer and live in its resource group.
 */
export interface IAksCluster extends IKubernetesCluster {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly oidcIssuerUrl: string;
  /** A disk encryption set the cluster's identity may use: the platform's default StorageClass encrypts volumes with it. @default - none: the cluster's own default StorageClass */
  readonly diskEncryptionSetId?: string;
}

/** An existing AKS cluster with Entra ID authentication and workload identity on. */
export interface AksClusterAttributes {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly oidcIssuerUrl: string;
  /** The API server's URL. */
  readonly host: string;
  /** The cluster CA certificate, PEM (not base64). */
  readonly clusterCaCertificate: string;
  /** The StorageClass for persistent volumes. @default - the cluster's default, or CMK_STORAGE_CLASS with `diskEncryptionSetId` */
  readonly storageClass?: string;
  /** A disk encryption set the cluster's identity may read, for persistent volumes. @default - none */
  readonly diskEncryptionSetId?: string;
}

export interface AksClusterProps {
  /** The nodes and the API server go in its subnets; it needs `apiServerSubnetId`. */
  readonly network: IAzureNetwork;
  /** Encrypts Kubernetes secrets in etcd (KMS), by its versioned id. */
  readonly kmsKey: IAzureKey;
  /**
   * The vault holding `kmsKey`: the control plane gets Key Vault Crypto User on it, and
   * Key Vault Contributor to approve the KMS plugin's private endpoint to it.
   */
  readonly kmsKeyVaultId: string;
  /**
   * Encrypts the nodes' OS disks (and their host caches and temp disks) through a disk
   * encryption set, which wraps with it as an identity of its own. An RSA key allowing
   * wrapKey/unwrapKey in a vault with purge protection; followed by its versionless id.
   */
  readonly disksKey: IAzureKey;
  /** The Kubernetes minor version. @default DEFAULT_KUBERNETES_VERSION */
  readonly version?: string;
  /**
   * Public ranges the API server admits. Empty: a private API server, reached from the
   * VNet and its peers only.
   * @default []
   */
  readonly allowedCidrs?: string[];
  /** Entra ID groups (object ids) that administer the cluster. @default [] */
  readonly admins?: string[];
  /** The system pool (AKS's own add-ons only). @default - the small tier's */
  readonly systemPool?: NodePoolSize;
  /** The user pool the product's workloads run on. @default - the small tier's */
  readonly workloadsPool?: NodePoolSize;
  /** The overlay's pod range, outside the VNet and its peers. @default - the first free /16 of 100.64.0.0/10 (clusterRanges) */
  readonly podCidr?: string;
  /** The Service range, likewise outside every routed range. @default - the next free /16 of 100.64.0.0/10 */
  readonly serviceCidr?: string;
  /** Days Log Analytics keeps the control-plane and container logs, 30-730. @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Container Insights: the Azure Monitor agent ships every container's stdout/stderr
   * (ContainerLogV2), Kubernetes events and inventories to `logs`, as GKE ships system
   * and workload logs. Off, only the control plane's logs are kept.
   * @default true
   */
  readonly containerInsights?: boolean;
  /** Names the cluster and its identities. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** Control-plane log categories sent to Log Analytics: kube-audit-admin (writes only) and guard instead of the far costlier kube-audit. */
export const AKS_LOG_CATEGORIES = [
  "kube-audit-admin",
  "guard",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "cluster-autoscaler",
  "cloud-controller-manager",
] as const;

/**
 * What Container Insights collects: container logs in the ContainerLogV2 schema (not the
 * legacy ContainerLog table it replaces), Kubernetes events, the object inventories and
 * the node/container performance its workbooks read.
 */
export const CONTAINER_INSIGHTS_STREAMS = [
  "Microsoft-ContainerLogV2",
  "Microsoft-KubeEvents",
  "Microsoft-KubePodInventory",
  "Microsoft-KubeNodeInventory",
  "Microsoft-KubePVInventory",
  "Microsoft-KubeServices",
  "Microsoft-KubeMonAgentEvents",
  "Microsoft-InsightsMetrics",
  "Microsoft-ContainerInventory",
  "Microsoft-ContainerNodeInventory",
  "Microsoft-Perf",
] as const;

/**
 * An AKS cluster hardened the way a security review expects: private API server (or a
 * public one behind an allowlist) projected into the VNet, Entra ID authentication with
 * Azure RBAC and no local accounts, OIDC issuer and workload identity, Azure CNI overlay
 * with the Cilium data plane and policies, user-assigned identities, secrets in etcd
 * encrypted with a Key Vault key (KMS), node OS disks encrypted with a customer-managed
 * key (a disk encryption set), the Standard tier, automatic patch and node
 * image upgrades in weekly night windows, Azure Policy, the Key Vault secrets provider
 * with rotation, a critical-add-ons-only system pool and an autoscaling user pool across
 * the zones, and control-plane and container logs (Container Insights through the Azure
 * Monitor agent, authenticated with its managed identity) in Log Analytics. Outputs: `name`, `id`,
 * `oidc_issuer_url`, `resource_group_name`.
 */
export class AksCluster extends Construct implements IAksCluster {
  /** The application id of the AKS Entra ID server every AKS token is issued for. */
  static readonly AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";
  /** Patch upgrades on Sunday nights, node images on Saturday nights (UTC), 4 hours each. */
  static readonly UPGRADE_WINDOW: KubernetesClusterMaintenanceWindowAutoUpgrade = {
    frequency: "Weekly",
    interval: 1,
    dayOfWeek: "Sunday",
    startTime: "01:00",
    utcOffset: "+00:00",
    duration: 4,
  };
  static readonly NODE_OS_WINDOW = { ...AksCluster.UPGRADE_WINDOW, dayOfWeek: "Saturday" };
  /** A third of a pool's nodes are surged at once; each node drains for up to 30 minutes, and a batch soaks 5 minutes. */
  static readonly UPGRADE_SETTINGS: KubernetesClusterDefaultNodePoolUpgradeSettings = {
    maxSurge: "33%",
    drainTimeoutInMinutes: 30,
    nodeSoakDurationInMinutes: 5,
  };
  /** Kubernetes' own default pod density; overlay would allow 250, too many for small VMs. */
  static readonly MAX_PODS = 110;
  static readonly DEFAULT_LOG_RETENTION_DAYS = 365;

  /** An existing cluster, reached with a kubelogin token per session as the kit's own is. */
  static fromClusterAttributes(attrs: AksClusterAttributes): IAksCluster {
    return {
      name: attrs.name,
      distribution: "aks",
      resourceGroupName: attrs.resourceGroupName,
      location: attrs.location,
      oidcIssuerUrl: attrs.oidcIssuerUrl,
      storageClass: attrs.storageClass ?? (attrs.diskEncryptionSetId ? AksCluster.CMK_STORAGE_CLASS : undefined),
      diskEncryptionSetId: attrs.diskEncryptionSetId,
      connection: { host: attrs.host, clusterCaCertificate: attrs.clusterCaCertificate, exec: AksCluster.kubelogin() },
    };
  }

  /** kubelogin turns the Azure CLI's login into a short-lived Entra ID token per session. */
  private static kubelogin() {
    return {
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", AksCluster.AAD_SERVER_ID],
    };
  }

  readonly name: string;
  readonly distribution = "aks" as const;
  /** The StorageClass the platform creates for volumes encrypted with the disk encryption set (AKS's managed-csi uses platform keys). */
  static readonly CMK_STORAGE_CLASS = "managed-csi-cmk";
  readonly storageClass = AksCluster.CMK_STORAGE_CLASS;
  readonly connection: ClusterConnection;
  readonly cluster: KubernetesCluster;
  /** The user pool the product's workloads run on. */
  readonly workloads: KubernetesClusterNodePool;
  /** The control plane's identity: manages the cluster's network resources and reads the KMS key. */
  readonly controlPlaneIdentity: UserAssignedIdentity;
  /** The nodes' identity (image pulls, disk attach). */
  readonly kubeletIdentity: UserAssignedIdentity;
  /** Encrypts the nodes' OS disks with `disksKey`, and the persistent volumes of CMK_STORAGE_CLASS. */
  readonly diskEncryptionSet: DiskEncryptionSet;
  readonly diskEncryptionSetId: string;
  /** Control-plane and container logs (and any other audit log of the deployment). */
  readonly logs: LogAnalyticsWorkspace;
  /** Container Insights' data collection rule; undefined with `containerInsights` off. */
  readonly containerInsights?: MonitorDataCollectionRule;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly oidcIssuerUrl: string;
  readonly version: string;
  readonly allowedCidrs: string[];
  readonly admins: string[];
  readonly systemPool: NodePoolSize;
  readonly workloadsPool: NodePoolSize;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly logRetentionDays: number;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    const { network, kmsKey } = props;
    requireProp(this, "version", props.version, (v) => (KUBERNETES_VERSIONS as readonly string[]).includes(v), `one of ${KUBERNETES_VERSIONS.join(", ")}`);
    requireProp(this, "allowedCidrs", props.allowedCidrs, (cidrs) => cidrs.every((c) => Token.isUnresolved(c) || parseIpv4Cidr(c) !== undefined), "a list of IPv4 ranges such as 203.0.113.0/24");
    for (const pool of ["systemPool", "workloadsPool"] as const) {
      requireProp(this, pool, props[pool], (p) => Number.isInteger(p.min) && p.min >= 1 && p.max >= p.min && p.max <= 1000, "a pool whose min is at least 1 and max from min to 1000");
    }
    requireInt(this, "logRetentionDays", props.logRetentionDays, 30, 730);
    const apiServerSubnetId = requireNetworkId(this, "apiServerSubnetId", network.apiServerSubnetId, "a subnet delegated to Microsoft.ContainerService/managedClusters for API server VNet integration");
    setComponent(this, "cluster");
    const naming = namingOf(this, props.naming);
    this.version = props.version ?? DEFAULT_KUBERNETES_VERSION;
    this.allowedCidrs = props.allowedCidrs ?? [];
    this.admins = props.admins ?? [];
    this.systemPool = props.systemPool ?? TIERS.small.nodePools.azure.system;
    this.workloadsPool = props.workloadsPool ?? TIERS.small.nodePools.azure.workloads;
    const free = props.podCidr && props.serviceCidr ? [] : clusterRanges([network.cidr, ...network.peerCidrs]);
    this.podCidr = props.podCidr ?? free[0];
    this.serviceCidr = props.serviceCidr ?? free[1];
    this.logRetentionDays = props.logRetentionDays ?? AksCluster.DEFAULT_LOG_RETENTION_DAYS;
    this.name = naming.cluster;
    this.resourceGroupName = network.resourceGroupName;
    this.location = network.location;
    const resourceGroupName = this.resourceGroupName;
    const location = this.location;
    const client = new DataAzurermClientConfig(this, "Client");
    const isPrivate = this.allowedCidrs.length === 0;
    const zones = network.zones.length > 0 ? [...network.zones] : undefined;
    const pool = (size: NodePoolSize) => poolSettings(size, this.version, network.nodesSubnetId, zones);
    const containerInsights = props.containerInsights ?? true;
    this.logs = this.logAnalytics(naming);

    this.controlPlaneIdentity = new UserAssignedIdentity(this, "ControlPlaneIdentity", {
      name: naming.name("aks", "control-plane", 128),
      resourceGroupName,
      location,
    });
    this.kubeletIdentity = new UserAssignedIdentity(this, "KubeletIdentity", {
      name: naming.name("aks", "kubelet", 128),
      resourceGroupName,
      location,
    });
    this.diskEncryptionSet = this.disksEncryption(naming, props.disksKey);
    this.diskEncryptionSetId = this.diskEncryptionSet.id;
    const controlPlane = (grantId: string, role: string, scopeId: string, why: string) =>
      new RoleAssignment(this, grantId, {
        scope: scopeId,
        roleDefinitionName: role,
        principalId: this.controlPlaneIdentity.principalId,
        // A fresh identity may not have replicated yet; naming its type skips the lookup.
        principalType: "ServicePrincipal",
        description: why,
      });
    // Everything AKS does with these at creation must be granted before it starts.
    const grants: ITerraformDependable[] = [
      controlPlane("NodesSubnetNetworkContributor", "Network Contributor", network.nodesSubnetId, "Joins nodes and internal load balancers to the nodes subnet."),
      controlPlane("ApiServerSubnetNetworkContributor", "Network Contributor", apiServerSubnetId, "Projects the API server into its delegated subnet."),
      controlPlane("KubeletOperator", "Managed Identity Operator", this.kubeletIdentity.id, "Assigns the kubelet identity to the nodes."),
      controlPlane("KmsCryptoUser", "Key Vault Crypto User", props.kmsKeyVaultId, "Encrypts and decrypts etcd data keys with the KMS key."),
      // With the vault's network access "Private", AKS creates its own private endpoint to the
      // vault and must approve that connection; Key Vault Contributor carries the approval right.
      controlPlane("KmsPrivateLink", "Key Vault Contributor", props.kmsKeyVaultId, "Approves the KMS plugin's private endpoint to the vault."),
      controlPlane("DiskEncryptionReader", "Reader", this.diskEncryptionSet.id, "Creates the nodes' disks with this disk encryption set."),
    ];

    this.cluster = protect(
      new KubernetesCluster(this, "Aks", {
        name: this.name,
        location,
        resourceGroupName,
        dnsPrefix: this.name,
        nodeResourceGroup: naming.name("aks", "nodes-rg", 80),
        kubernetesVersion: this.version,
        skuTier: "Standard",
        identity: { type: "UserAssigned", identityIds: [this.controlPlaneIdentity.id] },
        kubeletIdentity: {
          clientId: this.kubeletIdentity.clientId,
          objectId: this.kubeletIdentity.principalId,
          userAssignedIdentityId: this.kubeletIdentity.id,
        },
        // Private: reachable from the VNet and its peers only, through the name in an
        // AKS-managed private zone. Public-restricted: only from the allowlist. Both project
        // the API server into the VNet, so nodes never leave it to reach the control plane.
        privateClusterEnabled: isPrivate,
        privateDnsZoneId: isPrivate ? "System" : undefined,
        apiServerAccessProfile: {
          subnetId: apiServerSubnetId,
          virtualNetworkIntegrationEnabled: true,
          // Authorized ranges apply to the public endpoint only; Azure rejects them on a private cluster.
          authorizedIpRanges: isPrivate ? undefined : this.allowedCidrs,
        },
        roleBasedAccessControlEnabled: true,
        azureActiveDirectoryRoleBasedAccessControl: {
          azureRbacEnabled: true,
          adminGroupObjectIds: this.admins,
          tenantId: client.tenantId,
        },
        localAccountDisabled: true,
        // Set at creation only: changing it replaces the cluster.
        diskEncryptionSetId: this.diskEncryptionSet.id,
        // `az aks command invoke` would be a way around the private endpoint and the allowlist.
        runCommandEnabled: false,
        oidcIssuerEnabled: true,
        workloadIdentityEnabled: true,
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkDataPlane: "cilium",
          networkPolicy: "cilium",
          podCidr: this.podCidr,
          serviceCidr: this.serviceCidr,
          dnsServiceIp: host(this.serviceCidr, 10).address,
          // The nodes subnet's NAT gateway: one static egress address for allowlists elsewhere.
          outboundType: "userAssignedNATGateway",
          loadBalancerSku: "standard",
        },
        automaticUpgradeChannel: "patch",
        nodeOsUpgradeChannel: "NodeImage",
        maintenanceWindowAutoUpgrade: AksCluster.UPGRADE_WINDOW,
        maintenanceWindowNodeOs: AksCluster.NODE_OS_WINDOW,
        azurePolicyEnabled: true,
        keyVaultSecretsProvider: { secretRotationEnabled: true, secretRotationInterval: "2m" },
        imageCleanerEnabled: true,
        imageCleanerIntervalHours: 168,
        // The Azure Monitor agent signs in with the add-on's managed identity: the workspace
        // accepts Entra ID only. What it collects is the data collection rule's (below).
        omsAgent: containerInsights ? { logAnalyticsWorkspaceId: this.logs.id, msiAuthForMonitoringEnabled: true } : undefined,
        keyManagementService: {
          // The versioned id (AKS requires one); a rotation moves the cluster to the new version in place.
          keyVaultKeyId: kmsKey.id,
          // Always Private, reached through API server VNet integration: a vault behind a
          // firewall (both endpoint modes) cannot serve KMS in Public mode, and the mode
          // cannot change while KMS is on.
          keyVaultNetworkAccess: "Private",
        },
        defaultNodePool: {
          name: "system",
          temporaryNameForRotation: "systemtmp",
          // Tainted CriticalAddonsOnly: only AKS's own add-ons and pods that tolerate it run here.
          onlyCriticalAddonsEnabled: true,
          ...pool(this.systemPool),
        },
        dependsOn: [...grants, ...(network.clusterDependencies ?? [])],
      }),
    );
    this.oidcIssuerUrl = this.cluster.oidcIssuerUrl;

    this.workloads = new KubernetesClusterNodePool(this, "WorkloadsPool", {
      name: "workloads",
      temporaryNameForRotation: "workloadstmp",
      kubernetesClusterId: this.cluster.id,
      mode: "User",
      ...pool(this.workloadsPool),
    });

    // The platform stack installs add-ons as the identity that ran this stack.
    new RoleAssignment(this, "DeployerClusterAdmin", {
      scope: this.cluster.id,
      roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
      principalId: client.objectId,
      description: "Lets the deployer install the platform add-ons.",
    });

    this.controlPlaneLogs();
    if (containerInsights) this.containerInsights = this.containerLogs(naming);

    const kube = this.cluster.kubeConfig.get(0);
    this.connection = {
      host: kube.host,
      clusterCaCertificate: Fn.base64decode(kube.clusterCaCertificate),
      exec: AksCluster.kubelogin(),
    };

    constructOutput(this, "name", { value: this.cluster.name, description: "The AKS cluster's name." });
    constructOutput(this, "id", { value: this.cluster.id, description: "The AKS cluster's resource id." });
    constructOutput(this, "oidc_issuer_url", { value: this.cluster.oidcIssuerUrl, description: "The cluster's OIDC issuer, trusted by workload identity federations." });
    constructOutput(this, "resource_group_name", { value: resourceGroupName, description: "The resource group holding the cluster." });
  }

  /**
   * The disk encryption set, on a user-assigned identity granted the key's encryption
   * role before the set exists (Azure checks the key when the set is created). It
   * follows the key's rotations. `prevent_destroy`: the disks it encrypts cannot be read
   * without it.
   */
  private disksEncryption(naming: Naming, key: IAzureKey): DiskEncryptionSet {
    const cmk = new AzureKeyIdentity(this, "DiskEncryptionIdentity", {
      name: naming.name("aks", "disks", 128),
      resourceGroupName: this.resourceGroupName,
      location: this.location,
      key,
      service: "the AKS nodes' disk encryption set",
    });
    return protect(
      new DiskEncryptionSet(this, "DiskEncryption", {
        name: naming.name("aks", "disks", 80),
        location: this.location,
        resourceGroupName: this.resourceGroupName,
        keyVaultKeyId: key.versionlessId,
        autoKeyRotationEnabled: true,
        encryptionType: "EncryptionAtRestWithCustomerKey",
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id] },
        dependsOn: [cmk.grant],
      }),
    );
  }

  /** Log Analytics, Entra ID access only. */
  private logAnalytics(naming: Naming): LogAnalyticsWorkspace {
    return protect(
      new LogAnalyticsWorkspace(this, "Logs", {
        name: naming.name("aks", "logs", 63),
        location: this.location,
        resourceGroupName: this.resourceGroupName,
        sku: "PerGB2018",
        retentionInDays: this.logRetentionDays,
        localAuthenticationEnabled: false,
      }),
    );
  }

  /** The control plane's diagnostic setting. */
  private controlPlaneLogs() {
    new MonitorDiagnosticSetting(this, "ControlPlaneLogs", {
      name: "control-plane",
      targetResourceId: this.cluster.id,
      logAnalyticsWorkspaceId: this.logs.id,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: AKS_LOG_CATEGORIES.map((category) => ({ category })),
      enabledMetric: [{ category: "AllMetrics" }],
    });
  }

  /**
   * Container Insights' data collection rule, associated with the cluster under the name
   * the add-on looks for: every namespace, collected every minute, into `logs`.
   */
  private containerLogs(naming: Naming): MonitorDataCollectionRule {
    const streams = [...CONTAINER_INSIGHTS_STREAMS];
    const rule = new MonitorDataCollectionRule(this, "ContainerInsights", {
      name: naming.name("aks", "container-insights", 64),
      description: "Container Insights: container logs, Kubernetes events and inventories",
      location: this.location,
      resourceGroupName: this.resourceGroupName,
      destinations: { logAnalytics: [{ name: "logs", workspaceResourceId: this.logs.id }] },
      dataFlow: [{ streams, destinations: ["logs"] }],
      dataSources: {
        extension: [
          {
            name: "ContainerInsightsExtension",
            extensionName: "ContainerInsights",
            streams,
            extensionJson: JSON.stringify({ dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } }),
          },
        ],
      },
    });
    new MonitorDataCollectionRuleAssociation(this, "ContainerInsightsAssociation", {
      name: "ContainerInsightsExtension",
      targetResourceId: this.cluster.id,
      dataCollectionRuleId: rule.id,
      description: "Container Insights for this cluster; deleting it stops container log collection.",
    });
    return rule;
  }
}

/**
 * What both pools share: the pool's size, autoscaling across the zones, Azure Linux
 * on a managed OS disk (encrypted by the cluster's disk encryption set), host
 * encryption, the nodes subnet, surge upgrades.
 * vmSize, disk size and zones change in place through the pool's temporary rotation name.
 */
function poolSettings(size: NodePoolSize, version: string, nodesSubnetId: string, zones: string[] | undefined) {
  return {
    vmSize: size.instanceType,
    orchestratorVersion: version,
    zones,
    autoScalingEnabled: true,
    minCount: size.min,
    maxCount: size.max,
    maxPods: AksCluster.MAX_PODS,
    osSku: "AzureLinux",
    osDiskType: "Managed",
    osDiskSizeGb: size.diskGb,
    // Encrypts temp disks and the OS disk cache on the VM host too. Needs the subscription
    // feature Microsoft.Compute/EncryptionAtHost registered once (README, Azure).
    hostEncryptionEnabled: true,
    vnetSubnetId: nodesSubnetId,
    upgradeSettings: AksCluster.UPGRADE_SETTINGS,
  };
}
