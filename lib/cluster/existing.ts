import type { DeploymentSpec } from "../config/spec";
import type { ClusterConnection, Distribution, IKubernetesCluster } from "./cluster";

/**
 * An existing cluster (OpenShift, VMware, bare metal) that the platform stack installs
 * into. Nothing is created for it: the kubeconfig named in the spec is read at plan
 * time, so no credential is copied into the state.
 */
export class ExistingCluster implements IKubernetesCluster {
  readonly name: string;
  readonly distribution: Distribution;
  readonly connection: ClusterConnection;
  readonly storageClass?: string;

  constructor(spec: DeploymentSpec) {
    if (spec.target.cloud !== "onprem") throw new Error(`ExistingCluster needs an onprem target, got ${spec.target.cloud}`);
    const { kubeconfig, context, distribution, storageClass } = spec.target;
    this.name = context ?? spec.name;
    this.distribution = distribution;
    this.connection = { configPath: kubeconfig, configContext: context };
    this.storageClass = storageClass;
  }
}
