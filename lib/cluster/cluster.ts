/**
 * What every target's Kubernetes cluster gives the rest of the kit. The platform stack
 * takes this interface; cloud-specific wiring (granting a service account a cloud role)
 * takes the cloud's class, behind the platform target (lib/platform/target.ts).
 */

/** The cluster's flavour: managed clusters by cloud, existing ones by distribution. */
export type Distribution = "eks" | "aks" | "gke" | "openshift" | "vmware" | "kubernetes";

/** A credential plugin the providers run for each session: nothing long-lived is stored. */
export interface ExecCredential {
  readonly apiVersion: string;
  readonly command: string;
  readonly args: string[];
  readonly env?: Record<string, string>;
}

/**
 * How Terraform's kubernetes and helm providers reach the cluster: a managed cluster's
 * endpoint and CA with an exec credential plugin, or an existing cluster's kubeconfig
 * (a path read at plan time). No static token or client key is ever in the state.
 */
export type ClusterConnection =
  | { readonly host: string; readonly clusterCaCertificate: string; readonly exec: ExecCredential }
  | { readonly configPath: string; readonly configContext?: string };

export interface IKubernetesCluster {
  /** The cluster's name (also its discovery tag value on AWS). */
  readonly name: string;
  readonly distribution: Distribution;
  readonly connection: ClusterConnection;
  /** The StorageClass for persistent volumes; undefined means the cluster's default. */
  readonly storageClass?: string;
}
