import { Aspects, TerraformStack } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import { configureBackend, type StateBackend } from "../core/backend";
import { TaggingAspect } from "../core/tags";
import type { ICiVariableScope } from "./trust";

export interface CiTrustStackProps {
  /** Where this stack's own state lives (`ci-trust/<id>.tfstate` unless the backend names a prefix). @default - a local file `terraform.<id>.tfstate` */
  readonly state?: StateBackend;
  /** Added to every taggable resource. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The stack a user deploys once, with administrator credentials, before CI runs: it holds
 * at most one CI trust per cloud (AwsCiTrust, AzureCiTrust, GcpCiTrust, with their
 * provider), and each trust's outputs are named exactly after the CI variables
 * (BYOC_AWS_PLAN_ROLE_ARN, ...), so `terraform output` lists what to set in the CI.
 * A second trust publishing the same variable is refused: use a stack per account.
 */
export class CiTrustStack extends TerraformStack implements ICiVariableScope {
  /** The state key prefix when the backend names none. */
  static readonly STATE_PREFIX = "ci-trust";
  private readonly variables = new Map<string, string>();

  constructor(scope: Construct, id: string, props: CiTrustStackProps = {}) {
    super(scope, id);
    configureBackend(this, props.state ?? { backend: "local" }, CiTrustStack.STATE_PREFIX);
    Aspects.of(this).add(new TaggingAspect({ ...props.tags, "managed-by": "cdktf-byoc" }));
  }

  claimCiVariable(variable: string, owner: IConstruct): void {
    const first = this.variables.get(variable);
    if (first !== undefined) {
      throw new Error(`CiTrustStack ${this.node.id}: ${owner.node.path} and ${first} both publish ${variable}; a CiTrustStack holds one trust per cloud (use a stack per account, project or subscription)`);
    }
    this.variables.set(variable, owner.node.path);
  }
}
