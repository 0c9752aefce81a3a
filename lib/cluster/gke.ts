import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ContainerCluster, type ContainerClusterClusterAutoscaling } from "@cdktf/provider-google/lib/container-cluster";
import type { ContainerNodePoolNodeConfigTaint } from "@cdktf/provider-google/lib/container-node-pool";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { Fn, TerraformOutput, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { nodePools, type DeploymentSpec } from "../config/spec";
import type { NodePoolSize } from "../config/tiers";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { gcpLabels, setComponent } from "../core/tags";
import type { GcpKeys } from "../data/keys/gcp";
import type { GcpNetwork } from "../network/gcp";
import { gcpPlan } from "../network/plan";
import type { ServiceAccountRef, WorkloadIdentity } from "../platform/target";
import type { ClusterConnection, IKubernetesCluster } from "./cluster";
import { GkeNodePool, machineShape, MAX_PODS_PER_NODE, NODE_IMAGE, NODE_OAUTH_SCOPES, NODE_SHIELDED_INSTANCE } from "./gke-node-pool";

export interface GkeClusterProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: GcpNetwork;
  /** The secrets-encryption key and the disk key, with their grants to Google's service agents. */
  readonly keys: GcpKeys;
  readonly project: string;
}

/** A Google service account that a Kubernetes service account acts as through Workload Identity. */
export interface GkeWorkloadIdentity {
  /** Grant it roles on what the workload needs. */
  readonly serviceAccount: ServiceAccount;
  /** The annotation that binds the Kubernetes service account to it. */
  readonly identity: WorkloadIdentity;
  /** The Workload Identity binding: the workload waits for it. */
  readonly grants: ITerraformDependable[];
}

/** Least privilege for nodes: logs, metrics, metadata and image pulls (the default compute SA has Editor). */
const NODE_ROLES = [
  "roles/container.defaultNodeServiceAccount",
  "roles/monitoring.metricWriter",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/artifactregistry.reader",
];
/** Control-plane logs with the workloads': API server, controller manager and scheduler included. */
const LOG_COMPONENTS = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"];
/**
 * Admission webhook ports of the platform's policy engines (Kyverno 9443, Gatekeeper
 * 8443). GKE's own rule admits the control plane on 443 and 10250 only.
 */
const WEBHOOK_PORTS = ["8443", "9443"];
/**
 * Upgrades on weekend nights, 00:00-08:00 UTC on Saturday and Sunday: at least 64 hours
 * in any 32 days, above GKE's minimum of 48.
 */
const MAINTENANCE_WINDOW = { startTime: "2026-01-03T00:00:00Z", endTime: "2026-01-03T08:00:00Z", recurrence: "FREQ=WEEKLY;BYDAY=SA,SU" };

/**
 * A regional GKE Standard cluster: private nodes, a private control-plane endpoint
 * (public only with an allowlist) reachable from the VPC and the site-to-site peers
 * alone, Workload Identity, Dataplane V2, the REGULAR release channel with weekend
 * maintenance windows, Kubernetes Secrets encrypted with a Cloud KMS key, shielded
 * nodes with secure boot, control-plane and workload logs, and no client certificates
 * or legacy ABAC. The default node pool is removed; a `system` pool (tainted for
 * critical add-ons only) and a `workloads` pool are managed separately, on a dedicated
 * least-privilege service account. With node auto-provisioning, GKE adds pools of
 * its own choosing within the vCPU and memory budget of the spec's pools.
 */
export class GkeCluster extends Construct implements IKubernetesCluster {
  readonly name: string;
  readonly distribution = "gke" as const;
  readonly connection: ClusterConnection;
  /** The StorageClass the platform target creates: pd-balanced with the disks key. */
  readonly storageClass = "cmek-rwo";
  readonly cluster: ContainerCluster;
  readonly nodeServiceAccount: ServiceAccount;
  readonly systemPool: GkeNodePool;
  readonly workloadsPool: GkeNodePool;
  /** `<project>.svc.id.goog`, as the cluster reports it. */
  readonly workloadPool: string;
  /** The Cloud KMS key for boot disks and persistent volumes. */
  readonly diskEncryptionKey: string;
  readonly project: string;
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    setComponent(this, "cluster");
    const { spec, naming, network, keys, project } = props;
    const region = network.region;
    const zones = network.zones;
    const pools = nodePools(spec);
    this.naming = naming;
    this.project = project;
    this.name = naming.cluster;
    this.diskEncryptionKey = keys.disks.id;
    // The tagging aspect sets `labels`; GKE's are `resource_labels` (cluster) and the nodes' VM labels.
    const labels = gcpLabels({ ...spec.tags, deployment: spec.name, environment: spec.environment, "managed-by": "cdktf-byoc", component: "cluster" });

    const iamApi = new ProjectService(this, "Api-iam", { project, service: "iam.googleapis.com", disableOnDestroy: false });
    this.nodeServiceAccount = new ServiceAccount(this, "NodeServiceAccount", {
      accountId: naming.name("gke-nodes", undefined, 30),
      project,
      displayName: `${this.name} nodes`,
      description: "GKE nodes: logs, metrics and image pulls only; workloads use their own identities.",
      dependsOn: [iamApi],
    });
    const nodeRoles = NODE_ROLES.map(
      (role) =>
        new ProjectIamMember(this, `NodeRole-${role.split("/")[1]}`, { project, role, member: this.nodeServiceAccount.member }),
    );
    const node = { serviceAccount: this.nodeServiceAccount.email, bootDiskKmsKey: keys.disks.id };
    const controlPlane = gcpPlan(network.cidr).controlPlane;

    this.cluster = new ContainerCluster(this, "Cluster", {
      name: this.name,
      project,
      location: region,
      nodeLocations: zones.length > 0 ? [...zones] : undefined,
      network: network.network.id,
      subnetwork: network.subnet.id,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: network.podsRangeName,
        servicesSecondaryRangeName: network.servicesRangeName,
        stackType: "IPV4",
      },
      defaultMaxPodsPerNode: MAX_PODS_PER_NODE,
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: spec.cluster.endpoint === "private",
        // A fixed /28 of the address plan: GKE puts the control plane's internal endpoint there.
        masterIpv4CidrBlock: controlPlane,
        // The site-to-site VPN terminates in the cluster's region: no cross-region access needed.
        masterGlobalAccessConfig: { enabled: false },
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: [
          { cidrBlock: network.cidr, displayName: "network" },
          ...network.peerCidrs.map((cidrBlock) => ({ cidrBlock, displayName: "site-to-site peer" })),
          ...spec.cluster.allowedCidrs.map((cidrBlock) => ({ cidrBlock, displayName: "allowed" })),
        ],
        // Google Cloud's public addresses (any customer's VMs) are not an allowlist.
        gcpPublicCidrsAccessEnabled: false,
        // The allowlist applies to the private endpoint too, not only the public one.
        privateEndpointEnforcementEnabled: true,
      },
      // The IAM-authenticated DNS endpoint takes no traffic from outside Google Cloud.
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: false } },
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      // Dataplane V2 (Cilium) enforces NetworkPolicies; the networkPolicy add-on must stay off with it.
      datapathProvider: "ADVANCED_DATAPATH",
      releaseChannel: { channel: "REGULAR" },
      // A floor: the channel upgrades past it.
      minMasterVersion: spec.cluster.version,
      maintenancePolicy: { recurringWindow: MAINTENANCE_WINDOW },
      databaseEncryption: { state: "ENCRYPTED", keyName: keys.cluster.id },
      enableShieldedNodes: true,
      // Binary Authorization would enforce the project's policy, which this kit does not own:
      // the default allows everything, and a foreign one would block the platform's images.
      binaryAuthorization: { evaluationMode: "DISABLED" },
      // Workload vulnerability scanning's standard tier was retired in July 2025: the API refuses it.
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" },
      loggingConfig: { enableComponents: LOG_COMPONENTS },
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
      // GKE installs the Gateway API CRDs only for its own controller; Envoy Gateway brings its own.
      gatewayApiConfig: { channel: spec.platform.ingress === "gke-gateway" ? "CHANNEL_STANDARD" : "CHANNEL_DISABLED" },
      addonsConfig: {
        httpLoadBalancing: { disabled: false },
        horizontalPodAutoscaling: { disabled: false },
        gcePersistentDiskCsiDriverConfig: { enabled: true },
        dnsCacheConfig: { enabled: true },
      },
      nodePoolDefaults: { nodeConfigDefaults: { insecureKubeletReadonlyPortEnabled: "FALSE" } },
      clusterAutoscaling: this.autoscaling(spec, pools, zones, node),
      nodePoolAutoConfig:
        spec.cluster.autoscaling === "node-auto-provisioning" ? { nodeKubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" } } : undefined,
      // The default pool is deleted once the cluster exists; until then it runs hardened on
      // the node service account. Its settings are ignored afterwards (changing them would
      // otherwise replace the cluster).
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      nodeConfig: {
        ...node,
        oauthScopes: NODE_OAUTH_SCOPES,
        imageType: NODE_IMAGE,
        diskType: "pd-balanced",
        shieldedInstanceConfig: NODE_SHIELDED_INSTANCE,
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        metadata: { "disable-legacy-endpoints": "true" },
      },
      deletionProtection: true,
      resourceLabels: labels,
      lifecycle: { ignoreChanges: ["node_config"] },
      dependsOn: [...keys.grants, ...nodeRoles],
    });
    protect(this.cluster);
    this.workloadPool = this.cluster.workloadIdentityConfig.workloadPool;

    const pool = (poolId: string, name: "system" | "workloads", taints?: ContainerNodePoolNodeConfigTaint[]) =>
      new GkeNodePool(this, poolId, { cluster: this.cluster, name, project, region, zones, size: pools[name], resourceLabels: labels, taints, ...node });
    // The taint AKS puts on its system pool: GKE's own add-ons tolerate it, everything else
    // (the platform's add-ons included) runs on the workloads pool.
    this.systemPool = pool("SystemPool", "system", [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
    this.workloadsPool = pool("WorkloadsPool", "workloads");

    new ComputeFirewall(this, "AllowControlPlaneWebhooks", {
      name: naming.name("allow-control-plane-webhooks"),
      project,
      network: network.network.id,
      description: "The control plane calls admission webhooks on the nodes' pods.",
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [controlPlane],
      targetServiceAccounts: [this.nodeServiceAccount.email],
      allow: [{ protocol: "tcp", ports: WEBHOOK_PORTS }],
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    });

    // GKE has no per-cluster IAM: roles/container.admin on the project covers every cluster in it.
    for (const admin of spec.cluster.admins) {
      new ProjectIamMember(this, `Admin-${admin}`, { project, role: "roles/container.admin", member: admin });
    }

    this.connection = {
      host: `https://${this.cluster.endpoint}`,
      clusterCaCertificate: Fn.base64decode(this.cluster.masterAuth.clusterCaCertificate),
      // Short-lived tokens from the same Application Default Credentials the google provider uses.
      exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", args: ["--use_application_default_credentials"] },
    };
    this.outputs();
  }

  /**
   * A new Google service account that the Kubernetes service account `sa` acts as, for a
   * workload in `scope` (typically the platform stack). Grant it roles on what the
   * workload needs; the returned identity annotates the Kubernetes service account.
   */
  bindServiceAccount(scope: Construct, sa: ServiceAccountRef): GkeWorkloadIdentity {
    const id = `${sa.namespace}-${sa.name}`;
    const serviceAccount = new ServiceAccount(scope, `ServiceAccount-${id}`, {
      accountId: this.naming.name(sa.namespace === sa.name ? sa.name : id, undefined, 30),
      project: this.project,
      displayName: `${this.name} ${sa.namespace}/${sa.name}`,
      description: `Workload Identity of the Kubernetes service account ${sa.namespace}/${sa.name}`,
    });
    // The pool is the cluster's attribute, so the binding follows the cluster that creates it.
    const binding = new ServiceAccountIamMember(scope, `WorkloadIdentityUser-${id}`, {
      serviceAccountId: serviceAccount.name,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${this.workloadPool}[${sa.namespace}/${sa.name}]`,
    });
    return {
      serviceAccount,
      identity: { serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": serviceAccount.email }, podLabels: {} },
      grants: [binding],
    };
  }

  /**
   * Pools scale within their own bounds; node auto-provisioning adds pools whose shapes
   * GKE picks, all within the cluster-wide budget: each spec pool's max times its
   * machine's vCPUs and memory. The limits count every pool, the spec's included.
   */
  private autoscaling(
    spec: DeploymentSpec,
    pools: { system: NodePoolSize; workloads: NodePoolSize },
    zones: readonly string[],
    node: { serviceAccount: string; bootDiskKmsKey: string },
  ): ContainerClusterClusterAutoscaling {
    // Keeps spare capacity and evicts less eagerly than OPTIMIZE_UTILIZATION: a production default.
    const autoscalingProfile = "BALANCED";
    if (spec.cluster.autoscaling !== "node-auto-provisioning") return { enabled: false, autoscalingProfile };
    let cpu = 0;
    let memory = 0;
    for (const [role, size] of Object.entries(pools)) {
      const shape = machineShape(size.instanceType);
      if (!shape) {
        throw new Error(
          `cluster.nodePools.${role}.instanceType: node auto-provisioning needs the machine's vCPUs for its limits; ` +
            `use a <family>-<standard|highcpu|highmem>-<vCPUs> or custom machine type such as n2-standard-8 (got "${size.instanceType}")`,
        );
      }
      cpu += size.max * shape.vcpus;
      memory += size.max * shape.memoryGib;
    }
    return {
      enabled: true,
      autoscalingProfile,
      resourceLimits: [
        { resourceType: "cpu", minimum: 0, maximum: cpu },
        { resourceType: "memory", minimum: 0, maximum: memory },
      ],
      autoProvisioningLocations: zones.length > 0 ? [...zones] : undefined,
      autoProvisioningDefaults: {
        ...node,
        oauthScopes: NODE_OAUTH_SCOPES,
        imageType: NODE_IMAGE,
        // NAP picks the machine family (E2 by default, which has no Hyperdisk).
        diskType: "pd-balanced",
        diskSize: pools.workloads.diskGb,
        shieldedInstanceConfig: NODE_SHIELDED_INSTANCE,
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
      },
    };
  }

  private outputs() {
    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    output("cluster_name", this.cluster.name, "The GKE cluster's name.");
    // An address, not a credential: reaching it takes the network path and IAM.
    output("cluster_endpoint", this.cluster.endpoint, "The API server's address (the private endpoint unless the spec allows a public one).");
    output("cluster_location", this.cluster.location, "The cluster's region, for gcloud container clusters get-credentials --location.");
    output("workload_pool", this.workloadPool, "The Workload Identity pool: Kubernetes service accounts act as Google ones through it.");
  }
}
