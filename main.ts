import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import tokenStackTrace = require("cdktf/lib/tokens/private/stack-trace");
import { ComplianceError } from "./lib/compliance/aspect";
import { TARGET_CLOUDS, defaultSpec } from "./lib/config/defaults";
import { loadSpec, parseSpec, SpecError, type DeploymentSpec } from "./lib/config/spec";
import { MissingProviderError } from "./lib/core/provider-packages";
import { buildStacks } from "./stacks";

// cdktf formats a complete stack trace for every token it creates (about 6,800 for the
// default deployment, about a sixth of a synth's time) only to quote it in an error about a
// token that fails to resolve. The app skips them; BYOC_TOKEN_STACKS=1 keeps them for
// debugging such an error. The synthesized JSON is the same either way.
if (!process.env.BYOC_TOKEN_STACKS) Object.assign(tokenStackTrace, { captureStackTrace: (): string[] => [] });

/**
 * The cdktf app. Synthesizes BYOC_CONFIG (a YAML or JSON spec), else ./byoc.yaml,
 * else the embedded default deployment for every target.
 */
async function main(): Promise<void> {
  const path = process.env.BYOC_CONFIG ?? (existsSync("byoc.yaml") ? "byoc.yaml" : undefined);
  const specs: DeploymentSpec[] = path
    ? [loadSpec(path)]
    : TARGET_CLOUDS.map((cloud) => parseSpec(defaultSpec(cloud), `the embedded ${cloud} deployment`));

  const app = new App();
  const stacks = [];
  for (const spec of specs) stacks.push(...(await buildStacks(app, spec)));
  app.synth();

  console.log(`Synthesized ${path ?? "the embedded default deployment"} into ${app.outdir}/stacks:`);
  for (const stack of stacks) {
    const tf = JSON.parse(readFileSync(join(app.outdir, "stacks", stack.node.id, "cdk.tf.json"), "utf8"));
    const count = (block?: Record<string, object>) => Object.values(block ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    console.log(`  ${stack.node.id.padEnd(32)} ${String(count(tf.resource)).padStart(4)} resources ${String(count(tf.data)).padStart(3)} data sources`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof SpecError || error instanceof MissingProviderError || error instanceof ComplianceError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
});
