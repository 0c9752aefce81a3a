/**
 * Turns Kubernetes schemas into strict JSON Schema (draft-07, for ajv), with the meaning
 * the API server gives them under strict field validation: a field a schema does not
 * list is an error, not silently dropped.
 */

/** A schema node as Kubernetes writes it: a CRD's structural schema or the API server's OpenAPI v3. */
export type SchemaNode = Record<string, any>;

/** Formats the API server checks (kube-openapi's strfmt registry) that occur in the pinned schemas. */
export const FORMATS = ["date-time", "byte", "ipv4", "ipv6"] as const;
/** Formats outside that registry, which the API server does not check. */
const UNCHECKED_FORMATS = ["int32", "int64", "float", "double", "int-or-string"];

/** Keywords that only annotate, or that ajv would read with another meaning. */
const ANNOTATIONS = new Set(["description", "default", "example", "externalDocs", "title", "nullable", "deprecated", "readOnly", "writeOnly"]);

const JUNCTORS = ["allOf", "anyOf", "oneOf"] as const;

/**
 * A custom resource's openAPIV3Schema, strict. `objectMeta` is the schema put in place of
 * `metadata` (CRDs leave it open; the API server validates it as ObjectMeta), also in
 * embedded resources.
 */
export function strictCrd(schema: SchemaNode, objectMeta: SchemaNode): SchemaNode {
  const out = crdNode(schema, objectMeta, false);
  return { ...out, properties: { ...out.properties, metadata: objectMeta } };
}

function crdNode(node: SchemaNode, objectMeta: SchemaNode, inJunctor: boolean): SchemaNode {
  const out = copy(node, (child, junctor) => crdNode(child, objectMeta, inJunctor || junctor));
  // Branches of allOf/anyOf/oneOf only add value checks to the fields the node declares.
  if (inJunctor) return out;
  if (node["x-kubernetes-int-or-string"] === true) {
    out.type = ["integer", "string"];
    // controller-gen also writes the two types as anyOf, which would only repeat the type error.
    if (out.anyOf?.every((b: SchemaNode) => Object.keys(b).length === 1 && ["integer", "string"].includes(b.type))) delete out.anyOf;
  }
  if (node["x-kubernetes-embedded-resource"] === true) {
    out.type = "object";
    out.properties = { ...out.properties, apiVersion: { type: "string", minLength: 1 }, kind: { type: "string", minLength: 1 }, metadata: objectMeta };
    out.required = [...new Set([...(out.required ?? []), "apiVersion", "kind"])];
  }
  // Without x-kubernetes-preserve-unknown-fields, the API server knows only the listed
  // fields (an object schema without properties holds none).
  if (out.type === "object" && out.additionalProperties === undefined && node["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  return nullable(node, out);
}

/**
 * The API server's OpenAPI v3 definitions (components.schemas), strict, as definitions
 * of a schema with the given $id. Built-in types spell free-form objects (FieldsV1,
 * RawExtension) as an object without properties, so only objects that list their
 * properties are closed.
 */
export function strictCore(definitions: Record<string, SchemaNode>, id: string): SchemaNode {
  const rewrite = (node: SchemaNode, inJunctor: boolean): SchemaNode => {
    if (typeof node.$ref === "string") return { $ref: node.$ref.replace("#/components/schemas/", `${id}#/definitions/`) };
    const out = copy(node, (child, junctor) => rewrite(child, inJunctor || junctor));
    if (!inJunctor && out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
    return nullable(node, out);
  };
  return { $id: id, definitions: Object.fromEntries(Object.entries(definitions).map(([name, d]) => [name, rewrite(d, false)])) };
}

/** The node without annotations or Kubernetes extensions, its subschemas mapped by `child`. */
function copy(node: SchemaNode, child: (n: SchemaNode, junctor: boolean) => SchemaNode): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key) || key.startsWith("x-kubernetes-")) continue;
    if (key === "properties") out.properties = Object.fromEntries(Object.entries(value as SchemaNode).map(([k, v]) => [k, child(v, false)]));
    else if (key === "items" || key === "additionalProperties") out[key] = typeof value === "object" ? child(value, false) : value;
    else if ((JUNCTORS as readonly string[]).includes(key)) out[key] = (value as SchemaNode[]).map((v) => child(v, true));
    else if (key === "not") out.not = child(value, true);
    else if (key === "format") {
      if ((FORMATS as readonly string[]).includes(value)) out.format = value;
      // A format the API server checks but FORMATS lacks must not pass unchecked.
      else if (!UNCHECKED_FORMATS.includes(value)) throw new Error(`schema format ${value} has no checker: add it to FORMATS`);
    } else out[key] = value;
  }
  return out;
}

function nullable(node: SchemaNode, out: SchemaNode): SchemaNode {
  if (node.nullable !== true) return out;
  return {
    ...out,
    ...(out.type !== undefined ? { type: [...[out.type].flat(), "null"] } : {}),
    ...(out.enum !== undefined ? { enum: [...out.enum, null] } : {}),
  };
}
