import { createHash } from "node:crypto";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksCluster as EksClusterResource } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_KUBERNETES_VERSION } from "../config/cluster";
import { LOG_RETENTION_DAYS } from "../config/schema";
import { TIERS, type NodePoolSize } from "../config/tiers";
import { parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import type { IAwsKey } from "../data/keys/aws";
import type { IAwsNetwork } from "../network/aws";
import type { ClusterConnection, IKubernetesCluster } from "./cluster";
import { EksManagedAddon, type EksManagedAddonProps } from "./eks-addon";
import { EksSystemNodes } from "./eks-nodes";
import { PodIdentityRole } from "./eks-pod-identity";
import { EksSecurityGroups } from "./eks-security-groups";

/**
 * An EKS cluster as Karpenter, the load balancer controller and the AWS platform target
 * use it.
 */
export interface IEksCluster extends IKubernetesCluster {
  /** The cluster's ARN. */
  readonly arn: string;
  /** The API server's URL. */
  readonly endpoint: string;
  /** The region, account and partition the cluster's ARNs are in. */
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** The security group of every node (managed and Karpenter's): what data stores admit. */
  readonly nodeSecurityGroupId: string;
  /** The managed node group the cluster's own add-ons run on (EKS labels its nodes with it). */
  readonly systemNodeGroupName: string;
  /** Grants a Kubernetes service account AWS permissions through EKS Pod Identity, in `scope`. */
  bindServiceAccount(scope: Construct, id: string, grant: ServiceAccountGrant): PodIdentityRole;
  /** Lets EC2 instances with this role join the cluster as nodes (an EC2_LINUX access entry), in `scope`. */
  addNodeRole(scope: Construct, id: string, roleArn: string): EksAccessEntry;
}

/** Who may reach the API server: the network and the peers only, or also an allowlist of public ranges. */
export type EksEndpoint = "private" | "public-restricted";

export interface EksClusterProps {
  /** The cluster and its system nodes go in the private subnets; the VPC's range and the peers reach the API server. */
  readonly network: IAwsNetwork;
  /** Envelope-encrypts Kubernetes Secrets; the cluster role is granted its use. */
  readonly secretsKey: IAwsKey;
  /** Encrypts the system nodes' root volumes; the EBS CSI driver is granted its use for persistent volumes. */
  readonly volumesKey: IAwsKey;
  /** Encrypts the control-plane log group; its policy must admit `logs.<region>.amazonaws.com`. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: IAwsKey;
  /** The Kubernetes minor version. @default DEFAULT_KUBERNETES_VERSION */
  readonly version?: string;
  /** The managed node group for the cluster's add-ons. @default - the small tier's, TIERS.small.nodePools.aws.system */
  readonly systemPool?: NodePoolSize;
  /** `private`: the API server is reached from the VPC and the peers; `public-restricted`: also from `allowedCidrs`. @default "private" */
  readonly endpoint?: EksEndpoint;
  /** Public ranges (/8 or narrower) allowed to the API server; only with `public-restricted`. @default [] */
  readonly allowedCidrs?: readonly string[];
  /** IAM role or user ARNs given cluster-wide admin through access entries. @default [] - only the deployer, so it can apply the platform */
  readonly admins?: readonly string[];
  /** Days the control-plane log group keeps events, one of LOG_RETENTION_DAYS. @default 365 */
  readonly logRetentionDays?: number;
  /** A remote-access connector runs on the nodes: they also reach Twingate's relays. @default false */
  readonly remoteAccess?: boolean;
  /** Argo CD fetches its repository over SSH: nodes also reach TCP 22. @default false */
  readonly gitOverSsh?: boolean;
  /** The user's tags on what node launches create (instances, volumes, interfaces); the deployment's are added. @default {} */
  readonly tags?: Record<string, string>;
  /** @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** The account id in ARNs the policies name. @default - the deployer's account, read with an `aws_caller_identity` data source */
  readonly accountId?: string;
  /** The AWS partition in ARNs. @default - read with an `aws_partition` data source */
  readonly partition?: string;
  /** Names the cluster (`<deployment>-cluster`) and its roles, groups and node group. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** A Kubernetes service account and the AWS permissions it is granted. */
export interface ServiceAccountGrant {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Inline permissions. @default none */
  readonly statements?: DataAwsIamPolicyDocumentStatement[];
  /** Managed policies, by a stable id. @default none */
  readonly managedPolicies?: Record<string, string>;
}

/** Every control-plane log type EKS offers: all of them are on. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** An IAM role or user, as an access entry takes it. */
const PRINCIPAL_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;

/**
 * An EKS cluster in the network's private subnets. The API server is private (reached
 * from the VPC and the site-to-site peers); public only with `endpoint:
 * public-restricted`, and then only from the allowlist. Secrets are envelope-encrypted
 * with a customer key, every control-plane log type goes to an encrypted log group,
 * access is by access entries only (no aws-auth ConfigMap, no implicit creator admin),
 * and EKS installs nothing itself: each add-on is a managed add-on created in the
 * order that lets nodes join (networking before the node group, CoreDNS after it).
 *
 * The cluster is `prevent_destroy` on top of EKS deletion protection: a change that
 * would replace it (another name, subnets or key) would lose every object in etcd, so
 * the plan fails instead. Outputs (named after the construct's path, e.g. `cluster_`):
 * `name`, `endpoint`, `arn`, `security_group_id`, `node_security_group_id`, `oidc_issuer_url`.
 */
export class EksCluster extends Construct implements IEksCluster {
  static readonly DEFAULT_ENDPOINT: EksEndpoint = "private";
  static readonly DEFAULT_LOG_RETENTION_DAYS = 365;

  readonly name: string;
  readonly distribution = "eks" as const;
  /** The default StorageClass (gp3 with the volumes key), which the AWS platform target creates. */
  readonly storageClass = "gp3-encrypted";
  readonly connection: ClusterConnection;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  readonly version: string;
  readonly systemPool: NodePoolSize;
  readonly endpointAccess: EksEndpoint;
  readonly allowedCidrs: readonly string[];
  readonly admins: readonly string[];
  readonly logRetentionDays: number;
  readonly cluster: EksClusterResource;
  readonly securityGroups: EksSecurityGroups;
  readonly systemNodes: EksSystemNodes;
  readonly logGroup: CloudwatchLogGroup;
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const { network } = props;
    this.version = props.version ?? DEFAULT_KUBERNETES_VERSION;
    this.systemPool = props.systemPool ?? TIERS.small.nodePools.aws.system;
    this.endpointAccess = props.endpoint ?? EksCluster.DEFAULT_ENDPOINT;
    this.allowedCidrs = props.allowedCidrs ?? [];
    this.admins = props.admins ?? [];
    this.logRetentionDays = props.logRetentionDays ?? EksCluster.DEFAULT_LOG_RETENTION_DAYS;
    this.validate(network);
    setComponent(this, "cluster");
    const naming = (this.naming = namingOf(this, props.naming));
    const region = (this.region = resolveRegion(this, "aws", props.region));
    const name = (this.name = naming.cluster);
    const version = this.version;
    const deployer = new DataAwsCallerIdentity(this, "Deployer");
    this.accountId = props.accountId ?? deployer.accountId;
    this.partition = props.partition ?? new DataAwsPartition(this, "Partition").partition;

    // Created before the cluster: otherwise EKS creates it, unencrypted and kept forever.
    this.logGroup = new CloudwatchLogGroup(this, "ControlPlaneLogs", {
      name: `/aws/eks/${name}/cluster`,
      retentionInDays: this.logRetentionDays,
      kmsKeyId: props.logsKey?.arn,
    });

    const role = this.clusterRole(props.secretsKey);
    this.securityGroups = new EksSecurityGroups(this, "SecurityGroups", {
      naming,
      clusterName: name,
      network,
      remoteAccess: props.remoteAccess,
      gitOverSsh: props.gitOverSsh,
    });

    const isPublic = this.endpointAccess === "public-restricted";
    this.cluster = protect(
      new EksClusterResource(this, "Cluster", {
        name,
        version,
        roleArn: role.role.arn,
        enabledClusterLogTypes: EKS_LOG_TYPES,
        encryptionConfig: { provider: { keyArn: props.secretsKey.arn }, resources: ["secrets"] },
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        bootstrapSelfManagedAddons: false,
        deletionProtection: true,
        upgradePolicy: { supportType: "STANDARD" },
        zonalShiftConfig: { enabled: true },
        vpcConfig: {
          subnetIds: network.privateSubnetIds,
          securityGroupIds: [this.securityGroups.cluster.id],
          endpointPrivateAccess: true,
          endpointPublicAccess: isPublic,
          publicAccessCidrs: isPublic ? [...this.allowedCidrs] : undefined,
        },
        tags: { Name: name },
        dependsOn: [this.logGroup, ...role.permissions],
      }),
    );

    this.adminEntries(deployer, this.admins);

    // Networking and Pod Identity run as DaemonSets, which need no node to become
    // active, and a node is Ready only once the CNI runs (and reaches the API server
    // through kube-proxy's service rules). CoreDNS and the EBS CSI controller are
    // Deployments: created before any node they wait, degraded, until the apply times out.
    const addon = (addonName: string, extra: Partial<EksManagedAddonProps> = {}) =>
      new EksManagedAddon(this, `Addon-${addonName}`, { clusterName: this.cluster.name, kubernetesVersion: version, addonName, ...extra });
    const beforeNodes = [
      // Without the network policy agent, NetworkPolicies are accepted but not enforced.
      addon("vpc-cni", { configuration: { enableNetworkPolicy: "true" } }),
      addon("kube-proxy"),
      addon("eks-pod-identity-agent"),
    ];
    this.systemNodes = new EksSystemNodes(this, "SystemNodes", {
      naming,
      clusterName: this.cluster.name,
      version,
      pool: this.systemPool,
      subnetIds: network.privateSubnetIds,
      securityGroupId: this.securityGroups.nodes.id,
      volumesKey: props.volumesKey,
      partition: this.partition,
      tags: props.tags,
      dependsOn: beforeNodes.map((a) => a.addon),
    });
    const nodes = this.systemNodes.nodeGroup;
    addon("coredns", { dependsOn: [nodes] });
    const ebsCsi = new PodIdentityRole(this, "EbsCsiRole", {
      clusterName: name,
      namespace: "kube-system",
      serviceAccount: "ebs-csi-controller-sa",
      roleName: naming.name("pod", "kube-system-ebs-csi", 64),
      managedPolicies: { EbsCsi: `arn:${this.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy` },
      statements: volumeKeyStatements(props.volumesKey.arn),
      associate: false,
    });
    addon("aws-ebs-csi-driver", {
      podIdentity: { roleArn: ebsCsi.role.arn, serviceAccount: "ebs-csi-controller-sa" },
      dependsOn: [nodes, ...ebsCsi.grants],
    });

    this.connection = {
      host: this.cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(this.cluster.certificateAuthority.get(0).data),
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"],
      },
    };
    this.outputs();
  }

  /** The API server's URL. */
  get endpoint(): string {
    return this.cluster.endpoint;
  }

  get arn(): string {
    return this.cluster.arn;
  }

  get nodeSecurityGroupId(): string {
    return this.securityGroups.nodes.id;
  }

  get systemNodeGroupName(): string {
    return this.systemNodes.nodeGroupName;
  }

  /**
   * Grants a Kubernetes service account AWS permissions through EKS Pod Identity: a
   * role only that service account of this cluster can assume, and the association.
   * The scope may be another stack (the platform stack binds its add-ons' accounts).
   */
  bindServiceAccount(scope: Construct, id: string, grant: ServiceAccountGrant): PodIdentityRole {
    return new PodIdentityRole(scope, id, {
      clusterName: this.name,
      namespace: grant.namespace,
      serviceAccount: grant.serviceAccount,
      roleName: this.naming.name("pod", `${grant.namespace}-${grant.serviceAccount}`, 64),
      statements: grant.statements,
      managedPolicies: grant.managedPolicies,
    });
  }

  /** An EC2_LINUX access entry: instances with the role join the cluster as nodes. */
  addNodeRole(scope: Construct, id: string, roleArn: string): EksAccessEntry {
    return new EksAccessEntry(scope, id, { clusterName: this.cluster.name, principalArn: roleArn, type: "EC2_LINUX" });
  }

  /** The role EKS runs the control plane as: the cluster policy and use of the secrets key. */
  private clusterRole(secretsKey: IAwsKey) {
    const trust = new DataAwsIamPolicyDocument(this, "ClusterRoleTrust", {
      statement: [{ actions: ["sts:AssumeRole", "sts:TagSession"], principals: [{ type: "Service", identifiers: ["eks.amazonaws.com"] }] }],
    });
    const roleName = this.naming.name("eks-cluster", undefined, 64);
    const role = new IamRole(this, "ClusterRole", { name: roleName, assumeRolePolicy: trust.json, tags: { Name: roleName } });
    const kms = new DataAwsIamPolicyDocument(this, "ClusterRoleKms", {
      statement: [
        {
          sid: "SecretsEnvelopeEncryption",
          actions: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
          resources: [secretsKey.arn],
        },
      ],
    });
    const permissions = [
      new IamRolePolicyAttachment(this, "ClusterRolePolicy", {
        role: role.name,
        policyArn: `arn:${this.partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
      }),
      new IamRolePolicy(this, "ClusterRoleKmsPolicy", { role: role.id, name: "secrets-encryption", policy: kms.json }),
    ];
    return { role, permissions };
  }

  /**
   * Each admin principal: a STANDARD access entry with cluster-wide admin, keyed by its
   * ARN. The IAM role or user applying this stack gets the same unless it is listed, so
   * it can apply the platform stack next; unlike EKS's implicit creator admin, the entry
   * is visible, and listing the deployer in `admins` keeps it when another role applies.
   */
  private adminEntries(caller: DataAwsCallerIdentity, arns: readonly string[]) {
    // An assumed-role session's issuer is its IAM role: access entries take the role's ARN.
    const deployer = new DataAwsIamSessionContext(this, "DeployerRole", { arn: caller.arn }).issuerArn;
    const count = Token.asNumber(Fn.conditional(Fn.contains([...arns], deployer), 0, 1));
    const entry = new EksAccessEntry(this, "DeployerAdmin", { clusterName: this.cluster.name, principalArn: deployer, type: "STANDARD", count });
    new EksAccessPolicyAssociation(this, "DeployerAdminPolicy", {
      clusterName: this.cluster.name,
      principalArn: deployer,
      policyArn: `arn:${this.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
      accessScope: { type: "cluster" },
      count,
      dependsOn: [entry],
    });
    for (const principalArn of arns) {
      const key = createHash("sha256").update(principalArn).digest("hex").slice(0, 10);
      const entry = new EksAccessEntry(this, `Admin-${key}`, { clusterName: this.cluster.name, principalArn, type: "STANDARD" });
      new EksAccessPolicyAssociation(this, `AdminPolicy-${key}`, {
        clusterName: this.cluster.name,
        principalArn: entry.principalArn,
        policyArn: `arn:${this.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
        accessScope: { type: "cluster" },
      });
    }
  }

  private validate(network: IAwsNetwork) {
    const label = `EksCluster ${this.node.path}`;
    if (!Token.isUnresolved(this.version) && !/^1\.\d{2}$/.test(this.version)) {
      throw new Error(`${label}: version must be a Kubernetes minor version such as ${DEFAULT_KUBERNETES_VERSION} (got ${JSON.stringify(this.version)})`);
    }
    if (this.endpointAccess !== "private" && this.endpointAccess !== "public-restricted") {
      throw new Error(`${label}: endpoint must be "private" or "public-restricted" (got ${JSON.stringify(this.endpointAccess)})`);
    }
    if (this.endpointAccess === "public-restricted" && this.allowedCidrs.length === 0) {
      throw new Error(`${label}: endpoint "public-restricted" needs allowedCidrs: list the public ranges allowed to reach the API server (got [])`);
    }
    if (this.endpointAccess === "private" && this.allowedCidrs.length > 0) {
      throw new Error(`${label}: allowedCidrs ${JSON.stringify(this.allowedCidrs)} need endpoint "public-restricted"; a private API server admits the network and the peers only`);
    }
    for (const cidr of this.allowedCidrs) {
      if (Token.isUnresolved(cidr)) continue;
      const block = parseIpv4Cidr(cidr);
      if (!block || block.prefix < 8) throw new Error(`${label}: allowedCidrs: ${JSON.stringify(cidr)} must be an IPv4 range of /8 or narrower, such as 203.0.113.0/24`);
    }
    for (const arn of this.admins) {
      if (!Token.isUnresolved(arn) && !PRINCIPAL_ARN.test(arn)) {
        throw new Error(`${label}: admins: ${JSON.stringify(arn)} must be an IAM role or user ARN such as arn:aws:iam::111122223333:role/platform-admin`);
      }
    }
    const { min, max, diskGb } = this.systemPool;
    if (![min, max, diskGb].some((n) => Token.isUnresolved(n)) && !(min >= 1 && min <= max && diskGb >= 20)) {
      throw new Error(`${label}: systemPool needs 1 <= min <= max and diskGb of at least 20 (got min ${min}, max ${max}, diskGb ${diskGb})`);
    }
    if (!Token.isUnresolved(this.logRetentionDays) && !(LOG_RETENTION_DAYS as readonly number[]).includes(this.logRetentionDays)) {
      throw new Error(`${label}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${this.logRetentionDays})`);
    }
    if (!Token.isUnresolved(network.privateSubnetIds) && network.privateSubnetIds.length < 2) {
      throw new Error(`${label}: network.privateSubnetIds must name subnets in at least two zones, as EKS requires (got ${JSON.stringify(network.privateSubnetIds)})`);
    }
  }

  private outputs() {
    const output = (attribute: string, value: string, description: string) => constructOutput(this, attribute, { value, description });
    output("name", this.cluster.name, "The EKS cluster's name (aws eks update-kubeconfig --name ...).");
    output("endpoint", this.cluster.endpoint, "The Kubernetes API server's URL (private unless public-restricted).");
    output("arn", this.cluster.arn, "The EKS cluster's ARN.");
    output("security_group_id", this.securityGroups.cluster.id, "The security group admitting clients to the API server.");
    output("node_security_group_id", this.securityGroups.nodes.id, "The security group of every node (managed and Karpenter).");
    output("oidc_issuer_url", this.cluster.identity.get(0).oidc.get(0).issuer, "The cluster's OIDC issuer, for federation outside Pod Identity.");
  }
}

/** What the EBS CSI driver needs to create and attach volumes encrypted with the volumes key. */
function volumeKeyStatements(keyArn: string): DataAwsIamPolicyDocumentStatement[] {
  return [
    {
      sid: "VolumesKeyGrants",
      actions: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      resources: [keyArn],
      condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
    },
    {
      sid: "VolumesKeyUse",
      actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      resources: [keyArn],
    },
  ];
}
