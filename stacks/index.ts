import { Aspects } from "cdktf";
import type { Construct } from "constructs";
import { ComplianceAspect } from "../lib/compliance/aspect";
import type { DeploymentSpec } from "../lib/config/spec";
import { withProviders } from "../lib/core/provider-packages";
import type { ByocStack } from "../lib/core/stack";

export interface BuildOptions {
  /** Compliance checks fail synth on a failing control; off to write a report of what fails. @default true */
  readonly failOnViolation?: boolean;
}

/**
 * Builds the stacks of one deployment. Only the chosen target's module is loaded:
 * each provider package costs hundreds of MB when required (DESIGN.md, Conventions).
 * A provider package that is not installed is a MissingProviderError naming it. With
 * `compliance` frameworks, one ComplianceAspect checks every stack of the deployment
 * (`ComplianceAspect.of(stack)` finds it for the report).
 */
export async function buildStacks(scope: Construct, spec: DeploymentSpec, options: BuildOptions = {}): Promise<ByocStack[]> {
  const stacks = await targetStacks(scope, spec);
  if (spec.compliance.length > 0) {
    const aspect = new ComplianceAspect({ frameworks: spec.compliance, failOnViolation: options.failOnViolation });
    for (const stack of stacks) Aspects.of(stack).add(aspect);
  }
  return stacks;
}

async function targetStacks(scope: Construct, spec: DeploymentSpec): Promise<ByocStack[]> {
  const cloud = spec.target.cloud;
  switch (cloud) {
    case "aws":
      return (await withProviders(cloud, () => import("./aws"))).awsStacks(scope, spec);
    case "azure":
      return (await withProviders(cloud, () => import("./azure"))).azureStacks(scope, spec);
    case "gcp":
      return (await withProviders(cloud, () => import("./gcp"))).gcpStacks(scope, spec);
    case "onprem":
      return (await withProviders(cloud, () => import("./onprem"))).onpremStacks(scope, spec);
  }
}
