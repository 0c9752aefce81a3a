import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { ComplianceAspect } from "../compliance/aspect";
import { complianceReport } from "../compliance/report";
import { reportInputOf, writeComplianceReport } from "../compliance/write";
import { loadSpec } from "../config/spec";
import { buildStacks } from "../../stacks";

/**
 * Synthesizes one deployment's spec into `outdir` (`<outdir>/stacks/<stack>/cdk.tf.json`),
 * as `BYOC_CONFIG=<config> npm run synth` does, and returns its stacks' names in apply order.
 * A spec with compliance frameworks fails here on a failing control, and otherwise gets
 * its evidence report in `<outdir>/compliance/` (the pipelines keep it with the plan).
 */
export async function synthDeployment(config: string, outdir: string): Promise<string[]> {
  const spec = loadSpec(config);
  const app = new App({ outdir });
  const stacks = await buildStacks(app, spec);
  app.synth();
  const aspect = stacks.length > 0 ? ComplianceAspect.of(stacks[0]) : undefined;
  if (aspect) writeComplianceReport(complianceReport(aspect, reportInputOf(spec, config, readFileSync(config))), join(outdir, "compliance"));
  return stacks.map((s) => s.node.id);
}
