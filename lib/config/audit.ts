import { z } from "zod";
import { nodeAddress, normalizePublicKey } from "../audit/besu/genesis";
import { oneOf, SecretRef } from "./fields";
import { clusterSecretPrefix } from "./validate-cluster";

/**
 * The spec's `audit` section (the seed's `auditProvider`): where the product's audit
 * events are kept. `database` is an append-only, hash-chained ledger in PostgreSQL (a
 * database of its own on the data layer's server); `blockchain`
 * a private Besu network provisioned here, or an existing chain by endpoint. `anchor`
 * records the SQL ledger's head on an EVM chain on a schedule, so that a rewrite of the
 * database shows against the chain.
 */

/** The events the seed lists by default: authentication, API calls, configuration changes, data access, admin actions. */
export const DEFAULT_AUDIT_EVENTS = ["authentication", "api_access", "configuration_changes", "data_access", "admin_actions"] as const;

export const CHAINS = ["besu", "ethereum", "polygon", "fabric"] as const;
/** The chains anchoring can use: it sends an EVM transaction. */
const EVM_CHAINS: readonly string[] = ["besu", "ethereum", "polygon"];

/** QBFT tolerates f faulty validators out of 3f + 1: fewer than 4 tolerates none. */
export const MIN_VALIDATORS = 4;

/** The JSON property of the anchoring key's secret that holds the private key (0x and 64 hex digits). */
export const ANCHOR_KEY_PROPERTY = "privateKey";

const RETENTION = /^(?<count>[1-9]\d{0,3})-(?<unit>days|months|years)$/;
const UNIT_MONTHS = { days: 0, months: 1, years: 12 } as const;

/** Retention as whole months (the ledger drops whole monthly partitions); days round up. */
export function retentionMonths(text: string): number {
  const m = RETENTION.exec(text)?.groups;
  if (!m) throw new Error(`not a retention: ${text}`);
  const count = Number(m.count);
  return m.unit === "days" ? Math.ceil(count / 30) : count * UNIT_MONTHS[m.unit as keyof typeof UNIT_MONTHS];
}

/** One Besu node as `cdktf-byoc besu-keys` prints it; the private key stays in the secret manager. */
const BesuNodeEntry = z
  .object({
    name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,36}[a-z0-9])?$/, 'must be a DNS label of a-z, 0-9 and "-", at most 38 characters, such as validator-0'),
    publicKey: z.string().regex(/^(0x)?[0-9a-fA-F]{128}$/, "must be the node's public key: 128 hex digits (0x optional), as besu-keys prints it"),
    address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte address, 0x and 40 hex digits").optional().describe("Checked against publicKey when given"),
    secretRef: SecretRef.shape.secretRef.describe("The secret holding the node's private key (JSON property nodekey), as besu-keys named it"),
  })
  .strict();

/** Five cron fields (minute hour day month weekday) or a macro such as @hourly. */
const CRON = /^(@(hourly|daily|weekly|monthly|yearly|annually)|[\d*/,A-Za-z?-]+( [\d*/,A-Za-z?-]+){4})$/;

export const Audit = z
  .object({
    type: oneOf(["database", "blockchain"]).default("database").describe("database: a hash-chained ledger in PostgreSQL; blockchain: a private Besu network or an existing chain. Default: database"),
    database: z
      .object({
        type: oneOf(["postgresql"]).default("postgresql"),

        retention: z
          .string()
          .regex(RETENTION, 'must be a count and a unit, such as "7-years", "18-months" or "90-days"')
          .default("7-years")
          .describe("How long events are kept; whole monthly partitions are dropped after it. Default: 7-years"),
      })
      .strict()
      .default({ type: "postgresql", retention: "7-years" }),
    blockchain: z
      .object({
        type: oneOf(CHAINS).default("besu").describe("besu: a private QBFT network provisioned in the cluster; ethereum, polygon, fabric: an existing network by endpoint. Default: besu"),
        network: z.string().regex(/^[a-z0-9-]{1,40}$/, "must be a short name such as private or mainnet").default("private"),
        validators: z.number().int().max(31).optional().describe(`Besu only: QBFT validators (at least ${MIN_VALIDATORS}); must match nodes.validators. Default: the number of nodes.validators`),
        rpcNodes: z.number().int().min(0).max(10).optional().describe("Besu only: non-validating nodes that serve the applications' JSON-RPC; must match nodes.rpcNodes. Default: the number of nodes.rpcNodes (0: the validators serve it)"),
        nodes: z
          .object({
            validators: z.array(BesuNodeEntry).max(31),
            rpcNodes: z.array(BesuNodeEntry).max(10).default([]),
          })
          .strict()
          .optional()
          .describe("Besu only, required: the nodes' public keys and secrets, exactly as `npx cdktf-byoc besu-keys` prints them"),
        chainId: z.number().int().min(1).max(2 ** 32 - 1).optional().describe("EVM chain id. Besu: pick one no other chain of yours uses (default: derived from the deployment's name); existing chains: checked before anything is signed"),
        endpoint: z.string().url().optional().describe("An existing network's JSON-RPC (or Fabric gateway) URL. Required unless type is besu"),
        contractAddress: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte address, 0x and 40 hex digits")
          .optional()
          .describe("The audit contract's address, once deployed (npx cdktf-byoc audit-anchor deploy-contract). Required for anchoring"),
      })
      .strict()
      .optional(),
    anchor: z
      .object({
        enabled: z.boolean().default(true).describe("Off keeps the settings without the job, e.g. while the Besu network the contract goes on is first deployed. Default: true"),
        schedule: z
          .string()
          .regex(CRON, 'must be a cron schedule of five fields, such as "13 * * * *", or a macro such as @hourly')
          .optional()
          .describe("When the ledger's head is anchored (cron, the cluster's time zone). Default: hourly, at 13 minutes past"),
        signingKey: SecretRef.optional().describe(`Required: a secret whose JSON property \`${ANCHOR_KEY_PROPERTY}\` holds the anchoring key (the contract's owner), 0x and 64 hex digits`),
      })
      .strict()
      .optional()
      .describe("database only: anchor the SQL ledger's head on the chain of audit.blockchain (an EVM chain). Default: off"),
    events: z
      .array(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a lower-case event name such as data_access"))
      .min(1)
      .default([...DEFAULT_AUDIT_EVENTS])
      .describe(`The events the product records. Default: ${DEFAULT_AUDIT_EVENTS.join(", ")}`),
  })
  .strict();

export type AuditSpec = z.infer<typeof Audit>;

type NodeEntry = Partial<z.infer<typeof BesuNodeEntry>>;
type ChainLoose = Partial<Omit<NonNullable<AuditSpec["blockchain"]>, "nodes">> & { nodes?: { validators?: NodeEntry[]; rpcNodes?: NodeEntry[] } };

interface Loose {
  name?: string;
  target?: { cloud?: string };
  data?: { postgres?: { enabled?: boolean } };
  platform?: { secretStore?: object };
  audit?: Partial<Omit<AuditSpec, "blockchain" | "anchor">> & {
    database?: Partial<AuditSpec["database"]>;
    blockchain?: ChainLoose;
    anchor?: Partial<NonNullable<AuditSpec["anchor"]>>;
  };
}

type Issue = (path: (string | number)[], message: string) => void;

/** Cross-field rules: what each type needs from the rest of the spec. */
export function validateAudit(input: unknown, addIssue: z.RefinementCtx["addIssue"]): void {
  const spec = input as Loose;
  const a = spec.audit;
  if (!a || typeof a !== "object") return;
  const issue: Issue = (path, message) => addIssue({ code: "custom", path: ["audit", ...path], message });
  const type = a.type ?? "database";
  if (type === "database" && spec.data?.postgres?.enabled !== true) {
    addIssue({ code: "custom", path: ["data", "postgres", "enabled"], message: "must be on for audit.type database: the audit database is created on the data layer's PostgreSQL server" });
  }
  // The field-level parse reports a section of the wrong shape; these rules read objects only.
  const chain = a.blockchain && typeof a.blockchain === "object" ? a.blockchain : undefined;
  const anchor = a.anchor && typeof a.anchor === "object" && a.anchor.enabled !== false ? a.anchor : undefined;
  if (type === "blockchain" && !chain) issue(["blockchain"], "required when audit.type is blockchain: { type: besu } for a private network here, or an existing network's type and endpoint");
  if (a.anchor && type === "blockchain") issue(["anchor"], "only with audit.type database: anchoring records the SQL ledger's head on a chain; with type blockchain the events are on the chain already");
  else if (anchor) validateAnchor(spec, anchor, chain, issue);
  if (!chain || (chain.type !== undefined && typeof chain.type !== "string")) return;
  const chainType = chain.type ?? "besu";
  if (chainType === "besu") {
    if (typeof chain.validators === "number" && chain.validators < MIN_VALIDATORS) {
      issue(["blockchain", "validators"], `QBFT needs at least ${MIN_VALIDATORS} validators to tolerate one faulty node`);
    }
    if (chain.endpoint) issue(["blockchain", "endpoint"], "besu is provisioned here and has no external endpoint; give endpoint for ethereum, polygon or fabric");
    validateBesuNodes(spec, chain, issue);
  } else {
    if (!chain.endpoint) issue(["blockchain", "endpoint"], `required for ${chainType}: the existing network's URL (https://…)`);
    else if (typeof chain.endpoint === "string" && !chain.endpoint.startsWith("https://")) issue(["blockchain", "endpoint"], "must use https://: events and keys must not cross the network in clear text");
    const besuOnly = (["validators", "rpcNodes", "nodes"] as const).find((k) => chain[k] !== undefined);
    if (besuOnly) issue(["blockchain", besuOnly], `only for besu: ${chainType} is an existing network`);
  }
}

/** Anchoring needs an EVM chain, the contract on it and the key that owns the contract. */
function validateAnchor(spec: Loose, anchor: NonNullable<NonNullable<Loose["audit"]>["anchor"]>, chain: ChainLoose | undefined, issue: Issue): void {
  if (chain && chain.type !== undefined && typeof chain.type !== "string") return;
  if (!chain) {
    issue(["blockchain"], "required when audit.anchor is on: the chain the ledger's head is anchored on, { type: besu } for a network here or an existing EVM chain's type and endpoint");
  } else if (!EVM_CHAINS.includes(chain.type ?? "besu")) {
    issue(["blockchain", "type"], `anchoring sends EVM transactions: use besu, ethereum or polygon, or turn audit.anchor off (${chain.type} is not an EVM chain)`);
  } else if (!chain.contractAddress) {
    const firstDeploy = (chain.type ?? "besu") === "besu" ? "; a Besu network provisioned here runs only after a deploy: deploy once with anchor.enabled: false, then the contract" : "";
    issue(["blockchain", "contractAddress"], `required when audit.anchor is on: deploy the AuditAnchor contract (npx cdktf-byoc audit-anchor deploy-contract --rpc-url <the chain's JSON-RPC>) and give the address it prints${firstDeploy}`);
  }
  if (!anchor.signingKey) {
    issue(["anchor", "signingKey"], `required when audit.anchor is on: { secretRef: <a secret whose JSON property ${ANCHOR_KEY_PROPERTY} holds the key that deployed the contract> }`);
  } else {
    inClusterSecret(spec, ["anchor", "signingKey", "secretRef"], anchor.signingKey.secretRef, issue);
  }
}

/** The nodes as besu-keys printed them: as many as the counts, each key and secret its own, each address its key's. */
function validateBesuNodes(spec: Loose, chain: ChainLoose, issue: Issue): void {
  const nodes = chain.nodes;
  if (nodes !== undefined && (typeof nodes !== "object" || nodes === null)) return;
  if (!nodes) {
    const command = `npx cdktf-byoc besu-keys --deployment ${spec.name ?? "<name>"} --format ${keyFormat(spec)} --out ./besu-keys --validators ${typeof chain.validators === "number" ? chain.validators : MIN_VALIDATORS}${typeof chain.rpcNodes === "number" && chain.rpcNodes > 0 ? ` --rpc-nodes ${chain.rpcNodes}` : ""}`;
    issue(["blockchain", "nodes"], `required for besu: the nodes' public keys and secrets, as \`${command}\` prints them`);
    return;
  }
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((n): n is NodeEntry => typeof n === "object" && n !== null) : []);
  const lists = { validators: list(nodes.validators), rpcNodes: list(nodes.rpcNodes) };
  if (lists.validators.length < MIN_VALIDATORS && chain.validators === undefined) {
    issue(["blockchain", "nodes", "validators"], `lists ${lists.validators.length} validators: QBFT needs at least ${MIN_VALIDATORS} to tolerate one faulty node`);
  }
  for (const role of ["validators", "rpcNodes"] as const) {
    const count = chain[role];
    if (typeof count === "number" && count !== lists[role].length) {
      issue(["blockchain", role], `nodes.${role} lists ${lists[role].length}: give every node its key (besu-keys --${role === "validators" ? "validators" : "rpc-nodes"} ${count}), or drop the count`);
    }
  }
  const seen = { name: new Map<string, string>(), key: new Map<string, string>(), secret: new Map<string, string>() };
  const first = (map: Map<string, string>, value: string | undefined, where: string) => {
    if (value === undefined) return undefined;
    const earlier = map.get(value);
    if (earlier === undefined) map.set(value, where);
    return earlier;
  };
  for (const role of ["validators", "rpcNodes"] as const) {
    lists[role].forEach((node, i) => {
      const path = ["blockchain", "nodes", role, i];
      const where = `nodes.${role}[${i}]`;
      const name = first(seen.name, node.name, where);
      if (name) issue([...path, "name"], `is ${name}'s name too: node names must be unique`);
      if (node.name === "besu-rpc") issue([...path, "name"], "is the RPC Service's name; pick another");
      let key: string | undefined;
      try {
        key = typeof node.publicKey === "string" && /^(0x)?[0-9a-fA-F]{128}$/.test(node.publicKey) ? normalizePublicKey(node.publicKey) : undefined;
      } catch {
        issue([...path, "publicKey"], "is not a secp256k1 public key (the point is not on the curve): copy it again from besu-keys' output");
      }
      const sameKey = first(seen.key, key, where);
      if (sameKey) issue([...path, "publicKey"], `is ${sameKey}'s key too: each node needs its own key`);
      if (key && node.address && node.address.toLowerCase() !== nodeAddress(key)) {
        issue([...path, "address"], "is not the address of this publicKey: copy both from the same besu-keys output");
      }
      const sameSecret = first(seen.secret, node.secretRef, where);
      if (sameSecret) issue([...path, "secretRef"], `is ${sameSecret}'s secret too: each node needs its own key`);
      inClusterSecret(spec, [...path, "secretRef"], node.secretRef, issue);
    });
  }
}

/** A secret External Secrets reads for the cluster: only the deployment's own, and on-prem only from a store. */
function inClusterSecret(spec: Loose, path: (string | number)[], ref: string | undefined, issue: Issue): void {
  if (typeof ref !== "string") return;
  const cloud = spec.target?.cloud;
  const prefix = cloud && spec.name ? clusterSecretPrefix(cloud, spec.name) : undefined;
  if (prefix && !ref.startsWith(prefix)) issue(path, `must start with "${prefix}": External Secrets may read only the deployment's own secrets`);
  if (cloud === "onprem" && spec.platform?.secretStore === undefined) issue(path, "needs platform.secretStore on onprem: External Secrets has no store to read it from");
}

/** The besu-keys --format that writes secrets where this target's External Secrets reads them. */
function keyFormat(spec: Loose): string {
  const cloud = spec.target?.cloud;
  return cloud === "aws" || cloud === "azure" || cloud === "gcp" ? cloud : "vault";
}

/** A Besu node: its name, public key and the secret holding its private key. */
export interface BesuNodePlan {
  readonly name: string;
  readonly publicKey: string;
  readonly secretRef: string;
}

/** The audit backend with its defaults filled in; what the stacks map to constructs. */
export interface AuditPlan {
  readonly type: "database" | "blockchain";
  readonly database: {
    /** As written (e.g. "7-years"), for the application's configuration. */
    readonly retention: string;
    /** The same, in whole months (days rounded up): what the retention job drops after. */
    readonly retentionMonths: number;
  };
  /** The chain: the store of type blockchain, the anchors' chain of type database. A besu chain is provisioned whatever the type. */
  readonly blockchain?: {
    readonly type: (typeof CHAINS)[number];
    readonly network: string;
    readonly validators: number;
    readonly rpcNodes: number;
    /** besu only: the nodes, validators first. */
    readonly nodes?: { readonly validators: readonly BesuNodePlan[]; readonly rpcNodes: readonly BesuNodePlan[] };
    /** As given; undefined on besu means derived from the deployment's name (see besuNetworkPlan). */
    readonly chainId?: number;
    readonly endpoint?: string;
    readonly contractAddress?: string;
  };
  /** Anchoring the SQL ledger's head on `blockchain`; undefined when off. */
  readonly anchor?: {
    /** @default - AuditAnchorJob's hourly default */
    readonly schedule?: string;
    /** The secret whose JSON property ANCHOR_KEY_PROPERTY holds the anchoring key. */
    readonly signingKey: { readonly secretRef: string };
    /** Checked present by the validation. */
    readonly contractAddress: string;
  };
  readonly events: string[];
}

export function resolveAudit(audit: AuditSpec | undefined): AuditPlan | undefined {
  if (!audit) return undefined;
  const { type: _postgresql, ...database } = audit.database;
  const chain = audit.blockchain;
  const nodes = chain?.nodes && {
    validators: chain.nodes.validators.map(({ name, publicKey, secretRef }) => ({ name, publicKey, secretRef })),
    rpcNodes: chain.nodes.rpcNodes.map(({ name, publicKey, secretRef }) => ({ name, publicKey, secretRef })),
  };
  const anchor = audit.anchor?.enabled && chain?.contractAddress && audit.anchor.signingKey ? audit.anchor : undefined;
  return {
    type: audit.type,
    database: { ...database, retentionMonths: retentionMonths(database.retention) },
    blockchain: chain && {
      ...chain,
      nodes,
      validators: chain.validators ?? nodes?.validators.length ?? 0,
      rpcNodes: chain.rpcNodes ?? nodes?.rpcNodes.length ?? 0,
    },
    anchor: anchor && { schedule: anchor.schedule, signingKey: anchor.signingKey!, contractAddress: chain!.contractAddress! },
    events: audit.events,
  };
}
