import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_KUBERNETES_VERSION } from "../../lib/config/cluster";
import { TARGET_CLOUDS, defaultSpec } from "../../lib/config/defaults";
import { loadSpec, parseSpec, type DeploymentSpec } from "../../lib/config/spec";
import { CHARTS } from "../../lib/platform/charts";
import { ensureHelm } from "../support/helm-binary";
import { manifests, type ReleaseView } from "../support/helm";
import { checkObject, ensureK8sSchemas } from "../support/k8s-schemas";
import { goRegExp } from "../support/k8s-schemas/go-regexp";
import { CRD_SOURCES, KUBERNETES } from "../support/k8s-schemas/sources";
import { strictCrd } from "../support/k8s-schemas/strict";
import { exampleSpecs, synthSpec } from "../support/synth";

/**
 * Every object of the kit's own chart (the Manifests releases) in the embedded default
 * deployment of each target and in every example, checked strictly against its owner's
 * schema at the version the pinned chart installs: unknown fields, wrong types, missing
 * required fields and values outside an enum fail, and so does a kind no pinned source
 * defines. Built-in kinds are not in the chart: the kit writes them as typed
 * `kubernetes_*_v1` Terraform resources, which the provider's types check. Should one
 * appear in the chart, it is checked against the API server's OpenAPI like the rest.
 */

interface Deployment {
  readonly label: string;
  readonly spec: DeploymentSpec;
}

const deployments: Deployment[] = [
  ...TARGET_CLOUDS.map((c) => ({ label: `default ${c}`, spec: parseSpec(defaultSpec(c)) })),
  ...exampleSpecs().map(({ name, path }) => ({ label: `examples/${name}`, spec: loadSpec(path) })),
];

type Obj = Record<string, any>;
type Rendered = { object: Obj; release: ReleaseView }[];

const synthesized = new Map<string, Promise<Rendered>>();

/** The Manifests objects of a deployment's stacks (synthesized once per file). */
function objectsOf(label: string): Promise<Rendered> {
  if (!synthesized.has(label)) {
    const { spec } = deployments.find((d) => d.label === label)!;
    synthesized.set(label, synthSpec(spec).then((stacks) => Object.values(stacks).flatMap(manifests)));
  }
  return synthesized.get(label)!;
}

/** A deployment's ConstraintTemplates: constraints are checked against the schema their template gives them. */
const templatesIn = (objects: Rendered): Obj[] => objects.map((o) => o.object).filter((o) => o.kind === "ConstraintTemplate");

beforeAll(() => ensureK8sSchemas(), 10 * 60_000);

describe.each(deployments)("$label", ({ label }) => {
  test("every object of the kit's chart passes its owner's schema", async () => {
    const objects = await objectsOf(label);
    expect(objects.length).toBeGreaterThan(0);
    const templates = templatesIn(objects);
    expect(objects.flatMap(({ object }) => checkObject(object, templates))).toEqual([]);
  });
});

describe("as Helm renders them", () => {
  const chartDir = join(__dirname, "..", "..", "charts", "manifests");
  const tmp = mkdtempSync(join(tmpdir(), "byoc-schemas-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test.each(TARGET_CLOUDS)("default %s: helm template's documents pass", async (cloud) => {
    const objects = await objectsOf(`default ${cloud}`);
    const templates = templatesIn(objects);
    const releases = [...new Set(objects.map((o) => o.release))];
    let rendered = 0;
    for (const [i, release] of releases.entries()) {
      const values = join(tmp, `${cloud}-${i}.yaml`);
      writeFileSync(values, release.block.values[0]);
      const out = execFileSync(ensureHelm(), ["template", release.block.name, chartDir, "--namespace", release.block.namespace, "-f", values], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      const documents = parseAllDocuments(out, { version: "1.1" }).map((d) => d.toJS()).filter((d) => d !== null);
      rendered += documents.length;
      expect(documents.flatMap((d) => checkObject(d, templates))).toEqual([]);
    }
    expect(rendered).toBe(objects.length);
  });
});

describe("the checker", () => {
  let aws: Obj[];
  let openshift: Obj[];
  beforeAll(async () => {
    aws = (await objectsOf("default aws")).map((o) => o.object);
    openshift = (await objectsOf("examples/openshift")).map((o) => o.object);
  }, 120_000);

  /** A copy of the first synthesized object of a kind. */
  const real = (objects: Obj[], kind: string): Obj => structuredClone(objects.find((o) => o.kind === kind)!);
  const id = (o: Obj) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;

  test("passes a real object and fails the same object with one misspelled field, naming exactly that path", () => {
    const secret = real(aws, "ExternalSecret");
    expect(checkObject(secret)).toEqual([]);
    secret.spec.refreshPolicyy = secret.spec.refreshPolicy;
    delete secret.spec.refreshPolicy;
    expect(checkObject(secret)).toEqual([`${id(secret)}: spec.refreshPolicyy: unknown field`]);
  });

  test("fails a wrong type, a missing required field and a value outside an enum", () => {
    const cert = real(aws, "Certificate");
    cert.spec.duration = 3600;
    delete cert.spec.secretName;
    cert.spec.privateKey.algorithm = "DSA";
    expect(checkObject(cert).sort()).toEqual(
      [
        `${id(cert)}: spec.duration: wrong type: integer, expected string`,
        `${id(cert)}: spec.secretName: required field missing`,
        `${id(cert)}: spec.privateKey.algorithm: "DSA" is not one of "RSA", "ECDSA", "Ed25519"`,
      ].sort(),
    );
  });

  test("checks metadata as ObjectMeta and as the API server does", () => {
    const monitor = real(aws, "PodMonitor");
    monitor.metadata.lables = { a: "b" };
    monitor.metadata.labels["app.kubernetes.io/component"] = "x".repeat(64);
    monitor.metadata.annotations = { "not a key": "v" };
    expect(checkObject(monitor).sort()).toEqual(
      [
        `${id(monitor)}: metadata.lables: unknown field`,
        `${id(monitor)}: metadata.labels["app.kubernetes.io/component"]: must NOT have more than 63 characters`,
        `${id(monitor)}: metadata.annotations["not a key"]: invalid key`,
      ].sort(),
    );
  });

  test("accepts an integer or a string where the schema says int-or-string, nothing else", () => {
    const monitor = real(aws, "PodMonitor");
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    delete endpoint.port;
    for (const port of [8080, "http-metrics"]) expect(checkObject({ ...monitor, spec: { ...monitor.spec, podMetricsEndpoints: [{ ...endpoint, targetPort: port }] } })).toEqual([]);
    endpoint.targetPort = true;
    expect(checkObject(monitor)).toEqual([`${id(monitor)}: spec.podMetricsEndpoints[0].targetPort: wrong type: boolean, expected integer or string`]);
  });

  test("fails a kind no pinned source defines, and a version its CRD does not serve", () => {
    const cert = real(aws, "Certificate");
    expect(checkObject({ ...cert, kind: "Certificat" })).toEqual([`Certificat ${cert.metadata.namespace}/${cert.metadata.name}: no schema for cert-manager.io/v1 Certificat: no pinned source serves this apiVersion and kind`]);
    // External Secrets stopped serving v1beta1.
    const secret = real(aws, "ExternalSecret");
    expect(checkObject({ ...secret, apiVersion: "external-secrets.io/v1beta1" })).toEqual([`${id(secret)}: no schema for external-secrets.io/v1beta1 ExternalSecret: no pinned source serves this apiVersion and kind`]);
  });

  test("checks built-in kinds against the Kubernetes OpenAPI", () => {
    const map = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "product" }, data: { mode: "strict" } };
    expect(checkObject(map)).toEqual([]);
    expect(checkObject({ ...map, data: { replicas: 3 }, immutible: true }).sort()).toEqual(
      ["ConfigMap product/settings: data.replicas: wrong type: integer, expected string", "ConfigMap product/settings: immutible: unknown field"].sort(),
    );
  });

  test("checks a Gatekeeper constraint against its template and Gatekeeper's match schema", () => {
    const templates = openshift.filter((o) => o.kind === "ConstraintTemplate");
    const constraint = real(openshift, "ByocDisallowSecretStores");
    const name = `${constraint.kind} ${constraint.metadata.name}`;
    expect(checkObject(constraint, templates)).toEqual([]);
    expect(checkObject(constraint)).toEqual([`${name}: no ConstraintTemplate among the given ones defines kind ByocDisallowSecretStores`]);
    constraint.spec.match.kinds[0].kind = ["SecretStore"];
    constraint.spec.enforcementAction = 1;
    // The kit's template declares no parameters, so Gatekeeper's CRD for it has none.
    constraint.spec.parameters = { allowed: ["x"] };
    expect(checkObject(constraint, templates).sort()).toEqual(
      [
        `${name}: spec.match.kinds[0].kind: unknown field`,
        `${name}: spec.enforcementAction: wrong type: integer, expected string`,
        `${name}: spec.parameters: unknown field`,
      ].sort(),
    );
  });

  test("checks a constraint's parameters against its template's schema", () => {
    const template = real(openshift, "ConstraintTemplate");
    const kind = template.spec.crd.spec.names.kind;
    template.spec.crd.spec.validation = { openAPIV3Schema: { type: "object", properties: { repos: { type: "array", items: { type: "string" } } } } };
    const constraint: Obj = { ...real(openshift, kind), spec: { parameters: { repos: ["registry.example"] } } };
    expect(checkObject(constraint, [template])).toEqual([]);
    constraint.spec.parameters = { repos: [1], repo: [] };
    expect(checkObject(constraint, [template]).sort()).toEqual(
      [`${kind} ${constraint.metadata.name}: spec.parameters.repos[0]: wrong type: integer, expected string`, `${kind} ${constraint.metadata.name}: spec.parameters.repo: unknown field`].sort(),
    );
    // legacySchema keeps unknown fields at every level, and still checks the declared types.
    template.spec.crd.spec.validation.legacySchema = true;
    expect(checkObject(constraint, [template])).toEqual([`${kind} ${constraint.metadata.name}: spec.parameters.repos[0]: wrong type: integer, expected string`]);
  });
});

describe("CRD schema semantics", () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const meta = { type: "object", properties: { name: { type: "string" } }, additionalProperties: false };
  const check = (schema: Obj, value: unknown) => ajv.validate(strictCrd({ type: "object", properties: { spec: schema } }, meta), { spec: value });

  test("nullable admits null; without it null is a wrong type", () => {
    expect(check({ type: "string", nullable: true }, null)).toBe(true);
    expect(check({ type: "string", enum: ["a"], nullable: true }, null)).toBe(true);
    expect(check({ type: "string" }, null)).toBe(false);
  });

  test("x-kubernetes-preserve-unknown-fields opens an object; an object without it holds only its listed fields", () => {
    expect(check({ type: "object", "x-kubernetes-preserve-unknown-fields": true }, { any: 1 })).toBe(true);
    expect(check({ type: "object" }, { any: 1 })).toBe(false);
    expect(check({ type: "object" }, {})).toBe(true);
    expect(check({ type: "object", additionalProperties: { type: "integer" } }, { any: 1 })).toBe(true);
  });

  test("an embedded resource needs apiVersion and kind, and its metadata is ObjectMeta", () => {
    const embedded = { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true };
    expect(check(embedded, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} })).toBe(true);
    expect(check(embedded, { kind: "Pod" })).toBe(false);
    expect(check(embedded, { apiVersion: "v1", kind: "Pod", metadata: { nam: "p" } })).toBe(false);
  });

  test("allOf/anyOf/oneOf branches only add checks to the node's own fields", () => {
    const either = { type: "object", properties: { a: { type: "string" }, b: { type: "string" } }, oneOf: [{ required: ["a"] }, { required: ["b"] }] };
    expect(check(either, { a: "x" })).toBe(true);
    expect(check(either, { a: "x", b: "y" })).toBe(false);
    expect(check(either, { c: "x" })).toBe(false);
  });

  test("RE2's (?i) holds to the end of its group", () => {
    expect(goRegExp("^(?i)(abort|warn)?$", "u").test("ABORT")).toBe(true);
    expect(goRegExp("^(?i)(abort|warn)?$", "u").test("abortx")).toBe(false);
    const day = goRegExp("^((?i)sun|mon)day$", "u");
    expect(["SUNday", "monday", "MONday"].map((d) => day.test(d))).toEqual([true, true, true]);
    expect(day.test("MONDAY")).toBe(false);
  });
});

describe("schema sources", () => {
  test("each follows the chart pinned in lib/platform/charts.ts", () => {
    const pins = Object.fromEntries(Object.entries(CHARTS).map(([k, c]) => [k, c.version]));
    expect(Object.fromEntries(CRD_SOURCES.map((s) => [s.chart, s.chartVersion]))).toEqual(Object.fromEntries(CRD_SOURCES.map((s) => [s.chart, pins[s.chart]])));
  });

  test("built-in kinds come from the kit's default Kubernetes minor", () => {
    expect(KUBERNETES.version).toMatch(new RegExp(`^v${DEFAULT_KUBERNETES_VERSION.replace(".", "\\.")}\\.\\d+$`));
  });
});
