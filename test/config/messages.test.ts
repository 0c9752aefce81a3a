import { describe, expect, test } from "vitest";
import { renderJsonSchema } from "../../lib/config/json-schema";
import { parseSpec, SpecError } from "../../lib/config/spec";
import { problems } from "../support/problems";
import { leafPaths, setAt } from "./schema-walk";

const aws = { name: "acme", target: { cloud: "aws", region: "us-west-2" } };
const onprem = { name: "acme", target: { cloud: "onprem" } };

describe("messages a person can act on", () => {
  test.each<[string, unknown, string]>([
    ["a key misspelled by case next to the missing field", { ...aws, state: { Backend: "s3", bucket: "acme-state" } }, 'state.backend: required, missing; the spec has "Backend" here: did you mean "backend"? (field names are case-sensitive)'],
    ["a key misspelled next to the missing field", { name: "acme", target: { clod: "aws", region: "us-west-2" } }, 'target.cloud: required, missing; the spec has "clod" here: did you mean "cloud"?'],
    ["an unknown field near a known one", { ...aws, netwrok: {} }, 'netwrok: unknown field; did you mean "network"?'],
    ["an unknown field in a section", { ...aws, cluster: { endpiont: "private" } }, 'cluster.endpiont: unknown field; did you mean "endpoint"?'],
    ["an unknown field like no other", { ...aws, data: { redis: { size: 3 } } }, 'data.redis.size: unknown field; data.redis accepts "enabled", "ha", "nodeType"'],
    ["a misspelled choice", { ...aws, tier: "medum" }, 'tier: expected one of "small", "medium", "large"; did you mean "medium"? (got "medum")'],
    ["a version YAML read as a number", { ...aws, cluster: { version: 1.35 } }, 'cluster.version: YAML read 1.35 as a number; put it in quotes: "1.35"; expected one of "1.33", "1.34", "1.35", "1.36"'],
    ["an account id YAML read as a number", { ...aws, target: { ...aws.target, accountId: 111122223333 } }, 'target.accountId: YAML read 111122223333 as a number; put it in quotes: "111122223333"'],
    ["an empty field", { ...aws, name: null }, "name: has no value (YAML reads an empty field as null); expected a string"],
    ["a zone count that is neither", { ...aws, network: { zones: "three" } }, 'network.zones: expected a zone count 1-6 or a list of zone names (got "three")'],
    ["a CPU quota that is neither", { ...aws, platform: { tenants: [{ name: "app", cpu: true, memory: "1Gi" }] } }, 'platform.tenants[0].cpu: expected a CPU quantity such as "40" or "500m" (got true)'],
    ["a tunnel pair given as one string", { ...aws, network: { peers: [{ name: "hq", cidrs: ["192.168.0.0/20"], gatewayIp: "198.51.100.10", psk: { secretRef: "vpn/hq" }, tunnelInsideCidrs: "169.254.10.0/30" }] } }, 'network.peers[0].tunnelInsideCidrs: expected a list of 2 (got "169.254.10.0/30")'],
    ["a spec that is a list", [aws], '(top level): expected a map of fields (got [{"name":"acme","target":{"cloud":"aws","region":"us-west-2"}}])'],
    ["a long value", { ...aws, dns: { domain: `${"a".repeat(100)}.example.com` } }, `dns.domain: must be a lower-case DNS name such as app.example.com (got "${"a".repeat(60)}"… (112 characters))`],
  ])("%s", (_, input, message) => {
    expect(problems(input)).toContain(message);
  });

  test("a misspelled key named at the missing field is not reported again as unknown", () => {
    expect(problems({ ...aws, state: { Backend: "s3", bucket: "acme-state" } })).toHaveLength(1);
  });

  test("no message anywhere in the schema is a bare \"Invalid input\"", () => {
    const found = new Set<string>();
    for (const path of leafPaths(JSON.parse(renderJsonSchema()))) {
      for (const base of [aws, onprem]) {
        for (const wrong of [{ nested: 1 }, true, 7, "text", [1]]) {
          try {
            parseSpec(setAt(structuredClone(base), path, wrong));
          } catch (e) {
            for (const p of (e as SpecError).problems) found.add(p);
          }
        }
      }
    }
    expect(found.size).toBeGreaterThan(500);
    expect([...found].filter((p) => /Invalid input|\[object Object\]|undefined/.test(p))).toEqual([]);
  });

  test("past 50 problems the rest are counted", () => {
    const tags = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, "!"]));
    let error: SpecError | undefined;
    try {
      parseSpec({ ...aws, tags }, "byoc.yaml");
    } catch (e) {
      error = e as SpecError;
    }
    expect(error?.total).toBe(71);
    expect(error?.problems).toHaveLength(50);
    const lines = error!.message.split("\n");
    expect(lines[0]).toBe("byoc.yaml has 71 problems:");
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe("  - and 21 more; fix these first, the rest often go with them");
  });
});
