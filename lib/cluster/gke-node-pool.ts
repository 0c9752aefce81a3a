import { ContainerNodePool, type ContainerNodePoolNodeConfigTaint } from "@cdktf/provider-google/lib/container-node-pool";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { TIERS, type NodePoolSize } from "../config/tiers";
import { resolveRegion } from "../core/region";
import { resolveProject } from "../network/gcp-context";

/** The one scope nodes get; what they may do is decided by their service account's roles. */
export const NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];
/** Verified boot chain and measured boot on every node (GKE's default leaves secure boot off). */
export const NODE_SHIELDED_INSTANCE = { enableSecureBoot: true, enableIntegrityMonitoring: true };
/** Container-Optimized OS: read-only root, no package manager, patched by Google. */
export const NODE_IMAGE = "COS_CONTAINERD";
/** Pods per node: the pods range (/p+1) holds 2^(24-p) nodes at 64, twice as many as at GKE's 110. */
export const MAX_PODS_PER_NODE = 64;

export interface GkeNodePoolProps {
  /** The cluster's id (`projects/<project>/locations/<location>/clusters/<name>`). */
  readonly clusterId: string;
  /** The pool's name in the cluster (stable: changing it replaces the pool). */
  readonly name: string;
  /** The node service account's email: give it least privilege, never the default compute account. */
  readonly serviceAccount: string;
  /** The Cloud KMS key (id) encrypting the boot disks. */
  readonly bootDiskKmsKey: string;
  /** Machine type, disk size and node counts; min and max are totals across the zones. @default - the small tier's workloads pool (TIERS.small.nodePools.gcp.workloads) */
  readonly size?: NodePoolSize;
  /** Zones the pool spans. @default [] - the cluster's zones, as GKE picks them */
  readonly zones?: readonly string[];
  /** GCP labels of the node VMs and disks. @default {} */
  readonly resourceLabels?: Record<string, string>;
  /** Taints keeping pods off the pool unless they tolerate them. @default none */
  readonly taints?: ContainerNodePoolNodeConfigTaint[];
  /** The cluster's location. @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
}

/**
 * A separately managed, autoscaled node pool: shielded COS nodes with Workload Identity's
 * metadata server (no node credentials for pods), CMEK boot disks, a least-privilege
 * service account, auto-repair and auto-upgrade, and surge upgrades that add a node
 * before draining one. Machine type and disk changes are updated in place by GKE
 * (a rolling migration under the same upgrade settings), so a tier change never
 * replaces the pool; the attributes that would (name, service account, scopes,
 * metadata, shielded config, boot disk key) are constants here.
 */
export class GkeNodePool extends Construct {
  readonly pool: ContainerNodePool;
  readonly size: NodePoolSize;

  constructor(scope: Construct, id: string, props: GkeNodePoolProps) {
    super(scope, id);
    const size = (this.size = props.size ?? TIERS.small.nodePools.gcp.workloads);
    if (!Token.isUnresolved(size.min) && !Token.isUnresolved(size.max) && !(size.min >= 0 && size.max >= 1 && size.min <= size.max)) {
      throw new Error(`GkeNodePool ${this.node.path}: size.min and size.max must satisfy 0 <= min <= max and max >= 1 (got min ${size.min}, max ${size.max})`);
    }
    const zones = props.zones ?? [];
    const zoneCount = zones.length || 3;
    // Only the first apply uses it (it forces replacement, so later changes are ignored).
    const perZone = Math.min(Math.ceil(size.min / zoneCount), Math.floor(size.max / zoneCount));
    this.pool = new ContainerNodePool(this, "Pool", {
      name: props.name,
      project: resolveProject(this, props.project),
      cluster: props.clusterId,
      location: resolveRegion(this, "google", props.region),
      nodeLocations: zones.length > 0 ? [...zones] : undefined,
      initialNodeCount: perZone,
      maxPodsPerNode: MAX_PODS_PER_NODE,
      autoscaling: { totalMinNodeCount: size.min, totalMaxNodeCount: size.max, locationPolicy: "BALANCED" },
      management: { autoRepair: true, autoUpgrade: true },
      upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
      nodeConfig: {
        machineType: size.instanceType,
        diskSizeGb: size.diskGb,
        diskType: bootDiskType(size.instanceType),
        imageType: NODE_IMAGE,
        serviceAccount: props.serviceAccount,
        oauthScopes: NODE_OAUTH_SCOPES,
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: NODE_SHIELDED_INSTANCE,
        metadata: { "disable-legacy-endpoints": "true" },
        bootDiskKmsKey: props.bootDiskKmsKey,
        kubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" },
        resourceLabels: props.resourceLabels,
        taint: props.taints,
      },
      lifecycle: { ignoreChanges: ["initial_node_count"] },
    });
  }
}

/** Families whose VMs take Hyperdisk only (no Persistent Disk boot disks). */
const HYPERDISK_ONLY = /^(n4|n4a|n4d|c4|c4a|c4d)-/;

/** pd-balanced, or hyperdisk-balanced for the families without Persistent Disk. */
export function bootDiskType(machineType: string): string {
  return HYPERDISK_ONLY.test(machineType) ? "hyperdisk-balanced" : "pd-balanced";
}

/** Upper bounds of GiB per vCPU by machine kind, for node auto-provisioning's memory limit. */
const GIB_PER_VCPU: Record<string, number> = { standard: 4, highcpu: 2, highmem: 8 };
/** Shared-core E2 types: 2 vCPUs (bursting) and their memory. */
const SHARED_CORE: Record<string, { vcpus: number; memoryGib: number }> = {
  "e2-micro": { vcpus: 2, memoryGib: 1 },
  "e2-small": { vcpus: 2, memoryGib: 2 },
  "e2-medium": { vcpus: 2, memoryGib: 4 },
};

/**
 * vCPUs and memory (GiB, rounded up) of a machine type: `<family>-<kind>-<vCPUs>` for
 * standard, highcpu and highmem kinds, custom types, and the shared-core E2 types.
 * Undefined for other shapes (megamem, accelerator-optimized...).
 */
export function machineShape(machineType: string): { vcpus: number; memoryGib: number } | undefined {
  if (machineType in SHARED_CORE) return SHARED_CORE[machineType];
  const custom = /^(?:[a-z][a-z0-9]*-)?custom-(\d+)-(\d+)(-ext)?$/.exec(machineType);
  if (custom) return { vcpus: Number(custom[1]), memoryGib: Math.ceil(Number(custom[2]) / 1024) };
  const m = /^[a-z][a-z0-9]*-(standard|highcpu|highmem)-(\d+)(-lssd)?$/.exec(machineType);
  if (!m) return undefined;
  const vcpus = Number(m[2]);
  return { vcpus, memoryGib: vcpus * GIB_PER_VCPU[m[1]] };
}
