import type { z } from "zod";

/**
 * What the spec's schema expects at a path of the input: the field names of an object
 * (for "did you mean"), whether a string is expected (for "quote it"), and whether the
 * path lies inside a secret reference (whose values are never echoed).
 */

type Schema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  items?: Schema[];
  valueType?: Schema;
  options?: Schema[];
  discriminator?: string;
  values?: unknown[];
  entries?: Record<string, unknown>;
}

const defOf = (s: Schema) => s._zod.def as unknown as Def;
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "catch", "readonly", "nonoptional"]);

/** The schema under its optional/default wrappers and transforms. */
function unwrap(schema: Schema): Schema {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === "pipe" && d.in) s = d.in;
    else return s;
  }
}

/** A union's options, or the schema itself; a discriminated union narrowed by the value's discriminator when it matches one. */
function alternatives(schema: Schema, value: unknown): Schema[] {
  const d = defOf(schema);
  if (d.type !== "union" || !d.options) return [schema];
  const options = d.options.map(unwrap).flatMap((o) => alternatives(o, value));
  const tag = d.discriminator && value && typeof value === "object" ? (value as Record<string, unknown>)[d.discriminator] : undefined;
  const matching = options.filter((o) => {
    const field = defOf(o).shape?.[d.discriminator ?? ""];
    return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(tag);
  });
  return matching.length > 0 ? matching : options;
}

function child(schema: Schema, key: PropertyKey): Schema | undefined {
  const d = defOf(schema);
  switch (d.type) {
    case "object":
      return typeof key === "string" ? d.shape?.[key] : undefined;
    case "array":
      return typeof key === "number" ? d.element : undefined;
    case "tuple":
      return typeof key === "number" ? d.items?.[key] : undefined;
    case "record":
      return d.valueType;
    default:
      return undefined;
  }
}

/** A node of the schema along a path, with what was passed on the way there. */
export interface SchemaPlace {
  /** The schemas the value at the path may match (several for a union). */
  readonly schemas: Schema[];
  /** The path passes through a `{ secretRef }` field or its `secretRef`. */
  readonly secret: boolean;
}

/** The schemas a path of `input` leads to under `root`. */
export function schemaAt(root: Schema, input: unknown, path: readonly PropertyKey[]): SchemaPlace {
  let value: unknown = input;
  let schemas = alternatives(unwrap(root), value);
  let secret = schemas.some(holdsSecret);
  for (const key of path) {
    const next: Schema[] = [];
    for (const s of schemas) {
      const c = child(s, key);
      if (c) next.push(c);
    }
    value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    schemas = next.map(unwrap).flatMap((s) => alternatives(s, value));
    secret ||= key === "secretRef" || schemas.some(holdsSecret);
  }
  return { schemas, secret };
}

/** A secret reference: an object whose field is `secretRef`. */
export function holdsSecret(schema: Schema): boolean {
  const d = defOf(schema);
  return d.type === "object" && d.shape !== undefined && "secretRef" in d.shape;
}

/** The field names an object at this place accepts (all options' for a union). */
export function fieldNames(place: SchemaPlace): string[] {
  return [...new Set(place.schemas.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/** True when a string is among the values the place accepts. */
export function expectsString(place: SchemaPlace): boolean {
  return place.schemas.some((s) => {
    const d = defOf(s);
    if (d.type === "string") return true;
    if (d.type === "enum") return Object.values(d.entries ?? {}).some((v) => typeof v === "string");
    if (d.type === "literal") return (d.values ?? []).some((v) => typeof v === "string");
    return false;
  });
}

/**
 * Strings of `input` (values and keys) that lie in a secret reference, or that
 * `suspicious` flags: what no message may repeat. One pass over the input.
 */
export function sensitiveStrings(root: Schema, input: unknown, suspicious: (text: string) => boolean): Set<string> {
  const found = new Set<string>();
  const stack: { value: unknown; schemas: Schema[]; secret: boolean }[] = [{ value: input, schemas: alternatives(unwrap(root), input), secret: false }];
  while (stack.length > 0) {
    const { value, schemas, secret } = stack.pop()!;
    const inSecret = secret || schemas.some(holdsSecret);
    if (typeof value === "string") {
      if (inSecret || suspicious(value)) found.add(value);
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    const entries: [PropertyKey, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, v] of entries) {
      if (typeof key === "string" && suspicious(key)) found.add(key);
      const next = schemas.flatMap((s) => {
        const c = child(s, key);
        return c ? alternatives(unwrap(c), v) : [];
      });
      stack.push({ value: v, schemas: next, secret: inSecret || key === "secretRef" });
    }
  }
  return found;
}
