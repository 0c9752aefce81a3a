import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { generateNodeKeys, KEY_FORMATS, KeyFilesExistError, publicNodes, shellQuote, writeNodeKeys, type KeyFormat } from "../audit/besu/keys";

/** QBFT tolerates f faulty validators out of 3f + 1: fewer than 4 tolerate none. */
const MIN_VALIDATORS = 4;

const USAGE = `Usage: cdktf-byoc besu-keys --deployment <name> --format <${KEY_FORMATS.join("|")}> --out <dir>
                          [--validators <n>] [--rpc-nodes <n>]
                          [--vault <key-vault>] [--project <gcp-project>] [--mount <kv-mount>] [--namespace <ns>]

Generates a secp256k1 key for each Besu node of a private QBFT network and writes each
private key to its own file in <dir> (mode 0600) in the form the secret manager takes:
JSON {"nodekey": "0x…"} (a Secret manifest for kubernetes). Existing files are never
overwritten. Prints the command creating each secret and the nodes' public keys and
addresses (BesuNetwork's validators and rpcNodes); private keys are never printed.

  --deployment  the spec's name: secret names start with it
  --format      aws (Secrets Manager), azure (Key Vault, needs --vault), gcp (Secret
                Manager, --project optional), vault (Vault/OpenBao KV v2, --mount,
                default "secret"), kubernetes (a Secret, needs --namespace)
  --validators  validators to generate (default ${MIN_VALIDATORS}, at least ${MIN_VALIDATORS})
  --rpc-nodes   RPC nodes to generate (default 0)`;

/**
 * `cdktf-byoc besu-keys`: node keys for the Besu audit network, made outside Terraform so
 * that no private key is ever in a plan, the state or the synthesized JSON. Returns the
 * exit code: 0 done, 1 refused (files exist), 2 bad arguments.
 */
export async function besuKeys(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        deployment: { type: "string" },
        format: { type: "string" },
        out: { type: "string" },
        validators: { type: "string", default: String(MIN_VALIDATORS) },
        "rpc-nodes": { type: "string", default: "0" },
        vault: { type: "string" },
        project: { type: "string" },
        mount: { type: "string" },
        namespace: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { deployment, format, out } = values as Record<string, string | undefined>;
  if (!deployment || !format || !out) return usageError("--deployment, --format and --out are required");
  if (!KEY_FORMATS.includes(format as KeyFormat)) return usageError(`--format must be one of ${KEY_FORMATS.join(", ")} (got ${JSON.stringify(format)})`);
  const validators = count(values.validators as string);
  const rpcNodes = count(values["rpc-nodes"] as string);
  if (validators === undefined || validators < MIN_VALIDATORS) {
    return usageError(`--validators must be a whole number of at least ${MIN_VALIDATORS}: QBFT needs 4 validators to tolerate one faulty node (got ${JSON.stringify(values.validators)})`);
  }
  if (rpcNodes === undefined) return usageError(`--rpc-nodes must be a whole number (got ${JSON.stringify(values["rpc-nodes"])})`);

  const keys = generateNodeKeys(validators, rpcNodes);
  let written;
  try {
    written = writeNodeKeys(keys, {
      format: format as KeyFormat,
      dir: out,
      deployment,
      vault: values.vault as string | undefined,
      project: values.project as string | undefined,
      mount: values.mount as string | undefined,
      namespace: values.namespace as string | undefined,
    });
  } catch (e) {
    process.stderr.write(`besu-keys: ${(e as Error).message}\n`);
    return e instanceof KeyFilesExistError ? 1 : 2;
  }

  const lines = [
    `# ${written.length} node keys written (mode 0600). Create each secret, then delete the files:`,
    ...written.map((w) => w.command),
    `rm ${written.map((w) => shellQuote(w.path)).join(" ")}`,
    "",
    "# The nodes' public parts, for BesuNetwork's validators and rpcNodes (no private key):",
    stringify(publicNodes(written), { lineWidth: 0 }).trimEnd(),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

function count(value: string): number | undefined {
  return /^\d{1,3}$/.test(value) ? Number(value) : undefined;
}

function usageError(message: string): number {
  process.stderr.write(`besu-keys: ${message}\n\n${USAGE}\n`);
  return 2;
}
