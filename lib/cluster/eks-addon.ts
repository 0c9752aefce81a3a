import { DataAwsEksAddonVersion } from "@cdktf/provider-aws/lib/data-aws-eks-addon-version";
import { EksAddon, type EksAddonPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-addon";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

export interface EksManagedAddonProps {
  /** The cluster's name as a reference to the cluster resource. */
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly addonName: string;
  /** The add-on's configuration (its JSON schema is `aws eks describe-addon-configuration`). @default none */
  readonly configuration?: Record<string, unknown>;
  /** Binds the add-on's service account to a role through Pod Identity. @default none */
  readonly podIdentity?: EksAddonPodIdentityAssociation;
  /** What must exist first (the node group for add-ons that need nodes to schedule). @default none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * An EKS managed add-on at the newest version published for the cluster's Kubernetes
 * version (looked up at plan time, so a plan shows the upgrade). EKS owns the add-on's
 * objects: conflicting edits made in the cluster are overwritten.
 */
export class EksManagedAddon extends Construct {
  readonly addon: EksAddon;

  constructor(scope: Construct, id: string, props: EksManagedAddonProps) {
    super(scope, id);
    const version = new DataAwsEksAddonVersion(this, "Version", {
      addonName: props.addonName,
      kubernetesVersion: props.kubernetesVersion,
      mostRecent: true,
    });
    this.addon = new EksAddon(this, "Addon", {
      clusterName: props.clusterName,
      addonName: props.addonName,
      addonVersion: version.version,
      configurationValues: props.configuration ? JSON.stringify(props.configuration) : undefined,
      podIdentityAssociation: props.podIdentity ? [props.podIdentity] : undefined,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      dependsOn: props.dependsOn,
    });
  }
}
