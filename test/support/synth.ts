import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing, type TerraformStack } from "cdktf";
import { parseSpec, type DeploymentSpec } from "../../lib/config/spec";
import { loadSpec } from "../../lib/config/spec";
import { buildStacks } from "../../stacks";

/** One resource or data source of a synthesized stack: its address and its body. */
export type Block = Record<string, any> & { readonly tfAddress: string };

/** A synthesized stack's Terraform JSON, with queries by type. */
export class StackJson {
  constructor(
    readonly name: string,
    readonly json: Record<string, any>,
    readonly construct: TerraformStack,
  ) {}

  resources(type: string): Block[] {
    return this.blocks(this.json.resource, type, "");
  }

  data(type: string): Block[] {
    return this.blocks(this.json.data, type, "data.");
  }

  /** Exactly one resource of the type (fails otherwise), optionally matching a predicate. */
  resource(type: string, where: (b: Block) => boolean = () => true): Block {
    const found = this.resources(type).filter(where);
    if (found.length !== 1) throw new Error(`expected one ${type} in ${this.name}, found ${found.length}`);
    return found[0];
  }

  /** Every resource in the stack. */
  allResources(): Block[] {
    return Object.keys(this.json.resource ?? {}).flatMap((t) => this.resources(t));
  }

  /** `${type.name.attr}` as Terraform writes a reference to a resource's attribute. */
  ref(block: Block, attribute: string): string {
    return `\${${block.tfAddress}.${attribute}}`;
  }

  private blocks(section: Record<string, Record<string, object>> | undefined, type: string, prefix: string): Block[] {
    return Object.entries(section?.[type] ?? {}).map(([name, body]) => ({ ...body, tfAddress: `${prefix}${type}.${name}` }));
  }
}

/** Synthesizes every stack of a spec (an object as a user writes it, or a file path) in memory. */
export async function synth(input: unknown): Promise<Record<string, StackJson>> {
  return synthSpec(typeof input === "string" ? loadSpec(input) : parseSpec(input));
}

/**
 * Synthesizes an already validated spec, keyed by stack role. The whole app is
 * synthesized (as `cdktf synth` does), so references between stacks become outputs and
 * remote-state lookups exactly as Terraform will see them.
 */
export async function synthSpec(spec: DeploymentSpec): Promise<Record<string, StackJson>> {
  const app = Testing.app();
  const stacks = await buildStacks(app, spec);
  app.synth();
  const read = (id: string) => JSON.parse(readFileSync(join(app.outdir, "stacks", id, "cdk.tf.json"), "utf8"));
  return Object.fromEntries(stacks.map((s) => [roleOf(s), new StackJson(s.node.id, read(s.node.id), s)])) as Record<string, StackJson>;
}

/** A stack's role, the last part of its name `<name>-<target>-<role>`. */
export function roleOf(stack: TerraformStack): string {
  return stack.node.id.slice(stack.node.id.lastIndexOf("-") + 1);
}

export const EXAMPLES_DIR = join(__dirname, "..", "..", "examples");

/** Every example spec: examples/<name>/byoc.yaml (the library examples have a main.ts instead). */
export function exampleSpecs(): { name: string; path: string }[] {
  return readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES_DIR, d.name, "byoc.yaml")))
    .map((d) => ({ name: d.name, path: join(EXAMPLES_DIR, d.name, "byoc.yaml") }));
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}
