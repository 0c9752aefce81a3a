import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { parseAllDocuments } from "yaml";
import { describe, expect, test } from "vitest";
import { HelmChart, Manifests } from "../../lib/core/helm";
import { CHARTS } from "../../lib/platform/charts";
import { ensureHelm } from "../support/helm-binary";
import { releases } from "../support/helm";
import { exampleSpecs, StackJson, synth } from "../support/synth";

const CHART_DIR = join(__dirname, "..", "..", "charts", "manifests");
const tmp = mkdtempSync(join(tmpdir(), "byoc-helm-"));

/** Renders the kit's manifests chart with a release's values, as Helm would install it. */
function render(values: string): unknown[] {
  const file = join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, values);
  const out = execFileSync(ensureHelm(), ["template", "r", CHART_DIR, "--namespace", "ns", "-f", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(out, { version: "1.1" }).map((d) => d.toJS()).filter((d) => d !== null);
}

function stack(build: (s: TerraformStack) => void): StackJson {
  const app = Testing.app();
  const s = new TerraformStack(app, "test");
  new HelmProvider(s, "helm", {});
  build(s);
  return new StackJson("test", JSON.parse(Testing.synth(s)), s);
}

describe("Manifests", () => {
  // Strings YAML 1.1 would read as booleans, numbers or dates if written bare.
  const tricky = { on: "on", y: "y", no: "no", octal: "0755", float: "1e3", date: "2026-01-01", nul: "null", tilde: "~", hex: "0x1F" };
  const objects = [
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tricky", namespace: "ns", labels: { "app.kubernetes.io/name": "x" } }, data: tricky },
    { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "selfsigned" }, spec: { selfSigned: {} } },
  ];

  test("Helm renders exactly the objects given, strings kept as strings", () => {
    const s = stack((scope) => new Manifests(scope, "M", { name: "m", namespace: "ns", objects, dependsOn: [] }));
    const [release] = releases(s);
    expect(render(release.block.values[0])).toEqual(objects);
  });

  test("the release uses the stack's one copy of the chart, waits, and rolls back a failed upgrade", () => {
    const s = stack((scope) => {
      const a = new Manifests(scope, "A", { name: "a", namespace: "ns", objects, dependsOn: [] });
      new Manifests(scope, "B", { name: "b", namespace: "ns", objects, dependsOn: [a.release] });
    });
    const [a, b] = releases(s).map((r) => r.block);
    expect(a.chart).toMatch(/^assets\/ManifestsChart\/[0-9A-F]+$/);
    expect(b.chart).toBe(a.chart);
    expect(b.depends_on).toEqual([a.tfAddress]);
    expect([a.wait, a.atomic, a.cleanup_on_fail]).toEqual([true, true, true]);
  });

  test("the chart passes helm lint", () => {
    expect(execFileSync(ensureHelm(), ["lint", CHART_DIR], { encoding: "utf8" })).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test.each(exampleSpecs().map((e) => [e.name, e.path]))("every custom-resource release of examples/%s renders to its objects", async (_, path) => {
    const { platform } = await synth(path);
    const custom = releases(platform).filter((r) => r.objects.length > 0);
    expect(custom.length).toBeGreaterThan(2);
    // Helm installs known kinds first and the rest by kind: compare as sets.
    const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const sorted = (os: any[]) => [...os].sort((a, b) => key(a).localeCompare(key(b)));
    for (const r of custom) expect(sorted(render(r.block.values[0])), r.block.name).toEqual(sorted(r.objects));
  });
});

describe("HelmChart", () => {
  test("pins the chart's version and writes values as YAML 1.1 Helm reads back unchanged", () => {
    const s = stack((scope) => new HelmChart(scope, "C", { chart: CHARTS.certManager, namespace: "cert-manager", values: { a: { enabled: "yes" }, n: 1 } }));
    const [r] = releases(s);
    expect(r.block).toMatchObject({ repository: "oci://quay.io/jetstack/charts", chart: "cert-manager", version: "v1.21.1", namespace: "cert-manager", max_history: 5 });
    expect(r.block.values[0]).toBe('a:\n  enabled: "yes"\n"n": 1\n');
  });
});
