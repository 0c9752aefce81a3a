import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AwsLoadBalancerController } from "../../cluster/aws-load-balancer-controller";
import type { IEksCluster } from "../../cluster/eks";
import type { PodIdentityRole } from "../../cluster/eks-pod-identity";
import type { IKarpenter, KarpenterRelease } from "../../cluster/karpenter";
import { clusterSecretPrefix } from "../../config/validate-cluster";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import type { IAwsDataLayer } from "../../data/aws";
import type { BucketRef } from "../../data/data";
import type { IAwsKey } from "../../data/keys/aws";
import type { IAwsNetwork } from "../../network/aws";
import { platformLabels } from "../namespaces";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure, UdpServiceRequest, WorkloadIdentity } from "../target";
import { awsUdpService } from "./aws-udp-service";

export interface AwsPlatformTargetProps {
  readonly cluster: IEksCluster;
  /** The cluster's VPC: the load balancer controller is given its id, ALB ingress admits its range. */
  readonly network: IAwsNetwork;
  /** Encrypts persistent volumes of the default StorageClass. */
  readonly volumesKey: IAwsKey;
  /** Karpenter's infra part: its releases are installed here, after the load balancer controller. @default - none: nodes are the system node group's only */
  readonly karpenter?: IKarpenter;
  /** Ranges tenant pods may reach on any port: the data stores' subnets. @default [] */
  readonly dataSubnetCidrs?: readonly string[];
  /** Ranges holding the VPC's interface endpoints, which tenant pods reach on HTTPS only. @default [] */
  readonly endpointSubnetCidrs?: readonly string[];
  /** The public hosted zone (its id) cert-manager answers ACME DNS-01 challenges in. @default - none: no ACME solver */
  readonly publicZoneId?: string;
  /** The data stores and buckets tenants reach. @default - none */
  readonly data?: IAwsDataLayer;
  /**
   * The AWS Load Balancer Controller serves Ingresses (ALBs with ip targets, which reach
   * pods from the VPC): tenants admit the VPC's range. Off with the Envoy gateway.
   * @default false
   */
  readonly albIngress?: boolean;
  /**
   * The Elastic IPs of UDP services with static addresses are `prevent_destroy`: peers
   * allowlist them, and a released address is gone for good.
   * @default true
   */
  readonly protection?: boolean;
  /** Names the data-credentials reader role; External Secrets reads the secrets under `<deployment>/`. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /**
   * What lets tenants' workloads sign in to the audit ledger's database (`rds-db:connect`
   * as its application login: AwsAuditLogins' `appStatement`), added to their roles.
   * @default - none: no audit ledger
   */
  readonly auditSignIn?: DataAwsIamPolicyDocumentStatement;
}

/** Pod Identity binds a role outside the pod: nothing goes on the service account or pods. */
const NO_IDENTITY: WorkloadIdentity = { serviceAccountAnnotations: {}, podLabels: {} };

/** The node's Pod Identity agent, which hands the workload role's credentials to pods. */
const POD_IDENTITY_AGENT: TenantEgress = { cidr: "169.254.170.23/32", ports: [{ port: 80, protocol: "TCP" }] };

/** AWS APIs answer on public addresses (through NAT) or interface endpoints in the VPC: HTTPS to any address. */
const HTTPS_ANYWHERE: TenantEgress = { cidr: "0.0.0.0/0", ports: [{ port: 443, protocol: "TCP" }] };

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
  readonly cluster: IEksCluster;
  readonly prerequisites: ITerraformDependable[];
  readonly karpenter?: KarpenterRelease;
  readonly loadBalancerController: AwsLoadBalancerController;
  readonly loadBalancerSources: string[];
  readonly tenantEgress: TenantEgress[];
  readonly controlPlaneSources: string[];
  readonly apiServerEgress: TenantEgress[];
  readonly cloudApiEgress: TenantEgress[] = [HTTPS_ANYWHERE, POD_IDENTITY_AGENT];
  readonly data?: IAwsDataLayer;
  readonly albIngress: boolean;
  readonly protection: boolean;
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
  private readonly naming: Naming;
  private readonly network: IAwsNetwork;
  private readonly publicZoneId?: string;
  private readonly auditSignIn?: DataAwsIamPolicyDocumentStatement;
  /** The External Secrets controller's role, which assumes the data-credentials reader. */
  private secretStoreRole?: PodIdentityRole;

  constructor(scope: Construct, id: string, props: AwsPlatformTargetProps) {
    super(scope, id);
    setComponent(this, "platform");
    const { cluster, network } = props;
    this.naming = namingOf(this, props.naming);
    this.cluster = cluster;
    this.network = network;
    this.data = props.data;
    this.publicZoneId = props.publicZoneId;
    this.auditSignIn = props.auditSignIn;
    this.albIngress = props.albIngress ?? false;
    this.protection = props.protection ?? true;
    this.loadBalancerController = new AwsLoadBalancerController(this, "LoadBalancerController", { cluster, vpcId: network.vpcId });
    // The controller's Service webhook rejects every new Service while it is not
    // ready, so Karpenter (and everything after it) waits for it.
    this.karpenter = props.karpenter?.install(this, "Karpenter", [this.loadBalancerController.chart.release]);
    const storage = new StorageClassV1(this, "EncryptedStorageClass", {
      metadata: {
        name: cluster.storageClass,
        labels: platformLabels(this.naming.deployment, "storage"),
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
    this.loadBalancerSources = this.albIngress ? [network.cidr] : [];
    // Data subnets hold the data stores; interface endpoints sit in the pods' own
    // private subnets, so those are reachable on HTTPS only.
    this.tenantEgress = [
      ...(props.dataSubnetCidrs ?? []).map((cidr) => ({ cidr })),
      ...(props.endpointSubnetCidrs ?? []).map((cidr) => ({ cidr, ports: [{ port: 443, protocol: "TCP" as const }] })),
      POD_IDENTITY_AGENT,
    ];
    // EKS's control plane reaches webhooks and answers pods through its network
    // interfaces in the VPC's subnets.
    this.controlPlaneSources = [network.cidr];
    this.apiServerEgress = [{ cidr: network.cidr, ports: [{ port: 443, protocol: "TCP" }] }];
    this.prerequisites = [
      this.loadBalancerController.chart.release,
      ...(this.karpenter ? [this.karpenter.controller.release, this.karpenter.nodes.release] : []),
      storage,
    ];
  }

  /** Secrets Manager: read access to the secrets under `<name>/` only. */
  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const { cluster } = this;
    const prefix = clusterSecretPrefix("aws", this.naming.deployment);
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
    this.secretStoreRole = role;
    return { identity: NO_IDENTITY, grants: role.grants, config: { aws: { service: "SecretsManager", region: cluster.region } } };
  }

  /** Route 53: `_acme-challenge` TXT records in the public zone only. Undefined without a domain. */
  dns01Solver(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const { cluster, publicZoneId } = this;
    if (!publicZoneId) return undefined;
    const zone = `arn:${cluster.partition}:route53:::hostedzone/${publicZoneId}`;
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
      config: { route53: { region: cluster.region, hostedZoneID: publicZoneId } },
    };
  }

  /**
   * A "data credentials reader" role that may read exactly the data stores' credential
   * secrets (and decrypt them through Secrets Manager), assumed by the External Secrets
   * controller for this store only: Pod Identity binds credentials to the pod's own
   * service account, so the store names the role to assume (`role`) rather than
   * another service account's token. The controller's own role cannot read these
   * secrets (they are outside the deployment's prefix), and this role is good for
   * nothing else. Undefined when no store has credentials.
   */
  dataCredentialsStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const { cluster, data } = this;
    const secrets = data?.credentialSecretArns ?? [];
    if (!data || secrets.length === 0) return undefined;
    const controller = this.secretStoreRole;
    if (!controller) throw new Error(`${sa.namespace}/${sa.name}: bind the secret store first; the reader trusts its controller's role`);
    const secretsKey = data.secretsKey;
    if (!secretsKey) throw new Error(`${sa.namespace}/${sa.name}: the data layer keeps credentials but names no secretsKey to decrypt them with`);

    const trust = new DataAwsIamPolicyDocument(scope, "DataCredentialsReaderTrust", {
      statement: [
        {
          sid: "ExternalSecretsController",
          principals: [{ type: "AWS", identifiers: [controller.role.arn] }],
          // Pod Identity's session tags are passed on when the controller chains roles.
          actions: ["sts:AssumeRole", "sts:TagSession"],
        },
      ],
    });
    const name = this.naming.name("data-credentials-reader", undefined, 64);
    const reader = new IamRole(scope, "DataCredentialsReader", {
      name,
      description: `External Secrets (${sa.namespace}/${sa.name} store): the data stores' credentials, nothing else`,
      assumeRolePolicy: trust.json,
      tags: { Name: name },
    });
    const permissions = new DataAwsIamPolicyDocument(scope, "DataCredentialsReaderPermissions", {
      statement: [
        { sid: "ReadDataCredentials", actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], resources: secrets },
        {
          sid: "DecryptThroughSecretsManager",
          actions: ["kms:Decrypt"],
          resources: [secretsKey.arn],
          condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${cluster.region}.amazonaws.com`] }],
        },
      ],
    });
    const readerPolicy = new IamRolePolicy(scope, "DataCredentialsReaderPolicy", {
      role: reader.id,
      name: "data-credentials",
      policy: permissions.json,
    });
    const assume = new DataAwsIamPolicyDocument(scope, "DataCredentialsAssume", {
      statement: [{ sid: "AssumeDataCredentialsReader", actions: ["sts:AssumeRole", "sts:TagSession"], resources: [reader.arn] }],
    });
    const controllerPolicy = new IamRolePolicy(scope, "DataCredentialsAssumePolicy", {
      role: controller.role.id,
      name: "assume-data-credentials-reader",
      policy: assume.json,
    });
    return {
      identity: NO_IDENTITY,
      grants: [reader, readerPolicy, controllerPolicy],
      config: { aws: { service: "SecretsManager", region: cluster.region, role: reader.arn } },
    };
  }

  /**
   * A tenant's workloads: the bucket access below, and with an audit ledger its IAM
   * sign-in as the ledger's application login (`auditSignIn`). The product's own
   * database takes the synced credentials (no database role of it is mapped to IAM).
   * Empty bindings when the tenant gets neither.
   */
  workloadIdentity(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>> {
    return this.podRole(scope, sa, buckets, this.auditSignIn ? [this.auditSignIn] : []);
  }

  /** Read, write and list on exactly `buckets`, and the data key through S3 only, through a Pod Identity role. */
  bucketAccess(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>> {
    return this.podRole(scope, sa, buckets, []);
  }

  private podRole(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[], more: DataAwsIamPolicyDocumentStatement[]): Binding<Record<string, string>> {
    const { cluster, data } = this;
    if (buckets.length === 0 && more.length === 0) return { identity: NO_IDENTITY, grants: [], config: {} };
    if (buckets.length > 0 && !data) throw new Error(`${sa.namespace}/${sa.name}: buckets without a data layer on this target`);
    const role = cluster.bindServiceAccount(scope, "WorkloadIdentity", {
      namespace: sa.namespace,
      serviceAccount: sa.name,
      statements: [...(data && buckets.length > 0 ? this.bucketStatements(buckets, data) : []), ...more],
    });
    return { identity: NO_IDENTITY, grants: role.grants, config: {} };
  }

  /** Read, write and list on exactly `buckets`, and the data key through S3 only. */
  private bucketStatements(buckets: BucketRef[], data: IAwsDataLayer): DataAwsIamPolicyDocumentStatement[] {
    const { cluster } = this;
    const arns = buckets.map((b) => `arn:${cluster.partition}:s3:::${b.name}`);
    return [
      { sid: "ListBuckets", actions: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], resources: arns },
      {
        sid: "ReadWriteObjects",
        actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        resources: arns.map((a) => `${a}/*`),
      },
      {
        sid: "DataKeyThroughS3",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [data.key.arn],
        condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [`s3.${cluster.region}.amazonaws.com`] }],
      },
    ];
  }

  /** An NLB of the load balancer controller behind security groups the kit writes: see awsUdpService. */
  udpService(scope: Construct, request: UdpServiceRequest): UdpServiceExposure {
    return awsUdpService(scope, request, { cluster: this.cluster, network: this.network, naming: this.naming, protection: this.protection });
  }
}
