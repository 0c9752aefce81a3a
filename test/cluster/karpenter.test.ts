import { parse } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { synth, type Block, type StackJson } from "../support/synth";

const spec = (cluster: Record<string, unknown> = {}, tier = "medium") => ({
  name: "acme",
  tier,
  target: { cloud: "aws", region: "us-west-2" },
  network: { cidr: "10.42.0.0/16" },
  cluster,
});

/** How the platform stack reads an infra attribute: through the remote state of the infra stack. */
const remote = (block: Block, attribute: string) =>
  expect.stringMatching(
    new RegExp(`^\\$\\{data\\.terraform_remote_state\\.[\\w-]+\\.outputs\\.cross-stack-output-${block.tfAddress.replace(".", "")}${attribute.replace(/[^\w]/g, "")}\\}$`),
  );

const EVENTS = [
  { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
  { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
  { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
  { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
  { source: ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"] },
];

describe("Karpenter", () => {
  let infra: StackJson;
  let platform: StackJson;
  let queue: Block;
  const doc = (part: string): Record<string, any>[] => {
    const docs = infra.data("aws_iam_policy_document").filter((d) => d.tfAddress.includes(part));
    expect(docs, part).toHaveLength(1);
    return docs[0].statement;
  };
  const statement = (part: string, sid: string) => doc(part).find((s) => s.sid === sid)!;
  const key = (name: string) => infra.resource("aws_kms_key", (k) => k.tags.Name === name);
  const role = (name: string) => infra.resource("aws_iam_role", (r) => r.name === name);
  const release = (stack: StackJson, part: string) => stack.resource("helm_release", (r) => r.tfAddress.includes(part));
  const objects = (stack: StackJson) => parse(release(stack, "Karpenter_Nodes").values[0]).objects as Record<string, any>[];

  beforeAll(async () => {
    ({ infra, platform } = await synth(spec()));
    queue = infra.resource("aws_sqs_queue");
  });

  test("the interruption queue keeps messages 5 minutes and is encrypted with the events key", () => {
    expect(queue.name).toBe("acme-karpenter");
    expect(queue.message_retention_seconds).toBe(300);
    expect(queue.kms_master_key_id).toBe(infra.ref(key("acme-events"), "arn"));
    expect(queue.sqs_managed_sse_enabled).toBeUndefined();
  });

  test("the queue policy admits EventBridge (from the rules only) and SQS, and denies any call without TLS", () => {
    const policy = infra.resource("aws_sqs_queue_policy");
    expect(policy.queue_url).toBe(infra.ref(queue, "url"));
    const statements = doc("InterruptionQueuePolicyDocument");
    const allow = statements.filter((s) => s.effect !== "Deny");
    expect(allow.flatMap((s) => s.principals[0].identifiers).sort()).toEqual(["events.amazonaws.com", "sqs.amazonaws.com"]);
    for (const s of allow) expect([s.actions, s.resources]).toEqual([["sqs:SendMessage"], [infra.ref(queue, "arn")]]);
    const rules = infra.resources("aws_cloudwatch_event_rule").map((r) => infra.ref(r, "arn"));
    const fromRules = allow.find((s) => s.sid === "EventBridgeRules")!.condition;
    expect(fromRules).toEqual([{ test: "ArnEquals", variable: "aws:SourceArn", values: expect.any(Array) }]);
    expect([...fromRules[0].values].sort()).toEqual(rules.sort());
    expect(statements.find((s) => s.effect === "Deny")).toMatchObject({
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["sqs:*"],
      resources: [infra.ref(queue, "arn")],
      condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    });
  });

  test("five EventBridge rules with the exact event patterns, each targeting the queue", () => {
    const rules = infra.resources("aws_cloudwatch_event_rule");
    expect(rules.map((r) => JSON.parse(r.event_pattern))).toEqual(expect.arrayContaining(EVENTS));
    expect(rules).toHaveLength(5);
    const targets = infra.resources("aws_cloudwatch_event_target");
    for (const rule of rules) {
      expect(targets.filter((t) => t.rule === infra.ref(rule, "name") && t.arn === infra.ref(queue, "arn")), rule.name).toHaveLength(1);
    }
  });

  test("the node role carries the node policies and joins through an EC2_LINUX access entry", () => {
    const node = role("acme-karpenter-node");
    const policies = infra
      .resources("aws_iam_role_policy_attachment")
      .filter((a) => a.role === infra.ref(node, "name"))
      .map((a) => a.policy_arn.split("/").pop())
      .sort();
    expect(policies).toEqual(["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"].sort());
    expect(infra.resource("aws_eks_access_entry", (e) => e.type === "EC2_LINUX").principal_arn).toBe(infra.ref(node, "arn"));
  });

  test("the controller's role is bound to kube-system/karpenter with the six split policies", () => {
    const controller = role("acme-pod-kube-system-karpenter");
    const association = infra.resource("aws_eks_pod_identity_association", (a) => a.service_account === "karpenter");
    expect(association).toMatchObject({ namespace: "kube-system", role_arn: infra.ref(controller, "arn"), cluster_name: "acme-cluster" });
    const attached = infra.resources("aws_iam_role_policy_attachment").filter((a) => a.role === infra.ref(controller, "name"));
    const policies = infra.resources("aws_iam_policy").filter((p) => attached.some((a) => a.policy_arn === infra.ref(p, "arn")));
    expect(policies.map((p) => p.name).sort()).toEqual(
      ["eksintegration", "iamintegration", "interruption", "nodelifecycle", "resourcediscovery", "zonalshift"].map((n) => `acme-karpenter-${n}`),
    );
  });

  test("the controller may pass only the Karpenter node role, to EC2", () => {
    const passRole = doc("ControllerIAMIntegration").filter((s) => s.actions.includes("iam:PassRole"));
    expect(passRole).toHaveLength(1);
    expect(passRole[0].resources).toEqual([infra.ref(role("acme-karpenter-node"), "arn")]);
    expect(passRole[0].condition[0]).toMatchObject({ test: "StringEquals", variable: "iam:PassedToService" });
  });

  test("the controller launches, tags and terminates only what is tagged for this cluster and a NodePool", () => {
    const lifecycle = doc("ControllerNodeLifecycle");
    const create = lifecycle.find((s) => s.sid === "CreateOnlyTaggedForThisCluster")!;
    expect(create.condition).toEqual(
      expect.arrayContaining([
        { test: "StringEquals", variable: "aws:RequestTag/kubernetes.io/cluster/acme-cluster", values: ["owned"] },
        { test: "StringEquals", variable: "aws:RequestTag/eks:eks-cluster-name", values: ["acme-cluster"] },
        { test: "StringLike", variable: "aws:RequestTag/karpenter.sh/nodepool", values: ["*"] },
      ]),
    );
    const terminate = lifecycle.find((s) => s.actions.includes("ec2:TerminateInstances"))!;
    expect(terminate.condition).toContainEqual({ test: "StringEquals", variable: "aws:ResourceTag/kubernetes.io/cluster/acme-cluster", values: ["owned"] });
    for (const s of lifecycle) for (const r of s.resources) expect(r, s.sid).toMatch(/^arn:\$\{[^}]+\}:ec2:us-west-2:/);
    expect(lifecycle.every((s) => s.sid === "LaunchFromImagesSubnetsAndSecurityGroups" || s.condition?.length > 0)).toBe(true);
  });

  test("the controller reads only its cluster, its queue (decrypting with the events key) and its zonal shifts", () => {
    const cluster = infra.resource("aws_eks_cluster");
    expect(doc("ControllerEKSIntegration")).toEqual([expect.objectContaining({ actions: ["eks:DescribeCluster"], resources: [infra.ref(cluster, "arn")] })]);
    expect(statement("ControllerInterruption", "ConsumeTheInterruptionQueue").resources).toEqual([infra.ref(queue, "arn")]);
    expect(statement("ControllerInterruption", "DecryptInterruptionMessages")).toMatchObject({ actions: ["kms:Decrypt"], resources: [infra.ref(key("acme-events"), "arn")] });
    expect(statement("ControllerZonalShift", "ReadThisClusterZonalShift").condition).toEqual([
      { test: "StringEquals", variable: "arc-zonal-shift:ResourceIdentifier", values: [infra.ref(cluster, "arn")] },
    ]);
    expect(statement("ControllerResourceDiscovery", "ReadEc2InThisRegion").condition).toEqual([
      { test: "StringEquals", variable: "aws:RequestedRegion", values: ["us-west-2"] },
    ]);
  });

  test("the chart is the pinned 1.x release from Karpenter's OCI registry, in kube-system", () => {
    const chart = release(platform, "Karpenter_Controller");
    expect(chart).toMatchObject({ repository: "oci://public.ecr.aws/karpenter", chart: "karpenter", namespace: "kube-system" });
    // 1.9 is the first release for Kubernetes 1.35; the CRD chart moves in lockstep.
    expect(chart.version).toBe("1.14.1");
    expect(release(platform, "Karpenter_Crds").version).toBe(chart.version);
  });

  test("the controller knows its cluster, endpoint, queue and region, and runs on the system node group", () => {
    const values = parse(release(platform, "Karpenter_Controller").values[0]);
    expect(values.settings).toMatchObject({ clusterName: "acme-cluster", interruptionQueue: "acme-karpenter" });
    expect(values.settings.clusterEndpoint).toEqual(remote(infra.resource("aws_eks_cluster"), "endpoint"));
    expect(values.serviceAccount).toEqual({ create: true, name: "karpenter" });
    expect(values.replicas).toBe(2);
    expect(values.controller.env).toContainEqual({ name: "AWS_REGION", value: "us-west-2" });
    expect(values.controller.resources.requests).toBeDefined();
    const terms = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toEqual([
      {
        matchExpressions: [
          { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
          { key: "eks.amazonaws.com/nodegroup", operator: "In", values: [infra.resource("aws_eks_node_group").node_group_name] },
        ],
      },
    ]);
  });

  test("the CRDs come from the karpenter-crd chart (Helm upgrades its templates), the controller skips its own copy", () => {
    const crds = release(platform, "Karpenter_Crds");
    expect(crds).toMatchObject({ repository: "oci://public.ecr.aws/karpenter", chart: "karpenter-crd", version: "1.14.1" });
    const controller = release(platform, "Karpenter_Controller");
    expect(controller.skip_crds).toBe(true);
    expect(controller.depends_on).toContain(crds.tfAddress);
  });

  test("the NodePool and EC2NodeClass are applied after their CRDs and the controller", () => {
    expect(release(platform, "Karpenter_Nodes").depends_on).toEqual([release(platform, "Karpenter_Crds").tfAddress, release(platform, "Karpenter_Controller").tfAddress]);
    expect(objects(platform).map((o) => [o.apiVersion, o.kind])).toEqual([
      ["karpenter.k8s.aws/v1", "EC2NodeClass"],
      ["karpenter.sh/v1", "NodePool"],
    ]);
  });

  test("the EC2NodeClass: node role, discovery selectors, IMDSv2 with hop limit 1, encrypted gp3 root under the volumes key", () => {
    const nodeClass = objects(platform)[0].spec;
    expect(nodeClass.role).toBe("acme-karpenter-node");
    expect(nodeClass.amiSelectorTerms).toEqual([{ alias: "al2023@latest" }]);
    expect(nodeClass.subnetSelectorTerms).toEqual([{ tags: { "karpenter.sh/discovery": "acme-cluster" } }]);
    expect(nodeClass.securityGroupSelectorTerms).toEqual([{ tags: { "karpenter.sh/discovery": "acme-cluster" } }]);
    expect(nodeClass.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(nodeClass.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: "100Gi", volumeType: "gp3", encrypted: true, kmsKeyID: remote(key("acme-volumes"), "arn"), deleteOnTermination: true },
      },
    ]);
    expect(nodeClass.tags).toMatchObject({ deployment: "acme", "managed-by": "cdktf-byoc" });
    expect(nodeClass.tags.Name).toBeUndefined();
  });

  test("the NodePool: the workload family on demand, a CPU limit from the tier, expiry and bounded consolidation", () => {
    const pool = objects(platform)[1].spec;
    expect(pool.template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: objects(platform)[0].metadata.name });
    expect(pool.template.spec.requirements).toEqual([
      { key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m6i"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
      { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
    ]);
    // medium: up to 45 m6i.xlarge (4 vCPUs each).
    expect(pool.limits).toEqual({ cpu: "180" });
    expect(pool.template.spec.expireAfter).toBe("720h");
    expect(pool.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] });
  });

  test("the workload pool's type sets the family, architecture, disk and CPU budget", async () => {
    const { platform: small } = await synth(spec({}, "small"));
    expect(objects(small)[1].spec.limits).toEqual({ cpu: "16" }); // 8 x t3.large (2 vCPUs)
    const { platform: arm } = await synth(spec({ nodePools: { workloads: { instanceType: "m7g.2xlarge", max: 10, diskGb: 150 } } }));
    const [nodeClass, pool] = objects(arm);
    expect(pool.spec.template.spec.requirements).toContainEqual({ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] });
    expect(pool.spec.template.spec.requirements).toContainEqual({ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m7g"] });
    expect(pool.spec.limits).toEqual({ cpu: "80" });
    expect(nodeClass.spec.blockDeviceMappings[0].ebs.volumeSize).toBe("150Gi");
  });
});
