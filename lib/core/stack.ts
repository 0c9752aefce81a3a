import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { configureBackend, type StateBackend } from "./backend";
import { Naming } from "./naming";
import { tagDeployment } from "./tags";

export interface ByocStackProps {
  /** The deployment's name (see DEPLOYMENT_NAME): prefixes every resource name and is tagged on every resource. */
  readonly deployment: string;
  /** Tagged on every resource as `environment`. @default "production" */
  readonly environment?: string;
  /** Added to every taggable resource (GCP: as labels, lower-cased). @default {} */
  readonly tags?: Record<string, string>;
  /** Where the stack's state lives; the key is `<deployment>/<id>.tfstate` unless the backend names a prefix. @default - a local file `terraform.<id>.tfstate` in the working directory */
  readonly state?: StateBackend;
}

/**
 * A Terraform stack for one deployment: its state backend, the deployment's naming, and
 * every resource tagged (the aspect from `tagDeployment`). Use it in place of
 * `TerraformStack`, or add `tagDeployment` and `configureBackend` to a stack of your own.
 */
export class ByocStack extends TerraformStack {
  /** A deployment name: 3-20 of `a-z0-9-`, a letter first, not ending in `-` (the spec's `name` rule). */
  static readonly DEPLOYMENT_NAME = /^[a-z][a-z0-9-]{1,18}[a-z0-9]$/;
  readonly naming: Naming;
  readonly environment: string;

  constructor(scope: Construct, id: string, props: ByocStackProps) {
    super(scope, id);
    if (!ByocStack.DEPLOYMENT_NAME.test(props.deployment)) {
      throw new Error(`ByocStack ${id}: deployment must be 3-20 characters of a-z, 0-9 and "-", starting with a letter and not ending with "-" (got ${JSON.stringify(props.deployment)})`);
    }
    this.environment = props.environment ?? "production";
    this.naming = new Naming(props.deployment);
    configureBackend(this, props.state ?? { backend: "local" }, props.deployment);
    tagDeployment(this, { deployment: props.deployment, environment: this.environment, tags: props.tags });
  }
}
