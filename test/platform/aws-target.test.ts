import { DefaultTokenResolver, StringConcat, Testing, Tokenization } from "cdktf";
import { Construct } from "constructs";
import { parse } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { parseSpec } from "../../lib/config/spec";
import { AwsPlatformTarget } from "../../lib/platform/targets/aws";
import type { Binding } from "../../lib/platform/target";
import { buildStacks } from "../../stacks";
import { roleOf, StackJson, type Block } from "../support/synth";

const spec = (over: Record<string, unknown> = {}) => ({
  name: "acme",
  tier: "medium",
  target: { cloud: "aws", region: "us-west-2", accountId: "111122223333" },
  network: { cidr: "10.42.0.0/16" },
  ...over,
});

type Bindings = { secretStore?: Binding<Record<string, unknown>>; dns01?: Binding<Record<string, unknown>> };

/**
 * Synthesizes as `cdktf synth` does (stacks prepared first, so cross-stack references
 * become remote state), after asking the AWS target for its two bindings in a scope of
 * the platform stack, for a service account no add-on uses.
 */
async function synthTarget(input: object): Promise<{ infra: StackJson; platform: StackJson; target: AwsPlatformTarget; bindings: Bindings }> {
  const stacks = await buildStacks(Testing.app(), parseSpec(input));
  const platformStack = stacks.find((s) => roleOf(s) === "platform")!;
  const target = platformStack.node.findAll().find((c): c is AwsPlatformTarget => c instanceof AwsPlatformTarget)!;
  const scope = new Construct(platformStack, "Probe");
  const sa = { namespace: "probe", name: "reader" };
  const bindings = { secretStore: target.secretStore(scope, sa), dns01: target.dns01Solver(scope, sa) };
  stacks.forEach((s) => s.prepareStack());
  const json = Object.fromEntries(stacks.map((s) => [roleOf(s), new StackJson(s.node.id, JSON.parse(Testing.synth(s)), s)]));
  return { infra: json.infra, platform: json.platform, target, bindings };
}

/** `${data.terraform_remote_state.<infra>.outputs.<output for block.attribute>}`. */
const remote = (block: Block, attribute: string) =>
  `\${data.terraform_remote_state.cross-stack-reference-input-acme-aws-infra.outputs.cross-stack-output-${block.tfAddress.replace(".", "")}${attribute.replace(/[^\w]/g, "")}}`;

describe("AwsPlatformTarget", () => {
  let infra: StackJson;
  let platform: StackJson;
  let target: AwsPlatformTarget;
  let bindings: Bindings;
  const probeStatements = (part: string): Record<string, any>[] =>
    platform.data("aws_iam_policy_document").find((d) => d.tfAddress.includes(`Probe_${part}_Permissions`))!.statement;
  const release = (part: string) => platform.resource("helm_release", (r) => r.tfAddress.includes(part));
  /** A value with tokens, as the platform stack writes it. */
  const resolved = (value: unknown) => Tokenization.resolve(value, { scope: platform.construct, resolver: new DefaultTokenResolver(new StringConcat()) });

  beforeAll(async () => {
    ({ infra, platform, target, bindings } = await synthTarget(spec({ dns: { domain: "acme.example.com" } })));
  });

  test("the platform stack reaches the cluster with an exec credential; endpoint and CA come from the infra stack's state", () => {
    const cluster = infra.resource("aws_eks_cluster");
    const state = platform.data("terraform_remote_state");
    expect(state.map((s) => s.tfAddress)).toEqual(["data.terraform_remote_state.cross-stack-reference-input-acme-aws-infra"]);
    expect(state[0]).toMatchObject({ backend: "local", config: { path: `${process.cwd()}/terraform.acme-aws-infra.tfstate` } });
    const exec = {
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", "acme-cluster", "--region", "us-west-2", "--output", "json"],
    };
    const [kubernetes] = platform.json.provider.kubernetes;
    const [helm] = platform.json.provider.helm;
    for (const config of [kubernetes, helm.kubernetes]) {
      expect(config.host).toBe(remote(cluster, "endpoint"));
      expect(config.cluster_ca_certificate).toBe(`\${base64decode(${remote(cluster, "certificate_authority[0].data").slice(2, -1)})}`);
      expect(config.token).toBeUndefined();
      expect(config.client_key).toBeUndefined();
      expect(config.config_path).toBeUndefined();
    }
    expect(kubernetes.exec).toEqual([exec]);
    expect(helm.kubernetes.exec).toEqual(exec);
  });

  test("the load balancer controller knows its cluster, region and VPC, runs twice and defaults to internal", () => {
    const chart = release("LoadBalancerController_Chart");
    expect(chart).toMatchObject({ repository: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", namespace: "kube-system" });
    expect(chart.version).toMatch(/^3\.\d+\.\d+$/);
    const values = parse(chart.values[0]);
    expect(values).toMatchObject({
      clusterName: "acme-cluster",
      region: "us-west-2",
      vpcId: remote(infra.resource("aws_vpc"), "id"),
      replicaCount: 2,
      serviceAccount: { create: true, name: "aws-load-balancer-controller" },
      defaultLoadBalancerScheme: "internal",
      defaultTargetType: "ip",
    });
    const association = platform.resource("aws_eks_pod_identity_association", (a) => a.service_account === "aws-load-balancer-controller");
    expect(association.namespace).toBe("kube-system");
    expect(chart.depends_on).toContain(association.tfAddress);
  });

  test("the controller's policy is the upstream one bound to this cluster's tag, account and region", () => {
    const statements: Record<string, any>[] = platform
      .data("aws_iam_policy_document")
      .find((d) => d.tfAddress.includes("LoadBalancerController_Identity_Permissions"))!.statement;
    const create = statements.find((s) => s.actions.includes("elasticloadbalancing:CreateLoadBalancer"))!;
    expect(create.condition).toEqual([{ test: "StringEquals", variable: "aws:RequestTag/elbv2.k8s.aws/cluster", values: ["acme-cluster"] }]);
    const modify = statements.find((s) => s.actions.includes("elasticloadbalancing:DeleteLoadBalancer"))!;
    expect(modify.condition).toEqual([{ test: "StringEquals", variable: "aws:ResourceTag/elbv2.k8s.aws/cluster", values: ["acme-cluster"] }]);
    const deleteSg = statements.find((s) => s.actions.includes("ec2:DeleteSecurityGroup"))!;
    expect(deleteSg.condition).toEqual([{ test: "StringEquals", variable: "aws:ResourceTag/elbv2.k8s.aws/cluster", values: ["acme-cluster"] }]);
    for (const r of statements.flatMap((s) => s.resources).filter((r: string) => r !== "*")) {
      expect(r).toMatch(/^arn:\$\{[^}]+\}:(elasticloadbalancing|ec2):us-west-2:\$\{[^}]+\}:/);
    }
    const serviceLinked = statements.find((s) => s.actions.includes("iam:CreateServiceLinkedRole"))!;
    expect(serviceLinked.condition[0].values).toEqual(["elasticloadbalancing.amazonaws.com"]);
  });

  test("Karpenter waits for the controller's webhook; every add-on waits for Karpenter, the controller and the StorageClass", () => {
    const lbc = release("LoadBalancerController_Chart");
    expect(release("Karpenter_Controller").depends_on).toEqual([release("Karpenter_Crds").tfAddress, lbc.tfAddress]);
    const storage = platform.resource("kubernetes_storage_class_v1");
    const prerequisites = target.prerequisites.map((p) => resolved(p.fqn));
    expect(prerequisites).toEqual(
      expect.arrayContaining([lbc, release("Karpenter_Controller"), release("Karpenter_Nodes"), storage].map((b) => `\${${b.tfAddress}}`)),
    );
  });

  test("the default StorageClass is gp3 encrypted with the volumes key", () => {
    const storage = platform.resource("kubernetes_storage_class_v1");
    expect(storage.metadata.name).toBe(target.cluster.storageClass);
    expect(storage.metadata.annotations).toEqual({ "storageclass.kubernetes.io/is-default-class": "true" });
    expect(storage.storage_provisioner).toBe("ebs.csi.aws.com");
    const volumes = infra.resource("aws_kms_key", (k) => k.tags.Name === "acme-volumes");
    expect(storage.parameters).toEqual({ type: "gp3", encrypted: "true", kmsKeyId: remote(volumes, "arn") });
  });

  test("External Secrets reads Secrets Manager, only the secrets under the deployment's prefix", () => {
    const binding = bindings.secretStore!;
    expect(binding.config).toEqual({ aws: { service: "SecretsManager", region: "us-west-2" } });
    expect(binding.identity).toEqual({ serviceAccountAnnotations: {}, podLabels: {} });
    const statements = probeStatements("SecretStoreIdentity");
    expect(statements).toHaveLength(1);
    expect(statements[0].actions).toEqual(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]);
    expect(statements[0].resources).toEqual([expect.stringMatching(/^arn:\$\{[^}]+\}:secretsmanager:us-west-2:\$\{[^}]+\}:secret:acme\/\*$/)]);
    const association = platform.resource("aws_eks_pod_identity_association", (a) => a.tfAddress.includes("Probe_SecretStoreIdentity"));
    expect(association).toMatchObject({ cluster_name: "acme-cluster", namespace: "probe", service_account: "reader" });
    expect(binding.grants.map((g) => resolved(g.fqn))).toContain(`\${${association.tfAddress}}`);
  });

  test("cert-manager's DNS-01 role writes only _acme-challenge TXT records in the public zone", () => {
    const binding = bindings.dns01!;
    const zone = infra.resource("aws_route53_zone", (z) => z.name === "acme.example.com");
    // The zone's id from the infra stack, through its remote state (the role's policy already reads it there).
    expect(resolved(binding.config)).toEqual({ route53: { region: "us-west-2", hostedZoneID: remote(zone, "zone_id") } });
    expect(binding.identity).toEqual({ serviceAccountAnnotations: {}, podLabels: {} });
    const statements = probeStatements("Dns01Identity");
    const zoneArn = expect.stringMatching(new RegExp(`:route53:::hostedzone/${remote(zone, "zone_id").replace(/[$.{}[\]]/g, "\\$&")}$`));
    const write = statements.find((s) => s.actions.includes("route53:ChangeResourceRecordSets"))!;
    expect(write.resources).toEqual([zoneArn]);
    expect(write.condition).toEqual([
      { test: "ForAllValues:StringEquals", variable: "route53:ChangeResourceRecordSetsRecordTypes", values: ["TXT"] },
      { test: "ForAllValues:StringLike", variable: "route53:ChangeResourceRecordSetsNormalizedRecordNames", values: ["_acme-challenge.*"] },
    ]);
    expect(statements.find((s) => s.actions.includes("route53:ListResourceRecordSets"))!.resources).toEqual([zoneArn]);
    expect(statements.find((s) => s.actions.includes("route53:GetChange"))!.resources).toEqual([expect.stringMatching(/:route53:::change\/\*$/)]);
    expect(statements.flatMap((s) => s.resources)).not.toContain("*");
  });

  test("without a domain there is no DNS-01 solver", async () => {
    const { bindings: none } = await synthTarget(spec());
    expect(none.dns01).toBeUndefined();
    expect(none.secretStore).toBeDefined();
  });

  test("the gateway gets an internal NLB through the controller; EKS needs metrics-server; not OpenShift", () => {
    expect(target.gatewayService).toEqual({
      type: "LoadBalancer",
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
      },
    });
    expect(target.needsMetricsServer).toBe(true);
    expect(target.openshift).toBe(false);
    // The default gateway is Envoy: tenants admit it by namespace, not the VPC's addresses.
    expect(target.loadBalancerSources).toEqual([]);
    expect(target.cluster.distribution).toBe("eks");
  });

  test("tenants reach the data subnets on any port and the endpoints' subnets (their own) on HTTPS only", () => {
    expect(target.tenantEgress).toEqual([
      { cidr: "10.42.224.0/22" },
      { cidr: "10.42.228.0/22" },
      { cidr: "10.42.232.0/22" },
      { cidr: "10.42.0.0/19", ports: [{ port: 443, protocol: "TCP" }] },
      { cidr: "10.42.32.0/19", ports: [{ port: 443, protocol: "TCP" }] },
      { cidr: "10.42.64.0/19", ports: [{ port: 443, protocol: "TCP" }] },
      // The Pod Identity agent on each node.
      { cidr: "169.254.170.23/32", ports: [{ port: 80, protocol: "TCP" }] },
    ]);
  });

  test("with the ALB controller as the ingress, tenants admit the VPC (ALB targets share the pods' subnets)", async () => {
    const { target: alb } = await synthTarget(spec({ platform: { ingress: "aws-load-balancer-controller" } }));
    expect(alb.loadBalancerSources).toEqual(["10.42.0.0/16"]);
  });
});
