import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { nodePools, type DeploymentSpec } from "../config/spec";
import { awsVcpus } from "../config/tiers";
import { HelmChart, Manifests } from "../core/helm";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AwsKeys } from "../data/keys/aws";
import { CHARTS } from "../platform/charts";
import type { EksCluster } from "./eks";
import { karpenterControllerPolicies } from "./eks-karpenter-policies";
import { isGraviton, nodeRole, nodeTags, ROOT_DEVICE } from "./eks-nodes";
import type { PodIdentityRole } from "./eks-pod-identity";

export interface KarpenterProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly cluster: EksCluster;
  /** `volumes` encrypts the nodes' root volumes, `events` the interruption queue. */
  readonly keys: AwsKeys;
  /**
   * The EKS-optimized AMI of the default EC2NodeClass, as a Karpenter alias. `latest`
   * follows each AMI release (nodes drift and are replaced within the disruption budget);
   * pin a release (`al2023@v<yyyymmdd>`) to promote AMIs through environments yourself.
   * @default "al2023@latest"
   */
  readonly amiAlias?: string;
}

/** The EventBridge events Karpenter reacts to, spelled as EventBridge sends them. */
export const INTERRUPTION_EVENTS = {
  Health: { source: "aws.health", detailType: "AWS Health Event" },
  SpotInterruption: { source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  Rebalance: { source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  InstanceStateChange: { source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  CapacityReservationInterruption: { source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
} as const;

/** Where the controller runs; the Pod Identity association names this service account. */
const NAMESPACE = "kube-system";
const SERVICE_ACCOUNT = "karpenter";
/** The one EC2NodeClass and NodePool this kit defines. */
const DEFAULT = "default";

/** The Karpenter releases in the platform stack: the controller, then its NodePool and EC2NodeClass. */
export interface KarpenterRelease {
  readonly controller: HelmChart;
  readonly nodes: Manifests;
}

/**
 * Karpenter for the workload nodes. The infra part lives here: the node role (with an
 * EC2_LINUX access entry so its nodes join), the controller's role bound to
 * kube-system/karpenter through Pod Identity with the six split v1 policies, and the
 * interruption queue (KMS-encrypted with the events key, TLS only) fed by EventBridge.
 * `install` adds the platform part to the platform stack.
 */
export class Karpenter extends Construct {
  readonly nodeRole: IamRole;
  readonly nodeRoleName: string;
  readonly queue: SqsQueue;
  readonly queueName: string;
  readonly controller: PodIdentityRole;
  readonly rules: Record<keyof typeof INTERRUPTION_EVENTS, CloudwatchEventRule>;
  private readonly props: KarpenterProps;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    setComponent(this, "karpenter");
    this.props = props;
    const { naming, cluster, keys } = props;

    this.nodeRoleName = naming.name("karpenter-node", undefined, 64);
    this.nodeRole = nodeRole(this, "NodeRole", this.nodeRoleName, cluster.partition).role;
    new EksAccessEntry(this, "NodeAccessEntry", { clusterName: cluster.cluster.name, principalArn: this.nodeRole.arn, type: "EC2_LINUX" });

    this.queueName = naming.name("karpenter", undefined, 80);
    this.queue = new SqsQueue(this, "InterruptionQueue", {
      name: this.queueName,
      messageRetentionSeconds: 300,
      kmsMasterKeyId: keys.events.arn,
      tags: { Name: this.queueName },
    });
    this.rules = this.interruptionRules(naming);
    this.queuePolicy();

    const policies = karpenterControllerPolicies({
      partition: cluster.partition,
      region: cluster.region,
      accountId: cluster.accountId,
      clusterName: cluster.name,
      clusterArn: cluster.cluster.arn,
      nodeRoleArn: this.nodeRole.arn,
      queueArn: this.queue.arn,
      queueKeyArn: keys.events.arn,
    });
    const managed: Record<string, string> = {};
    for (const [policyName, statement] of Object.entries(policies)) {
      const document = new DataAwsIamPolicyDocument(this, `Controller${policyName}Document`, { statement });
      const name = naming.name("karpenter", policyName.toLowerCase(), 128);
      managed[policyName] = new IamPolicy(this, `Controller${policyName}`, {
        name,
        description: `Karpenter controller (${policyName}) for ${cluster.name}`,
        policy: document.json,
        tags: { Name: name },
      }).arn;
    }
    this.controller = cluster.bindServiceAccount(this, "Controller", {
      namespace: NAMESPACE,
      serviceAccount: SERVICE_ACCOUNT,
      managedPolicies: managed,
    });
  }

  /**
   * The platform part, in the platform stack: the CRD chart, the controller chart on the system node
   * group (never on nodes it manages), then the default EC2NodeClass and NodePool once
   * its CRDs exist. The workload pool's instance type sets the family and, with its
   * max, the NodePool's CPU limit. `dependsOn`: releases the controller waits for (the
   * load balancer controller, whose webhook must admit the chart's Service).
   */
  install(scope: Construct, id: string, dependsOn: ITerraformDependable[] = []): KarpenterRelease {
    const { spec, cluster, keys } = this.props;
    const container = new Construct(scope, id);
    const crds = new HelmChart(container, "Crds", { chart: CHARTS.karpenterCrd, namespace: NAMESPACE, values: {}, dependsOn });
    const controller = new HelmChart(container, "Controller", {
      chart: CHARTS.karpenter,
      namespace: NAMESPACE,
      values: {
        settings: {
          clusterName: cluster.name,
          clusterEndpoint: cluster.endpoint,
          interruptionQueue: this.queueName,
          enableZonalShift: true,
        },
        serviceAccount: { create: true, name: SERVICE_ACCOUNT },
        replicas: 2,
        controller: {
          // Nodes answer IMDS only to the host network (hop limit 1): name the region.
          env: [{ name: "AWS_REGION", value: cluster.region }],
          resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
        },
        // Merged into the chart's affinity, which keeps its one-replica-per-node rule.
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
                    { key: "eks.amazonaws.com/nodegroup", operator: "In", values: [cluster.systemNodes.nodeGroupName] },
                  ],
                },
              ],
            },
          },
        },
      },
      skipCrds: true,
      // The controller's role and association are in the infra stack, applied before.
      dependsOn: [crds.release, ...dependsOn],
    });

    const workloads = nodePools(spec).workloads;
    const vcpus = awsVcpus(workloads.instanceType);
    if (vcpus === undefined) throw new Error(`cannot size the NodePool: ${workloads.instanceType} has no known vCPU count`);
    const nodeClass = {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: DEFAULT },
      spec: {
        role: this.nodeRoleName,
        amiSelectorTerms: [{ alias: this.props.amiAlias ?? "al2023@latest" }],
        subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": cluster.name } }],
        securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": cluster.name } }],
        metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
        blockDeviceMappings: [
          {
            deviceName: ROOT_DEVICE,
            ebs: {
              volumeSize: `${workloads.diskGb}Gi`,
              volumeType: "gp3",
              encrypted: true,
              kmsKeyID: keys.volumes.arn,
              deleteOnTermination: true,
            },
          },
        ],
        tags: nodeTags(spec),
      },
    };
    const family = workloads.instanceType.split(".")[0];
    const nodePool = {
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name: DEFAULT },
      spec: {
        template: {
          spec: {
            nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: DEFAULT },
            requirements: [
              { key: "karpenter.k8s.aws/instance-family", operator: "In", values: [family] },
              { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
              { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
              { key: "kubernetes.io/arch", operator: "In", values: [isGraviton(workloads.instanceType) ? "arm64" : "amd64"] },
            ],
            expireAfter: "720h",
          },
        },
        limits: { cpu: String(workloads.max * vcpus) },
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] },
      },
    };
    const nodes = new Manifests(container, "Nodes", {
      name: "karpenter-nodes",
      namespace: NAMESPACE,
      objects: [nodeClass, nodePool],
      dependsOn: [crds.release, controller.release],
    });
    return { controller, nodes };
  }

  private interruptionRules(naming: Naming) {
    const rules = {} as Record<keyof typeof INTERRUPTION_EVENTS, CloudwatchEventRule>;
    for (const key of Object.keys(INTERRUPTION_EVENTS) as (keyof typeof INTERRUPTION_EVENTS)[]) {
      const event = INTERRUPTION_EVENTS[key];
      const name = naming.name("karpenter", key.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase(), 64);
      rules[key] = new CloudwatchEventRule(this, `${key}Rule`, {
        name,
        description: `Karpenter interruption handling: ${event.detailType}`,
        eventPattern: JSON.stringify({ source: [event.source], "detail-type": [event.detailType] }),
        tags: { Name: name },
      });
      new CloudwatchEventTarget(this, `${key}Target`, { rule: rules[key].name, arn: this.queue.arn, targetId: "KarpenterInterruptionQueue" });
    }
    return rules;
  }

  /** EventBridge (only from these rules) and SQS may send; nothing may use the queue without TLS. */
  private queuePolicy() {
    const document = new DataAwsIamPolicyDocument(this, "InterruptionQueuePolicyDocument", {
      statement: [
        {
          sid: "EventBridgeRules",
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [this.queue.arn],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: Object.values(this.rules).map((r) => r.arn) }],
        },
        {
          sid: "SqsService",
          principals: [{ type: "Service", identifiers: ["sqs.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [this.queue.arn],
        },
        {
          sid: "DenyWithoutTls",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["sqs:*"],
          resources: [this.queue.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new SqsQueuePolicy(this, "InterruptionQueuePolicy", { queueUrl: this.queue.url, policy: document.json });
  }
}
