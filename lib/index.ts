/**
 * cdktf-byoc's public API: the spec, the stacks, and the pieces to compose your own.
 *
 * This entry point loads no provider package. Cloud constructs are imported from their
 * own modules so that a program pays only for the cloud it synthesizes:
 *   import { AwsNetwork } from "cdktf-byoc/lib/network/aws";
 */
export { defaultSpec, TARGET_CLOUDS } from "./config/defaults";
export { specJsonSchema } from "./config/json-schema";
export { knownZones } from "./config/regions";
export { SpecSchema, type PeerSpec, type SpecInput } from "./config/schema";
export { loadSpec, parseSpec, SpecError, type DeploymentSpec, type Target, type TargetCloud } from "./config/spec";
export { TIERS, type Tier, type TierDefaults } from "./config/tiers";
export { configureBackend } from "./core/backend";
export { Naming } from "./core/naming";
export { protect } from "./core/protect";
export { ByocStack, stackName, type StackRole } from "./core/stack";
export { setComponent, TaggingAspect } from "./core/tags";
export type { IDns } from "./dns/dns";
export type { INetwork } from "./network/network";
export { DeclaredNetwork } from "./network/onprem";
export { awsPlan, azurePlan, gcpPlan } from "./network/plan";
export { buildStacks } from "../stacks";
