import { evaluate } from "@marcbachmann/cel-js";
import { describe, expect, test } from "vitest";
import { BASELINE_RULES, constraintKind } from "../../lib/platform/policy-rules";

/**
 * The baseline's CEL evaluated by a CEL interpreter against sample objects: what a
 * tenant may and may not create. Kyverno and Gatekeeper evaluate the same expressions.
 */
const rule = (name: string) => {
  const found = BASELINE_RULES.find((r) => r.name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return (object: unknown) => evaluate(found.expression, { object }) as boolean;
};

const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
const pod = (images: string[], init: string[] = []) => ({
  spec: {
    containers: images.map((image) => ({ name: "c", image, resources })),
    ...(init.length ? { initContainers: init.map((image) => ({ name: "i", image, resources })) } : {}),
  },
});

describe("require-pinned-images", () => {
  const admits = rule("require-pinned-images");
  test.each([
    ["nginx:1.27.3", true],
    ["registry.example.com:5000/team/app:2.1.3", true],
    [`ghcr.io/acme/app@sha256:${"ab".repeat(32)}`, true],
    ["nginx", false],
    ["nginx:latest", false],
    ["registry.example.com:5000/team/app", false],
  ])("%s → %s", (image, expected) => {
    expect(admits(pod([image]))).toBe(expected);
  });

  test("init containers are held to the same rule", () => {
    expect(admits(pod(["app:1.0"], ["busybox"]))).toBe(false);
    expect(admits(pod(["app:1.0"], ["busybox:1.37"]))).toBe(true);
  });
});

describe("require-resources", () => {
  const admits = rule("require-resources");
  test("a container with requests and a memory limit is admitted", () => {
    expect(admits(pod(["app:1.0"]))).toBe(true);
  });
  test.each([
    ["no resources", {}],
    ["no CPU request", { requests: { memory: "1Gi" }, limits: { memory: "1Gi" } }],
    ["no memory limit", { requests: { cpu: "1", memory: "1Gi" } }],
  ])("%s is refused", (_, res) => {
    expect(admits({ spec: { containers: [{ name: "c", image: "app:1", resources: res }] } })).toBe(false);
  });
});

describe("restrict-external-ips", () => {
  const admits = rule("restrict-external-ips");
  test("a Service without externalIPs is admitted; one with them is refused", () => {
    expect(admits({ spec: { type: "ClusterIP" } })).toBe(true);
    expect(admits({ spec: { externalIPs: [] } })).toBe(true);
    expect(admits({ spec: { externalIPs: ["203.0.113.7"] } })).toBe(false);
  });
});

describe("disallow-secret-stores", () => {
  test("no SecretStore is admitted in a tenant namespace", () => {
    expect(rule("disallow-secret-stores")({ spec: { provider: { aws: { service: "SecretsManager" } } } })).toBe(false);
  });
});

describe("disallow-ca-certificates", () => {
  const admits = rule("disallow-ca-certificates");
  test("a leaf certificate is admitted; a CA is refused", () => {
    expect(admits({ spec: { dnsNames: ["app.example.com"], issuerRef: { name: "internal-ca", kind: "ClusterIssuer" } } })).toBe(true);
    expect(admits({ spec: { isCA: false, issuerRef: { name: "internal-ca" } } })).toBe(true);
    expect(admits({ spec: { isCA: true, commonName: "evil CA", issuerRef: { name: "internal-ca" } } })).toBe(false);
  });
});

test("Gatekeeper constraint kinds are PascalCase and unique", () => {
  const kinds = BASELINE_RULES.map(constraintKind);
  expect(kinds).toContain("ByocRequirePinnedImages");
  expect(new Set(kinds).size).toBe(kinds.length);
  for (const k of kinds) expect(k).toMatch(/^[A-Z][A-Za-z]+$/);
});
