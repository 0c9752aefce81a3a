/** Walks the spec's JSON Schema to reach every field, for tests that try each one. */

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; additionalProperties?: JsonSchema | boolean; type?: string };

/** Every field path of the spec's JSON Schema: list items at [0], map entries under "entry". */
export function leafPaths(schema: JsonSchema, path: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) out.push(...leafPaths(branch, path));
  for (const [key, sub] of Object.entries(schema.properties ?? {})) out.push(...leafPaths(sub, [...path, key]));
  if (schema.items) out.push(...leafPaths(schema.items, [...path, 0]));
  if (typeof schema.additionalProperties === "object") out.push(...leafPaths(schema.additionalProperties, [...path, "entry"]));
  if (path.length > 0) out.push(path);
  const seen = new Set<string>();
  return out.filter((p) => !seen.has(JSON.stringify(p)) && !!seen.add(JSON.stringify(p)));
}

/** Sets `value` at `path`, creating maps and lists on the way. */
export function setAt(target: Record<string | number, unknown>, path: (string | number)[], value: unknown): Record<string | number, unknown> {
  let node: Record<string | number, unknown> = target;
  path.forEach((key, i) => {
    if (i === path.length - 1) node[key] = value;
    else {
      const next = node[key];
      node[key] = next !== null && typeof next === "object" ? next : typeof path[i + 1] === "number" ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    }
  });
  return target;
}
