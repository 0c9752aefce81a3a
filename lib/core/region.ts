import { TerraformProvider, TerraformStack, Token } from "cdktf";
import type { IConstruct } from "constructs";
import { label } from "./validate";

/**
 * The region a construct builds in: `given` if set, else the region of the stack's
 * default (un-aliased) provider of `providerType` ("aws", "google"). A given region that
 * disagrees with the provider's is refused: resources would be created in one region
 * and wired for another (subnets in one, endpoint service names for the other).
 */
export function resolveRegion(scope: IConstruct, providerType: string, given: string | undefined): string {
  const configured = providerRegion(scope, providerType);
  const who = label(scope);
  if (given !== undefined) {
    if (configured !== undefined && !Token.isUnresolved(given) && !Token.isUnresolved(configured) && given !== configured) {
      throw new Error(`${who}: region ${JSON.stringify(given)} differs from the ${providerType} provider's region ${JSON.stringify(configured)}; give the provider's region or leave region unset`);
    }
    return given;
  }
  if (configured === undefined) {
    throw new Error(`${who}: no region: set the ${providerType} provider's region in the stack, or the construct's region prop`);
  }
  return configured;
}

/** The `region` of the stack's default provider of a type, if it sets one. */
export function providerRegion(scope: IConstruct, providerType: string): string | undefined {
  for (const node of TerraformStack.of(scope).node.findAll()) {
    if (!(node instanceof TerraformProvider) || node.terraformResourceType !== providerType || node.alias) continue;
    const block = (node.toTerraform() as { provider?: Record<string, { region?: string }[]> }).provider?.[providerType]?.[0];
    return block?.region;
  }
  return undefined;
}
