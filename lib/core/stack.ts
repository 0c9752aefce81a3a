import { Aspects, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { configureBackend } from "./backend";
import { Naming } from "./naming";
import { TaggingAspect } from "./tags";

/** infra: cloud resources; platform: what runs in the cluster (DESIGN.md, "The flow of data"). */
export type StackRole = "infra" | "platform";

/** `<name>-<target>-<role>`: the stack's directory in cdktf.out and its state key. */
export function stackName(spec: DeploymentSpec, role: StackRole): string {
  return `${spec.name}-${spec.target.cloud}-${role}`;
}

/** A stack of one deployment: its backend from the spec, and every resource tagged. */
export class ByocStack extends TerraformStack {
  readonly naming: Naming;

  constructor(
    scope: Construct,
    readonly spec: DeploymentSpec,
    readonly role: StackRole,
  ) {
    const name = stackName(spec, role);
    super(scope, name);
    this.naming = new Naming(spec.name);
    configureBackend(this, spec, name);
    Aspects.of(this).add(
      new TaggingAspect({
        ...spec.tags,
        deployment: spec.name,
        environment: spec.environment,
        "managed-by": "cdktf-byoc",
      }),
    );
  }
}
