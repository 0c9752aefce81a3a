import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, test } from "vitest";
import { DEFAULT_AUDIT_EVENTS, retentionMonths } from "../../lib/config/audit";
import { parseSpec } from "../../lib/config/spec";
import { problems } from "../support/problems";

const aws = { name: "acme", target: { cloud: "aws", region: "eu-west-1" } };

/** A node as besu-keys prints it, its key made here with viem: name, public key (0x + 128 hex), address, secretRef. */
function node(name: string, prefix = "acme/") {
  const account = privateKeyToAccount(generatePrivateKey());
  return { name, publicKey: `0x${account.publicKey.slice(4)}`, address: account.address, secretRef: `${prefix}besu-${name}` };
}
const fourValidators = () => ["validator-0", "validator-1", "validator-2", "validator-3"].map((n) => node(n));
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("audit defaults", () => {
  test("no audit section, no audit backend", () => {
    expect(parseSpec(aws).audit).toBeUndefined();
  });

  test("an empty section is the SQL ledger on the data layer's PostgreSQL, kept seven years, with the seed's events", () => {
    const audit = parseSpec({ ...aws, audit: {} }).audit;
    expect(audit).toEqual({ type: "database", database: { retention: "7-years", retentionMonths: 84 }, blockchain: undefined, events: [...DEFAULT_AUDIT_EVENTS] });
  });

  test("a besu network counts the nodes besu-keys printed, and keeps each one's name, key and secret (not the address)", () => {
    const validators = fourValidators();
    const rpc = node("rpc-0");
    const audit = parseSpec({ ...aws, audit: { type: "blockchain", blockchain: { nodes: { validators, rpcNodes: [rpc] } } } }).audit;
    expect(audit?.blockchain).toEqual({
      type: "besu",
      network: "private",
      validators: 4,
      rpcNodes: 1,
      nodes: {
        validators: validators.map(({ name, publicKey, secretRef }) => ({ name, publicKey, secretRef })),
        rpcNodes: [{ name: "rpc-0", publicKey: rpc.publicKey, secretRef: "acme/besu-rpc-0" }],
      },
    });
    expect(audit?.anchor).toBeUndefined();
  });

  test("anchoring the SQL ledger on the besu network: the contract and the key come into the plan, the schedule stays the job's default", () => {
    const audit = parseSpec({
      ...aws,
      audit: { blockchain: { nodes: { validators: fourValidators() }, contractAddress: CONTRACT }, anchor: { signingKey: { secretRef: "acme/audit-anchor" } } },
    }).audit;
    expect(audit?.type).toBe("database");
    expect(audit?.anchor).toEqual({ signingKey: { secretRef: "acme/audit-anchor" }, contractAddress: CONTRACT, schedule: undefined });
  });

  test("anchoring switched off keeps its settings out of the plan, and needs no contract yet", () => {
    const audit = parseSpec({ ...aws, audit: { blockchain: { nodes: { validators: fourValidators() } }, anchor: { enabled: false } } }).audit;
    expect(audit?.anchor).toBeUndefined();
    expect(audit?.blockchain?.validators).toBe(4);
  });

  test("an existing EVM chain for anchoring, with its chain id and an hourly macro", () => {
    const audit = parseSpec({
      ...aws,
      audit: {
        blockchain: { type: "polygon", network: "mainnet", endpoint: "https://polygon-rpc.example.com", chainId: 137, contractAddress: CONTRACT },
        anchor: { schedule: "@hourly", signingKey: { secretRef: "acme/audit-anchor" } },
      },
    }).audit;
    expect(audit?.blockchain).toMatchObject({ type: "polygon", chainId: 137, validators: 0, rpcNodes: 0, nodes: undefined });
    expect(audit?.anchor?.schedule).toBe("@hourly");
  });

  test("retention counts whole months; days round up to the month that holds them", () => {
    expect(retentionMonths("7-years")).toBe(84);
    expect(retentionMonths("18-months")).toBe(18);
    expect(retentionMonths("90-days")).toBe(3);
    expect(retentionMonths("31-days")).toBe(2);
  });
});

describe("audit errors", () => {
  /** The message without the value shown after it (an object's dump, which the messages module abbreviates). */
  const withoutValue = (problem: string) => problem.replace(/ \(got [[{].*\)$/, "");
  const bad = (audit: object, spec: object = aws) => problems({ ...spec, audit });

  test("a retention without a unit, or in weeks", () => {
    expect(bad({ database: { retention: "7" } })).toEqual([
      'audit.database.retention: must be a count and a unit, such as "7-years", "18-months" or "90-days" (got "7")',
    ]);
    expect(bad({ database: { retention: "2-weeks" } })).toEqual([
      'audit.database.retention: must be a count and a unit, such as "7-years", "18-months" or "90-days" (got "2-weeks")',
    ]);
  });

  test("QBFT with fewer than four validators, by count or by the nodes listed", () => {
    const three = fourValidators().slice(0, 3);
    expect(bad({ type: "blockchain", blockchain: { validators: 3, nodes: { validators: three } } })).toEqual([
      "audit.blockchain.validators: QBFT needs at least 4 validators to tolerate one faulty node (got 3)",
    ]);
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators: three } } }).map(withoutValue)).toEqual([
      "audit.blockchain.nodes.validators: lists 3 validators: QBFT needs at least 4 to tolerate one faulty node",
    ]);
  });

  test("besu without its nodes' keys names the command that makes them for this deployment and target", () => {
    expect(bad({ type: "blockchain", blockchain: { rpcNodes: 1 } })).toEqual([
      "audit.blockchain.nodes: required for besu: the nodes' public keys and secrets, as `npx cdktf-byoc besu-keys --deployment acme --format aws --out ./besu-keys --validators 4 --rpc-nodes 1` prints them (missing)",
    ]);
    const onprem = { name: "lab", target: { cloud: "onprem" }, platform: { secretStore: { vault: { server: "https://vault.lab:8200", role: "byoc" } } } };
    expect(bad({ type: "blockchain", blockchain: { validators: 5 } }, onprem)).toEqual([
      "audit.blockchain.nodes: required for besu: the nodes' public keys and secrets, as `npx cdktf-byoc besu-keys --deployment lab --format vault --out ./besu-keys --validators 5` prints them (missing)",
    ]);
  });

  test("node lists that do not match the counts", () => {
    expect(bad({ type: "blockchain", blockchain: { validators: 5, rpcNodes: 1, nodes: { validators: fourValidators() } } })).toEqual([
      "audit.blockchain.validators: nodes.validators lists 4: give every node its key (besu-keys --validators 5), or drop the count (got 5)",
      "audit.blockchain.rpcNodes: nodes.rpcNodes lists 0: give every node its key (besu-keys --rpc-nodes 1), or drop the count (got 1)",
    ]);
  });

  test("a public key that is not 128 hex digits, or not on the curve", () => {
    const validators = fourValidators();
    validators[1] = { ...validators[1], publicKey: validators[1].publicKey.slice(0, 66) };
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators } } })).toEqual([
      `audit.blockchain.nodes.validators[1].publicKey: must be the node's public key: 128 hex digits (0x optional), as besu-keys prints it (value not shown)`,
    ]);
    const offCurve = fourValidators();
    const { address: _address, ...withoutAddress } = offCurve[2];
    offCurve[2] = { ...withoutAddress, publicKey: `0x${"1".repeat(128)}` } as (typeof offCurve)[2];
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators: offCurve } } })).toEqual([
      `audit.blockchain.nodes.validators[2].publicKey: is not a secp256k1 public key (the point is not on the curve): copy it again from besu-keys' output (value not shown)`,
    ]);
  });

  test("two nodes with one key, one name or one secret; an address that is another key's", () => {
    const validators = fourValidators();
    const rpc = { ...node("rpc-0"), publicKey: validators[0].publicKey, address: validators[0].address };
    validators[3] = { ...validators[3], name: "validator-2", secretRef: validators[2].secretRef };
    validators[1] = { ...validators[1], address: validators[2].address };
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators, rpcNodes: [rpc] } } })).toEqual([
      `audit.blockchain.nodes.validators[1].address: is not the address of this publicKey: copy both from the same besu-keys output (value not shown)`,
      "audit.blockchain.nodes.validators[3].name: is nodes.validators[2]'s name too: node names must be unique (value not shown)",
      "audit.blockchain.nodes.validators[3].secretRef: is nodes.validators[2]'s secret too: each node needs its own key (value not shown)",
      `audit.blockchain.nodes.rpcNodes[0].publicKey: is nodes.validators[0]'s key too: each node needs its own key (value not shown)`,
    ]);
  });

  test("node secrets another deployment's External Secrets would read, or none can on-prem", () => {
    const validators = fourValidators();
    validators[0] = node("validator-0", "other/");
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators } } })).toEqual([
      'audit.blockchain.nodes.validators[0].secretRef: must start with "acme/": External Secrets may read only the deployment\'s own secrets (value not shown)',
    ]);
    const onprem = { name: "lab", target: { cloud: "onprem" } };
    const lab = ["validator-0", "validator-1", "validator-2", "validator-3"].map((n) => node(n, "lab/"));
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators: lab } } }, onprem)).toHaveLength(4);
    expect(bad({ type: "blockchain", blockchain: { nodes: { validators: lab } } }, onprem)[0]).toBe(
      "audit.blockchain.nodes.validators[0].secretRef: needs platform.secretStore on onprem: External Secrets has no store to read it from (value not shown)",
    );
  });

  test("anchoring without a chain, on fabric, or without the contract or the key", () => {
    expect(bad({ anchor: { signingKey: { secretRef: "acme/audit-anchor" } } })).toEqual([
      "audit.blockchain: required when audit.anchor is on: the chain the ledger's head is anchored on, { type: besu } for a network here or an existing EVM chain's type and endpoint (missing)",
    ]);
    expect(bad({ blockchain: { type: "fabric", endpoint: "https://fabric.example.com", contractAddress: CONTRACT }, anchor: { signingKey: { secretRef: "acme/audit-anchor" } } })).toEqual([
      'audit.blockchain.type: anchoring sends EVM transactions: use besu, ethereum or polygon, or turn audit.anchor off (fabric is not an EVM chain) (got "fabric")',
    ]);
    expect(bad({ blockchain: { nodes: { validators: fourValidators() } }, anchor: {} })).toEqual([
      "audit.blockchain.contractAddress: required when audit.anchor is on: deploy the AuditAnchor contract (npx cdktf-byoc audit-anchor deploy-contract --rpc-url <the chain's JSON-RPC>) and give the address it prints; a Besu network provisioned here runs only after a deploy: deploy once with anchor.enabled: false, then the contract (missing)",
      "audit.anchor.signingKey: required when audit.anchor is on: { secretRef: <a secret whose JSON property privateKey holds the key that deployed the contract> } (missing)",
    ]);
    expect(bad({ blockchain: { type: "ethereum", endpoint: "https://rpc.example.com" }, anchor: { signingKey: { secretRef: "acme/audit-anchor" } } })).toEqual([
      "audit.blockchain.contractAddress: required when audit.anchor is on: deploy the AuditAnchor contract (npx cdktf-byoc audit-anchor deploy-contract --rpc-url <the chain's JSON-RPC>) and give the address it prints (missing)",
    ]);
  });

  test("anchoring with type blockchain, another deployment's key, a schedule that is not cron", () => {
    const chain = { type: "ethereum", endpoint: "https://rpc.example.com", contractAddress: CONTRACT };
    expect(bad({ type: "blockchain", blockchain: chain, anchor: { signingKey: { secretRef: "acme/audit-anchor" } } }).map(withoutValue)).toEqual([
      "audit.anchor: only with audit.type database: anchoring records the SQL ledger's head on a chain; with type blockchain the events are on the chain already",
    ]);
    expect(bad({ blockchain: chain, anchor: { signingKey: { secretRef: "other/audit-anchor" } } })).toEqual([
      'audit.anchor.signingKey.secretRef: must start with "acme/": External Secrets may read only the deployment\'s own secrets (value not shown)',
    ]);
    expect(bad({ blockchain: chain, anchor: { schedule: "every hour", signingKey: { secretRef: "acme/audit-anchor" } } })).toEqual([
      'audit.anchor.schedule: must be a cron schedule of five fields, such as "13 * * * *", or a macro such as @hourly (got "every hour")',
    ]);
  });

  test("an existing chain without an endpoint, or over plain HTTP", () => {
    expect(bad({ type: "blockchain", blockchain: { type: "polygon" } })).toEqual([
      "audit.blockchain.endpoint: required for polygon: the existing network's URL (https://…) (missing)",
    ]);
    expect(bad({ type: "blockchain", blockchain: { type: "ethereum", endpoint: "http://10.0.0.5:8545" } })).toEqual([
      "audit.blockchain.endpoint: must use https://: events and keys must not cross the network in clear text (got \"http://10.0.0.5:8545\")",
    ]);
  });

  test("validators or nodes on an existing chain, an endpoint on besu", () => {
    expect(bad({ type: "blockchain", blockchain: { type: "ethereum", endpoint: "https://rpc.example.com", validators: 4 } })).toEqual([
      "audit.blockchain.validators: only for besu: ethereum is an existing network (got 4)",
    ]);
    expect(bad({ type: "blockchain", blockchain: { type: "polygon", endpoint: "https://rpc.example.com", nodes: { validators: fourValidators() } } }).map(withoutValue)).toEqual([
      "audit.blockchain.nodes: only for besu: polygon is an existing network",
    ]);
    expect(bad({ type: "blockchain", blockchain: { endpoint: "https://besu.example.com", nodes: { validators: fourValidators() } } })).toEqual([
      'audit.blockchain.endpoint: besu is provisioned here and has no external endpoint; give endpoint for ethereum, polygon or fabric (got "https://besu.example.com")',
    ]);
  });

  test("type blockchain without its section", () => {
    expect(bad({ type: "blockchain" })).toEqual([
      "audit.blockchain: required when audit.type is blockchain: { type: besu } for a private network here, or an existing network's type and endpoint (missing)",
    ]);
  });

  test("the SQL ledger without a PostgreSQL to live on", () => {
    expect(bad({}, { ...aws, data: { postgres: { enabled: false } } })).toEqual([
      "data.postgres.enabled: must be on for audit.type database: the audit database is created on the data layer's PostgreSQL server (got false)",
    ]);
  });

  test("an existing server is not a field (yet): the kit provisions the audit database itself", () => {
    expect(bad({ database: { endpoint: "audit-db.example.com:5432" } })).toEqual(['audit.database.endpoint: unknown field; audit.database accepts "type", "retention"']);
  });

  test("a contract address that is not 20 bytes, an unknown chain, an event name with spaces", () => {
    expect(bad({ type: "blockchain", blockchain: { contractAddress: "0x1234", nodes: { validators: fourValidators() } }, events: ["data access"] })).toEqual([
      'audit.blockchain.contractAddress: must be a 20-byte address, 0x and 40 hex digits (got "0x1234")',
      'audit.events[0]: must be a lower-case event name such as data_access (got "data access")',
    ]);
    expect(bad({ type: "blockchain", blockchain: { type: "corda", endpoint: "https://x.example.com" } })).toEqual([
      'audit.blockchain.type: expected one of "besu", "ethereum", "polygon", "fabric" (got "corda")',
    ]);
  });
});
