import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { Construct } from "constructs";

/** Pod Security Standards levels (kubernetes.io/docs/concepts/security/pod-security-standards). */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** Labels every object the kit creates in a cluster carries. */
export function platformLabels(deployment: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "cdktf-byoc",
    "app.kubernetes.io/part-of": deployment,
    "app.kubernetes.io/component": component,
  };
}

export interface PlatformNamespaceProps {
  readonly name: string;
  readonly deployment: string;
  readonly component: string;
  /**
   * The level Pod Security admission enforces. Warnings and audit always use
   * `restricted`, so a namespace that needs more shows what it uses.
   */
  readonly podSecurity: PodSecurityLevel;
  /** On OpenShift, stop the SCC label syncer from overwriting the levels set here. */
  readonly openshift: boolean;
  /** Extra labels, e.g. the tenant marker policies select on. @default none */
  readonly labels?: Record<string, string>;
}

/** A namespace with Pod Security admission labels and the kit's labels. */
export class PlatformNamespace extends Construct {
  readonly namespace: NamespaceV1;
  readonly name: string;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    this.name = props.name;
    this.namespace = new NamespaceV1(this, "Namespace", {
      metadata: {
        name: props.name,
        labels: {
          ...platformLabels(props.deployment, props.component),
          "pod-security.kubernetes.io/enforce": props.podSecurity,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
          ...(props.openshift ? { "security.openshift.io/scc.podSecurityLabelSync": "false" } : {}),
          ...props.labels,
        },
      },
      // Deleting a namespace deletes everything in it; Terraform waits for it.
      waitForDefaultServiceAccount: true,
    });
  }
}
