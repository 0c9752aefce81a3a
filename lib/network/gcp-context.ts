/**
 * What GCP constructs resolve from where they are placed: the project they build in and
 * the deployment labels of the fields the tagging aspect does not reach.
 */
import { DataGoogleClientConfig } from "@cdktf/provider-google/lib/data-google-client-config";
import { TerraformProvider, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import type { Naming } from "../core/naming";
import { ByocStack } from "../core/stack";
import { gcpLabels } from "../core/tags";

/**
 * The project a construct builds in: `given`, else the stack's default google provider's
 * `project`, else the provider's project read at plan time from its credentials
 * (GOOGLE_PROJECT) through one `google_client_config` data source of the stack, `Client`.
 */
export function resolveProject(scope: IConstruct, given: string | undefined): string {
  if (given !== undefined) return given;
  const stack = TerraformStack.of(scope);
  for (const node of stack.node.findAll()) {
    if (!(node instanceof TerraformProvider) || node.terraformResourceType !== "google" || node.alias) continue;
    const project = (node.toTerraform() as { provider?: { google?: { project?: string }[] } }).provider?.google?.[0]?.project;
    if (project !== undefined) return project;
  }
  const existing = stack.node.tryFindChild("Client");
  const client = existing instanceof DataGoogleClientConfig ? existing : new DataGoogleClientConfig(stack, "Client");
  return client.project;
}

/**
 * Labels for a GCP field the tagging aspect does not set (a cluster's `resource_labels`,
 * a Cloud SQL instance's `user_labels`): `extra`, then the deployment, the enclosing
 * ByocStack's environment ("production" outside one, as tagDeployment's default),
 * `managed-by` and the component, which win as they do on every other resource.
 */
export function deploymentLabels(scope: IConstruct, naming: Naming, component: string, extra: Record<string, string> = {}): Record<string, string> {
  const stack = [...scope.node.scopes].reverse().find((s): s is ByocStack => s instanceof ByocStack);
  return gcpLabels({ ...extra, deployment: naming.deployment, environment: stack?.environment ?? "production", "managed-by": "cdktf-byoc", component });
}
