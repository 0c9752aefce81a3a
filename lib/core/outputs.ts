import { TerraformOutput, TerraformStack, type TerraformOutputConfig } from "cdktf";
import type { IConstruct } from "constructs";

/**
 * A Terraform output named after the construct's path in its stack and the attribute,
 * snake_case: `cluster_name` for attribute `name` of the construct `Cluster`,
 * `data_postgres_endpoint` for `endpoint` of `Data/Postgres`. Two instances of one
 * construct in a stack never share an output name.
 */
export function constructOutput(scope: IConstruct, attribute: string, config: TerraformOutputConfig): TerraformOutput {
  const stack = TerraformStack.of(scope);
  const path = scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map((c) => c.node.id);
  const name = [...path, attribute]
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_"))
    .join("_")
    .toLowerCase();
  const output = new TerraformOutput(scope, `output-${attribute}`, config);
  output.overrideLogicalId(name);
  return output;
}
