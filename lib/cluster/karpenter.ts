import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { awsVcpus, TIERS, type NodePoolSize } from "../config/tiers";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { IAwsKey } from "../data/keys/aws";
import { CHARTS } from "../platform/charts";
import type { IEksCluster } from "./eks";
import { karpenterControllerPolicies } from "./eks-karpenter-policies";
import { isGraviton, nodeRole, nodeTags, ROOT_DEVICE } from "./eks-nodes";
import type { PodIdentityRole } from "./eks-pod-identity";

export interface KarpenterProps {
  /** The cluster Karpenter adds nodes to: its node role joins through an access entry, its controller binds through Pod Identity. */
  readonly cluster: IEksCluster;
  /** Encrypts the root volumes of Karpenter's nodes. */
  readonly volumesKey: IAwsKey;
  /** Encrypts the interruption queue; its policy must let EventBridge use it (AwsKeys' `events` key does). */
  readonly eventsKey: IAwsKey;
  /**
   * The default NodePool: its instance type sets the family and architecture, `max` with
   * the type's vCPUs the CPU limit, `diskGb` the root volume (`min` is unused: Karpenter
   * starts nodes on demand). The type must be a medium, large or <n>xlarge size.
   * @default - the small tier's, TIERS.small.nodePools.aws.workloads
   */
  readonly workloadsPool?: NodePoolSize;
  /** The user's tags on what Karpenter launches; the deployment's are added. @default {} */
  readonly tags?: Record<string, string>;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
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

/** What the AWS platform target installs: Karpenter's releases in the platform stack. */
export interface IKarpenter {
  /**
   * The platform part, in `scope` (the platform stack): the CRD chart, the controller and
   * the default EC2NodeClass and NodePool. `dependsOn`: releases the controller waits for.
   */
  install(scope: Construct, id: string, dependsOn?: ITerraformDependable[]): KarpenterRelease;
}

/**
 * Karpenter for the workload nodes. The infra part lives here: the node role (with an
 * EC2_LINUX access entry so its nodes join), the controller's role bound to
 * kube-system/karpenter through Pod Identity with the six split v1 policies, and the
 * interruption queue (KMS-encrypted with the events key, TLS only) fed by EventBridge.
 * `install` adds the platform part to the platform stack.
 */
export class Karpenter extends Construct implements IKarpenter {
  static readonly DEFAULT_AMI_ALIAS = "al2023@latest";

  readonly nodeRole: IamRole;
  readonly nodeRoleName: string;
  readonly queue: SqsQueue;
  readonly queueName: string;
  readonly controller: PodIdentityRole;
  readonly rules: Record<keyof typeof INTERRUPTION_EVENTS, CloudwatchEventRule>;
  readonly workloadsPool: NodePoolSize;
  readonly amiAlias: string;
  /** The default NodePool's CPU limit: the pool's max times its type's vCPUs. */
  readonly cpuLimit: number;
  private readonly cluster: IEksCluster;
  private readonly volumesKey: IAwsKey;
  private readonly launchTags: Record<string, string>;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    const { cluster } = props;
    this.workloadsPool = props.workloadsPool ?? TIERS.small.nodePools.aws.workloads;
    this.amiAlias = props.amiAlias ?? Karpenter.DEFAULT_AMI_ALIAS;
    this.cpuLimit = this.validate();
    setComponent(this, "karpenter");
    const naming = namingOf(this, props.naming);
    this.cluster = cluster;
    this.volumesKey = props.volumesKey;
    this.launchTags = nodeTags(this, naming, props.tags);

    this.nodeRoleName = naming.name("karpenter-node", undefined, 64);
    this.nodeRole = nodeRole(this, "NodeRole", this.nodeRoleName, cluster.partition).role;
    cluster.addNodeRole(this, "NodeAccessEntry", this.nodeRole.arn);

    this.queueName = naming.name("karpenter", undefined, 80);
    this.queue = new SqsQueue(this, "InterruptionQueue", {
      name: this.queueName,
      messageRetentionSeconds: 300,
      kmsMasterKeyId: props.eventsKey.arn,
      tags: { Name: this.queueName },
    });
    this.rules = this.interruptionRules(naming);
    this.queuePolicy();

    const policies = karpenterControllerPolicies({
      partition: cluster.partition,
      region: cluster.region,
      accountId: cluster.accountId,
      clusterName: cluster.name,
      clusterArn: cluster.arn,
      nodeRoleArn: this.nodeRole.arn,
      queueArn: this.queue.arn,
      queueKeyArn: props.eventsKey.arn,
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
    const { cluster, workloadsPool: workloads } = this;
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
                    { key: "eks.amazonaws.com/nodegroup", operator: "In", values: [cluster.systemNodeGroupName] },
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

    const nodeClass = {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: DEFAULT },
      spec: {
        role: this.nodeRoleName,
        amiSelectorTerms: [{ alias: this.amiAlias }],
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
              kmsKeyID: this.volumesKey.arn,
              deleteOnTermination: true,
            },
          },
        ],
        tags: this.launchTags,
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
        limits: { cpu: String(this.cpuLimit) },
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

  /** Checks the props; returns the NodePool's CPU limit. */
  private validate(): number {
    const label = `Karpenter ${this.node.path}`;
    const { instanceType, max, diskGb } = this.workloadsPool;
    const vcpus = awsVcpus(instanceType);
    if (vcpus === undefined) {
      throw new Error(`${label}: workloadsPool.instanceType must be a medium, large or <n>xlarge size such as m6i.xlarge: the NodePool's CPU limit is max x the size's vCPUs (got ${JSON.stringify(instanceType)})`);
    }
    if (!Token.isUnresolved(max) && !(Number.isInteger(max) && max >= 1)) throw new Error(`${label}: workloadsPool.max must be a whole number of at least 1 (got ${max})`);
    if (!Token.isUnresolved(diskGb) && !(diskGb >= 20)) throw new Error(`${label}: workloadsPool.diskGb must be at least 20 (got ${diskGb})`);
    return max * vcpus;
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
