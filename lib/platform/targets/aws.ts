import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AwsLoadBalancerController } from "../../cluster/aws-load-balancer-controller";
import type { EksCluster } from "../../cluster/eks";
import type { Karpenter, KarpenterRelease } from "../../cluster/karpenter";
import type { DeploymentSpec } from "../../config/spec";
import { clusterSecretPrefix } from "../../config/validate-cluster";
import { setComponent } from "../../core/tags";
import type { AwsDns } from "../../dns/aws";
import type { AwsNetwork } from "../../network/aws";
import { platformLabels } from "../namespaces";
import { awsPlan } from "../../network/plan";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, WorkloadIdentity } from "../target";

export interface AwsPlatformTargetProps {
  readonly spec: DeploymentSpec;
  readonly cluster: EksCluster;
  readonly karpenter: Karpenter;
  readonly network: AwsNetwork;
  /** The public zone (with a domain) takes cert-manager's DNS-01 challenges. */
  readonly dns: AwsDns;
  /** Encrypts persistent volumes of the default StorageClass. */
  readonly volumesKey: KmsKey;
}

/** Pod Identity binds a role outside the pod: nothing goes on the service account or pods. */
const NO_IDENTITY: WorkloadIdentity = { serviceAccountAnnotations: {}, podLabels: {} };

/**
 * The platform add-ons' view of AWS, built in the platform stack: Karpenter's release
 * and NodePool, the AWS Load Balancer Controller and the default StorageClass (gp3
 * encrypted with the volumes key; EKS ships no default class since 1.30), which every
 * add-on waits for; Secrets Manager for External Secrets and Route 53 for cert-manager,
 * each through a Pod Identity role scoped to the deployment's own secrets or zone; an
 * internal NLB for the gateway. EKS has no metrics API of its own: metrics-server is
 * installed.
 */
export class AwsPlatformTarget extends Construct implements IPlatformTarget {
  readonly cluster: EksCluster;
  readonly prerequisites: ITerraformDependable[];
  readonly karpenter: KarpenterRelease;
  readonly loadBalancerController: AwsLoadBalancerController;
  readonly loadBalancerSources: string[];
  readonly tenantEgress: TenantEgress[];
  readonly needsMetricsServer = true;
  readonly openshift = false;
  readonly gatewayService: GatewayService = {
    type: "LoadBalancer",
    annotations: {
      "service.beta.kubernetes.io/aws-load-balancer-type": "external",
      "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    },
  };
  private readonly props: AwsPlatformTargetProps;

  constructor(scope: Construct, id: string, props: AwsPlatformTargetProps) {
    super(scope, id);
    setComponent(this, "platform");
    this.props = props;
    this.cluster = props.cluster;
    this.loadBalancerController = new AwsLoadBalancerController(this, "LoadBalancerController", {
      cluster: props.cluster,
      vpcId: props.network.vpc.id,
    });
    // The controller's Service webhook rejects every new Service while it is not
    // ready, so Karpenter (and everything after it) waits for it.
    this.karpenter = props.karpenter.install(this, "Karpenter", [this.loadBalancerController.chart.release]);
    const storage = new StorageClassV1(this, "EncryptedStorageClass", {
      metadata: {
        name: props.cluster.storageClass,
        labels: platformLabels(props.spec.name, "storage"),
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      storageProvisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true", kmsKeyId: props.volumesKey.arn },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    // ALBs with ip targets reach pods from their subnets, which pods share: tenants that
    // take traffic from them admit the VPC (the Envoy gateway, the default, avoids that).
    this.loadBalancerSources = props.spec.platform.ingress === "aws-load-balancer-controller" ? [props.network.cidr] : [];
    // Data subnets hold the data stores; interface endpoints sit in the pods' own
    // private subnets, so those are reachable on HTTPS only.
    const plan = awsPlan(props.network.cidr, props.network.zones);
    this.tenantEgress = [
      ...Object.values(plan.data).map((cidr) => ({ cidr })),
      ...Object.values(plan.private).map((cidr) => ({ cidr, ports: [{ port: 443, protocol: "TCP" as const }] })),
    ];
    this.prerequisites = [
      this.loadBalancerController.chart.release,
      this.karpenter.controller.release,
      this.karpenter.nodes.release,
      storage,
    ];
  }

  /** Secrets Manager: read access to the secrets under `<name>/` only. */
  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const { cluster, spec } = this.props;
    const prefix = clusterSecretPrefix("aws", spec.name);
    const role = cluster.bindServiceAccount(scope, "SecretStoreIdentity", {
      namespace: sa.namespace,
      serviceAccount: sa.name,
      statements: [
        {
          sid: "ReadDeploymentSecrets",
          actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
          resources: [`arn:${cluster.partition}:secretsmanager:${cluster.region}:${cluster.accountId}:secret:${prefix}*`],
        },
      ],
    });
    return { identity: NO_IDENTITY, grants: role.grants, config: { aws: { service: "SecretsManager", region: cluster.region } } };
  }

  /** Route 53: `_acme-challenge` TXT records in the public zone only. Undefined without a domain. */
  dns01Solver(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const { cluster, dns } = this.props;
    if (!dns.publicZone) return undefined;
    const zone = `arn:${cluster.partition}:route53:::hostedzone/${dns.publicZone.zoneId}`;
    const role = cluster.bindServiceAccount(scope, "Dns01Identity", {
      namespace: sa.namespace,
      serviceAccount: sa.name,
      statements: [
        { sid: "WaitForChanges", actions: ["route53:GetChange"], resources: [`arn:${cluster.partition}:route53:::change/*`] },
        {
          sid: "WriteChallengeRecords",
          actions: ["route53:ChangeResourceRecordSets"],
          resources: [zone],
          condition: [
            { test: "ForAllValues:StringEquals", variable: "route53:ChangeResourceRecordSetsRecordTypes", values: ["TXT"] },
            { test: "ForAllValues:StringLike", variable: "route53:ChangeResourceRecordSetsNormalizedRecordNames", values: ["_acme-challenge.*"] },
          ],
        },
        { sid: "ReadZoneRecords", actions: ["route53:ListResourceRecordSets"], resources: [zone] },
      ],
    });
    return {
      identity: NO_IDENTITY,
      grants: role.grants,
      config: { route53: { region: cluster.region, hostedZoneID: dns.publicZone.zoneId } },
    };
  }

  // Interim until the data layer lands on this target.
  dataCredentialsStore(): undefined {
    return undefined;
  }

  workloadIdentity(): Binding<undefined> {
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: undefined };
  }
}
