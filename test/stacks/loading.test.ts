import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { requireBuild } from "../support/build";

const ROOT = join(__dirname, "..", "..");

/** The compiled probe (built by the test setup), as the main job runs: no TypeScript loader in the process. */
function probe(...clouds: string[]): { providers: string[] } {
  const out = execFileSync(process.execPath, [join(ROOT, "dist", "bench", "probe.js"), ...clouds], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("only the synthesized target's providers are loaded", () => {
  beforeAll(requireBuild);
  test.each([
    // Every target's platform stack talks to its cluster through the helm and kubernetes providers.
    ["aws", ["provider-aws", "provider-helm", "provider-kubernetes"]],
    ["azure", ["provider-azurerm", "provider-helm", "provider-kubernetes"]],
    ["gcp", ["provider-google", "provider-helm", "provider-kubernetes"]],
    ["onprem", ["provider-helm", "provider-kubernetes"]],
  ])("%s", (cloud, expected) => {
    expect(probe(cloud).providers).toEqual(expected);
  });
});

test("importing the package entry point loads no provider package", () => {
  requireBuild();
  const script = "require('./dist/lib/index'); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('@cdktf/provider-'))))";
  const out = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
  expect(JSON.parse(out.trim())).toEqual([]);
});

describe("provider packages are imported by deep path", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return files(path);
      return path.endsWith(".ts") ? [path] : [];
    });

  test("no source file imports a provider package's root", () => {
    // bench/root-imports.ts is the naive baseline the bench measures against, on purpose.
    const sources = ["lib", "stacks", "examples", "test", "bench"]
      .flatMap((d) => files(join(ROOT, d)))
      .concat(join(ROOT, "main.ts"))
      .filter((f) => f !== join(ROOT, "bench", "root-imports.ts"));
    const rootImport = /(from\s+|import\s+|require\()["']@cdktf\/provider-[a-z]+["']/;
    const offenders = sources.filter((f) => rootImport.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
    expect(sources.length).toBeGreaterThan(20);
  });
});
