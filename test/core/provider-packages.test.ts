import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { MissingProviderError, PROVIDER_PACKAGES, withProviders } from "../../lib/core/provider-packages";

const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));

describe("provider packages", () => {
  test("the versions the error names are the ones the kit is tested with and accepts as peers", () => {
    for (const [name, version] of Object.entries(PROVIDER_PACKAGES)) {
      expect(pkg.devDependencies[name], name).toBe(version);
      expect(pkg.peerDependencies[name], name).toBe(`^${version}`);
      expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
    }
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@cdktf/") || d === "cdktf" || d === "constructs")).toEqual([]);
  });

  test("a missing provider package becomes an error naming the package and version to install", async () => {
    const load = () => Promise.reject(new Error("Cannot find module '@cdktf/provider-azurerm/lib/provider'\nRequire stack:\n- /x/dist/stacks/azure.js"));
    const error = await withProviders("azure", load).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingProviderError);
    expect((error as Error).message).toBe("install @cdktf/provider-azurerm@14.23.1 to synthesize an azure target (npm install @cdktf/provider-azurerm@14.23.1)");
  });

  test("other failures pass through unchanged", async () => {
    const failure = new Error("Cannot find module './typo'");
    await expect(withProviders("aws", () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
