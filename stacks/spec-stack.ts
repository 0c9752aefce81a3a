import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import type { StateBackend } from "../lib/core/backend";
import { ByocStack } from "../lib/core/stack";

/** infra: cloud resources; platform: what runs in the cluster (DESIGN.md, "The flow of data"). */
export type StackRole = "infra" | "platform";

/** `<name>-<target>-<role>`: the stack's directory in cdktf.out and its state key. */
export function stackName(spec: DeploymentSpec, role: StackRole): string {
  return `${spec.name}-${spec.target.cloud}-${role}`;
}

/** One of a deployment's stacks: named, tagged and with its state backend from the spec. */
export function specStack(scope: Construct, spec: DeploymentSpec, role: StackRole): ByocStack {
  return new ByocStack(scope, stackName(spec, role), {
    deployment: spec.name,
    environment: spec.environment,
    tags: spec.tags,
    state: stateOf(spec),
  });
}

/** The spec's state backend; an S3 bucket without a region is in the AWS target's region. */
function stateOf(spec: DeploymentSpec): StateBackend {
  const state = spec.state;
  if (state.backend === "s3" && !state.region && spec.target.cloud === "aws") return { ...state, region: spec.target.region };
  return state;
}
