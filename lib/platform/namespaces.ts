import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";

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

/**
 * A namespace other constructs place objects in: the kit's PlatformNamespace, or one of
 * your own (`{ name, reference: ns.metadata.name, ready: ns }`).
 */
export interface INamespace {
  /** The namespace's name as written: for construct ids and objects that need no ordering. */
  readonly name: string;
  /**
   * The name as a reference to the namespace resource, so Terraform creates an object
   * placed with it after the namespace (and deletes it before).
   */
  readonly reference: string;
  /** What an object in the namespace waits for: the namespace and, on OpenShift, its SCC grant. */
  readonly ready: ITerraformDependable;
}

export interface PlatformNamespaceProps {
  /** The namespace's name: a DNS label (RFC 1123), at most 63 characters. */
  readonly name: string;
  /** The deployment the namespace belongs to (its `app.kubernetes.io/part-of` label). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Its `app.kubernetes.io/component` label. */
  readonly component: string;
  /**
   * The level Pod Security admission enforces. Warnings and audit always use
   * `restricted`, so a namespace that needs more shows what it uses.
   * @default "restricted"
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * On OpenShift: stop the SCC label syncer from overwriting the levels set here, and
   * admit the namespace's pods under the SCC matching the level (see below).
   * @default false
   */
  readonly openshift?: boolean;
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

/** A Kubernetes namespace name: a DNS label (RFC 1123). */
export const NAMESPACE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A namespace with Pod Security admission labels and the kit's labels. */
export class PlatformNamespace extends Construct implements INamespace {
  readonly namespace: NamespaceV1;
  readonly name: string;
  readonly reference: string;
  readonly ready: ITerraformDependable;
  readonly podSecurity: PodSecurityLevel;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && !NAMESPACE_NAME.test(props.name)) {
      throw new Error(`PlatformNamespace ${id}: name must be a DNS label of a-z, 0-9 and "-", at most 63 characters (got ${JSON.stringify(props.name)})`);
    }
    this.name = props.name;
    this.podSecurity = props.podSecurity ?? "restricted";
    const openshift = props.openshift ?? false;
    const deployment = namingOf(this, props.naming).deployment;
    this.namespace = new NamespaceV1(this, "Namespace", {
      metadata: {
        name: props.name,
        labels: {
          ...platformLabels(deployment, props.component),
          "pod-security.kubernetes.io/enforce": this.podSecurity,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
          ...(openshift ? { "security.openshift.io/scc.podSecurityLabelSync": "false" } : {}),
          ...props.labels,
        },
      },
      // Deleting a namespace deletes everything in it; Terraform waits for it.
      waitForDefaultServiceAccount: true,
    });
    this.reference = this.namespace.metadata.name;
    const scc = openshift && props.sccGrant !== false ? OPENSHIFT_SCC[this.podSecurity] : undefined;
    this.ready = scc
      ? new RoleBindingV1(this, "Scc", {
          metadata: { name: `scc-${scc}`, namespace: this.namespace.metadata.name, labels: platformLabels(deployment, props.component) },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `system:openshift:scc:${scc}` },
          subject: [{ kind: "Group", name: `system:serviceaccounts:${props.name}`, apiGroup: "rbac.authorization.k8s.io" }],
        })
      : this.namespace;
  }
}
