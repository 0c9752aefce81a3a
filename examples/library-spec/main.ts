/**
 * The whole deployment from a spec, inside your own cdktf app: the same stacks the CLI
 * synthesizes, built from a spec object (checked by the SpecInput type as you write it,
 * and validated by parseSpec when it runs).
 */
import { App } from "cdktf";
import { buildStacks, parseSpec, type SpecInput } from "cdktf-byoc";

const spec: SpecInput = {
  name: "acme",
  environment: "staging",
  tags: { team: "platform" },
  target: { cloud: "aws", region: "eu-west-1" },
  network: { cidr: "10.40.0.0/16", zones: 2 },
};

async function main(): Promise<void> {
  const app = new App();
  await buildStacks(app, parseSpec(spec));
  app.synth();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
