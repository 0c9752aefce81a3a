import { isUtf8 } from "node:buffer";
import { readFileSync, statSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";

/**
 * Reading a spec file: everything that can go wrong before the fields are looked at,
 * said in words. The `yaml` package spends about 10-80 µs per token here (more on a
 * busy machine), so a multi-megabyte spec would take tens of seconds: the caps below
 * keep the whole read and validation well under two seconds, and sit far above any
 * real spec (the largest example is 4 KB and 130 lines).
 */

/** The largest spec file read: a complete production spec is a few KB. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Lines plus flow separators (`,`, `[`, `{`) read at most: each is a few YAML tokens. */
export const MAX_SPEC_ENTRIES = 5000;
/** Flow collections (`[`, `{`) nested deeper than this are refused before parsing. */
export const MAX_SPEC_NESTING = 32;
/** YAML aliases (`*name`) expanded at most: a guard against alias bombs. */
const MAX_ALIASES = 100;

/** A spec read from text: the data, and the source text of any scalar for messages. */
export interface SpecDocument {
  readonly data: unknown;
  /** The scalar's text as written in the file (`1.30`, `012345678901`), if there is one at `path`. */
  sourceOf(path: readonly PropertyKey[]): string | undefined;
}

/** Problems with the file itself: nothing else can be checked until they are fixed. */
export class SpecFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "SpecFileError";
  }
}

/** Reads the file at `path` as UTF-8 text; throws SpecFileError in words (no ENOENT). */
function readSpecText(path: string): string {
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new SpecFileError(["is a directory, not a spec file; give the path of a YAML or JSON file such as byoc.yaml"]);
    if (stat.size > MAX_SPEC_BYTES) throw new SpecFileError([`is ${megabytes(stat.size)}; a spec file may be at most ${megabytes(MAX_SPEC_BYTES)} (a complete deployment is a few KB): is it the right file?`]);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof SpecFileError) throw e;
    throw new SpecFileError([unreadable((e as NodeJS.ErrnoException).code)]);
  }
  if (bytes.length > MAX_SPEC_BYTES) throw new SpecFileError([`is larger than ${megabytes(MAX_SPEC_BYTES)}; a complete deployment is a few KB: is it the right file?`]);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new SpecFileError(["is UTF-16 text; save it as UTF-8"]);
  }
  if (!isUtf8(bytes)) {
    const text = bytes.toString("utf8");
    const line = lineOf(text, text.indexOf("\uFFFD"));
    throw new SpecFileError([`is not UTF-8 text (the first byte that is not UTF-8 is on line ${line}); save it as UTF-8`]);
  }
  return bytes.toString("utf8").replace(/^\uFEFF/, "");
}

/** Parses YAML (JSON is YAML) into plain data; throws SpecFileError for anything the spec cannot be read from. */
function parseSpecText(text: string): SpecDocument {
  refuseOversized(text);
  const lines = new LineCounter();
  // uniqueKeys off: the package's duplicate check compares every key with every other;
  // structuralProblems() below does it in one pass. merge off: `<<` is refused in words.
  const doc = parseDocument(text, { uniqueKeys: false, merge: false, lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) throw new SpecFileError(doc.errors.slice(0, 1).map((e) => syntaxError(e.message)));
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new SpecFileError(["is empty; a spec needs at least a name and a target, e.g. `name: acme` and `target: { cloud: aws, region: us-west-2 }`"]);
  }
  const structural = structuralProblems(doc, lines);
  if (structural.length > 0) throw new SpecFileError(structural);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError) throw new SpecFileError([`expands YAML aliases (*name) more than ${MAX_ALIASES} times; write the values out`]);
    if (e instanceof RangeError) throw new SpecFileError(["nests too deeply to read; a spec nests a few levels"]);
    throw e;
  }
  return {
    data,
    sourceOf(path) {
      const node = doc.getIn(path as PropertyKey[], true);
      return isScalar(node) && node.range ? text.slice(node.range[0], node.range[1]) : undefined;
    },
  };
}

/** Reads and parses the spec file at `path`. */
export function readSpecFile(path: string): SpecDocument {
  return parseSpecText(readSpecText(path));
}

/** One linear pass before the parser: refuses inputs the parser would take seconds (or its stack) on. */
function refuseOversized(text: string): void {
  let entries = 0;
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 44) entries++; // \n ,
    else if (c === 91 || c === 123) {
      // [ {
      entries++;
      deepest = Math.max(deepest, ++depth);
    } else if (c === 93 || c === 125) depth--;
  }
  if (entries > MAX_SPEC_ENTRIES) {
    throw new SpecFileError([`has ${entries.toLocaleString("en-US")} lines and list entries; a spec has a few hundred, and at most ${MAX_SPEC_ENTRIES.toLocaleString("en-US")} are read: is it the right file?`]);
  }
  if (deepest > MAX_SPEC_NESTING) throw new SpecFileError([`nests [ ] and { } ${deepest} levels deep; a spec nests a few levels, at most ${MAX_SPEC_NESTING}`]);
}

/**
 * Duplicate keys (the later one would silently win) and merge keys, in one pass over
 * the parsed document: a Set per map, so a map of n keys costs n lookups.
 */
function structuralProblems(doc: Document, lines: LineCounter): string[] {
  const problems: { line: number; message: string }[] = [];
  const stack: { node: unknown; path: string }[] = [{ node: doc.contents, path: "" }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const at = key === undefined ? path : join(path, key);
        const line = lineOf(undefined, (pair.key as { range?: number[] } | null)?.range?.[0] ?? 0, lines);
        if (key === "<<") problems.push({ line, message: `${path || "(top level)"}: YAML merge keys (<<) are not supported (line ${line}); write the fields out` });
        else if (key !== undefined && seen.has(key)) problems.push({ line, message: `${at}: set twice, on lines ${seen.get(key)} and ${line}; keep one` });
        if (key !== undefined && !seen.has(key)) seen.set(key, line);
        stack.push({ node: pair.value, path: at });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: `${path}[${i}]` }));
    }
  }
  return problems.sort((a, b) => a.line - b.line).map((p) => p.message);
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function lineOf(text: string | undefined, offset: number, lines?: LineCounter): number {
  if (lines) return lines.linePos(offset).line;
  let line = 1;
  for (let i = 0; i < offset; i++) if (text!.charCodeAt(i) === 10) line++;
  return line;
}

/** The parser's first line ("... at line 2, column 9:"), in the spec's words. */
function syntaxError(message: string): string {
  const first = message.split("\n")[0].replace(/:$/, "");
  if (first.startsWith("Source contains multiple documents")) return "holds more than one YAML document (a second ---); a spec is one document";
  if (/call stack/i.test(first)) return "nests too deeply to read; a spec nests a few levels";
  return `not valid YAML or JSON: ${first}`;
}

function unreadable(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "there is no file at this path; check the name, or set BYOC_CONFIG to your spec's path";
    case "ENOTDIR":
      return "a part of this path is a file, not a directory; check the path";
    case "EACCES":
    case "EPERM":
      return "cannot be read: permission denied";
    default:
      return `cannot be read (${code ?? "unknown error"})`;
  }
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
