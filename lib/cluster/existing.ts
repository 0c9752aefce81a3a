import type { ClusterConnection, IKubernetesCluster } from "./cluster";

/** The distributions an existing cluster may run. */
export type ExistingDistribution = "kubernetes" | "openshift" | "vmware";

export interface ExistingClusterProps {
  /** Path to the cluster's kubeconfig, read by the providers at plan time. */
  readonly kubeconfig: string;
  /** The kubeconfig context. @default - the kubeconfig's current context */
  readonly context?: string;
  /**
   * kubernetes (any conformant cluster, e.g. bare metal), openshift, or vmware (vSphere
   * Kubernetes Service / Tanzu). @default "kubernetes"
   */
  readonly distribution?: ExistingDistribution;
  /** The StorageClass for persistent volumes. @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** The cluster's name. @default - the context's name, else "kubernetes" */
  readonly name?: string;
}

const DISTRIBUTIONS: readonly ExistingDistribution[] = ["kubernetes", "openshift", "vmware"];

/**
 * An existing cluster (OpenShift, VMware, bare metal) that the platform stack installs
 * into. Nothing is created for it: the kubeconfig is read at plan time, so no credential
 * is copied into the state.
 */
export class ExistingCluster implements IKubernetesCluster {
  static readonly DEFAULT_DISTRIBUTION: ExistingDistribution = "kubernetes";
  readonly name: string;
  readonly distribution: ExistingDistribution;
  readonly connection: ClusterConnection;
  readonly storageClass?: string;

  constructor(props: ExistingClusterProps) {
    if (props.kubeconfig.trim() === "") {
      throw new Error(`ExistingCluster: kubeconfig must be the path to a kubeconfig file (got ${JSON.stringify(props.kubeconfig)})`);
    }
    if (props.distribution !== undefined && !DISTRIBUTIONS.includes(props.distribution)) {
      throw new Error(`ExistingCluster: distribution must be one of ${DISTRIBUTIONS.map((d) => `"${d}"`).join(", ")} (got ${JSON.stringify(props.distribution)})`);
    }
    this.name = props.name ?? props.context ?? "kubernetes";
    this.distribution = props.distribution ?? ExistingCluster.DEFAULT_DISTRIBUTION;
    this.connection = { configPath: props.kubeconfig, configContext: props.context };
    this.storageClass = props.storageClass;
  }
}
