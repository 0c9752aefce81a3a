import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client } from "pg";
import { BaseError, bytesToHex, ContractFunctionRevertedError, type Address, type Hex } from "viem";
import {
  anchorHead,
  deployAnchorContract,
  FEE_MODES,
  readAnchors,
  transferAnchorOwnership,
  type FeeMode,
  type SendProps,
} from "../audit/anchor/anchor";
import { pgLedgerReader, readLedgerHead, verifyAnchors } from "../audit/anchor/ledger";

const USAGE = `usage: cdktf-byoc audit-anchor <command> [options]

commands:
  deploy-contract     deploy the AuditAnchor contract and print its address
                      (the spec's audit.blockchain.contractAddress)
  anchor              record the SQL ledger's head on the chain
  verify              check the ledger against every anchor; exit 1 at a mismatch
  transfer-ownership  hand anchoring to the key with address --to (key rotation)

options (or the environment variable named):
  --rpc-url URL       AUDIT_ANCHOR_RPC_URL     JSON-RPC endpoint of the chain
  --chain-id N        AUDIT_ANCHOR_CHAIN_ID    expected chain id (default: the node's)
  --fees MODE         AUDIT_ANCHOR_FEES        ${FEE_MODES.join(" | ")} (default auto)
  --contract ADDRESS  AUDIT_ANCHOR_CONTRACT    the AuditAnchor contract
  --from-block N      AUDIT_ANCHOR_FROM_BLOCK  verify: first block to search (default 0)
  --from-seq N        AUDIT_ANCHOR_FROM_SEQ    verify: skip anchors below this ledger
                                               seq, whose rows retention dropped
  --to ADDRESS                                 transfer-ownership: the new key's address

secrets, only from the environment, never from the command line:
  AUDIT_ANCHOR_PRIVATE_KEY or AUDIT_ANCHOR_PRIVATE_KEY_FILE (a path)
                      the anchoring key, 32 bytes hex (deploy-contract, anchor,
                      transfer-ownership)
  DATABASE_URL        the ledger's PostgreSQL connection URL (anchor, verify)

exit status: 0 done, 1 failed or a mismatch found, 2 usage error
`;

const OPTIONS = {
  "rpc-url": { type: "string" },
  "chain-id": { type: "string" },
  fees: { type: "string" },
  contract: { type: "string" },
  "from-block": { type: "string" },
  "from-seq": { type: "string" },
  to: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** Where the command writes; the process's stdout and stderr by default. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_OUTPUT: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

type Command = (values: Values, env: NodeJS.ProcessEnv, output: CliOutput) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  "deploy-contract": deploy,
  anchor,
  verify,
  "transfer-ownership": transfer,
};

/** A mistake in how the command was called: exit status 2, no stack trace. */
class UsageError extends Error {}

/**
 * `cdktf-byoc audit-anchor <command>`: deploys the anchor contract, anchors the SQL ledger's head,
 * verifies the ledger against the anchors, rotates the anchoring key. Returns the exit status.
 */
export async function auditAnchor(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: CliOutput = PROCESS_OUTPUT,
): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (e) {
    // Node's message names the option only, never its value; say where secrets belong.
    const reason = (e as Error).message.split(".")[0];
    output.err(`audit-anchor: ${reason}; secrets come only from the environment\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    output.out(USAGE);
    return 0;
  }
  const [command, ...extra] = positionals;
  // Arguments are not echoed: a misplaced key must not end up in a log.
  const problem =
    command === undefined
      ? "a command is required"
      : !Object.hasOwn(COMMANDS, command)
        ? `unknown command${/^[a-z][a-z-]{0,39}$/.test(command) ? ` ${command}` : ""}`
        : extra.length > 0
          ? "unexpected arguments after the command"
          : undefined;
  if (problem) {
    output.err(`audit-anchor: ${problem}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await COMMANDS[command](values, env, output);
  } catch (e) {
    if (e instanceof UsageError) {
      output.err(`audit-anchor ${command}: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    output.err(`audit-anchor ${command}: ${describeError(e)}\n`);
    return 1;
  }
}

async function deploy(values: Values, env: NodeJS.ProcessEnv, output: CliOutput): Promise<number> {
  const deployed = await deployAnchorContract(sendProps(values, env));
  output.out(`${deployed.address}\n`);
  output.err(
    `deployed in block ${deployed.blockNumber} (transaction ${deployed.transactionHash}); ` +
      `anchor and verify with --contract ${deployed.address} (AUDIT_ANCHOR_CONTRACT); verify with --from-block ${deployed.blockNumber}\n`,
  );
  return 0;
}

async function anchor(values: Values, env: NodeJS.ProcessEnv, output: CliOutput): Promise<number> {
  const props = { ...sendProps(values, env), contract: contractOf(values, env) };
  const head = await withDatabase(env, readLedgerHead);
  if (head === undefined) {
    output.out("the ledger is empty: nothing to anchor\n");
    return 0;
  }
  const sent = await anchorHead({ ...props, seq: head.seq, head: head.hash });
  output.out(
    `anchored seq ${head.seq} (recorded ${head.recordedAt.toISOString()}) head ${bytesToHex(head.hash)} ` +
      `in block ${sent.blockNumber}, transaction ${sent.transactionHash}\n`,
  );
  return 0;
}

async function verify(values: Values, env: NodeJS.ProcessEnv, output: CliOutput): Promise<number> {
  const rpcUrl = rpcUrlOf(values, env);
  const contract = contractOf(values, env);
  const fromBlock = optionalNumber("from-block", values["from-block"] ?? env.AUDIT_ANCHOR_FROM_BLOCK) ?? 0n;
  const fromSeq = optionalNumber("from-seq", values["from-seq"] ?? env.AUDIT_ANCHOR_FROM_SEQ) ?? 0n;
  const anchors = await readAnchors({ rpcUrl, contract, fromBlock });
  const checked = anchors.filter((a) => a.seq >= fromSeq);
  if (checked.length === 0) {
    // Verifying nothing must not look like success: the address or block range is wrong.
    output.err(`audit-anchor verify: no anchors at ${contract} from block ${fromBlock} for ledger seq >= ${fromSeq}\n`);
    return 1;
  }
  const mismatches = await withDatabase(env, (client) => verifyAnchors(pgLedgerReader(client), checked));
  if (mismatches.length > 0) {
    const [{ anchor: first, ledgerHash }] = mismatches;
    output.err(
      `audit-anchor verify: ledger seq ${first.seq} does not match its anchor: anchored ${first.head} ` +
        `in block ${first.blockNumber} (transaction ${first.transactionHash}), ` +
        `ledger ${ledgerHash ?? "has no such row"}; ${mismatches.length} of ${checked.length} anchors differ\n`,
    );
    return 1;
  }
  const latest = checked[checked.length - 1];
  output.out(
    `${checked.length} anchors match the ledger; latest: seq ${latest.seq} in block ${latest.blockNumber} ` +
      `at ${new Date(Number(latest.timestamp) * 1000).toISOString()}\n`,
  );
  return 0;
}

async function transfer(values: Values, env: NodeJS.ProcessEnv, output: CliOutput): Promise<number> {
  if (values.to === undefined) throw new UsageError("--to is required: the new anchoring key's address");
  const newOwner = values.to as Address;
  const sent = await transferAnchorOwnership({ ...sendProps(values, env), contract: contractOf(values, env), newOwner });
  output.out(`the anchoring key is now ${newOwner} (block ${sent.blockNumber}, transaction ${sent.transactionHash})\n`);
  return 0;
}

function sendProps(values: Values, env: NodeJS.ProcessEnv): SendProps {
  const chainId = optionalNumber("chain-id", values["chain-id"] ?? env.AUDIT_ANCHOR_CHAIN_ID);
  const fees = values.fees ?? env.AUDIT_ANCHOR_FEES ?? "auto";
  if (!(FEE_MODES as readonly string[]).includes(fees)) throw new UsageError(`--fees: expected ${FEE_MODES.join(", ")}, got ${fees}`);
  return {
    rpcUrl: rpcUrlOf(values, env),
    privateKey: privateKeyOf(env),
    chainId: chainId === undefined ? undefined : Number(chainId),
    fees: fees as FeeMode,
  };
}

function rpcUrlOf(values: Values, env: NodeJS.ProcessEnv): string {
  const url = values["rpc-url"] ?? env.AUDIT_ANCHOR_RPC_URL;
  if (!url) throw new UsageError("--rpc-url or AUDIT_ANCHOR_RPC_URL is required");
  return url;
}

function contractOf(values: Values, env: NodeJS.ProcessEnv): Address {
  const contract = values.contract ?? env.AUDIT_ANCHOR_CONTRACT;
  if (!contract) throw new UsageError("--contract or AUDIT_ANCHOR_CONTRACT is required");
  return contract as Address;
}

function privateKeyOf(env: NodeJS.ProcessEnv): Hex {
  const inline = env.AUDIT_ANCHOR_PRIVATE_KEY;
  const file = env.AUDIT_ANCHOR_PRIVATE_KEY_FILE;
  if (inline && file) throw new UsageError("set AUDIT_ANCHOR_PRIVATE_KEY or AUDIT_ANCHOR_PRIVATE_KEY_FILE, not both");
  if (!inline && !file) throw new UsageError("the anchoring key is required: AUDIT_ANCHOR_PRIVATE_KEY or AUDIT_ANCHOR_PRIVATE_KEY_FILE");
  let raw: string;
  try {
    raw = inline ?? readFileSync(file as string, "utf8");
  } catch (e) {
    throw new UsageError(`AUDIT_ANCHOR_PRIVATE_KEY_FILE: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  // Secret managers often store the key without 0x and with a trailing newline.
  const key = raw.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(key)) throw new UsageError("the anchoring key must be 32 bytes as 64 hex digits (0x optional)");
  return `0x${key}`;
}

function optionalNumber(name: string, value: string | undefined): bigint | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name}: expected a non-negative integer, got ${value}`);
  return BigInt(value);
}

async function withDatabase<T>(env: NodeJS.ProcessEnv, use: (client: Client) => Promise<T>): Promise<T> {
  if (!env.DATABASE_URL) throw new UsageError("DATABASE_URL is required: the ledger's PostgreSQL connection URL");
  const client = new Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** viem's messages carry request dumps and doc links; the summary and the reason suffice. */
function describeError(e: unknown): string {
  if (!(e instanceof BaseError)) return e instanceof Error ? e.message : String(e);
  const reverted = e.walk((inner) => inner instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    const reason = reverted.data?.errorName ?? reverted.reason;
    if (reason) return `${e.shortMessage} (${reason})`;
  }
  return e.details ? `${e.shortMessage} (${e.details})` : e.shortMessage;
}
