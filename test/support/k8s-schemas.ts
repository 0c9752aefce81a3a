import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import * as ipaddr from "ipaddr.js";
import { parseAllDocuments } from "yaml";
import { goRegExp } from "./k8s-schemas/go-regexp";
import { CRD_SOURCES, GATEKEEPER_MATCH, KUBERNETES } from "./k8s-schemas/sources";
import { FORMATS, strictCore, strictCrd, type SchemaNode } from "./k8s-schemas/strict";

/**
 * Checks Kubernetes objects against their owners' schemas at the pinned versions: custom
 * resources against the CRDs in the upstream Go modules, built-in kinds and every
 * object's metadata against the API server's OpenAPI (see ./k8s-schemas/sources.ts).
 * The modules come from the Go module proxy; what the checks need is kept in
 * .cache/k8s-schemas/<key>.json, so later runs read one file.
 */

const ROOT = join(__dirname, "..", "..");
const CACHE_DIR = join(ROOT, ".cache", "k8s-schemas");
const CORE_ID = "https://k8s.test/core.json";
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** What the cache holds: schemas as upstream wrote them, annotations dropped. */
interface SchemaSet {
  /** `apiVersion kind` of every served custom resource version → its source and openAPIV3Schema. */
  readonly crds: Record<string, { readonly source: string; readonly schema: SchemaNode }>;
  /** `apiVersion kind` of every built-in kind → its definition's name. */
  readonly core: Record<string, string>;
  readonly definitions: Record<string, SchemaNode>;
  readonly gatekeeperMatch: SchemaNode;
}

/** The cache file for the current sources (any change to them makes a new key). */
function cacheFile(): string {
  const key = createHash("sha256").update(JSON.stringify({ CRD_SOURCES, GATEKEEPER_MATCH, KUBERNETES })).digest("hex").slice(0, 16);
  return join(CACHE_DIR, `${key}.json`);
}

let loaded: { set: SchemaSet; ajv: Ajv; validators: Map<string, ValidateFunction> } | undefined;

/**
 * Loads the schemas, first downloading the modules and extracting them into the cache if
 * it lacks them (about a minute; network: the Go module proxy only).
 */
export function ensureK8sSchemas(): void {
  if (loaded) return;
  const file = cacheFile();
  if (!existsSync(file)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, JSON.stringify(extract()));
    renameSync(staging, file);
  }
  const set = JSON.parse(readFileSync(file, "utf8")) as SchemaSet;
  const ajv = new Ajv({ allErrors: true, strict: false, formats: formatCheckers(), code: { optimize: false, regExp: Object.assign(goRegExp, { code: "goRegExp" }) } });
  ajv.addSchema(strictCore(set.definitions, CORE_ID));
  loaded = { set, ajv, validators: new Map() };
}

/**
 * The problems of one object against its schema, each as
 * `Kind namespace/name: path: problem`; none when it is valid. Gatekeeper constraints are
 * checked against the ConstraintTemplate among `templates` that defines their kind.
 */
export function checkObject(obj: Record<string, any>, templates: readonly Record<string, any>[] = []): string[] {
  if (!loaded) throw new Error("ensureK8sSchemas() must run first (in beforeAll)");
  const name = `${obj?.kind} ${obj?.metadata?.namespace ? `${obj.metadata.namespace}/` : ""}${obj?.metadata?.name}`;
  const found = validatorFor(obj, templates);
  if (typeof found === "string") return [`${name}: ${found}`];
  if (found(obj)) return [];
  // A bad map key is reported once, as the key (not again by the rule it broke).
  const errors = (found.errors ?? []).filter((e) => e.keyword === "propertyNames" || e.propertyName === undefined);
  return [...new Set(errors.map((e) => `${name}: ${describe(e, obj)}`))];
}

function validatorFor(obj: Record<string, any>, templates: readonly Record<string, any>[]): ValidateFunction | string {
  const { set, ajv, validators } = loaded!;
  const key = `${obj?.apiVersion} ${obj?.kind}`;
  if (typeof obj?.apiVersion === "string" && obj.apiVersion.startsWith("constraints.gatekeeper.sh/")) {
    const template = templates.find((t) => t.spec?.crd?.spec?.names?.kind === obj.kind);
    if (!template) return `no ConstraintTemplate among the given ones defines kind ${obj.kind}`;
    if (obj.apiVersion !== "constraints.gatekeeper.sh/v1beta1" && obj.apiVersion !== "constraints.gatekeeper.sh/v1alpha1") return `Gatekeeper serves constraints as v1beta1 or v1alpha1, not ${obj.apiVersion}`;
    return memo(`${key} ${JSON.stringify(template.spec.crd.spec.validation ?? null)}`, () => constraintSchema(template, set.gatekeeperMatch));
  }
  if (set.crds[key]) return memo(key, () => strictCrd(set.crds[key].schema, objectMeta(true)));
  if (set.core[key]) return memo(key, () => ({ allOf: [{ $ref: `${CORE_ID}#/definitions/${set.core[key]}` }, { properties: { metadata: objectMeta(false) } }] }));
  return `no schema for ${key}: no pinned source serves this apiVersion and kind`;

  function memo(id: string, schema: () => SchemaNode): ValidateFunction {
    let v = validators.get(id);
    if (!v) validators.set(id, (v = ajv.compile(schema())));
    return v;
  }
}

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS_SUBDOMAIN = `${DNS_LABEL}(\\.${DNS_LABEL})*`;
const QUALIFIED_NAME = `^((?=[^/]{1,253}/)${DNS_SUBDOMAIN}/)?(?=[^/]{1,63}$)([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`;

/**
 * ObjectMeta, plus what the API server checks in it beyond the schema
 * (k8s.io/apimachinery pkg/api/validation ValidateObjectMeta): the namespace a DNS label,
 * label and annotation keys qualified names, label values at most 63 characters of
 * [A-Za-z0-9_.-] that start and end alphanumeric; a custom resource's name a DNS
 * subdomain (built-in kinds each have their own name rule).
 */
function objectMeta(custom: boolean): SchemaNode {
  const rules: SchemaNode = {
    properties: {
      namespace: { maxLength: 63, pattern: `^${DNS_LABEL}$` },
      labels: { propertyNames: { pattern: QUALIFIED_NAME }, additionalProperties: { maxLength: 63, pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$" } },
      annotations: { propertyNames: { pattern: QUALIFIED_NAME } },
      ...(custom ? { name: { maxLength: 253, pattern: `^${DNS_SUBDOMAIN}$` } } : {}),
    },
  };
  return { allOf: [{ $ref: `${CORE_ID}#/definitions/${OBJECT_META}` }, rules] };
}

/**
 * A constraint's schema as Gatekeeper builds its CRD from the template (the constraint
 * framework's pkg/client/crds CreateSchema): spec.match from Gatekeeper's match schema,
 * enforcementAction, scopedEnforcementActions and spec.parameters from the template's
 * openAPIV3Schema (structural, unless the template asks for legacySchema), name at most 63.
 */
function constraintSchema(template: Record<string, any>, match: SchemaNode): SchemaNode {
  const validation = template.spec.crd.spec.validation;
  const parameters = validation?.legacySchema === true ? preserveUnknown(validation.openAPIV3Schema ?? {}) : validation?.openAPIV3Schema;
  const spec: SchemaNode = {
    type: "object",
    properties: {
      match,
      enforcementAction: { type: "string" },
      scopedEnforcementActions: {
        type: "array",
        items: { type: "object", properties: { action: { type: "string" }, enforcementPoints: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } } } },
      },
      ...(parameters ? { parameters } : {}),
    },
  };
  const schema = strictCrd({ type: "object", properties: { apiVersion: { type: "string" }, kind: { type: "string" }, spec, status: { "x-kubernetes-preserve-unknown-fields": true } } }, objectMeta(true));
  return { ...schema, properties: { ...schema.properties, metadata: { allOf: [objectMeta(true), { properties: { name: { maxLength: 63 } } }] } } };
}

/** The framework's AddPreserveUnknownFields for legacySchema templates: unknown fields kept wherever an object may be. */
function preserveUnknown(node: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...node };
  if (node.type === undefined || node.type === "object") out["x-kubernetes-preserve-unknown-fields"] = true;
  if (node.properties) out.properties = Object.fromEntries(Object.entries(node.properties as SchemaNode).map(([k, v]) => [k, preserveUnknown(v)]));
  if (node.type === "array") out.items = preserveUnknown(node.items ?? {});
  if (typeof node.additionalProperties === "object") out.additionalProperties = preserveUnknown(node.additionalProperties);
  return out;
}

/** An ajv error as `path: problem`, the path in the object's own terms (spec.rules[0].name). */
function describe(e: ErrorObject, obj: unknown): string {
  const segments = e.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  let problem = e.message ?? e.keyword;
  if (e.keyword === "additionalProperties") {
    segments.push(e.params.additionalProperty);
    problem = "unknown field";
  } else if (e.keyword === "required") {
    segments.push(e.params.missingProperty);
    problem = "required field missing";
  } else if (e.keyword === "type") {
    problem = `wrong type: ${typeOf(valueAt(obj, segments))}, expected ${[e.params.type].flat().join(" or ")}`;
  } else if (e.keyword === "propertyNames") {
    segments.push(e.params.propertyName);
    problem = "invalid key";
  } else if (e.keyword === "enum") {
    problem = `${JSON.stringify(valueAt(obj, segments))} is not one of ${e.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(", ")}`;
  }
  return `${pathOf(obj, segments) || "(object)"}: ${problem}`;
}

function valueAt(obj: unknown, segments: string[]): unknown {
  return segments.reduce<any>((v, s) => (v === null || typeof v !== "object" ? undefined : v[s]), obj);
}

function pathOf(obj: unknown, segments: string[]): string {
  let path = "";
  let value: any = obj;
  for (const s of segments) {
    if (Array.isArray(value)) path += `[${s}]`;
    else path += /^[A-Za-z_$][\w$-]*$/.test(s) ? `${path ? "." : ""}${s}` : `[${JSON.stringify(s)}]`;
    value = value === null || typeof value !== "object" ? undefined : value[s];
  }
  return path;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** The formats of FORMATS, checked as the API server does (kube-openapi's strfmt). */
function formatCheckers(): Record<(typeof FORMATS)[number], (s: string) => boolean> {
  return {
    // RFC 3339, and the ISO 8601 forms strfmt also reads (no zone, zone without colon).
    "date-time": (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.test(s) && !Number.isNaN(Date.parse(s.slice(0, 10))),
    byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
    ipv4: (s) => ipaddr.IPv4.isValidFourPartDecimal(s),
    ipv6: (s) => s.includes(":") && ipaddr.IPv6.isValid(s),
  };
}

/** Downloads every source module and extracts the schemas the checks need. */
function extract(): SchemaSet {
  const dirs = download([...CRD_SOURCES.map((s) => `${s.module}@${s.version}`), `${GATEKEEPER_MATCH.module}@${GATEKEEPER_MATCH.version}`, `${KUBERNETES.module}@${KUBERNETES.version}`]);
  const crds: SchemaSet["crds"] = {};
  for (const source of CRD_SOURCES) {
    const dir = dirs.get(`${source.module}@${source.version}`)!;
    for (const path of source.crds.flatMap((p) => yamlFiles(join(dir, p)))) {
      for (const crd of crdsIn(path)) {
        for (const v of crd.spec.versions) {
          if (v.served === false) continue;
          crds[`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`] = { source: `${source.module} ${source.version}`, schema: bare(v.schema.openAPIV3Schema) };
        }
      }
    }
  }
  const [matchCrd] = crdsIn(join(dirs.get(`${GATEKEEPER_MATCH.module}@${GATEKEEPER_MATCH.version}`)!, GATEKEEPER_MATCH.file));
  const gatekeeperMatch = bare(matchCrd.spec.versions[0].schema.openAPIV3Schema.properties.embeddedMatch);

  const definitions: Record<string, SchemaNode> = {};
  const core: Record<string, string> = {};
  const openapi = join(dirs.get(`${KUBERNETES.module}@${KUBERNETES.version}`)!, KUBERNETES.dir);
  for (const f of readdirSync(openapi).filter((f) => f.endsWith(".json"))) {
    const schemas: Record<string, SchemaNode> = JSON.parse(readFileSync(join(openapi, f), "utf8")).components?.schemas ?? {};
    for (const [name, schema] of Object.entries(schemas)) {
      definitions[name] = bare(schema);
      const gvks = schema["x-kubernetes-group-version-kind"] ?? [];
      // A kind of its own (lists carry ListMeta; shared option types carry several kinds).
      if (gvks.length === 1 && JSON.stringify(schema.properties?.metadata ?? {}).includes(OBJECT_META)) {
        const { group, version, kind } = gvks[0];
        core[`${group ? `${group}/` : ""}${version} ${kind}`] = name;
      }
    }
  }
  return { crds, core, definitions, gatekeeperMatch };
}

/** `go mod download` of every module@version at once; their directories in the module cache. */
function download(modules: string[]): Map<string, string> {
  let out: string;
  try {
    // Outside any module, so no go.mod is read or written; cached downloads are reused.
    out = execFileSync("go", ["mod", "download", "-json", ...new Set(modules)], { cwd: tmpdir(), encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, GOTOOLCHAIN: "local" } });
  } catch (e) {
    const stdout = String((e as { stdout?: unknown }).stdout ?? "");
    throw new Error(`the schema checks need the upstream modules from the Go module proxy (go mod download): ${(e as Error).message}\n${stdout}`);
  }
  const infos: { Path: string; Version: string; Dir?: string; Error?: string }[] = JSON.parse(`[${out.trim().replace(/\n}\n{/g, "\n},\n{")}]`);
  const failed = infos.filter((i) => !i.Dir);
  if (failed.length) throw new Error(`go mod download failed: ${failed.map((i) => i.Error ?? `${i.Path}@${i.Version}`).join("; ")}`);
  return new Map(infos.map((i) => [`${i.Path}@${i.Version}`, i.Dir!]));
}

function yamlFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(path, f));
}

function crdsIn(path: string): Record<string, any>[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map((d) => d.toJS())
    .filter((d) => d?.kind === "CustomResourceDefinition");
}

/** A schema without descriptions (most of the bytes); field names are kept even when a field is called `description`. */
function bare(node: SchemaNode): SchemaNode {
  if (Array.isArray(node)) return node.map(bare);
  if (node === null || typeof node !== "object") return node;
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "description" && typeof v === "string") continue;
    out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as SchemaNode).map(([name, s]) => [name, bare(s)])) : k === "enum" || k === "default" || k === "example" ? v : bare(v);
  }
  return out;
}
