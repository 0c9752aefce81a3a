import type { TerraformResource } from "cdktf";

/**
 * Marks a stateful resource `prevent_destroy`: a plan that would delete or replace it
 * fails instead of losing data. `enabled` is the spec's `data.protection`; turning it
 * off is an explicit option, refused for production environments.
 */
export function protect<T extends TerraformResource>(resource: T, enabled = true): T {
  if (enabled) resource.lifecycle = { ...resource.lifecycle, preventDestroy: true };
  return resource;
}
