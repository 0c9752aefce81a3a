import type {
  DataAwsIamPolicyDocumentStatement,
  DataAwsIamPolicyDocumentStatementCondition as Condition,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";

/** What the Karpenter controller's policies are scoped to. */
export interface KarpenterPolicyScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  /** The only role the controller may pass to EC2 (the Karpenter node role). */
  readonly nodeRoleArn: string;
  readonly queueArn: string;
  /** Encrypts the interruption queue: reading a message decrypts it. */
  readonly queueKeyArn: string;
}

type Statements = DataAwsIamPolicyDocumentStatement[];

const equals = (variable: string, ...values: string[]): Condition => ({ test: "StringEquals", variable, values });
const like = (variable: string, ...values: string[]): Condition => ({ test: "StringLike", variable, values });

/**
 * The Karpenter v1 controller's permissions, split the way Karpenter's own
 * CloudFormation splits them (NodeLifecycle, IAMIntegration, EKSIntegration,
 * Interruption, ResourceDiscovery, ZonalShift) and scoped with the same tags: the
 * controller may launch, tag and terminate only what carries this cluster's ownership
 * tag and a NodePool tag, and pass only the node role. Resources are this account's
 * in this region where the upstream policy leaves the account open.
 */
export function karpenterControllerPolicies(s: KarpenterPolicyScope): Record<string, Statements> {
  const ec2 = (type: string, account = s.accountId) => `arn:${s.partition}:ec2:${s.region}:${account}:${type}/*`;
  const instanceProfiles = `arn:${s.partition}:iam::${s.accountId}:instance-profile/*`;
  const owned = `kubernetes.io/cluster/${s.clusterName}`;
  const launched = ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"].map((t) => ec2(t));
  const requestTagsOfLaunch = [
    equals(`aws:RequestTag/${owned}`, "owned"),
    equals("aws:RequestTag/eks:eks-cluster-name", s.clusterName),
    like("aws:RequestTag/karpenter.sh/nodepool", "*"),
  ];
  const ownedByANodePool = [equals(`aws:ResourceTag/${owned}`, "owned"), like("aws:ResourceTag/karpenter.sh/nodepool", "*")];
  const profileOfThisRegion = [
    equals(`aws:ResourceTag/${owned}`, "owned"),
    equals("aws:ResourceTag/topology.kubernetes.io/region", s.region),
    like("aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass", "*"),
  ];
  const profileRequestTags = [
    equals(`aws:RequestTag/${owned}`, "owned"),
    equals("aws:RequestTag/eks:eks-cluster-name", s.clusterName),
    equals("aws:RequestTag/topology.kubernetes.io/region", s.region),
    like("aws:RequestTag/karpenter.k8s.aws/ec2nodeclass", "*"),
  ];

  return {
    NodeLifecycle: [
      {
        sid: "LaunchFromImagesSubnetsAndSecurityGroups",
        actions: ["ec2:RunInstances", "ec2:CreateFleet"],
        resources: [
          `arn:${s.partition}:ec2:${s.region}::image/*`,
          `arn:${s.partition}:ec2:${s.region}::snapshot/*`,
          ec2("security-group"),
          ec2("subnet"),
          ec2("capacity-reservation", "*"),
          ec2("placement-group"),
        ],
      },
      {
        sid: "LaunchFromOwnLaunchTemplates",
        actions: ["ec2:RunInstances", "ec2:CreateFleet"],
        resources: [ec2("launch-template")],
        condition: ownedByANodePool,
      },
      {
        sid: "CreateOnlyTaggedForThisCluster",
        actions: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
        resources: launched,
        condition: requestTagsOfLaunch,
      },
      {
        sid: "TagOnCreation",
        actions: ["ec2:CreateTags"],
        resources: launched,
        condition: [...requestTagsOfLaunch, equals("ec2:CreateAction", "RunInstances", "CreateFleet", "CreateLaunchTemplate")],
      },
      {
        sid: "TagOwnInstances",
        actions: ["ec2:CreateTags"],
        resources: [ec2("instance")],
        condition: [
          ...ownedByANodePool,
          { test: "StringEqualsIfExists", variable: "aws:RequestTag/eks:eks-cluster-name", values: [s.clusterName] },
          { test: "ForAllValues:StringEquals", variable: "aws:TagKeys", values: ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
        ],
      },
      {
        sid: "DeleteOwnInstancesAndLaunchTemplates",
        actions: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
        resources: [ec2("instance"), ec2("launch-template")],
        condition: ownedByANodePool,
      },
    ],
    IAMIntegration: [
      {
        sid: "PassOnlyTheNodeRole",
        actions: ["iam:PassRole"],
        resources: [s.nodeRoleArn],
        condition: [equals("iam:PassedToService", "ec2.amazonaws.com", "ec2.amazonaws.com.cn")],
      },
      { sid: "CreateTaggedInstanceProfiles", actions: ["iam:CreateInstanceProfile"], resources: [instanceProfiles], condition: profileRequestTags },
      {
        sid: "TagOwnInstanceProfiles",
        actions: ["iam:TagInstanceProfile"],
        resources: [instanceProfiles],
        condition: [...profileOfThisRegion, ...profileRequestTags],
      },
      {
        sid: "ManageOwnInstanceProfiles",
        actions: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
        resources: [instanceProfiles],
        condition: profileOfThisRegion,
      },
    ],
    EKSIntegration: [{ sid: "DescribeThisCluster", actions: ["eks:DescribeCluster"], resources: [s.clusterArn] }],
    Interruption: [
      {
        sid: "ConsumeTheInterruptionQueue",
        actions: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        resources: [s.queueArn],
      },
      { sid: "DecryptInterruptionMessages", actions: ["kms:Decrypt"], resources: [s.queueKeyArn] },
    ],
    ResourceDiscovery: [
      {
        sid: "ReadEc2InThisRegion",
        actions: [
          "ec2:DescribeCapacityReservations",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribePlacementGroups",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
        ],
        resources: ["*"],
        condition: [equals("aws:RequestedRegion", s.region)],
      },
      {
        sid: "ReadPublicAmiParameters",
        actions: ["ssm:GetParameter"],
        resources: [`arn:${s.partition}:ssm:${s.region}::parameter/aws/service/*`],
      },
      { sid: "ReadPrices", actions: ["pricing:GetProducts"], resources: ["*"] },
      { sid: "ListInstanceProfiles", actions: ["iam:ListInstanceProfiles"], resources: ["*"] },
      { sid: "ReadInstanceProfiles", actions: ["iam:GetInstanceProfile"], resources: [instanceProfiles] },
    ],
    ZonalShift: [
      {
        sid: "ReadThisClusterZonalShift",
        actions: ["arc-zonal-shift:GetManagedResource"],
        resources: ["*"],
        condition: [equals("arc-zonal-shift:ResourceIdentifier", s.clusterArn)],
      },
    ],
  };
}
