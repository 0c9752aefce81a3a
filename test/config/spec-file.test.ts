import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { MAX_SPEC_BYTES, MAX_SPEC_ENTRIES, MAX_SPEC_NESTING } from "../../lib/config/load";
import { loadSpec, SpecError } from "../../lib/config/spec";

const tmp = mkdtempSync(join(tmpdir(), "byoc-file-"));
let n = 0;
const file = (content: string | Buffer) => {
  const path = join(tmp, `spec-${n++}.yaml`);
  writeFileSync(path, content);
  return path;
};

/** The problems loadSpec reports for a file, without the header line. */
function problemsOf(path: string): string[] {
  try {
    loadSpec(path);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    const [header, ...lines] = (e as Error).message.split("\n");
    expect(header).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} has \\d+ problems?:$`));
    return lines.map((l) => l.replace(/^ {2}- /, ""));
  }
  throw new Error("the spec was accepted");
}

/** Wall-clock time of loading a spec, in milliseconds, whatever the outcome. */
function timeLoad(path: string): number {
  const start = performance.now();
  try {
    loadSpec(path);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
  }
  return performance.now() - start;
}

const head = "name: acme\ntarget: { cloud: aws, region: us-west-2 }\n";

describe("a spec file that cannot be read is explained in words", () => {
  test.each<[string, () => string, string]>([
    ["a missing file", () => join(tmp, "nope.yaml"), "there is no file at this path; check the name, or set BYOC_CONFIG to your spec's path"],
    ["a directory", () => { const d = join(tmp, `dir-${n++}`); mkdirSync(d); return d; }, "is a directory, not a spec file; give the path of a YAML or JSON file such as byoc.yaml"],
    ["a path through a file", () => join(file(head), "byoc.yaml"), "a part of this path is a file, not a directory; check the path"],
    ["an empty file", () => file(""), "is empty; a spec needs at least a name and a target, e.g. `name: acme` and `target: { cloud: aws, region: us-west-2 }`"],
    ["a file of comments", () => file("# name: acme\n\n# target: ...\n"), "is empty; a spec needs at least a name and a target, e.g. `name: acme` and `target: { cloud: aws, region: us-west-2 }`"],
    ["Latin-1 text", () => file(Buffer.concat([Buffer.from(`${head}tags:\n  owner: `), Buffer.from([0x4a, 0xe9, 0x72, 0xf4, 0x6d, 0x65]), Buffer.from("\n")])), "is not UTF-8 text (the first byte that is not UTF-8 is on line 4); save it as UTF-8"],
    ["UTF-16 text", () => file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(head, "utf16le")])), "is UTF-16 text; save it as UTF-8"],
    ["two YAML documents", () => file(`${head}---\n${head}`), "holds more than one YAML document (a second ---); a spec is one document"],
    ["a YAML merge key", () => file(`${head}base: &base { cidr: 10.0.0.0/16 }\nnetwork:\n  <<: *base\n`), "network: YAML merge keys (<<) are not supported (line 5); write the fields out"],
    ["a duplicated nested key", () => file(`${head}network:\n  cidr: 10.0.0.0/16\n  zones: 2\n  cidr: 10.1.0.0/16\n`), "network.cidr: set twice, on lines 4 and 6; keep one"],
    ["an alias bomb", () => file(`${head}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`), "expands YAML aliases (*name) more than 100 times; write the values out"],
    ["deeply nested brackets", () => file(`${head}tags: ${"[".repeat(40)}${"]".repeat(40)}\n`), `nests [ ] and { } 40 levels deep; a spec nests a few levels, at most ${MAX_SPEC_NESTING}`],
    ["a file larger than the cap", () => file(`${head}# ${"x".repeat(MAX_SPEC_BYTES)}\n`), "is 1.0 MB; a spec file may be at most 1.0 MB (a complete deployment is a few KB): is it the right file?"],
  ])("%s", (_, path, message) => {
    expect(problemsOf(path())).toEqual([message]);
  });

  test("every duplicated key is named with both lines, in file order", () => {
    const path = file(`name: acme\ntarget: { cloud: aws, region: us-west-2, region: eu-west-1 }\nname: other\ntier: small\ntier: large\n`);
    expect(problemsOf(path)).toEqual([
      "target.region: set twice, on lines 2 and 2; keep one",
      "name: set twice, on lines 1 and 3; keep one",
      "tier: set twice, on lines 4 and 5; keep one",
    ]);
  });

  test("a number YAML read where a string belongs is quoted as written", () => {
    const path = file("name: acme\ntarget:\n  cloud: aws\n  region: us-west-2\n  accountId: 012345678901\ncluster:\n  version: 1.30\n");
    expect(problemsOf(path)).toEqual([
      'target.accountId: YAML read 012345678901 as a number; put it in quotes: "012345678901"',
      'cluster.version: YAML read 1.30 as a number; put it in quotes: "1.30"; expected one of "1.33", "1.34", "1.35", "1.36"',
    ]);
  });
});

describe("reading stays linear and bounded", () => {
  test("a map with tens of thousands of keys is refused at once, not parsed for minutes", () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  key${i}: value${i}\n`).join("");
    const path = file(`${head}tags:\n${keys}`);
    expect(timeLoad(path)).toBeLessThan(2000);
    expect(problemsOf(path)).toEqual([`has 40,005 lines and list entries; a spec has a few hundred, and at most ${MAX_SPEC_ENTRIES.toLocaleString("en-US")} are read: is it the right file?`]);
  });

  test("a 5 MB file is refused by its size", () => {
    const path = file(`${head}tags:\n${"  k: v\n".repeat((5 * 1024 * 1024) / 7)}`);
    expect(timeLoad(path)).toBeLessThan(2000);
    expect(problemsOf(path)).toEqual([expect.stringMatching(/^is 5\.0 MB; a spec file may be at most 1\.0 MB/)]);
  });

  test("the largest map read (just under the caps), with a duplicate at its end, is parsed and validated in under 2 s", () => {
    const count = MAX_SPEC_ENTRIES - 6;
    const keys = Array.from({ length: count }, (_, i) => `  team-${i}: v\n`).join("");
    const path = file(`${head}tags:\n${keys}  team-7: again\n`);
    expect(timeLoad(path)).toBeLessThan(2000);
    expect(problemsOf(path)).toEqual([`tags.team-7: set twice, on lines 11 and ${count + 4}; keep one`]);
  });

  test("the largest map read, without duplicates, is validated in under 2 s and its problems capped at 50", () => {
    const keys = Array.from({ length: MAX_SPEC_ENTRIES - 6 }, (_, i) => `  bad/${i}: v\n`).join("");
    const path = file(`name: acme\ntarget: { cloud: azure, region: westeurope }\ntags:\n${keys}`);
    expect(timeLoad(path)).toBeLessThan(2000);
    const lines = problemsOf(path);
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe('tags.bad/0: azure refuses tag names with < > % & \\ ? or /; use another separator such as "-" or "." (got "v")');
    expect(lines[50]).toBe(`and ${MAX_SPEC_ENTRIES - 6 + 1 - 50} more; fix these first, the rest often go with them`);
  });

  test("a megabyte of one quoted string is read in under 2 s", () => {
    const path = file(`${head}tags:\n  note: "${"x".repeat(MAX_SPEC_BYTES - 100)}"\n`);
    expect(timeLoad(path)).toBeLessThan(2000);
    expect(problemsOf(path)).toEqual([`tags.note: tag values are up to 256 letters, digits, spaces and _.:/=+@- (got "${"x".repeat(60)}"… (${MAX_SPEC_BYTES - 100} characters))`]);
  });
});
