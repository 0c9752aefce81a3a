import { createHash } from "node:crypto";
import type { IConstruct } from "constructs";

/**
 * Resource names derive from the deployment name: `<deployment>-<component>[-<suffix>]`.
 * A name over a service's limit keeps its start and ends in a short stable hash of the
 * full name, so it stays unique and never changes between runs.
 */
export class Naming {
  constructor(readonly deployment: string) {}

  /** Dash-separated name, at most `max` characters (most services: 63). */
  name(component: string, suffix?: string, max = 63): string {
    return fit([this.deployment, component, suffix].filter(Boolean).join("-"), max, "-");
  }

  /** Lower-case letters and digits only, e.g. Azure storage accounts (3-24). */
  compact(component: string, max = 24): string {
    return fit(`${this.deployment}${component}`.replace(/[^a-z0-9]/g, ""), max, "");
  }

  /** The Kubernetes cluster's name on every target; networks tag subnets with it for discovery. */
  get cluster(): string {
    return this.name("cluster", undefined, 40);
  }
}

function fit(name: string, max: number, sep: string): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${name.slice(0, max - hash.length - sep.length).replace(/-+$/, "")}${sep}${hash}`;
}

/**
 * The naming a construct uses: `given`, else that of the ByocStack it is in. A construct
 * placed in a plain TerraformStack must be given one (`new Naming("acme")`).
 */
export function namingOf(scope: IConstruct, given?: Naming): Naming {
  if (given) return given;
  for (const node of [...scope.node.scopes].reverse()) {
    const naming = (node as { naming?: unknown }).naming;
    if (naming instanceof Naming) return naming;
  }
  throw new Error(`${scope.constructor.name} ${scope.node.path}: no naming: pass props.naming (new Naming("<deployment>")), or create it inside a ByocStack`);
}
