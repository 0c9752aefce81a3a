import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ContainerCluster, type ContainerClusterClusterAutoscaling } from "@cdktf/provider-google/lib/container-cluster";
import type { ContainerNodePoolNodeConfigTaint } from "@cdktf/provider-google/lib/container-node-pool";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_KUBERNETES_VERSION } from "../config/cluster";
import { TIERS, type NodePoolSize } from "../config/tiers";
import { parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import type { IGcpKey } from "../data/keys/gcp";
import type { IGcpNetwork } from "../network/gcp";
import { deploymentLabels, resolveProject } from "../network/gcp-context";
import { gcpPlan } from "../network/plan";
import type { ClusterConnection, IKubernetesCluster } from "./cluster";
import { GkeNodePool, machineShape, MAX_PODS_PER_NODE, NODE_IMAGE, NODE_OAUTH_SCOPES, NODE_SHIELDED_INSTANCE } from "./gke-node-pool";

/**
 * A GKE cluster as the GCP platform target uses it: the kit's GkeCluster, or an existing
 * cluster's attributes.
 */
export interface IGkeCluster extends IKubernetesCluster {
  /** The project the cluster and its workloads' Google service accounts live in. */
  readonly project: string;
  /** The cluster's location (its region), as `gcloud container clusters get-credentials --location` takes it. */
  readonly location: string;
  /** The Workload Identity pool, `<project>.svc.id.goog`: Kubernetes service accounts act as Google ones through it. */
  readonly workloadPool: string;
  /** The Cloud KMS key (id) the platform's StorageClass encrypts persistent disks with. */
  readonly diskEncryptionKey: string;
  /** The Google service account every node runs as (its email): firewall rules aimed at the cluster's nodes target it. */
  readonly nodeServiceAccountEmail: string;
}

export interface GkeClusterProps {
  /** The VPC, its nodes subnet and the subnet's pods and services ranges. */
  readonly network: IGcpNetwork;
  /** Encrypts Kubernetes Secrets in etcd (application-layer secrets encryption); its grant to GKE's agent comes first. */
  readonly clusterKey: IGcpKey;
  /** Encrypts boot disks and persistent volumes; its grant to Compute Engine's agent comes first. */
  readonly disksKey: IGcpKey;
  /** The minimum Kubernetes minor version; the REGULAR channel upgrades past it. @default DEFAULT_KUBERNETES_VERSION */
  readonly version?: string;
  /**
   * The control plane's endpoint: `private` (from the network and the peers only) or
   * `public-restricted` (also from `allowedCidrs`).
   * @default "private"
   */
  readonly endpoint?: "private" | "public-restricted";
  /** Ranges allowed to reach the control plane besides the network and the peers. @default [] */
  readonly allowedCidrs?: readonly string[];
  /** IAM members (`group:ops@example.com`) given roles/container.admin on the project. @default [] */
  readonly admins?: readonly string[];
  /** The `system` pool, tainted for critical add-ons. @default - the small tier's (TIERS.small.nodePools.gcp.system) */
  readonly systemPool?: NodePoolSize;
  /** The `workloads` pool. @default - the small tier's (TIERS.small.nodePools.gcp.workloads) */
  readonly workloadsPool?: NodePoolSize;
  /**
   * `cluster-autoscaler` scales the two pools within their bounds; `node-auto-provisioning`
   * also lets GKE add pools within the pools' combined vCPU and memory budget.
   * @default "cluster-autoscaler"
   */
  readonly autoscaling?: "cluster-autoscaler" | "node-auto-provisioning";
  /** Install GKE's Gateway API CRDs for GKE Gateway (off when another gateway brings its own). @default true */
  readonly gkeGateway?: boolean;
  /** The /28 the control plane's internal endpoint takes. @default - the /28 gcpPlan reserves in the network's cidr */
  readonly controlPlaneCidr?: string;
  /**
   * Labels of the cluster, its nodes and their disks, which the tagging aspect does not
   * reach; the deployment's own labels are added and win.
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /** Deletion protection on the cluster, in GKE and as `prevent_destroy`. @default true */
  readonly protection?: boolean;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
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
 * alone, Workload Identity, Dataplane V2 with intranode visibility (same-node pod
 * traffic reaches the flow logs), the REGULAR release channel with weekend
 * maintenance windows, Kubernetes Secrets encrypted with a Cloud KMS key, shielded
 * nodes with secure boot, control-plane and workload logs, and no client certificates
 * or legacy ABAC. The default node pool is removed; a `system` pool (tainted for
 * critical add-ons only) and a `workloads` pool are managed separately, on a dedicated
 * least-privilege service account. With node auto-provisioning, GKE adds pools of
 * its own choosing within the vCPU and memory budget of the two pools. Outputs: `name`,
 * `endpoint`, `location` and `workload_pool`.
 */
export class GkeCluster extends Construct implements IGkeCluster {
  readonly name: string;
  readonly distribution = "gke" as const;
  readonly connection: ClusterConnection;
  /** The StorageClass the platform target creates: pd-balanced with the disks key. */
  readonly storageClass = "cmek-rwo";
  readonly cluster: ContainerCluster;
  readonly nodeServiceAccount: ServiceAccount;
  readonly nodeServiceAccountEmail: string;
  readonly systemPool: GkeNodePool;
  readonly workloadsPool: GkeNodePool;
  /** `<project>.svc.id.goog`, as the cluster reports it. */
  readonly workloadPool: string;
  /** The Cloud KMS key for boot disks and persistent volumes. */
  readonly diskEncryptionKey: string;
  readonly project: string;
  /** The region: a regional cluster's location. */
  readonly location: string;
  readonly version: string;
  readonly endpoint: "private" | "public-restricted";
  readonly allowedCidrs: readonly string[];
  readonly admins: readonly string[];
  readonly autoscaling: "cluster-autoscaler" | "node-auto-provisioning";
  readonly gkeGateway: boolean;
  readonly controlPlaneCidr: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    const { network } = props;
    const pools = {
      system: props.systemPool ?? TIERS.small.nodePools.gcp.system,
      workloads: props.workloadsPool ?? TIERS.small.nodePools.gcp.workloads,
    };
    this.version = props.version ?? DEFAULT_KUBERNETES_VERSION;
    this.endpoint = props.endpoint ?? "private";
    this.allowedCidrs = props.allowedCidrs ?? [];
    this.admins = props.admins ?? [];
    this.autoscaling = props.autoscaling ?? "cluster-autoscaler";
    this.gkeGateway = props.gkeGateway ?? true;
    this.controlPlaneCidr = props.controlPlaneCidr ?? gcpPlan(network.cidr).controlPlane;
    this.protection = props.protection ?? true;
    this.validate(pools);
    setComponent(this, "cluster");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    const region = (this.location = resolveRegion(this, "google", props.region));
    const zones = network.zones;
    this.name = naming.cluster;
    this.diskEncryptionKey = props.disksKey.id;
    // The tagging aspect sets `labels`; GKE's are `resource_labels` (cluster) and the nodes' VM labels.
    const labels = deploymentLabels(this, naming, "cluster", props.labels);

    const iamApi = new ProjectService(this, "Api-iam", { project, service: "iam.googleapis.com", disableOnDestroy: false });
    this.nodeServiceAccount = new ServiceAccount(this, "NodeServiceAccount", {
      accountId: naming.name("gke-nodes", undefined, 30),
      project,
      displayName: `${this.name} nodes`,
      description: "GKE nodes: logs, metrics and image pulls only; workloads use their own identities.",
      dependsOn: [iamApi],
    });
    this.nodeServiceAccountEmail = this.nodeServiceAccount.email;
    const nodeRoles = NODE_ROLES.map(
      (role) =>
        new ProjectIamMember(this, `NodeRole-${role.split("/")[1]}`, { project, role, member: this.nodeServiceAccount.member }),
    );
    const node = { serviceAccount: this.nodeServiceAccount.email, bootDiskKmsKey: props.disksKey.id };
    const controlPlane = this.controlPlaneCidr;

    this.cluster = new ContainerCluster(this, "Cluster", {
      name: this.name,
      project,
      location: region,
      nodeLocations: zones.length > 0 ? [...zones] : undefined,
      network: network.networkId,
      subnetwork: network.nodesSubnetId,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: network.podsRangeName,
        servicesSecondaryRangeName: network.servicesRangeName,
        stackType: "IPV4",
      },
      defaultMaxPodsPerNode: MAX_PODS_PER_NODE,
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: this.endpoint === "private",
        // A fixed /28 of the address plan: GKE puts the control plane's internal endpoint there.
        masterIpv4CidrBlock: controlPlane,
        // The site-to-site VPN terminates in the cluster's region: no cross-region access needed.
        masterGlobalAccessConfig: { enabled: false },
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: [
          { cidrBlock: network.cidr, displayName: "network" },
          ...network.peerCidrs.map((cidrBlock) => ({ cidrBlock, displayName: "site-to-site peer" })),
          ...this.allowedCidrs.map((cidrBlock) => ({ cidrBlock, displayName: "allowed" })),
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
      // Pod-to-pod traffic on one node leaves it through the VPC too, so the subnet's flow
      // logs (and firewall rules) see it. Changes in place, but GKE then reconfigures
      // networking on every node: expect a brief disruption on an existing cluster.
      enableIntranodeVisibility: true,
      releaseChannel: { channel: "REGULAR" },
      // A floor: the channel upgrades past it.
      minMasterVersion: this.version,
      maintenancePolicy: { recurringWindow: MAINTENANCE_WINDOW },
      databaseEncryption: { state: "ENCRYPTED", keyName: props.clusterKey.id },
      enableShieldedNodes: true,
      // Binary Authorization would enforce the project's policy, which this kit does not own:
      // the default allows everything, and a foreign one would block the platform's images.
      binaryAuthorization: { evaluationMode: "DISABLED" },
      // Workload vulnerability scanning's standard tier was retired in July 2025: the API refuses it.
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" },
      loggingConfig: { enableComponents: LOG_COMPONENTS },
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
      // GKE installs the Gateway API CRDs only for its own controller; Envoy Gateway brings its own.
      gatewayApiConfig: { channel: this.gkeGateway ? "CHANNEL_STANDARD" : "CHANNEL_DISABLED" },
      addonsConfig: {
        httpLoadBalancing: { disabled: false },
        horizontalPodAutoscaling: { disabled: false },
        gcePersistentDiskCsiDriverConfig: { enabled: true },
        dnsCacheConfig: { enabled: true },
      },
      nodePoolDefaults: { nodeConfigDefaults: { insecureKubeletReadonlyPortEnabled: "FALSE" } },
      clusterAutoscaling: this.autoscalingConfig(pools, zones, node),
      nodePoolAutoConfig:
        this.autoscaling === "node-auto-provisioning" ? { nodeKubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" } } : undefined,
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
      deletionProtection: this.protection,
      resourceLabels: labels,
      lifecycle: { ignoreChanges: ["node_config"] },
      dependsOn: [...(props.clusterKey.grants ?? []), ...(props.disksKey.grants ?? []), ...nodeRoles],
    });
    protect(this.cluster, this.protection);
    this.workloadPool = this.cluster.workloadIdentityConfig.workloadPool;

    const pool = (poolId: string, name: "system" | "workloads", taints?: ContainerNodePoolNodeConfigTaint[]) =>
      new GkeNodePool(this, poolId, { clusterId: this.cluster.id, name, project, region, zones, size: pools[name], resourceLabels: labels, taints, ...node });
    // The taint AKS puts on its system pool: GKE's own add-ons tolerate it, everything else
    // (the platform's add-ons included) runs on the workloads pool.
    this.systemPool = pool("SystemPool", "system", [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
    this.workloadsPool = pool("WorkloadsPool", "workloads");

    new ComputeFirewall(this, "AllowControlPlaneWebhooks", {
      name: naming.name("allow-control-plane-webhooks"),
      project,
      network: network.networkId,
      description: "The control plane calls admission webhooks on the nodes' pods.",
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [controlPlane],
      targetServiceAccounts: [this.nodeServiceAccount.email],
      allow: [{ protocol: "tcp", ports: WEBHOOK_PORTS }],
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    });

    // GKE has no per-cluster IAM: roles/container.admin on the project covers every cluster in it.
    for (const admin of this.admins) {
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
   * Pools scale within their own bounds; node auto-provisioning adds pools whose shapes
   * GKE picks, all within the cluster-wide budget: each of the two pools' max times its
   * machine's vCPUs and memory. The limits count every pool, these two included.
   */
  private autoscalingConfig(
    pools: { system: NodePoolSize; workloads: NodePoolSize },
    zones: readonly string[],
    node: { serviceAccount: string; bootDiskKmsKey: string },
  ): ContainerClusterClusterAutoscaling {
    // Keeps spare capacity and evicts less eagerly than OPTIMIZE_UTILIZATION: a production default.
    const autoscalingProfile = "BALANCED";
    if (this.autoscaling !== "node-auto-provisioning") return { enabled: false, autoscalingProfile };
    let cpu = 0;
    let memory = 0;
    for (const size of Object.values(pools)) {
      // validate() checked every shape.
      const shape = machineShape(size.instanceType)!;
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

  /** Props first: the names in messages are the props'. */
  private validate(pools: { system: NodePoolSize; workloads: NodePoolSize }) {
    const label = `GkeCluster ${this.node.path}`;
    if (!Token.isUnresolved(this.controlPlaneCidr) && parseIpv4Cidr(this.controlPlaneCidr)?.prefix !== 28) {
      throw new Error(`${label}: controlPlaneCidr must be an IPv4 /28, such as 172.16.0.0/28 (got ${JSON.stringify(this.controlPlaneCidr)})`);
    }
    if (this.endpoint === "private" && this.allowedCidrs.length > 0) {
      throw new Error(`${label}: allowedCidrs ${JSON.stringify(this.allowedCidrs)} need endpoint "public-restricted"; a private endpoint admits the network and the peers only`);
    }
    for (const [role, size] of Object.entries(pools)) {
      // GkeNodePool checks the counts.
      if (this.autoscaling === "node-auto-provisioning" && !Token.isUnresolved(size.instanceType) && !machineShape(size.instanceType)) {
        throw new Error(
          `${label}: ${role}Pool.instanceType: node auto-provisioning needs the machine's vCPUs for its limits; ` +
            `use a <family>-<standard|highcpu|highmem>-<vCPUs> or custom machine type such as n2-standard-8 (got "${size.instanceType}")`,
        );
      }
    }
  }

  private outputs() {
    const output = (attribute: string, value: string, description: string) => constructOutput(this, attribute, { value, description });
    output("name", this.cluster.name, "The GKE cluster's name.");
    // An address, not a credential: reaching it takes the network path and IAM.
    output("endpoint", this.cluster.endpoint, "The API server's address (the private endpoint unless the cluster allows a public one).");
    output("location", this.cluster.location, "The cluster's region, for gcloud container clusters get-credentials --location.");
    output("workload_pool", this.workloadPool, "The Workload Identity pool: Kubernetes service accounts act as Google ones through it.");
  }
}
