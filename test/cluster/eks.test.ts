import { beforeAll, describe, expect, test } from "vitest";
import { synth, type Block, type StackJson } from "../support/synth";

const ADMIN = "arn:aws:iam::111122223333:role/platform-admin";
const BREAKGLASS = "arn:aws:iam::111122223333:user/breakglass";

const spec = (over: { tier?: string; cluster?: Record<string, unknown> } = {}) => ({
  name: "acme",
  tier: over.tier ?? "medium",
  target: { cloud: "aws", region: "us-west-2" },
  network: {
    cidr: "10.42.0.0/16",
    flowLogRetentionDays: 90,
    peers: [{ name: "hq", cidrs: ["192.168.0.0/20"], gatewayIp: "203.0.113.10", psk: { secretRef: "acme/vpn/hq-psk" } }],
  },
  cluster: { admins: [ADMIN, BREAKGLASS], ...over.cluster },
});

/** The statements of an aws_iam_policy_document whose address contains `part`. */
function statements(stack: StackJson, part: string): Record<string, any>[] {
  const docs = stack.data("aws_iam_policy_document").filter((d) => d.tfAddress.includes(part));
  if (docs.length !== 1) throw new Error(`expected one policy document matching ${part}, found ${docs.length}`);
  return docs[0].statement;
}

describe("EksCluster", () => {
  let infra: StackJson;
  let cluster: Block;
  let nodeGroup: Block;
  const key = (name: string) => infra.resource("aws_kms_key", (k) => k.tags.Name === name);
  const addon = (name: string) => infra.resource("aws_eks_addon", (a) => a.addon_name === name);
  const sg = (name: string) => infra.resource("aws_security_group", (g) => g.name === name);
  const attachedPolicies = (role: Block) =>
    infra
      .resources("aws_iam_role_policy_attachment")
      .filter((a) => a.role === infra.ref(role, "name"))
      .map((a) => a.policy_arn.split("/").pop());

  beforeAll(async () => {
    ({ infra } = await synth(spec()));
    cluster = infra.resource("aws_eks_cluster");
    nodeGroup = infra.resource("aws_eks_node_group");
  });

  test("is named for the discovery tag the subnets carry, at the default version", () => {
    expect(cluster.name).toBe("acme-cluster");
    expect(cluster.version).toBe("1.35");
    const privateSubnets = infra.resources("aws_subnet").filter((s) => s.tags.Name.startsWith("acme-private-"));
    for (const s of privateSubnets) expect(s.tags["karpenter.sh/discovery"]).toBe(cluster.name);
    expect(cluster.vpc_config.subnet_ids).toEqual(privateSubnets.map((s) => infra.ref(s, "id")));
  });

  test("the API server is private by default: no public endpoint, no public ranges", () => {
    expect(cluster.vpc_config.endpoint_private_access).toBe(true);
    expect(cluster.vpc_config.endpoint_public_access).toBe(false);
    expect(cluster.vpc_config.public_access_cidrs).toBeUndefined();
  });

  test("public-restricted opens the public endpoint to exactly the allowlist", async () => {
    const { infra: open } = await synth(spec({ cluster: { endpoint: "public-restricted", allowedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] } }));
    const vpc = open.resource("aws_eks_cluster").vpc_config;
    expect(vpc.endpoint_public_access).toBe(true);
    expect(vpc.endpoint_private_access).toBe(true);
    expect(vpc.public_access_cidrs).toEqual(["203.0.113.0/24", "198.51.100.7/32"]);
  });

  test("the API security group admits HTTPS from the nodes, the VPC and the VPN peers only", () => {
    const controlPlane = sg("acme-eks-control-plane");
    expect(cluster.vpc_config.security_group_ids).toEqual([infra.ref(controlPlane, "id")]);
    const rules = infra.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === infra.ref(controlPlane, "id"));
    expect(rules.map((r) => [r.ip_protocol, r.from_port, r.to_port])).toEqual(rules.map(() => ["tcp", 443, 443]));
    expect(rules.map((r) => r.cidr_ipv4 ?? r.referenced_security_group_id).sort()).toEqual(
      ["10.42.0.0/16", "192.168.0.0/20", infra.ref(sg("acme-eks-nodes"), "id")].sort(),
    );
    expect(infra.resources("aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === infra.ref(controlPlane, "id"))).toEqual([]);
  });

  test("every control-plane log type goes to a KMS-encrypted group with the spec's retention, created first", () => {
    expect([...cluster.enabled_cluster_log_types].sort()).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    const group = infra.resource("aws_cloudwatch_log_group", (g) => g.name === "/aws/eks/acme-cluster/cluster");
    expect(group.kms_key_id).toBe(infra.ref(key("acme-logs"), "arn"));
    expect(group.retention_in_days).toBe(90);
    expect(cluster.depends_on).toContain(group.tfAddress);
  });

  test("secrets are envelope-encrypted with a rotating, protected customer key the cluster role may use", () => {
    const secretsKey = key("acme-eks-secrets");
    expect(cluster.encryption_config).toEqual({ provider: { key_arn: infra.ref(secretsKey, "arn") }, resources: ["secrets"] });
    expect(secretsKey.enable_key_rotation).toBe(true);
    expect(secretsKey.lifecycle.prevent_destroy).toBe(true);
    const kms = statements(infra, "ClusterRoleKms");
    expect(kms).toEqual([expect.objectContaining({ resources: [infra.ref(secretsKey, "arn")] })]);
    expect(kms[0].actions).toEqual(expect.arrayContaining(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]));
  });

  test("access is by access entries only: no creator admin, no self-managed add-ons, deletion protected", () => {
    expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    expect(cluster.bootstrap_self_managed_addons).toBe(false);
    expect(cluster.deletion_protection).toBe(true);
    expect(cluster.lifecycle.prevent_destroy).toBe(true);
    expect(cluster.upgrade_policy).toEqual({ support_type: "STANDARD" });
    expect(cluster.zonal_shift_config).toEqual({ enabled: true });
  });

  test("each admin gets a STANDARD access entry with cluster-wide AmazonEKSClusterAdminPolicy", () => {
    const entries = infra.resources("aws_eks_access_entry").filter((e) => e.type === "STANDARD" && !e.count);
    expect(entries.map((e) => e.principal_arn).sort()).toEqual([ADMIN, BREAKGLASS].sort());
    const associations = infra.resources("aws_eks_access_policy_association").filter((a) => !a.count);
    expect(associations).toHaveLength(2);
    for (const entry of entries) {
      const association = associations.find((a) => a.principal_arn === infra.ref(entry, "principal_arn"))!;
      expect(association.policy_arn).toMatch(/^arn:\$\{.+\}:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy$/);
      expect(association.access_scope).toEqual({ type: "cluster" });
      expect(association.cluster_name).toBe(infra.ref(cluster, "name"));
    }
  });

  test("the deploying IAM role is admin too unless it is listed, so it can apply the platform stack", () => {
    const session = infra.data("aws_iam_session_context")[0];
    const deployer = `\${${session.tfAddress}.issuer_arn}`;
    const entry = infra.resource("aws_eks_access_entry", (e) => e.principal_arn === deployer);
    const association = infra.resource("aws_eks_access_policy_association", (a) => a.principal_arn === deployer);
    const count = `\${contains(["${ADMIN}", "${BREAKGLASS}"], ${session.tfAddress.replace(/^data\./, "data.")}.issuer_arn) ? 0 : 1}`;
    expect(entry.count).toBe(count);
    expect(association.count).toBe(count);
    expect(association.policy_arn).toMatch(/AmazonEKSClusterAdminPolicy$/);
    expect(association.depends_on).toContain(entry.tfAddress);
  });

  test("networking add-ons come before the node group, CoreDNS and the EBS driver after it", () => {
    for (const name of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) {
      expect(nodeGroup.depends_on, name).toContain(addon(name).tfAddress);
      expect(addon(name).depends_on ?? [], name).not.toContain(nodeGroup.tfAddress);
    }
    for (const name of ["coredns", "aws-ebs-csi-driver"]) expect(addon(name).depends_on, name).toContain(nodeGroup.tfAddress);
  });

  test("add-ons run the newest version for the cluster's Kubernetes version, and the CNI enforces NetworkPolicies", () => {
    for (const a of infra.resources("aws_eks_addon")) {
      const version = infra.data("aws_eks_addon_version").find((v) => a.addon_version === infra.ref(v, "version"))!;
      expect(version, a.addon_name).toMatchObject({ addon_name: a.addon_name, kubernetes_version: "1.35", most_recent: true });
      expect(a.cluster_name).toBe(infra.ref(cluster, "name"));
    }
    expect(JSON.parse(addon("vpc-cni").configuration_values)).toEqual({ enableNetworkPolicy: "true" });
  });

  test("the EBS CSI driver binds a Pod Identity role with its policy and grants on the volumes key", () => {
    const ebs = addon("aws-ebs-csi-driver");
    const role = infra.resource("aws_iam_role", (r) => r.name === "acme-pod-kube-system-ebs-csi");
    expect(ebs.pod_identity_association).toEqual([{ role_arn: infra.ref(role, "arn"), service_account: "ebs-csi-controller-sa" }]);
    expect(attachedPolicies(role)).toEqual(["AmazonEBSCSIDriverPolicy"]);
    const volumes = infra.ref(key("acme-volumes"), "arn");
    const grants = statements(infra, "EbsCsiRole_Permissions").find((s) => s.actions.includes("kms:CreateGrant"))!;
    expect(grants.resources).toEqual([volumes]);
    expect(grants.condition).toEqual([{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }]);
    const trust = statements(infra, "EbsCsiRole_Trust")[0];
    expect(trust.principals).toEqual([{ type: "Service", identifiers: ["pods.eks.amazonaws.com"] }]);
    expect(trust.actions).toEqual(["sts:AssumeRole", "sts:TagSession"]);
    expect(trust.condition).toContainEqual({ test: "StringEquals", variable: "aws:RequestTag/kubernetes-service-account", values: ["ebs-csi-controller-sa"] });
  });

  test("the system node group sizes from the tier, keeps its desired size, and runs AL2023 in the private subnets", () => {
    expect(nodeGroup.node_group_name).toBe("acme-system");
    expect(nodeGroup.scaling_config).toEqual({ min_size: 3, max_size: 5, desired_size: 3 });
    expect(nodeGroup.lifecycle.ignore_changes).toEqual(["scaling_config[0].desired_size"]);
    expect(nodeGroup.ami_type).toBe("AL2023_x86_64_STANDARD");
    expect(nodeGroup.subnet_ids).toEqual(cluster.vpc_config.subnet_ids);
    expect(nodeGroup.instance_types).toBeUndefined();
    expect(nodeGroup.disk_size).toBeUndefined();
  });

  test("the launch template requires IMDSv2 with hop limit 1 and an encrypted gp3 root volume under the volumes key", () => {
    const lt = infra.resource("aws_launch_template");
    expect(nodeGroup.launch_template).toEqual({ id: infra.ref(lt, "id"), version: infra.ref(lt, "latest_version") });
    expect(lt.metadata_options).toMatchObject({ http_tokens: "required", http_put_response_hop_limit: 1, http_endpoint: "enabled" });
    expect(lt.block_device_mappings).toEqual([
      {
        device_name: "/dev/xvda",
        ebs: { volume_type: "gp3", volume_size: 100, encrypted: "true", kms_key_id: infra.ref(key("acme-volumes"), "arn"), delete_on_termination: "true" },
      },
    ]);
    expect(lt.instance_type).toBe("m6i.large");
    expect(lt.vpc_security_group_ids).toEqual([infra.ref(sg("acme-eks-nodes"), "id")]);
    expect(lt.iam_instance_profile).toBeUndefined();
    expect(lt.network_interfaces).toBeUndefined();
    expect(lt.tag_specifications.map((t: { resource_type: string }) => t.resource_type).sort()).toEqual(["instance", "network-interface", "volume"]);
    expect(lt.tag_specifications[0].tags).toMatchObject({ deployment: "acme", "managed-by": "cdktf-byoc" });
  });

  const nodeEgress = (stack: StackJson) => {
    const nodes = stack.ref(stack.resource("aws_security_group", (g) => g.name === "acme-eks-nodes"), "id");
    return stack
      .resources("aws_vpc_security_group_egress_rule")
      .filter((r) => r.security_group_id === nodes)
      .map((r) => [r.cidr_ipv4, r.ip_protocol, r.from_port ?? null, r.to_port ?? null])
      .sort();
  };

  test("node egress: the VPC, the VPN peers, and HTTPS anywhere; nothing else leaves for 0.0.0.0/0", () => {
    expect(nodeEgress(infra)).toEqual(
      [
        ["0.0.0.0/0", "tcp", 443, 443],
        ["10.42.0.0/16", "-1", null, null],
        ["192.168.0.0/20", "-1", null, null],
      ].sort(),
    );
  });

  test("with a remote-access connector, nodes also reach Twingate's relays on TCP 30000-31000", async () => {
    const { infra: withConnector } = await synth({ ...spec(), vpn: { remoteAccess: { provider: "twingate", network: "acme", tokens: { secretRef: "acme/twingate" } } } });
    expect(nodeEgress(withConnector)).toContainEqual(["0.0.0.0/0", "tcp", 30000, 31000]);
    expect(nodeEgress(withConnector)).toHaveLength(4);
  });

  test("with a GitOps repository over SSH, nodes also reach TCP 22; over HTTPS they do not", async () => {
    const gitops = (repo: string) => ({ ...spec(), platform: { tenants: [{ name: "app", cpu: "4", memory: "8Gi" }], gitops: { repo } } });
    const { infra: ssh } = await synth(gitops("git@git.example.com:acme/deploy.git"));
    expect(nodeEgress(ssh)).toContainEqual(["0.0.0.0/0", "tcp", 22, 22]);
    const { infra: https } = await synth(gitops("https://git.example.com/acme/deploy.git"));
    expect(nodeEgress(https)).toEqual(nodeEgress(infra));
  });

  test("node ingress: the control plane's ports from its group, and node to node", () => {
    const nodes = sg("acme-eks-nodes");
    expect(nodes.tags["karpenter.sh/discovery"]).toBe("acme-cluster");
    const ingress = infra.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === infra.ref(nodes, "id"));
    const fromControlPlane = ingress.filter((r) => r.referenced_security_group_id === infra.ref(sg("acme-eks-control-plane"), "id"));
    expect(fromControlPlane.map((r) => r.from_port).sort((a, b) => a - b)).toEqual([443, 4443, 6443, 8443, 9443, 10250, 10251]);
    for (const r of fromControlPlane) expect([r.ip_protocol, r.to_port]).toEqual(["tcp", r.from_port]);
    const rest = ingress.filter((r) => !fromControlPlane.includes(r));
    expect(rest).toEqual([expect.objectContaining({ referenced_security_group_id: infra.ref(nodes, "id"), ip_protocol: "-1" })]);
  });

  test("roles: the cluster role and the node role carry exactly the AWS policies they need", () => {
    expect(attachedPolicies(infra.resource("aws_iam_role", (r) => r.name === "acme-eks-cluster"))).toEqual(["AmazonEKSClusterPolicy"]);
    expect(attachedPolicies(infra.resource("aws_iam_role", (r) => r.name === "acme-eks-system-node")).sort()).toEqual(
      ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"].sort(),
    );
    expect(nodeGroup.node_role_arn).toBe(infra.ref(infra.resource("aws_iam_role", (r) => r.name === "acme-eks-system-node"), "arn"));
  });

  test("the volumes key lets EC2 use it for the account and Auto Scaling attach it; the events key lets EventBridge write", () => {
    const volumes = statements(infra, "VolumesKeyPolicy");
    const ec2 = volumes.find((s) => s.sid === "Ec2ForPrincipalsOfThisAccount")!;
    expect(ec2.condition).toEqual(
      expect.arrayContaining([
        { test: "StringEquals", variable: "kms:ViaService", values: ["ec2.us-west-2.amazonaws.com"] },
        { test: "StringEquals", variable: "kms:CallerAccount", values: [expect.stringMatching(/caller_identity/)] },
      ]),
    );
    const attach = volumes.find((s) => s.sid === "AutoScalingServiceLinkedRoleAttachVolumes")!;
    expect(attach.actions).toEqual(["kms:CreateGrant"]);
    expect(attach.condition).toContainEqual({ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] });
    expect(attach.condition[0].values[0]).toMatch(/:role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/);
    const events = statements(infra, "EventsKeyPolicy").find((s) => s.sid === "EventBridgeOfThisAccount")!;
    expect(events.principals).toEqual([{ type: "Service", identifiers: ["events.amazonaws.com"] }]);
    expect(events.actions).toEqual(["kms:GenerateDataKey", "kms:Decrypt"]);
    expect(events.condition[0].variable).toBe("aws:SourceAccount");
    for (const name of ["acme-eks-secrets", "acme-volumes", "acme-events", "acme-logs"]) {
      expect(key(name)).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    }
  });

  test("outputs: named after the construct's path (Cluster), for the cluster and its security groups", () => {
    expect(infra.json.output.cluster_name.value).toBe(infra.ref(cluster, "name"));
    expect(infra.json.output.cluster_endpoint.value).toBe(infra.ref(cluster, "endpoint"));
    expect(infra.json.output.cluster_arn.value).toBe(infra.ref(cluster, "arn"));
    expect(infra.json.output.cluster_security_group_id.value).toBe(infra.ref(sg("acme-eks-control-plane"), "id"));
    expect(infra.json.output.cluster_node_security_group_id.value).toBe(infra.ref(sg("acme-eks-nodes"), "id"));
    expect(infra.json.output.cluster_oidc_issuer_url.value).toBe(`\${${cluster.tfAddress}.identity[0].oidc[0].issuer}`);
  });

  test("a Graviton system type gets the arm64 AMI; the spec's version is used", async () => {
    const { infra: arm } = await synth(spec({ cluster: { version: "1.34", nodePools: { system: { instanceType: "m7g.large" } } } }));
    expect(arm.resource("aws_eks_node_group").ami_type).toBe("AL2023_ARM_64_STANDARD");
    expect(arm.resource("aws_eks_cluster").version).toBe("1.34");
    expect(arm.resource("aws_eks_node_group").version).toBe("1.34");
  });

  test("a tier change (small to large) keeps the addresses of the cluster, its keys and the node group", async () => {
    const [{ infra: small }, { infra: large }] = await Promise.all([synth(spec({ tier: "small" })), synth(spec({ tier: "large" }))]);
    const addresses = (s: StackJson) =>
      ["aws_eks_cluster", "aws_kms_key", "aws_eks_node_group", "aws_launch_template"].flatMap((t) => s.resources(t).map((r) => r.tfAddress)).sort();
    expect(addresses(large)).toEqual(addresses(small));
    expect(addresses(small)).toHaveLength(9);
    expect(large.resource("aws_eks_node_group").node_group_name).toBe(small.resource("aws_eks_node_group").node_group_name);
    // The size changes in the launch template (a rolling update), not in the group's replacement-forcing fields.
    expect(small.resource("aws_launch_template").instance_type).toBe("t3.large");
    expect(large.resource("aws_launch_template").instance_type).toBe("m6i.xlarge");
    expect(large.resource("aws_launch_template").block_device_mappings[0].ebs.volume_size).toBe(200);
  });
});
