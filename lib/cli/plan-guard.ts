import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatReport, guard, parsePlan, PlanFormatError, protectedAddresses } from "../ci/plan-guard";

const USAGE = `Usage: cdktf-byoc plan-guard <plan.json> [--allow <address>]... [--allow-file <file>] [--stack <cdk.tf.json>]

Reads the JSON that \`terraform show -json <planfile>\` (or \`tofu show -json\`) prints,
prints a short summary (adds, changes, replaces, destroys per resource type) and refuses
a plan that destroys or replaces a stateful resource: a database, cache, bucket, key,
key vault, volume, cluster, namespace, Helm release (the list is STATEFUL_RESOURCE_TYPES
in lib/ci/stateful-types.ts) or, with --stack, any resource the stack marks
prevent_destroy.

  --allow       an exact resource address (as the summary prints it) that may be
                destroyed or replaced; repeat for each
  --allow-file  a file of such addresses, one per line (# starts a comment)
  --stack       the stack's synthesized cdk.tf.json, for its prevent_destroy addresses

Exit codes: 0 the plan may be applied, 1 blocked, 2 bad arguments or unreadable input.`;

/** `cdktf-byoc plan-guard`: prints the plan's summary; returns 0 (pass), 1 (blocked) or 2 (bad input). */
export async function planGuard(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        allow: { type: "string", multiple: true, default: [] },
        "allow-file": { type: "string" },
        stack: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) return usageError(`give exactly one plan file (got ${positionals.length})`);
  try {
    const plan = parsePlan(read(positionals[0], "plan"), positionals[0]);
    const allow = [...(values.allow ?? []), ...(values["allow-file"] ? allowFile(read(values["allow-file"], "allow file")) : [])];
    const marked = values.stack ? protectedAddresses(read(values.stack, "stack"), values.stack) : [];
    const result = guard(plan, { allow, protectedAddresses: marked });
    process.stdout.write(`${formatReport(plan, result)}\n`);
    return result.blocked.length > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof PlanFormatError) {
      process.stderr.write(`plan-guard: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new PlanFormatError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** One address per line; blank lines and `#` comments are skipped. */
export function allowFile(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
}

function usageError(message: string): number {
  process.stderr.write(`plan-guard: ${message}\n\n${USAGE}\n`);
  return 2;
}
