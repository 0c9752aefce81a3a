import { parse } from "yaml";
import type { Block, StackJson } from "./synth";

/** A helm_release of a stack, with its values parsed. */
export interface ReleaseView {
  readonly block: Block;
  readonly values: Record<string, any>;
  /** The objects of a Manifests release (the kit's own chart); empty for other charts. */
  readonly objects: Record<string, any>[];
}

export function releases(stack: StackJson): ReleaseView[] {
  return stack.resources("helm_release").map((block) => {
    // Helm reads values as YAML 1.1; so do the tests.
    const values = (parse(block.values?.[0] ?? "{}", { version: "1.1" }) ?? {}) as Record<string, any>;
    return { block, values, objects: isManifests(block) ? (values.objects ?? []) : [] };
  });
}

/** The release of a chart by its chart name (exactly one). */
export function chart(stack: StackJson, name: string): ReleaseView {
  const found = releases(stack).filter((r) => r.block.chart === name);
  if (found.length !== 1) throw new Error(`expected one release of chart ${name} in ${stack.name}, found ${found.length}`);
  return found[0];
}

/** Every object of every Manifests release, with the release it belongs to. */
export function manifests(stack: StackJson): { object: Record<string, any>; release: ReleaseView }[] {
  return releases(stack).flatMap((release) => release.objects.map((object) => ({ object, release })));
}

/** The one object of a kind (and name), from the Manifests releases. */
export function object(stack: StackJson, kind: string, name?: string): { object: Record<string, any>; release: ReleaseView } {
  const found = manifests(stack).filter((m) => m.object.kind === kind && (name === undefined || m.object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""} in ${stack.name}, found ${found.length}`);
  return found[0];
}

/** True for a release of the kit's own manifests chart (a local asset path). */
export function isManifests(block: Block): boolean {
  return typeof block.chart === "string" && block.chart.startsWith("assets/");
}

/** The helm_release blocks a release names in depends_on, directly. */
export function dependencies(stack: StackJson, release: ReleaseView): ReleaseView[] {
  const deps: string[] = release.block.depends_on ?? [];
  return releases(stack).filter((r) => deps.includes(r.block.tfAddress));
}
