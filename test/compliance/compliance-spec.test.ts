import { describe, expect, test } from "vitest";
import { parseSpec } from "../../lib/config/spec";
import { problems } from "../support/problems";

/** A spec every profile accepts: EU region, PostgreSQL on, the SQL audit ledger. */
const base = (extra: Record<string, unknown> = {}) => ({
  name: "acme",
  target: { cloud: "aws", region: "eu-west-1" },
  data: { postgres: { enabled: true } },
  audit: { type: "database" },
  ...extra,
});
const EU_AWS = "eu-central-1, eu-central-2, eu-west-1, eu-west-2, eu-west-3, eu-north-1, eu-south-1, eu-south-2";

describe("compliance in the spec", () => {
  test("none by default; any combination of the four frameworks is accepted", () => {
    expect(parseSpec(base()).compliance).toEqual([]);
    expect(parseSpec(base({ compliance: ["soc2", "hipaa", "gdpr", "iso27001"] })).compliance).toEqual(["soc2", "hipaa", "gdpr", "iso27001"]);
  });

  test("an unknown framework names what is accepted", () => {
    expect(problems(base({ compliance: ["soc2", "pci"] }))).toEqual(['compliance[1]: expected one of "soc2", "hipaa", "gdpr", "iso27001" (got "pci")']);
  });

  test("a profile raises the log retention left unset to its minimum, and keeps a longer one", () => {
    expect(parseSpec(base()).observability?.logs.retentionDays).toBe(30);
    expect(parseSpec(base({ compliance: ["soc2"] })).observability?.logs.retentionDays).toBe(90);
    expect(parseSpec(base({ compliance: ["gdpr"] })).observability?.logs.retentionDays).toBe(30);
    expect(parseSpec(base({ compliance: ["hipaa"], observability: { logs: { retentionDays: 400 } } })).observability?.logs.retentionDays).toBe(400);
  });
});

describe("settings a profile refuses, naming the control", () => {
  test("deletion protection off", () => {
    expect(problems(base({ compliance: ["hipaa", "soc2"], environment: "staging", data: { postgres: { enabled: true }, protection: "disabled" } }))).toEqual([
      'data.protection: must stay enabled with compliance hipaa, soc2 (SOC 2 A1.2, HIPAA §164.312(c)(1)): stateful resources must refuse deletion (got "disabled")',
    ]);
  });

  test("no audit backend", () => {
    const { audit: _none, ...spec } = base({ compliance: ["iso27001"] });
    expect(problems(spec)).toEqual(["audit: required with compliance iso27001 (ISO 27001 A.8.15, ISO 27001 A.5.33): add audit: { type: database } (on data.postgres) or a blockchain backend (missing)"]);
  });

  test("audit retention shorter than HIPAA's six years (the strictest framework is named)", () => {
    expect(problems(base({ compliance: ["soc2", "hipaa"], audit: { type: "database", database: { retention: "5-years" } } }))).toEqual([
      'audit.database.retention: keeps events 60 months; with HIPAA they are kept at least 72 (HIPAA §164.312(b)), e.g. "6-years" (got "5-years")',
    ]);
    expect(parseSpec(base({ compliance: ["soc2"], audit: { type: "database", database: { retention: "12-months" } } })).audit?.database.retentionMonths).toBe(12);
  });

  test("logs and flow logs kept shorter than the minimum", () => {
    expect(problems(base({ compliance: ["soc2", "iso27001"], observability: { logs: { retentionDays: 60 } }, network: { flowLogRetentionDays: 30 } }))).toEqual([
      "observability.logs.retentionDays: with SOC 2 and ISO 27001 logs stay searchable at least 90 days (SOC 2 CC7.2, ISO 27001 A.8.15; the kit's minimum for incident review); leave it unset for 90 (got 60)",
      "network.flowLogRetentionDays: with SOC 2 and ISO 27001 flow logs are kept at least 90 days (SOC 2 CC7.2, ISO 27001 A.8.15) (got 30)",
    ]);
  });

  test("GDPR: the region, the disaster-recovery region and the state bucket's region outside the EU/EEA", () => {
    expect(
      problems({
        ...base({ compliance: ["gdpr"] }),
        target: { cloud: "aws", region: "us-east-1" },
        data: { postgres: { enabled: true }, disasterRecovery: { region: "us-west-2" } },
        state: { backend: "s3", bucket: "acme-tfstate", region: "us-east-1" },
      }),
    ).toEqual([
      `target.region: is outside the EU/EEA, the UK and Switzerland, the regions the kit accepts for GDPR (Art. 44: elsewhere a transfer needs an adequacy decision or safeguards the kit cannot check); use one of ${EU_AWS} (got "us-east-1")`,
      `data.disasterRecovery.region: is outside the EU/EEA, the UK and Switzerland, the regions the kit accepts for GDPR (Art. 44: elsewhere a transfer needs an adequacy decision or safeguards the kit cannot check); copy backups to one of ${EU_AWS} (got "us-west-2")`,
      `state.region: is outside the EU/EEA, the UK and Switzerland, the regions the kit accepts for GDPR (Art. 44: elsewhere a transfer needs an adequacy decision or safeguards the kit cannot check): Terraform state holds the deployment's configuration; use one of ${EU_AWS} (got "us-east-1")`,
    ]);
  });

  test("GDPR on Azure and Google Cloud: their EU regions pass, others do not", () => {
    expect(parseSpec({ ...base({ compliance: ["gdpr"] }), target: { cloud: "azure", region: "swedencentral" } }).target).toMatchObject({ region: "swedencentral" });
    expect(problems({ ...base({ compliance: ["gdpr"] }), target: { cloud: "gcp", region: "us-central1", project: "acme-prod-1" } })[0]).toMatch(/^target\.region: is outside the EU\/EEA, the UK and Switzerland, .*; use one of europe-central2, .*europe-west4/);
  });

  test("GDPR with a public zone on AWS: Route 53 query logs go to us-east-1 unless turned off", () => {
    expect(problems(base({ compliance: ["gdpr"], dns: { domain: "acme.example.com" } }))).toEqual([
      "dns.queryLogs: Route 53 writes a public zone's query logs (with client subnets) only to us-east-1, outside the EU/EEA (GDPR Art. 44): set dns.queryLogs: false, or keep the domain's zone elsewhere (missing)",
    ]);
    expect(parseSpec(base({ compliance: ["gdpr"], dns: { domain: "acme.example.com", queryLogs: false } })).dns.queryLogs).toBe(false);
  });

  test("a UDP node tier without an audit sink", () => {
    const nodes = { enabled: true, phase: "pilot", image: "registry.example.com/b4ae/node:1.4.2", trustedPeers: ["198.51.100.0/24"], keys: { secretRef: "acme/b4ae-keys" } };
    expect(problems(base({ compliance: ["soc2"], secureNodes: nodes }))).toEqual([
      "secureNodes.auditSink: required with compliance soc2 (SOC 2 CC7.2): the nodes' security events go to your SIEM, { syslog: <host:port>, cidrs: [...] } (missing)",
    ]);
    expect(parseSpec(base({ secureNodes: nodes })).secureNodes).toBeDefined();
  });

  test("every contradiction is listed at once", () => {
    const found = problems({ ...base({ compliance: ["gdpr", "hipaa"], environment: "staging", data: { postgres: { enabled: true }, protection: "disabled" } }), target: { cloud: "aws", region: "ap-southeast-2" } });
    expect(found.map((p) => p.slice(0, p.indexOf(":")))).toEqual(["data.protection", "target.region"]);
  });
});
