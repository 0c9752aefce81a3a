import type { ExistingClusterProps } from "../lib/cluster/existing";
import type { DeploymentSpec } from "../lib/config/spec";
import type { OnpremDataPlanProps } from "../lib/data/onprem-plan";
import type { OnpremPlatformTargetProps } from "../lib/platform/targets/onprem";

/** The on-prem part of a spec: its target is the existing cluster. */
type OnpremSpec = DeploymentSpec & { readonly target: Extract<DeploymentSpec["target"], { cloud: "onprem" }> };

export function isOnpremSpec(spec: DeploymentSpec): spec is OnpremSpec {
  return spec.target.cloud === "onprem";
}

/** The existing cluster the spec's kubeconfig reaches; named after its context, else the deployment. */
export function existingClusterProps(spec: OnpremSpec): ExistingClusterProps {
  const { kubeconfig, context, distribution, storageClass } = spec.target;
  return { kubeconfig, context, distribution, storageClass, name: context ?? spec.name };
}

/** The target's props, without the cluster and the data plan (built from the spec beside it). */
export function onpremTargetProps(spec: OnpremSpec): Omit<OnpremPlatformTargetProps, "cluster" | "data"> {
  const { loadBalancer, loadBalancerAddresses } = spec.target;
  return {
    networkCidr: spec.network.cidr,
    loadBalancer,
    loadBalancerAddresses,
    vault: spec.platform.secretStore?.vault,
    admins: spec.cluster.admins,
  };
}

/** The in-cluster data layer: the spec's stores with the tier's sizes (on-prem classes are CPU counts and memory sizes). */
export function onpremDataPlanProps(spec: OnpremSpec): OnpremDataPlanProps {
  const { postgres, redis, documents, objectStore } = spec.data;
  return {
    deployment: spec.name,
    postgres: postgres && {
      version: postgres.version,
      cpus: Number(postgres.instanceClass),
      storageGb: postgres.storageGb,
      ha: postgres.ha,
      backupDays: postgres.backupDays,
    },
    redis: redis && { memory: redis.nodeType, ha: redis.ha },
    documents: documents && { cpus: Number(documents.instanceClass), instances: documents.instances },
    buckets: spec.data.buckets,
    retentionDays: spec.data.retentionDays,
    objectStore: objectStore && { endpoint: objectStore.endpoint, region: objectStore.region, credentialsSecret: objectStore.credentials.secretRef },
    protection: spec.data.protection,
    audit: spec.audit?.type === "database" ? { retentionMonths: spec.audit.database.retentionMonths } : undefined,
  };
}
