import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { renderJsonSchema, SCHEMA_PATH } from "../../lib/config/json-schema";
import { loadSpec, parseSpec, SpecError } from "../../lib/config/spec";
import { readText } from "../support/synth";

const tmp = mkdtempSync(join(tmpdir(), "byoc-spec-"));
const file = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

describe("parseSpec defaults", () => {
  test("a name and a target are enough; the rest is filled", () => {
    const spec = parseSpec({ name: "acme", target: { cloud: "aws", region: "eu-west-1" } });
    expect(spec.environment).toBe("production");
    expect(spec.tier).toBe("small");
    expect(spec.state).toEqual({ backend: "local" });
    expect(spec.network.cidr).toBe("10.0.0.0/16");
    expect(spec.network.zones).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(spec.network.natGateways).toBe("single");
    expect(spec.network.endpoints).toContain("eks-auth");
    expect(spec.dns).toEqual({ domain: undefined, privateZone: "acme.internal", certificates: "cert-manager", queryLogs: true, dnssec: false });
    expect(spec.compliance).toEqual([]);
  });

  test("the tier drives NAT gateways unless the spec sets them", () => {
    const base = { name: "acme", target: { cloud: "aws", region: "eu-west-1" } };
    expect(parseSpec({ ...base, tier: "medium" }).network.natGateways).toBe("one-per-zone");
    expect(parseSpec({ ...base, tier: "large", network: { natGateways: "single" } }).network.natGateways).toBe("single");
  });

  test("zones default to at most three of the region's, in its order", () => {
    expect(parseSpec({ name: "acme", target: { cloud: "aws", region: "ap-northeast-1" } }).network.zones).toEqual([
      "ap-northeast-1a",
      "ap-northeast-1c",
      "ap-northeast-1d",
    ]);
    expect(parseSpec({ name: "acme", target: { cloud: "gcp", region: "europe-west1" } }).network.zones).toEqual([
      "europe-west1-b",
      "europe-west1-c",
      "europe-west1-d",
    ]);
    expect(parseSpec({ name: "acme", target: { cloud: "azure", region: "westus" } }).network.zones).toEqual([]);
    expect(parseSpec({ name: "acme", target: { cloud: "onprem" } }).network.zones).toEqual([]);
  });

  test("a region this version does not know is accepted with its zones listed", () => {
    const spec = parseSpec({ name: "acme", target: { cloud: "aws", region: "eu-west-9" }, network: { zones: ["eu-west-9a", "eu-west-9b"] } });
    expect(spec.network.zones).toEqual(["eu-west-9a", "eu-west-9b"]);
  });

  test("with a domain on AWS: ACM certificates and internal.<domain> as the private zone", () => {
    const spec = parseSpec({ name: "acme", target: { cloud: "aws", region: "eu-west-1" }, dns: { domain: "acme.example.com" } });
    expect(spec.dns).toEqual({ domain: "acme.example.com", privateZone: "internal.acme.example.com", certificates: "acm", queryLogs: true, dnssec: false });
  });
});

describe("loadSpec", () => {
  test("reads YAML", () => {
    const spec = loadSpec(file("ok.yaml", "name: acme\ntarget:\n  cloud: gcp\n  region: europe-west4\n"));
    expect(spec.target).toEqual({ cloud: "gcp", region: "europe-west4" });
  });

  test("reads JSON", () => {
    const spec = loadSpec(file("ok.json", JSON.stringify({ name: "acme", target: { cloud: "onprem", context: "prod" } })));
    expect(spec.target).toEqual({ cloud: "onprem", kubeconfig: "~/.kube/config", context: "prod", distribution: "kubernetes", loadBalancer: "nodeport" });
  });

  test("a YAML syntax error names the file and the line", () => {
    const path = file("broken.yaml", "name: acme\ntarget: [aws\n");
    expect(() => loadSpec(path)).toThrow(SpecError);
    expect(() => loadSpec(path)).toThrow(new RegExp(`^${path} has 1 problem:\\n  - not valid YAML or JSON: .* at line \\d+, column \\d+$`));
  });

  test("a duplicated key is a mistake, not a silent override", () => {
    expect(() => loadSpec(file("dup.yaml", "name: acme\nname: other\ntarget: { cloud: onprem }\n"))).toThrow(/dup\.yaml has 1 problem:\n {2}- name: set twice, on lines 1 and 2; keep one$/);
  });

  test("a missing file says so", () => {
    expect(() => loadSpec(join(tmp, "nope.yaml"))).toThrow(/nope\.yaml has 1 problem:\n {2}- there is no file at this path; check the name, or set BYOC_CONFIG to your spec's path$/);
  });

  test("problems name the file", () => {
    expect(() => loadSpec(file("bad.yaml", "name: acme\ntarget: { cloud: aws, region: nowhere }\n"))).toThrow(/bad\.yaml has 1 problem:\n {2}- target\.region: /);
  });
});

describe("JSON Schema for editors", () => {
  test("schema/byoc.schema.json is current (regenerate with npm run schema)", () => {
    expect(readText(SCHEMA_PATH)).toBe(renderJsonSchema());
  });

  test("it describes the spec's top-level fields and refuses unknown ones", () => {
    const schema = JSON.parse(renderJsonSchema());
    expect(Object.keys(schema.properties).sort()).toEqual(["audit", "cluster", "compliance", "data", "dns", "environment", "name", "network", "observability", "platform", "secureNodes", "state", "tags", "target", "tier", "vpn"]);
    expect(schema.required).toEqual(["name", "target"]);
    expect(schema.additionalProperties).toBe(false);
  });
});
