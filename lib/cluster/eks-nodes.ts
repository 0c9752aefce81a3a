import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import type { NodePoolSize } from "../config/tiers";
import { namingOf, type Naming } from "../core/naming";
import { ByocStack } from "../core/stack";
import type { IAwsKey } from "../data/keys/aws";

/** The AWS-managed policies every node role carries (the CNI runs with the node's identity). */
export const NODE_POLICIES = {
  WorkerNode: "AmazonEKSWorkerNodePolicy",
  RegistryPull: "AmazonEC2ContainerRegistryPullOnly",
  Cni: "AmazonEKS_CNI_Policy",
  Ssm: "AmazonSSMManagedInstanceCore",
} as const;

/** The root device of the AL2023 EKS AMIs. */
export const ROOT_DEVICE = "/dev/xvda";

/** An instance family runs on Graviton (arm64): m6g, c7gn, t4g, r8gd, a1... */
export function isGraviton(instanceType: string): boolean {
  const family = instanceType.split(".")[0];
  return family === "a1" || /^[a-z]+\d+g[a-z]*$/.test(family);
}

/**
 * Tags for what a node launch creates (instances, volumes, interfaces), which the
 * tagging Aspect cannot reach: the user's `tags`, then the keys the aspect puts on every
 * resource (the deployment, the enclosing ByocStack's environment, "production" outside
 * one as tagDeployment's default), and a `Name` when given (Karpenter names its
 * instances after their nodes when none is set).
 */
export function nodeTags(scope: IConstruct, naming: Naming, tags: Record<string, string> = {}, name?: string): Record<string, string> {
  const stack = [...scope.node.scopes].reverse().find((s): s is ByocStack => s instanceof ByocStack);
  return {
    ...tags,
    deployment: naming.deployment,
    environment: stack?.environment ?? "production",
    "managed-by": "cdktf-byoc",
    component: "cluster",
    ...(name ? { Name: name } : {}),
  };
}

/** An IAM role EC2 instances of the cluster assume, with the node policies attached. */
export function nodeRole(scope: Construct, id: string, name: string, partition: string): { role: IamRole; attachments: IamRolePolicyAttachment[] } {
  const trust = new DataAwsIamPolicyDocument(scope, `${id}Trust`, {
    statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] }],
  });
  const role = new IamRole(scope, id, { name, assumeRolePolicy: trust.json, tags: { Name: name } });
  const attachments = Object.entries(NODE_POLICIES).map(
    ([key, policy]) => new IamRolePolicyAttachment(scope, `${id}${key}`, { role: role.name, policyArn: `arn:${partition}:iam::aws:policy/${policy}` }),
  );
  return { role, attachments };
}

export interface EksSystemNodesProps {
  /** The cluster's name as a reference to the cluster resource (so the group waits for it). */
  readonly clusterName: string;
  /** The cluster's Kubernetes version. */
  readonly version: string;
  /** The instance type, disk size and node counts. */
  readonly pool: NodePoolSize;
  /** The private subnets the nodes run in. */
  readonly subnetIds: string[];
  /** The nodes' security group. */
  readonly securityGroupId: string;
  /** Encrypts the root volumes. */
  readonly volumesKey: IAwsKey;
  /** The AWS partition of the managed policies' ARNs. */
  readonly partition: string;
  /** Add-ons that must run before nodes join (CNI, kube-proxy, Pod Identity agent). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** The user's tags on the instances, volumes and interfaces; the deployment's are added. @default {} */
  readonly tags?: Record<string, string>;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * The managed node group for the cluster's own add-ons (Karpenter runs here, so it
 * cannot run on nodes it creates). Its launch template requires IMDSv2 with a hop
 * limit of 1, so pods cannot reach the node's credentials, and encrypts the gp3 root
 * volume with the volumes key. The instance type and disk live in the launch template:
 * a tier change rolls the nodes instead of replacing the group.
 */
export class EksSystemNodes extends Construct {
  readonly role: IamRole;
  readonly launchTemplate: LaunchTemplate;
  readonly nodeGroup: EksNodeGroup;
  /** The group's name, which EKS puts on its nodes as the `eks.amazonaws.com/nodegroup` label. */
  readonly nodeGroupName: string;

  constructor(scope: Construct, id: string, props: EksSystemNodesProps) {
    super(scope, id);
    const { pool } = props;
    const naming = namingOf(this, props.naming);
    const { role, attachments } = nodeRole(this, "Role", naming.name("eks-system-node", undefined, 64), props.partition);
    this.role = role;
    const name = naming.name("system-nodes");

    this.launchTemplate = new LaunchTemplate(this, "LaunchTemplate", {
      name,
      description: "EKS system node group: IMDSv2 only, encrypted gp3 root volume",
      instanceType: pool.instanceType,
      updateDefaultVersion: true,
      vpcSecurityGroupIds: [props.securityGroupId],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: ROOT_DEVICE,
          ebs: {
            volumeSize: pool.diskGb,
            volumeType: "gp3",
            encrypted: "true",
            kmsKeyId: props.volumesKey.arn,
            deleteOnTermination: "true",
          },
        },
      ],
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
        resourceType,
        tags: nodeTags(this, naming, props.tags, name),
      })),
      tags: { Name: name },
    });

    this.nodeGroupName = naming.name("system");
    this.nodeGroup = new EksNodeGroup(this, "NodeGroup", {
      clusterName: props.clusterName,
      nodeGroupName: this.nodeGroupName,
      version: props.version,
      nodeRoleArn: this.role.arn,
      subnetIds: props.subnetIds,
      amiType: isGraviton(pool.instanceType) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD",
      capacityType: "ON_DEMAND",
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      scalingConfig: { minSize: pool.min, maxSize: pool.max, desiredSize: pool.min },
      updateConfig: { maxUnavailablePercentage: 33 },
      nodeRepairConfig: { enabled: true },
      lifecycle: { ignoreChanges: ["scaling_config[0].desired_size"] },
      tags: { Name: this.nodeGroupName },
      // Nodes join only once the role carries its policies.
      dependsOn: [...(props.dependsOn ?? []), ...attachments],
    });
  }
}
