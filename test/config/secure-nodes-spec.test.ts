import { describe, expect, test } from "vitest";
import { PHASE_PRESETS } from "../../lib/config/secure-nodes";
import { parseSpec } from "../../lib/config/spec";
import { problems } from "../support/problems";

const aws = { name: "acme", target: { cloud: "aws", region: "eu-west-1" } };
const DIGEST = `registry.example.com/b4ae/node@sha256:${"ab".repeat(32)}`;
const minimal = { enabled: true, image: "registry.example.com/b4ae/node:2.1.3", trustedPeers: ["198.51.100.0/24"], keys: { secretRef: "b4ae/node-keys" } };
const production = { ...minimal, phase: "production", image: DIGEST, auditSink: { syslog: "10.9.0.5:6514" } };

describe("secureNodes defaults", () => {
  test("off unless enabled", () => {
    expect(parseSpec(aws).secureNodes).toBeUndefined();
    expect(parseSpec({ ...aws, secureNodes: { image: "x/y:1" } }).secureNodes).toBeUndefined();
  });

  test("on: the pilot phase's replicas, availability and limits, the documented ports, an internal load balancer", () => {
    const n = parseSpec({ ...aws, secureNodes: minimal }).secureNodes;
    expect(n).toMatchObject({
      phase: "pilot",
      topology: "hub",
      replicas: PHASE_PRESETS.pilot.replicas,
      highAvailability: true,
      resources: PHASE_PRESETS.pilot.resources,
      udpPort: 4000,
      healthPort: 8080,
      metricsPort: 9090,
      exposure: "internal",
      trustedPeers: ["198.51.100.0/24"],
    });
    expect(n?.maxReplicas).toBeUndefined();
  });

  test("each phase sets its own size; the spec's values win", () => {
    const poc = parseSpec({ ...aws, secureNodes: { ...minimal, phase: "poc" } }).secureNodes;
    expect(poc).toMatchObject({ replicas: 1, highAvailability: false, resources: PHASE_PRESETS.poc.resources });
    const prod = parseSpec({ ...aws, secureNodes: { ...production, replicas: 5, resources: { limits: { memory: "2Gi" } } } }).secureNodes;
    expect(prod?.replicas).toBe(5);
    expect(prod?.resources.limits).toEqual({ cpu: PHASE_PRESETS.production.resources.limits.cpu, memory: "2Gi" });
    expect(prod?.resources.requests).toEqual(PHASE_PRESETS.production.resources.requests);
  });

  test("a single node is one replica without a disruption budget; a gateway autoscales to the phase's ceiling", () => {
    expect(parseSpec({ ...aws, secureNodes: { ...production, topology: "single" } }).secureNodes).toMatchObject({ replicas: 1, highAvailability: false });
    const gateway = parseSpec({ ...aws, secureNodes: { ...minimal, topology: "gateway", replicas: 2 } }).secureNodes;
    expect(gateway).toMatchObject({ replicas: 2, maxReplicas: 2 * PHASE_PRESETS.pilot.maxScale });
  });
});

describe("a bad secureNodes section is rejected with the path, the value and what is accepted", () => {
  const bad = (secureNodes: object, target: object = aws) => problems({ ...target, secureNodes });
  test.each([
    [{ enabled: true, trustedPeers: ["198.51.100.0/24"], keys: { secretRef: "k" } }, "secureNodes.image: required when secureNodes.enabled: the node's container image, e.g. registry.example.com/b4ae/node:2.1.3 (missing)"],
    [{ ...minimal, trustedPeers: undefined }, "secureNodes.trustedPeers: required when secureNodes.enabled: the peer ranges allowed to reach the UDP port, e.g. [198.51.100.0/24] (missing)"],
    [{ ...minimal, trustedPeers: [] }, "secureNodes.trustedPeers: at least 1 entries (got [])"],
    [{ ...minimal, trustedPeers: ["198.51.100.7/24"] }, 'secureNodes.trustedPeers[0]: a trusted peer has host bits set; did you mean 198.51.100.0/24? (got "198.51.100.7/24")'],
    [{ ...minimal, keys: undefined }, "secureNodes.keys: required when secureNodes.enabled: { secretRef: <the secret holding the nodes' long-term keys> } (missing)"],
    [{ ...minimal, image: "registry.example.com/b4ae/node" }, 'secureNodes.image: needs a tag (:2.1.3) or a digest (@sha256:…): without one the cluster pulls whatever is latest (got "registry.example.com/b4ae/node")'],
    [{ ...minimal, image: "b4ae/node:latest" }, 'secureNodes.image: the "latest" tag moves: pin a version tag or a digest (got "b4ae/node:latest")'],
    [{ ...minimal, topology: "mesh" }, 'secureNodes.topology: expected one of "single", "hub", "gateway" (got "mesh")'],
    [{ ...minimal, phase: "beta" }, 'secureNodes.phase: expected one of "poc", "pilot", "production" (got "beta")'],
    [{ ...minimal, udpPort: 70000 }, "secureNodes.udpPort: at most 65535 (got 70000)"],
    [{ ...minimal, metricsPort: 8080 }, "secureNodes.metricsPort: must differ from healthPort: load balancer health checkers are admitted to the health port and must not reach metrics (got 8080)"],
    [{ ...minimal, topology: "single", replicas: 3 }, "secureNodes.replicas: a single topology runs one node; use hub or gateway for 3 (got 3)"],
    [{ ...minimal, maxReplicas: 6 }, "secureNodes.maxReplicas: only a gateway autoscales; hub and single nodes keep a stable identity each (got 6)"],
    [{ ...minimal, topology: "gateway", replicas: 4, maxReplicas: 2 }, "secureNodes.maxReplicas: must be at least replicas (4) (got 2)"],
    [{ ...minimal, resources: { limits: { cpu: "2 cores", memory: "1Gi" } } }, 'secureNodes.resources.limits.cpu: must be a CPU quantity such as "500m" or "2" (got "2 cores")'],
    [{ ...minimal, env: { "bad-name": "x" } }, 'secureNodes.env.bad-name: the key must be an environment variable name such as B4AE_SCHEDULER_RATE'],
    [{ ...minimal, staticAddresses: true }, "secureNodes.staticAddresses: needs exposure: internet-facing: an internal load balancer has no public address (got true)"],
    [{ ...production, image: minimal.image }, 'secureNodes.image: production needs a digest (…@sha256:<64 hex>): a tag can be moved to other code after review (got "registry.example.com/b4ae/node:2.1.3")'],
    [{ ...production, trustedPeers: ["0.0.0.0/0"] }, 'secureNodes.trustedPeers[0]: production admits trusted peers only, not every address (got "0.0.0.0/0")'],
    [{ ...production, auditSink: undefined }, "secureNodes.auditSink: production needs an audit sink: { syslog: <host:port>, cidrs: [...] }, where the nodes' security events go (missing)"],
    [{ ...minimal, auditSink: { syslog: "10.9.0.5:514", tls: false } }, 'secureNodes.auditSink.tls: unknown field; secureNodes.auditSink accepts "syslog", "ca", "cidrs"'],
    [{ ...minimal, auditSink: { syslog: "siem.example.com:6514" } }, "secureNodes.auditSink.cidrs: required when auditSink.syslog names a host (siem.example.com): the addresses it resolves to, for the nodes' egress NetworkPolicy (missing)"],
    [{ ...minimal, hsm: { enabled: true } }, "secureNodes.hsm.modulePath: required when hsm.enabled: the PKCS#11 library's path inside the image (missing)"],
  ])("%j", (secureNodes, message) => {
    expect(bad(secureNodes)).toContain(message);
  });

  test("an HSM needs its library, token and PIN, each named", () => {
    expect(bad({ ...minimal, hsm: { enabled: true, modulePath: "/opt/lib/pkcs11.so" } })).toEqual([
      "secureNodes.hsm.tokenLabel: required when hsm.enabled: the label of the token that holds the keys (missing)",
      "secureNodes.hsm.pin: required when hsm.enabled: { secretRef: <a secret whose JSON value has pin> } (missing)",
    ]);
  });

  test("static addresses are Elastic IPs: aws only", () => {
    expect(bad({ ...minimal, exposure: "internet-facing", staticAddresses: true }, { name: "acme", target: { cloud: "gcp", region: "europe-west1", project: "acme-prod" } })).toContain(
      "secureNodes.staticAddresses: only on aws (Elastic IPs); on gcp peers allowlist the load balancer's address once it exists (got true)",
    );
    expect(parseSpec({ ...aws, secureNodes: { ...minimal, exposure: "internet-facing", staticAddresses: true } }).secureNodes?.staticAddresses).toBe(true);
  });

  test("on-prem, every secret reference needs the Vault store", () => {
    expect(bad({ ...minimal, auditSink: { syslog: "10.9.0.5:6514", ca: { secretRef: "siem/ca" } } }, { name: "lab", target: { cloud: "onprem" } })).toEqual([
      "secureNodes.keys: needs platform.secretStore on onprem: External Secrets has no store to read it from (value not shown)",
      "secureNodes.auditSink.ca: needs platform.secretStore on onprem: External Secrets has no store to read it from (value not shown)",
    ]);
  });

  test("every address is accepted outside production, where a proof of concept may not know its peers yet", () => {
    expect(parseSpec({ ...aws, secureNodes: { ...minimal, phase: "poc", trustedPeers: ["0.0.0.0/0"] } }).secureNodes?.trustedPeers).toEqual(["0.0.0.0/0"]);
  });
});
