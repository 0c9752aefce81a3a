import { Aspects, TerraformResource, type IAspect } from "cdktf";
import type { Construct, IConstruct } from "constructs";

const COMPONENT = "byoc:component";

/** Marks a construct subtree as one component; its resources get `component=<name>`. */
export function setComponent(scope: Construct, component: string): void {
  scope.node.addMetadata(COMPONENT, component);
}

function componentOf(node: IConstruct): string | undefined {
  for (const scope of [...node.node.scopes].reverse()) {
    const entry = scope.node.metadata.find((m) => m.type === COMPONENT);
    if (entry) return entry.data as string;
  }
  return undefined;
}

interface Taggable {
  tagsInput?: Record<string, string>;
  tags: Record<string, string>;
  resetTags(): void;
}
interface Labelable {
  labelsInput?: Record<string, string>;
  labels: Record<string, string>;
  resetLabels(): void;
}

interface UserLabelable {
  userLabelsInput?: Record<string, string>;
  userLabels: Record<string, string>;
}

/**
 * Google resources whose `labels` is configuration (a notification channel's address or
 * URL) and whose key-value labels are `user_labels`.
 */
const USER_LABELS = new Set(["google_monitoring_notification_channel", "google_monitoring_alert_policy"]);

// Generated resource classes have tags/labels setters, but no common type says so.
const taggable = (node: object): node is Taggable => typeof (node as Partial<Taggable>).resetTags === "function";
const labelable = (node: object): node is Labelable => typeof (node as Partial<Labelable>).resetLabels === "function";

/**
 * Tags every taggable resource (AWS/Azure `tags`, GCP `labels`) with the deployment,
 * its component, the environment, `managed-by` and the user's tags. Tags a construct
 * sets itself (a subnet's discovery tags, say) are kept and win.
 */
export class TaggingAspect implements IAspect {
  constructor(private readonly base: Record<string, string>) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const component = componentOf(node) ?? "core";
    const tags = { ...this.base, component };
    if (node.terraformResourceType.startsWith("google_")) {
      // GCP labels only: a google resource's `tags` are Resource Manager tag bindings
      // (tagKeys/..., replacement-forcing), not key-value labels.
      if (USER_LABELS.has(node.terraformResourceType)) {
        const labelled = node as unknown as UserLabelable;
        labelled.userLabels = { ...gcpLabels(tags), ...labelled.userLabelsInput };
      } else if (labelable(node)) node.labels = { ...gcpLabels(tags), ...node.labelsInput };
    } else if (taggable(node)) {
      node.tags = { ...tags, ...node.tagsInput };
    }
  }
}

/** GCP labels: lower-case letters, digits, `_` and `-`, at most 63 characters. */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [clean(k).replace(/^[^a-z]/, "t$&"), clean(v)]));
}

export interface DeploymentTags {
  /** The deployment's name, tagged as `deployment`. */
  readonly deployment: string;
  /** Tagged as `environment`. @default "production" */
  readonly environment?: string;
  /** The user's own tags; the kit's keys win over them. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * Tags every resource under `scope` (a stack of your own, say) with the deployment,
 * its environment, `managed-by=cdktf-byoc`, the resource's component and `tags`.
 */
export function tagDeployment(scope: IConstruct, props: DeploymentTags): void {
  Aspects.of(scope).add(
    new TaggingAspect({
      ...props.tags,
      deployment: props.deployment,
      environment: props.environment ?? "production",
      "managed-by": "cdktf-byoc",
    }),
  );
}
