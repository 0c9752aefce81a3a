import { App } from "cdktf";
import { loadSpec } from "../config/spec";
import { buildStacks } from "../../stacks";

/**
 * Synthesizes one deployment's spec into `outdir` (`<outdir>/stacks/<stack>/cdk.tf.json`),
 * as `BYOC_CONFIG=<config> npm run synth` does, and returns its stacks' names in apply order.
 */
export async function synthDeployment(config: string, outdir: string): Promise<string[]> {
  const spec = loadSpec(config);
  const app = new App({ outdir });
  const stacks = await buildStacks(app, spec);
  app.synth();
  return stacks.map((s) => s.node.id);
}
