import type { z } from "zod";
import { expectsString, fieldNames, holdsSecret, schemaAt, sensitiveStrings, type SchemaPlace } from "./schema-paths";
import { looksLikeSecret } from "./secrets";

/**
 * Turns zod's issues into one line each: "path: what is wrong and what is accepted
 * (got <value>)". Values in secret references, and values that look like secrets, are
 * never repeated; long values are shortened; a misspelled field is named next to the
 * field reported missing; numbers YAML read where a string belongs are told to be quoted.
 */

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

/** Problems listed in full; the rest are counted. */
export const MAX_PROBLEMS = 50;
/** Values longer than this are shortened in messages. */
const MAX_SHOWN = 80;
const NOT_SHOWN = "<not shown>";
const SECRET_REF = "{ secretRef: <the secret's name in the cloud's secret manager> }";

export interface DescribeOptions {
  /** The scalar's source text at a path (a YAML file's `1.30` rather than the number 1.3). */
  readonly sourceOf?: (path: readonly PropertyKey[]) => string | undefined;
}

/** The first MAX_PROBLEMS problems as lines, and how many there are in all. */
export function describeIssues(schema: Schema, issues: readonly Issue[], input: unknown, options: DescribeOptions = {}): { problems: string[]; total: number } {
  const misspelled = misspellings(schema, issues, input);
  // One problem per unknown field, so each gets its own suggestion.
  const items: { issue: Issue; key?: string }[] = [];
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") items.push({ issue });
    else for (const key of issue.keys) if (!misspelled.written.has(`${pathKey(issue.path)}\u0001${key}`)) items.push({ issue, key });
  }
  const sensitive = sensitiveStrings(schema, input, looksLikeSecret);
  const context: Context = { schema, input, sensitive, sourceOf: options.sourceOf, misspelled };
  const problems = items.slice(0, MAX_PROBLEMS).map(({ issue, key }) => redact(describe(issue, key, context), sensitive));
  return { problems, total: items.length };
}

interface Context {
  readonly schema: Schema;
  readonly input: unknown;
  readonly sensitive: Set<string>;
  readonly sourceOf?: (path: readonly PropertyKey[]) => string | undefined;
  readonly misspelled: Misspellings;
}

function describe(issue: Issue, unknownKey: string | undefined, ctx: Context): string {
  const place = schemaAt(ctx.schema, ctx.input, issue.path);
  if (unknownKey !== undefined) return unknownField(issue.path, unknownKey, ctx);
  const path = formatPath(issue.path) || "(top level)";
  const got = valueAt(ctx.input, issue.path);
  const shown = got === undefined ? "missing" : place.secret ? "value not shown" : `got ${show(got, ctx.sensitive)}`;

  if (got === undefined) {
    const key = ctx.misspelled.byField.get(pathKey(issue.path));
    if (key !== undefined) {
      const caseOnly = key.toLowerCase() === String(issue.path.at(-1)).toLowerCase();
      return `${path}: required, missing; the spec has "${key}" here: did you mean "${String(issue.path.at(-1))}"?${caseOnly ? " (field names are case-sensitive)" : ""}`;
    }
  }
  if (place.secret && issue.code === "invalid_type" && typeof got === "string") {
    return `${path}: takes a reference to a secret, never the secret itself: write ${SECRET_REF} (value not shown)`;
  }
  if (typeof got === "number" && expectsString(place) && (issue.code === "invalid_type" || issue.code === "invalid_value" || issue.code === "invalid_union")) {
    const source = ctx.sourceOf?.(issue.path) ?? String(got);
    const accepted = issue.code === "invalid_value" ? `; ${issue.message}` : "";
    return `${path}: YAML read ${source} as a number; put it in quotes: "${source}"${accepted}`;
  }
  if (got === null && issue.code === "invalid_type") {
    return `${path}: has no value (YAML reads an empty field as null); expected ${expected(issue.expected, place)}`;
  }
  switch (issue.code) {
    case "invalid_key":
      return `${path}: the key ${issue.issues.map((i) => i.message).join("; ")}`;
    case "invalid_type":
      return got === undefined ? `${path}: required, missing` : `${path}: expected ${expected(issue.expected, place)} (${shown})`;
    case "invalid_union":
      return `${path}: ${issue.message === "Invalid input" ? `expected ${unionExpected(issue, place)}` : issue.message} (${shown})`;
    case "invalid_value": {
      // Versions ("12" for "17") are not misspellings.
      const near = typeof got === "string" && /[a-z]/i.test(got) ? nearest(got, issue.values.filter((v): v is string => typeof v === "string")) : undefined;
      return `${path}: ${issue.message}${near ? `; did you mean "${near}"?` : ""} (${shown})`;
    }
    case "too_small":
    case "too_big": {
      // A message the schema gives (not zod's "Too small: ...") says it better.
      if (!issue.message.startsWith("Too ")) return `${path}: ${issue.message} (${shown})`;
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const what = issue.origin === "array" ? "entries" : issue.origin === "string" ? "characters" : "";
      const word = issue.code === "too_small" ? (issue.inclusive === false ? "more than" : "at least") : issue.inclusive === false ? "less than" : "at most";
      return `${path}: ${word} ${String(bound)}${what ? ` ${what}` : ""} (${shown})`;
    }
    default:
      return `${path}: ${issue.message} (${shown})`;
  }
}

function unknownField(parent: readonly PropertyKey[], key: string, ctx: Context): string {
  const place = schemaAt(ctx.schema, ctx.input, parent);
  const names = fieldNames(place);
  const path = formatPath([...parent, key]);
  if (place.schemas.some(holdsSecret) && key !== "secretRef") {
    return `${path}: unknown field; the secret itself belongs in the cloud's secret manager, and here only ${SECRET_REF}${names.length > 1 ? ` (accepted: ${names.map((n) => `"${n}"`).join(", ")})` : ""}`;
  }
  const near = nearest(key, names);
  if (near) return `${path}: unknown field; did you mean "${near}"?`;
  const where = parent.length ? formatPath(parent) : "the top level";
  return names.length <= 16
    ? `${path}: unknown field; ${where} accepts ${names.map((n) => `"${n}"`).join(", ")}`
    : `${path}: unknown field; see schema/byoc.schema.json for the fields ${where} accepts`;
}

/**
 * Unknown keys that look like a field reported missing next to them (`Backend` for
 * `backend`): the missing field's message names them, and they are not listed again.
 */
interface Misspellings {
  /** "<parent path>\u0001<key as written>" of the unknown keys taken as misspellings. */
  readonly written: Set<string>;
  /** The key as written, by the path of the missing field it stands for. */
  readonly byField: Map<string, string>;
}

function misspellings(schema: Schema, issues: readonly Issue[], input: unknown): Misspellings {
  const found: Misspellings = { written: new Set(), byField: new Map() };
  for (const issue of issues) {
    const field = issue.path.at(-1);
    if (typeof field !== "string" || valueAt(input, issue.path) !== undefined) continue;
    const parentPath = issue.path.slice(0, -1);
    const parent = valueAt(input, parentPath);
    if (!parent || typeof parent !== "object" || Array.isArray(parent)) continue;
    const known = new Set(fieldNames(schemaAt(schema, input, parentPath)));
    const written = Object.keys(parent).find((k) => !known.has(k) && nearest(k, [field]) === field);
    if (written === undefined) continue;
    found.written.add(`${pathKey(parentPath)}\u0001${written}`);
    found.byField.set(pathKey(issue.path), written);
  }
  return found;
}

/** The closest name: the same but for case, or within an edit or two (one for short names). */
export function nearest(word: string, names: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact) return exact;
  const limit = word.length <= 4 ? 1 : 2;
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(lower, name.toLowerCase(), limit);
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Edit distance with adjacent swaps (Damerau), giving up beyond `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map of fields",
  record: "a map",
};

function expected(type: string, place: SchemaPlace): string {
  if (type === "tuple") {
    const items = place.schemas.map((s) => (s._zod.def as { items?: unknown[] }).items?.length).find((n) => n !== undefined);
    return items ? `a list of ${items}` : "a list";
  }
  return TYPE_NAMES[type] ?? `a${/^[aeiou]/.test(type) ? "n" : ""} ${type}`;
}

/** What a union without its own message accepts: each alternative's type. */
function unionExpected(issue: Extract<Issue, { code: "invalid_union" }>, place: SchemaPlace): string {
  const types = issue.errors.flatMap((alt) => alt.filter((i) => i.path.length === 0 && i.code === "invalid_type").map((i) => expected((i as { expected: string }).expected, place)));
  return types.length > 0 ? [...new Set(types)].join(" or ") : "a value of another form";
}

/** A value for a message: secrets never, long values shortened. */
function show(value: unknown, sensitive: Set<string>): string {
  if (typeof value === "string") {
    if (sensitive.has(value) || looksLikeSecret(value)) return "a value that looks like a secret, not shown";
    return value.length > MAX_SHOWN ? `${JSON.stringify(value.slice(0, MAX_SHOWN - 20))}… (${value.length} characters)` : JSON.stringify(value);
  }
  const json = JSON.stringify(value, (_, v: unknown) => (typeof v === "string" && (sensitive.has(v) || looksLikeSecret(v)) ? NOT_SHOWN : v)) ?? String(value);
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN - 20)}… (${json.length} characters)` : json;
}

/** The last guard: a message built from input (a cross-field rule's) never carries a sensitive string. */
function redact(message: string, sensitive: Set<string>): string {
  let out = message;
  // Shorter strings are names (a secretRef "hook"); replacing them would garble the message.
  for (const s of sensitive) if (s.length >= 8 && out.includes(s)) out = out.split(s).join(NOT_SHOWN);
  return out;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), "");
}

const pathKey = (path: readonly PropertyKey[]) => path.map(String).join("\0");

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
