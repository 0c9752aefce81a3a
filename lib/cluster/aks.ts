import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import {
  KubernetesCluster,
  type KubernetesClusterDefaultNodePoolUpgradeSettings,
  type KubernetesClusterMaintenanceWindowAutoUpgrade,
} from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Fn, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { nodePools, type DeploymentSpec } from "../config/spec";
import type { NodePoolSize } from "../config/tiers";
import { host } from "../core/cidr";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { AzureKeys } from "../data/keys/azure";
import type { AzureNetwork } from "../network/azure";
import type { ServiceAccountRef } from "../platform/target";
import { AksWorkloadIdentity } from "./aks-workload-identity";
import type { ClusterConnection, IKubernetesCluster } from "./cluster";

export interface AksClusterProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
  /** The vault and the etcd key for KMS encryption of Kubernetes secrets. */
  readonly keys: AzureKeys;
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
 * An AKS cluster hardened the way a security review expects: private API server (or a
 * public one behind an allowlist) projected into the VNet, Entra ID authentication with
 * Azure RBAC and no local accounts, OIDC issuer and workload identity, Azure CNI overlay
 * with the Cilium data plane and policies, user-assigned identities, secrets in etcd
 * encrypted with a Key Vault key (KMS), the Standard tier, automatic patch and node
 * image upgrades in weekly night windows, Azure Policy, the Key Vault secrets provider
 * with rotation, a critical-add-ons-only system pool and an autoscaling user pool across
 * the zones, and control-plane logs in Log Analytics.
 */
export class AksCluster extends Construct implements IKubernetesCluster {
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

  readonly name: string;
  readonly distribution = "aks" as const;
  readonly connection: ClusterConnection;
  readonly cluster: KubernetesCluster;
  /** The user pool the product's workloads run on. */
  readonly workloads: KubernetesClusterNodePool;
  /** The control plane's identity: manages the cluster's network resources and reads the KMS key. */
  readonly controlPlaneIdentity: UserAssignedIdentity;
  /** The nodes' identity (image pulls, disk attach). */
  readonly kubeletIdentity: UserAssignedIdentity;
  /** Control-plane logs (and any other audit log of the deployment). */
  readonly logs: LogAnalyticsWorkspace;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly oidcIssuerUrl: string;
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    setComponent(this, "cluster");
    const { spec, naming, network, keys } = props;
    this.naming = naming;
    this.name = naming.cluster;
    this.resourceGroupName = network.resourceGroup.name;
    this.location = network.location;
    const resourceGroupName = this.resourceGroupName;
    const location = this.location;
    const client = new DataAzurermClientConfig(this, "Client");
    const isPrivate = spec.cluster.endpoint === "private";
    const pools = nodePools(spec);
    const zones = network.zones.length > 0 ? [...network.zones] : undefined;

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
    const grants = [
      controlPlane("NodesSubnetNetworkContributor", "Network Contributor", network.nodesSubnet.id, "Joins nodes and internal load balancers to the nodes subnet."),
      controlPlane("ApiServerSubnetNetworkContributor", "Network Contributor", network.apiServerSubnet.id, "Projects the API server into its delegated subnet."),
      controlPlane("KubeletOperator", "Managed Identity Operator", this.kubeletIdentity.id, "Assigns the kubelet identity to the nodes."),
      controlPlane("KmsCryptoUser", "Key Vault Crypto User", keys.vault.id, "Encrypts and decrypts etcd data keys with the KMS key."),
      // With the vault's network access "Private", AKS creates its own private endpoint to the
      // vault and must approve that connection; Key Vault Contributor carries the approval right.
      controlPlane("KmsPrivateLink", "Key Vault Contributor", keys.vault.id, "Approves the KMS plugin's private endpoint to the vault."),
    ];

    const system = pools.system;
    this.cluster = protect(
      new KubernetesCluster(this, "Aks", {
        name: this.name,
        location,
        resourceGroupName,
        dnsPrefix: this.name,
        nodeResourceGroup: naming.name("aks", "nodes-rg", 80),
        kubernetesVersion: spec.cluster.version,
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
          subnetId: network.apiServerSubnet.id,
          virtualNetworkIntegrationEnabled: true,
          // Authorized ranges apply to the public endpoint only; Azure rejects them on a private cluster.
          authorizedIpRanges: isPrivate ? undefined : spec.cluster.allowedCidrs,
        },
        roleBasedAccessControlEnabled: true,
        azureActiveDirectoryRoleBasedAccessControl: {
          azureRbacEnabled: true,
          adminGroupObjectIds: spec.cluster.admins,
          tenantId: client.tenantId,
        },
        localAccountDisabled: true,
        // `az aks command invoke` would be a way around the private endpoint and the allowlist.
        runCommandEnabled: false,
        oidcIssuerEnabled: true,
        workloadIdentityEnabled: true,
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkDataPlane: "cilium",
          networkPolicy: "cilium",
          podCidr: network.podCidr,
          serviceCidr: network.serviceCidr,
          dnsServiceIp: host(network.serviceCidr, 10).address,
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
        keyManagementService: {
          // The versioned id (AKS requires one); a rotation moves the cluster to the new version in place.
          keyVaultKeyId: keys.etcd.id,
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
          ...poolSettings(system, spec.cluster.version, network, zones),
        },
        dependsOn: [...grants, ...network.clusterDependencies],
      }),
    );
    this.oidcIssuerUrl = this.cluster.oidcIssuerUrl;

    this.workloads = new KubernetesClusterNodePool(this, "WorkloadsPool", {
      name: "workloads",
      temporaryNameForRotation: "workloadstmp",
      kubernetesClusterId: this.cluster.id,
      mode: "User",
      ...poolSettings(pools.workloads, spec.cluster.version, network, zones),
    });

    // The platform stack installs add-ons as the identity that ran this stack.
    new RoleAssignment(this, "DeployerClusterAdmin", {
      scope: this.cluster.id,
      roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
      principalId: client.objectId,
      description: "Lets the deployer install the platform add-ons.",
    });

    this.logs = this.controlPlaneLogs(naming, spec.network.flowLogRetentionDays);

    const kube = this.cluster.kubeConfig.get(0);
    this.connection = {
      host: kube.host,
      clusterCaCertificate: Fn.base64decode(kube.clusterCaCertificate),
      // kubelogin turns the Azure CLI's login into a short-lived Entra ID token per session.
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "kubelogin",
        args: ["get-token", "--login", "azurecli", "--server-id", AksCluster.AAD_SERVER_ID],
      },
    };

    this.output("cluster_name", this.cluster.name, "The AKS cluster's name.");
    this.output("cluster_id", this.cluster.id, "The AKS cluster's resource id.");
    this.output("oidc_issuer_url", this.cluster.oidcIssuerUrl, "The cluster's OIDC issuer, trusted by workload identity federations.");
    this.output("resource_group_name", resourceGroupName, "The resource group holding the cluster.");
  }

  /**
   * Lets a Kubernetes service account act as a new user-assigned identity (workload
   * identity federation). `scope` is usually the platform stack; add role assignments
   * for `identity.principalId`, and put `workloadIdentity` on the service account and pods.
   */
  bindServiceAccount(scope: Construct, id: string, serviceAccount: ServiceAccountRef): AksWorkloadIdentity {
    return new AksWorkloadIdentity(scope, id, {
      naming: this.naming,
      resourceGroupName: this.resourceGroupName,
      location: this.location,
      issuer: this.oidcIssuerUrl,
      serviceAccount,
    });
  }

  /** Log Analytics (Entra ID access only) and the control plane's diagnostic setting. */
  private controlPlaneLogs(naming: Naming, retentionDays: number): LogAnalyticsWorkspace {
    const workspace = protect(
      new LogAnalyticsWorkspace(this, "Logs", {
        name: naming.name("aks", "logs", 63),
        location: this.location,
        resourceGroupName: this.resourceGroupName,
        sku: "PerGB2018",
        // As long as the flow logs (at most 365 days on Azure), and at least Log Analytics' minimum of 30.
        retentionInDays: Math.max(30, retentionDays),
        localAuthenticationEnabled: false,
      }),
    );
    new MonitorDiagnosticSetting(this, "ControlPlaneLogs", {
      name: "control-plane",
      targetResourceId: this.cluster.id,
      logAnalyticsWorkspaceId: workspace.id,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: AKS_LOG_CATEGORIES.map((category) => ({ category })),
      enabledMetric: [{ category: "AllMetrics" }],
    });
    return workspace;
  }

  private output(name: string, value: string, description: string) {
    new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
  }
}

/**
 * What both pools share: size from the tier, autoscaling across the zones, Azure Linux
 * on an encrypted managed OS disk, host encryption, the nodes subnet, surge upgrades.
 * vmSize, disk size and zones change in place through the pool's temporary rotation name.
 */
function poolSettings(size: NodePoolSize, version: string, network: AzureNetwork, zones: string[] | undefined) {
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
    vnetSubnetId: network.nodesSubnet.id,
    upgradeSettings: AksCluster.UPGRADE_SETTINGS,
  };
}
