import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart } from "../core/helm";
import { setComponent } from "../core/tags";
import { CHARTS } from "../platform/charts";
import type { IEksCluster } from "./eks";
import type { PodIdentityRole } from "./eks-pod-identity";

export interface AwsLoadBalancerControllerProps {
  /** The cluster the controller runs in; its role binds through Pod Identity. */
  readonly cluster: IEksCluster;
  /** The cluster's VPC, given so the controller needs no instance metadata. */
  readonly vpcId: string;
  /** Releases that must be ready first. @default none */
  readonly dependsOn?: ITerraformDependable[];
}

const NAMESPACE = "kube-system";
const SERVICE_ACCOUNT = "aws-load-balancer-controller";
/** The tag the controller puts on everything it creates, valued with the cluster's name. */
const CLUSTER_TAG = "elbv2.k8s.aws/cluster";

/**
 * The AWS Load Balancer Controller: Services of type LoadBalancer become NLBs (internal
 * unless annotated otherwise) and Ingresses ALBs, with pods as IP targets. Its role,
 * bound through Pod Identity, carries the upstream IAM policy (docs/install/iam_policy.json
 * of v3.x), narrowed to this account and region, and to load balancers, target groups
 * and security groups tagged for this cluster rather than for any cluster.
 */
export class AwsLoadBalancerController extends Construct {
  readonly identity: PodIdentityRole;
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: AwsLoadBalancerControllerProps) {
    super(scope, id);
    setComponent(this, "load-balancer");
    const { cluster } = props;
    this.identity = cluster.bindServiceAccount(this, "Identity", {
      namespace: NAMESPACE,
      serviceAccount: SERVICE_ACCOUNT,
      statements: loadBalancerControllerStatements(cluster),
    });
    this.chart = new HelmChart(this, "Chart", {
      chart: CHARTS.awsLoadBalancerController,
      namespace: NAMESPACE,
      values: {
        clusterName: cluster.name,
        // Pods cannot reach IMDS (hop limit 1): the region and VPC are given.
        region: cluster.region,
        vpcId: props.vpcId,
        replicaCount: 2,
        serviceAccount: { create: true, name: SERVICE_ACCOUNT },
        defaultLoadBalancerScheme: "internal",
        defaultTargetType: "ip",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
        podDisruptionBudget: { maxUnavailable: 1 },
      },
      dependsOn: [...this.identity.grants, ...(props.dependsOn ?? [])],
    });
  }
}

/** The controller's permissions (upstream v3.5.0 policy, tag conditions bound to this cluster's name). */
export function loadBalancerControllerStatements(cluster: Pick<IEksCluster, "partition" | "region" | "accountId" | "name">): DataAwsIamPolicyDocumentStatement[] {
  const { partition: p, region: r, accountId: a, name } = cluster;
  const elb = (path: string) => `arn:${p}:elasticloadbalancing:${r}:${a}:${path}`;
  const securityGroups = `arn:${p}:ec2:${r}:${a}:security-group/*`;
  const balancers = [elb("targetgroup/*/*"), elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*")];
  const ours = (kind: "Request" | "Resource") => ({ test: "StringEquals", variable: `aws:${kind}Tag/${CLUSTER_TAG}`, values: [name] });
  const leavesClusterTag = { test: "Null", variable: `aws:RequestTag/${CLUSTER_TAG}`, values: ["true"] };

  return [
    {
      sid: "ElbServiceLinkedRole",
      actions: ["iam:CreateServiceLinkedRole"],
      resources: ["*"],
      condition: [{ test: "StringEquals", variable: "iam:AWSServiceName", values: ["elasticloadbalancing.amazonaws.com"] }],
    },
    {
      sid: "Describe",
      actions: [
        "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways",
        "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
        "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
        "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
        "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
        "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
        "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeCapacityReservation",
      ],
      resources: ["*"],
    },
    {
      sid: "CertificatesAndProtection",
      actions: [
        "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates",
        "iam:GetServerCertificate", "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
        "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL", "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection",
        "shield:DeleteProtection",
      ],
      resources: ["*"],
    },
    // Rules on the nodes' security group, which the controller does not own, for traffic from its load balancers.
    { sid: "TargetSecurityGroupRules", actions: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], resources: [securityGroups] },
    { sid: "CreateSecurityGroups", actions: ["ec2:CreateSecurityGroup"], resources: ["*"] },
    {
      sid: "TagNewSecurityGroups",
      actions: ["ec2:CreateTags"],
      resources: [securityGroups],
      condition: [{ test: "StringEquals", variable: "ec2:CreateAction", values: ["CreateSecurityGroup"] }, ours("Request")],
    },
    { sid: "RetagOwnSecurityGroups", actions: ["ec2:CreateTags", "ec2:DeleteTags"], resources: [securityGroups], condition: [leavesClusterTag, ours("Resource")] },
    {
      sid: "ManageOwnSecurityGroups",
      actions: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
      resources: ["*"],
      condition: [ours("Resource")],
    },
    {
      sid: "CreateTaggedLoadBalancers",
      actions: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
      resources: ["*"],
      condition: [ours("Request")],
    },
    {
      sid: "ListenersAndRules",
      actions: ["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"],
      resources: ["*"],
    },
    { sid: "RetagOwnLoadBalancers", actions: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], resources: balancers, condition: [leavesClusterTag, ours("Resource")] },
    {
      sid: "TagListenersAndRules",
      actions: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
      resources: [elb("listener/net/*/*/*"), elb("listener/app/*/*/*"), elb("listener-rule/net/*/*/*"), elb("listener-rule/app/*/*/*")],
    },
    {
      sid: "ModifyOwnLoadBalancers",
      actions: [
        "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools",
      ],
      resources: ["*"],
      condition: [ours("Resource")],
    },
    {
      sid: "TagOnCreation",
      actions: ["elasticloadbalancing:AddTags"],
      resources: balancers,
      condition: [
        { test: "StringEquals", variable: "elasticloadbalancing:CreateAction", values: ["CreateTargetGroup", "CreateLoadBalancer"] },
        ours("Request"),
      ],
    },
    { sid: "RegisterTargets", actions: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], resources: [elb("targetgroup/*/*")] },
    {
      sid: "ListenerSettings",
      actions: [
        "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
      ],
      resources: ["*"],
    },
  ];
}
