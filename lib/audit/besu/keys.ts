import { closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1";
import { bytesToHex } from "@noble/hashes/utils";
import { stringify } from "yaml";
import { nodeAddress, type Hex } from "./genesis";

/**
 * Besu node keys made outside Terraform: each private key goes from this machine into
 * the target's secret manager (one file per node, then the cloud's create command), and
 * only the public parts reach the spec. Nothing here ever prints a private key.
 */

/** Where the keys go: the target's secret manager (Vault/OpenBao on-prem), or a Kubernetes Secret. */
export type KeyFormat = "aws" | "azure" | "gcp" | "vault" | "kubernetes";
export const KEY_FORMATS: readonly KeyFormat[] = ["aws", "azure", "gcp", "vault", "kubernetes"];

/** The JSON property (and Secret key) holding the node's private key, as Besu's `node-private-key-file` reads it. */
export const NODE_KEY_PROPERTY = "nodekey";

export type NodeRole = "validator" | "rpc";

/** A node's key pair. `privateKey` never leaves the key file. */
export interface NodeKey {
  /** validator-0, validator-1, … rpc-0, …: the node's name in the spec. */
  readonly name: string;
  readonly role: NodeRole;
  readonly privateKey: Hex;
  /** 0x and 128 hex digits: the enode id. */
  readonly publicKey: Hex;
  /** The QBFT validator address. */
  readonly address: Hex;
}

/** A fresh secp256k1 key pair for each node: `validators` validators, then `rpcNodes` RPC nodes. */
export function generateNodeKeys(validators: number, rpcNodes: number): NodeKey[] {
  const make = (role: NodeRole, i: number): NodeKey => {
    const secret = secp256k1.utils.randomPrivateKey();
    const privateKey: Hex = `0x${bytesToHex(secret)}`;
    // The uncompressed point without its 04 prefix: X and Y, as Besu names a node.
    const publicKey: Hex = `0x${bytesToHex(secp256k1.getPublicKey(secret, false).slice(1))}`;
    return { name: `${role}-${i}`, role, privateKey, publicKey, address: nodeAddress(publicKey) };
  };
  return [...Array.from({ length: validators }, (_, i) => make("validator", i)), ...Array.from({ length: rpcNodes }, (_, i) => make("rpc", i))];
}

export interface KeyFileOptions {
  readonly format: KeyFormat;
  /** The directory the files go to (created 0700 if missing). */
  readonly dir: string;
  /** The deployment's name: secret names start with it, as External Secrets may read only those (`<name>/` on AWS, `<name>-` on GCP). */
  readonly deployment: string;
  /** azure: the Key Vault's name. */
  readonly vault?: string;
  /** gcp: the project. @default - gcloud's configured project */
  readonly project?: string;
  /** vault: the KV v2 mount. @default "secret" */
  readonly mount?: string;
  /** kubernetes: the namespace the Secrets go to. */
  readonly namespace?: string;
}

/** A key file written, the secret it becomes and the command that creates that secret. */
export interface WrittenKey {
  readonly node: NodeKey;
  readonly path: string;
  /** The name in the secret manager: the node's `secretRef` in the spec. */
  readonly secretRef: string;
  readonly command: string;
}

/** Key files are in the way: nothing was written. */
export class KeyFilesExistError extends Error {
  constructor(readonly paths: readonly string[]) {
    super(`refusing to overwrite existing key files: ${paths.join(", ")} (move them away, or pick another directory)`);
  }
}

/** The secret's name in the target's secret manager. */
export function secretRefFor(format: KeyFormat, deployment: string, node: string): string {
  return format === "aws" || format === "vault" ? `${deployment}/besu-${node}` : `${deployment}-besu-${node}`;
}

/**
 * Writes one file per node, readable by its owner only (0600), and returns the command
 * that creates each secret. Refuses (before writing anything) when any file exists: a
 * node key overwritten is a node identity, and for a validator a vote, lost.
 */
export function writeNodeKeys(keys: readonly NodeKey[], options: KeyFileOptions): WrittenKey[] {
  checkOptions(options);
  const dir = resolve(options.dir);
  const ext = options.format === "kubernetes" ? "yaml" : "json";
  const planned = keys.map((node) => ({ node, path: join(dir, `${node.name}.${ext}`), secretRef: secretRefFor(options.format, options.deployment, node.name) }));
  const existing = planned.filter((p) => existsSync(p.path)).map((p) => p.path);
  if (existing.length > 0) throw new KeyFilesExistError(existing);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return planned.map(({ node, path, secretRef }) => {
    // wx: fails rather than replace a file created since the check; the mode applies at creation.
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, fileContent(options, node, secretRef));
    } finally {
      closeSync(fd);
    }
    return { node, path, secretRef, command: createCommand(options, path, secretRef) };
  });
}

/** The secret's value: JSON with the `nodekey` property, or a Secret manifest for Kubernetes. */
function fileContent(options: KeyFileOptions, node: NodeKey, secretRef: string): string {
  const value = { [NODE_KEY_PROPERTY]: node.privateKey };
  if (options.format !== "kubernetes") return `${JSON.stringify(value)}\n`;
  return stringify({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretRef, namespace: options.namespace, labels: { "app.kubernetes.io/managed-by": "cdktf-byoc", "app.kubernetes.io/part-of": options.deployment } },
    type: "Opaque",
    stringData: value,
  });
}

/** The command creating the secret from the file; each fails, rather than replace, an existing secret where the tool allows. */
function createCommand(options: KeyFileOptions, path: string, secretRef: string): string {
  const q = shellQuote;
  switch (options.format) {
    case "aws":
      return `aws secretsmanager create-secret --name ${q(secretRef)} --secret-string ${q(`file://${path}`)}`;
    case "azure":
      // Key Vault has no create-only call: `set` on an existing name adds a new version.
      return `az keyvault secret set --vault-name ${q(options.vault!)} --name ${q(secretRef)} --file ${q(path)} --content-type application/json`;
    case "gcp":
      return `gcloud secrets create ${q(secretRef)} --data-file=${q(path)}${options.project ? ` --project=${q(options.project)}` : ""}`;
    case "vault":
      // -cas=0 writes only when the key does not exist yet.
      return `vault kv put -mount=${q(options.mount ?? "secret")} -cas=0 ${q(secretRef)} ${q(`@${path}`)}`;
    case "kubernetes":
      return `kubectl create -f ${q(path)}`;
  }
}

function checkOptions(options: KeyFileOptions): void {
  if (!KEY_FORMATS.includes(options.format)) throw new Error(`format must be one of ${KEY_FORMATS.join(", ")} (got ${JSON.stringify(options.format)})`);
  if (!/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/.test(options.deployment)) {
    throw new Error(`deployment must be the spec's name: 3-20 characters of a-z, 0-9 and "-", starting with a letter (got ${JSON.stringify(options.deployment)})`);
  }
  if (options.format === "azure" && !/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(options.vault ?? "")) {
    throw new Error(`azure needs the Key Vault's name (--vault): 3 to 24 letters, digits and "-" (got ${JSON.stringify(options.vault)})`);
  }
  if (options.format === "kubernetes" && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(options.namespace ?? "")) {
    throw new Error(`kubernetes needs the namespace the Secrets go to (--namespace), a DNS label (got ${JSON.stringify(options.namespace)})`);
  }
}

/** Quotes a word for POSIX shells when it holds anything but safe characters. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The public parts of the nodes, as the spec takes them: name, public key, address, secretRef. */
export function publicNodes(written: readonly WrittenKey[]): { validators: PublicNode[]; rpcNodes: PublicNode[] } {
  const entry = (w: WrittenKey): PublicNode => ({ name: w.node.name, publicKey: w.node.publicKey, address: w.node.address, secretRef: w.secretRef });
  return {
    validators: written.filter((w) => w.node.role === "validator").map(entry),
    rpcNodes: written.filter((w) => w.node.role === "rpc").map(entry),
  };
}

export interface PublicNode {
  readonly name: string;
  readonly publicKey: Hex;
  readonly address: Hex;
  readonly secretRef: string;
}
