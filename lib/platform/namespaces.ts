import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import type { ITerraformDependable } from "cdktf";
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
  /**
   * On OpenShift: stop the SCC label syncer from overwriting the levels set here, and
   * admit the namespace's pods under the SCC matching the level (see below).
   */
  readonly openshift: boolean;
  /** Extra labels, e.g. the tenant marker policies select on. @default none */
  readonly labels?: Record<string, string>;
  /**
   * Grant the namespace's service accounts the SCC of its level on OpenShift. Tenants
   * keep OpenShift's default (restricted-v2). @default true
   */
  readonly sccGrant?: boolean;
}

/**
 * OpenShift's SCC for each level, granted to the namespace's service accounts. Charts
 * run as the fixed non-root user ids their images are built for; OpenShift's default
 * restricted-v2 would refuse them (it assigns ids from a range). nonroot-v2 keeps every
 * other restriction of restricted-v2 (no privilege escalation, all capabilities
 * dropped, seccomp), which is what Pod Security `restricted` asks.
 */
const OPENSHIFT_SCC: Record<PodSecurityLevel, string | undefined> = {
  restricted: "nonroot-v2",
  baseline: undefined,
  privileged: "privileged",
};

/** A namespace with Pod Security admission labels and the kit's labels. */
export class PlatformNamespace extends Construct {
  readonly namespace: NamespaceV1;
  readonly name: string;
  /** What a release into the namespace waits for: the namespace and, on OpenShift, its SCC grant. */
  readonly ready: ITerraformDependable;

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
    const scc = props.openshift && props.sccGrant !== false ? OPENSHIFT_SCC[props.podSecurity] : undefined;
    this.ready = scc
      ? new RoleBindingV1(this, "Scc", {
          metadata: { name: `scc-${scc}`, namespace: this.namespace.metadata.name, labels: platformLabels(props.deployment, props.component) },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `system:openshift:scc:${scc}` },
          subject: [{ kind: "Group", name: `system:serviceaccounts:${props.name}`, apiGroup: "rbac.authorization.k8s.io" }],
        })
      : this.namespace;
  }
}
