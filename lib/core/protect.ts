import type { TerraformResource } from "cdktf";

/**
 * Marks a stateful resource `prevent_destroy`: a plan that would delete or replace it
 * fails instead of losing data. Turning protection off is an explicit spec option.
 */
export function protect<T extends TerraformResource>(resource: T): T {
  resource.lifecycle = { ...resource.lifecycle, preventDestroy: true };
  return resource;
}
