import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { SpecSchema } from "./schema";

/**
 * The spec as a JSON Schema for editors (yaml-language-server, VS Code). Generated
 * from the zod schema; cross-field rules are not expressible there and are checked
 * when the spec is loaded.
 */
export function specJsonSchema(): object {
  return {
    ...z.toJSONSchema(SpecSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
    $id: "https://github.com/cdktf-byoc/cdktf-byoc/schema/byoc.schema.json",
    title: "cdktf-byoc deployment spec",
  };
}

export const SCHEMA_PATH = join(__dirname, "..", "..", "schema", "byoc.schema.json");

export function renderJsonSchema(): string {
  return `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_PATH, renderJsonSchema());
  console.log(`wrote ${SCHEMA_PATH}`);
}
