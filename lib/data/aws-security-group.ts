import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";

export interface StoreSecurityGroupProps {
  /** The group's name (and Name tag). */
  readonly name: string;
  readonly description: string;
  readonly vpcId: string;
  /** The store's port, the only one admitted. */
  readonly port: number;
  /** The clients' security groups, e.g. the EKS nodes', whose pods share it. */
  readonly clientSecurityGroupIds: string[];
}

/**
 * A data store's security group: its port from the clients' groups and nothing else,
 * no address range at all. No egress rule either: Terraform removes the default
 * allow-all egress of a group it creates, and a store initiates no connection.
 * Rules are keyed by position (the first is `FromClients`), so appending a client adds
 * a rule and changes none.
 */
export class StoreSecurityGroup extends Construct {
  readonly group: SecurityGroup;

  constructor(scope: Construct, id: string, props: StoreSecurityGroupProps) {
    super(scope, id);
    this.group = new SecurityGroup(this, "Group", {
      name: props.name,
      description: props.description,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    props.clientSecurityGroupIds.forEach((client, i) => {
      new VpcSecurityGroupIngressRule(this, i === 0 ? "FromClients" : `FromClients-${i}`, {
        securityGroupId: this.group.id,
        description: `Port ${props.port} from the cluster's nodes and pods`,
        referencedSecurityGroupId: client,
        ipProtocol: "tcp",
        fromPort: props.port,
        toPort: props.port,
      });
    });
  }
}
