import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

export interface PodIdentityRoleProps {
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The IAM role's name (at most 64 characters). */
  readonly roleName: string;
  /** The role's own permissions, as an inline policy. @default none */
  readonly statements?: DataAwsIamPolicyDocumentStatement[];
  /** Managed policies attached to the role (AWS-managed or the caller's own), by a stable id. @default none */
  readonly managedPolicies?: Record<string, string>;
  /**
   * Create the Pod Identity association. False when an EKS add-on binds the role
   * through its own `pod_identity_association` block.
   * @default true
   */
  readonly associate?: boolean;
}

/**
 * An IAM role one Kubernetes service account assumes through EKS Pod Identity. The
 * trust policy admits only the Pod Identity service, and only for sessions tagged with
 * this cluster, namespace and service account (Pod Identity's session tags), so the
 * role cannot be reused by another association by mistake.
 */
export class PodIdentityRole extends Construct {
  readonly role: IamRole;
  readonly association?: EksPodIdentityAssociation;
  /** What a release using the service account waits for: the role, its permissions and the association. */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    const trust = new DataAwsIamPolicyDocument(this, "Trust", {
      statement: [
        {
          sid: "EksPodIdentity",
          principals: [{ type: "Service", identifiers: ["pods.eks.amazonaws.com"] }],
          actions: ["sts:AssumeRole", "sts:TagSession"],
          condition: [
            { test: "StringEquals", variable: "aws:RequestTag/eks-cluster-name", values: [props.clusterName] },
            { test: "StringEquals", variable: "aws:RequestTag/kubernetes-namespace", values: [props.namespace] },
            { test: "StringEquals", variable: "aws:RequestTag/kubernetes-service-account", values: [props.serviceAccount] },
          ],
        },
      ],
    });
    this.role = new IamRole(this, "Role", {
      name: props.roleName,
      description: `EKS Pod Identity for ${props.namespace}/${props.serviceAccount} in ${props.clusterName}`,
      assumeRolePolicy: trust.json,
      tags: { Name: props.roleName },
    });
    this.grants.push(this.role);

    if (props.statements?.length) {
      const permissions = new DataAwsIamPolicyDocument(this, "Permissions", { statement: props.statements });
      this.grants.push(new IamRolePolicy(this, "Policy", { role: this.role.id, name: "permissions", policy: permissions.json }));
    }
    for (const [key, policyArn] of Object.entries(props.managedPolicies ?? {})) {
      this.grants.push(new IamRolePolicyAttachment(this, `Attach${key}`, { role: this.role.name, policyArn }));
    }

    if (props.associate ?? true) {
      this.association = new EksPodIdentityAssociation(this, "Association", {
        clusterName: props.clusterName,
        namespace: props.namespace,
        serviceAccount: props.serviceAccount,
        roleArn: this.role.arn,
      });
      this.grants.push(this.association);
    }
  }
}
