#!/usr/bin/env node
/**
 * `npx cdktf-byoc <command>`: the kit's helpers that run outside Terraform (key
 * material is made and read here, so it never passes through the synthesized JSON or
 * the state). Each command lives in its own module, loaded only when called.
 */
const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  "besu-keys": { summary: "generate Besu node keys for the secret manager and print their public keys for BesuNetwork", run: async (argv) => (await import("./besu-keys")).besuKeys(argv) },
  "audit-anchor": {
    summary: "deploy the anchor contract, anchor the audit ledger's head, verify the ledger against its anchors",
    run: async (argv) => (await withOptional("viem", "audit-anchor", () => import("./audit-anchor"))).auditAnchor(argv),
  },
  "plan-guard": { summary: "summarize a plan (terraform show -json) and refuse one that destroys or replaces a stateful resource", run: async (argv) => (await import("./plan-guard")).planGuard(argv) },
  "compliance-report": {
    summary: "write the evidence report (HTML, JSON, Markdown) of the deployment's compliance frameworks",
    run: async (argv) => (await import("./compliance-report")).complianceReportCommand(argv),
  },
  ci: { summary: "CI pipelines: write templates (ci init), list deployments, synthesize one, post plan summaries", run: async (argv) => (await import("./ci")).ci(argv) },
};

/** Loads a command whose module needs an optional peer dependency, naming it when it is missing. */
async function withOptional<T>(pkg: string, command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((e as Error).message).includes(`'${pkg}'`)) {
      throw new Error(`${command} needs the ${pkg} package (an optional peer dependency of cdktf-byoc): npm install ${pkg}@2`);
    }
    throw e;
  }
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return ["usage: cdktf-byoc <command> [options]   (cdktf-byoc <command> --help for its options)", "", ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
