import { TerraformResource } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { TARGET_CLOUDS, defaultSpec } from "../lib/config/defaults";
import { loadSpec, parseSpec, type DeploymentSpec } from "../lib/config/spec";
import { exampleSpecs, synthSpec, type StackJson } from "./support/synth";

/**
 * Rules every synthesized stack of every example (and of the embedded default) must
 * keep, whatever the target: the security baseline of DESIGN.md as checks on JSON.
 */
const deployments: [string, DeploymentSpec][] = [
  ...exampleSpecs().map(({ name, path }): [string, DeploymentSpec] => [`examples/${name}`, loadSpec(path)]),
  ...TARGET_CLOUDS.map((c): [string, DeploymentSpec] => [`default ${c}`, parseSpec(defaultSpec(c))]),
];

/** Walks a JSON value, yielding [key, value, path] for every property. */
function* walk(value: unknown, path = ""): Generator<[string, unknown, string]> {
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    yield [k, v, `${path}.${k}`];
    yield* walk(v, `${path}.${k}`);
  }
}

const SECRET_KEY = /(preshared_key|shared_key|shared_secret|password|private_key|client_secret|(^|_)token)$/;
const INTERNET = ["0.0.0.0/0", "*", "Internet", "Any"];
/** Types that hold data or keys: they must refuse to be destroyed by a plan. */
const STATEFUL = ["aws_kms_key", "azurerm_storage_account", "aws_s3_bucket", "google_storage_bucket", "azurerm_key_vault"];

describe("invariants", () => {
  test("the examples cover every target", () => {
    expect(new Set(deployments.map(([, s]) => s.target.cloud))).toEqual(new Set(TARGET_CLOUDS));
    expect(exampleSpecs().map((e) => e.name)).toEqual(expect.arrayContaining(["aws-minimal", "aws-production", "azure", "gcp", "onprem"]));
  });

  describe.each(deployments)("%s", (_, spec) => {
    let stacks: StackJson[] = [];
    beforeAll(async () => {
      stacks = Object.values(await synthSpec(spec));
    });
    const each = (check: (stack: StackJson) => void) => () => {
      expect(stacks.length).toBeGreaterThan(0);
      for (const stack of stacks) check(stack);
    };

    test("state goes to the spec's backend, one key per stack", each((stack) => {
      const backend = stack.json.terraform.backend;
      expect(Object.keys(backend)).toEqual([spec.state.backend]);
      expect(JSON.stringify(backend)).toContain(stack.name);
    }));

    test("provider versions are pinned exactly", each((stack) => {
      for (const [name, p] of Object.entries<{ version: string }>(stack.json.terraform.required_providers ?? {})) {
        expect(p.version, name).toMatch(/^\d+\.\d+\.\d+$/);
      }
    }));

    test("no secret is written as a literal: every secret-bearing attribute is a reference", each((stack) => {
      for (const [key, value, path] of walk(stack.json.resource)) {
        if (SECRET_KEY.test(key) && value !== undefined) expect(value, path).toMatch(/^\$\{data\.[a-z_]+\.[^}]+\}$/);
      }
    }));

    test("every taggable resource carries the deployment, component, environment, managed-by and user tags", each((stack) => {
      const required = { deployment: spec.name, environment: spec.environment, "managed-by": "cdktf-byoc" };
      const user = Object.fromEntries(Object.entries(spec.tags).map(([k, v]) => [k, v]));
      let checked = 0;
      for (const node of stack.construct.node.findAll()) {
        if (!(node instanceof TerraformResource)) continue;
        const body = stack.json.resource[node.terraformResourceType][node.friendlyUniqueId];
        const field = node.terraformResourceType.startsWith("google_") ? "labels" : "tags";
        const taggable = typeof (node as unknown as Record<string, unknown>)[field === "labels" ? "resetLabels" : "resetTags"] === "function";
        if (!taggable) continue;
        checked++;
        expect(body[field], node.node.path).toMatchObject(field === "labels" ? lower(required) : { ...required, ...user });
        expect(body[field].component, node.node.path).toMatch(/^[a-z-]+$/);
      }
      if (stack.allResources().length > 0) expect(checked).toBeGreaterThan(0);
    }));

    test("stateful resources are protected from destroy", each((stack) => {
      for (const type of STATEFUL) {
        for (const r of stack.resources(type)) expect(r.lifecycle?.prevent_destroy, r.tfAddress).toBe(true);
      }
    }));

    test("nothing admits traffic from the whole internet", each((stack) => {
      for (const r of stack.resources("aws_vpc_security_group_ingress_rule")) expect(r.cidr_ipv4, r.tfAddress).not.toBe("0.0.0.0/0");
      for (const r of stack.resources("aws_security_group")) expect(r.ingress ?? [], r.tfAddress).toEqual([]);
      for (const r of stack.resources("google_compute_firewall").filter((f) => f.allow && f.direction === "INGRESS")) {
        expect(r.source_ranges, r.tfAddress).not.toContain("0.0.0.0/0");
      }
      for (const nsg of stack.resources("azurerm_network_security_group")) {
        for (const rule of nsg.security_rule ?? []) {
          if (rule.direction === "Inbound" && rule.access === "Allow") expect(INTERNET, nsg.tfAddress).not.toContain(rule.source_address_prefix);
        }
      }
    }));

    test("no subnet hands out public IPs; log groups are encrypted and expire", each((stack) => {
      for (const s of stack.resources("aws_subnet")) expect(s.map_public_ip_on_launch, s.tfAddress).toBe(false);
      for (const g of stack.resources("aws_cloudwatch_log_group")) {
        expect(g.kms_key_id, g.tfAddress).toMatch(/^\$\{aws_kms_key\./);
        expect(g.retention_in_days, g.tfAddress).toBeGreaterThan(0);
      }
    }));

    test("every network has flow logs", each((stack) => {
      expect(stack.resources("aws_flow_log")).toHaveLength(stack.resources("aws_vpc").length);
      expect(stack.resources("azurerm_network_watcher_flow_log")).toHaveLength(stack.resources("azurerm_virtual_network").length);
      for (const s of stack.resources("google_compute_subnetwork")) expect(s.log_config, s.tfAddress).toBeDefined();
    }));
  });
});

function lower(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, v.toLowerCase()]));
}
