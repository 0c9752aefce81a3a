import { createHash } from "node:crypto";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksCluster as EksClusterResource } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Fn, TerraformOutput, Token } from "cdktf";
import { Construct } from "constructs";
import { nodePools, type DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { AwsKeys } from "../data/keys/aws";
import type { AwsNetwork } from "../network/aws";
import type { ClusterConnection, IKubernetesCluster } from "./cluster";
import { EksManagedAddon, type EksManagedAddonProps } from "./eks-addon";
import { EksSystemNodes } from "./eks-nodes";
import { PodIdentityRole } from "./eks-pod-identity";
import { EksSecurityGroups } from "./eks-security-groups";

export interface EksClusterProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly region: string;
  readonly network: AwsNetwork;
  /** `cluster` encrypts Secrets, `logs` the control-plane logs, `volumes` the nodes' disks. */
  readonly keys: AwsKeys;
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

/**
 * An EKS cluster in the network's private subnets. The API server is private (reached
 * from the VPC and the site-to-site peers); public only with `endpoint:
 * public-restricted`, and then only from the allowlist. Secrets are envelope-encrypted
 * with a customer key, every control-plane log type goes to a KMS-encrypted log group,
 * access is by access entries only (no aws-auth ConfigMap, no implicit creator admin),
 * and EKS installs nothing itself: each add-on is a managed add-on created in the
 * order that lets nodes join (networking before the node group, CoreDNS after it).
 *
 * The cluster is `prevent_destroy` on top of EKS deletion protection: a change that
 * would replace it (another name, subnets or key) would lose every object in etcd, so
 * the plan fails instead.
 */
export class EksCluster extends Construct implements IKubernetesCluster {
  readonly name: string;
  readonly distribution = "eks" as const;
  /** The default StorageClass (gp3 with the volumes key), which the AWS platform target creates. */
  readonly storageClass = "gp3-encrypted";
  readonly connection: ClusterConnection;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  readonly cluster: EksClusterResource;
  readonly securityGroups: EksSecurityGroups;
  readonly systemNodes: EksSystemNodes;
  readonly logGroup: CloudwatchLogGroup;
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    setComponent(this, "cluster");
    const { spec, naming, network, keys, region } = props;
    const name = naming.cluster;
    const version = spec.cluster.version;
    this.name = name;
    this.naming = naming;
    this.region = region;
    this.partition = keys.partition;
    this.accountId = keys.accountId;

    // Created before the cluster: otherwise EKS creates it, unencrypted and kept forever.
    this.logGroup = new CloudwatchLogGroup(this, "ControlPlaneLogs", {
      name: `/aws/eks/${name}/cluster`,
      retentionInDays: spec.network.flowLogRetentionDays,
      kmsKeyId: keys.logs.arn,
    });

    const role = this.clusterRole(keys);
    this.securityGroups = new EksSecurityGroups(this, "SecurityGroups", {
      naming,
      clusterName: name,
      network,
      remoteAccess: spec.vpn.remoteAccess !== undefined,
      gitOverSsh: spec.platform.gitops !== undefined && !spec.platform.gitops.repo.startsWith("https://"),
    });

    const isPublic = spec.cluster.endpoint === "public-restricted";
    this.cluster = protect(
      new EksClusterResource(this, "Cluster", {
        name,
        version,
        roleArn: role.role.arn,
        enabledClusterLogTypes: EKS_LOG_TYPES,
        encryptionConfig: { provider: { keyArn: keys.cluster.arn }, resources: ["secrets"] },
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        bootstrapSelfManagedAddons: false,
        deletionProtection: true,
        upgradePolicy: { supportType: "STANDARD" },
        zonalShiftConfig: { enabled: true },
        vpcConfig: {
          subnetIds: network.privateSubnets.map((s) => s.id),
          securityGroupIds: [this.securityGroups.cluster.id],
          endpointPrivateAccess: true,
          endpointPublicAccess: isPublic,
          publicAccessCidrs: isPublic ? spec.cluster.allowedCidrs : undefined,
        },
        tags: { Name: name },
        dependsOn: [this.logGroup, ...role.permissions],
      }),
    );

    this.admins(spec.cluster.admins);

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
      spec,
      naming,
      clusterName: this.cluster.name,
      version,
      pool: nodePools(spec).system,
      subnetIds: network.privateSubnets.map((s) => s.id),
      securityGroupId: this.securityGroups.nodes.id,
      volumesKey: keys.volumes,
      partition: this.partition,
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
      statements: volumeKeyStatements(keys.volumes.arn),
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

  /** The role EKS runs the control plane as: the cluster policy and use of the secrets key. */
  private clusterRole(keys: AwsKeys) {
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
          resources: [keys.cluster.arn],
        },
      ],
    });
    const permissions = [
      new IamRolePolicyAttachment(this, "ClusterRolePolicy", {
        role: role.name,
        policyArn: `arn:${keys.partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
      }),
      new IamRolePolicy(this, "ClusterRoleKmsPolicy", { role: role.id, name: "secrets-encryption", policy: kms.json }),
    ];
    return { role, permissions };
  }

  /**
   * Each admin principal: a STANDARD access entry with cluster-wide admin, keyed by its
   * ARN. The IAM role or user applying this stack gets the same unless it is listed, so
   * it can apply the platform stack next; unlike EKS's implicit creator admin, the entry
   * is visible, and listing the deployer in `cluster.admins` keeps it when another role applies.
   */
  private admins(arns: string[]) {
    const caller = new DataAwsCallerIdentity(this, "Deployer");
    // An assumed-role session's issuer is its IAM role: access entries take the role's ARN.
    const deployer = new DataAwsIamSessionContext(this, "DeployerRole", { arn: caller.arn }).issuerArn;
    const count = Token.asNumber(Fn.conditional(Fn.contains(arns, deployer), 0, 1));
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

  private outputs() {
    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    output("cluster_name", this.cluster.name, "The EKS cluster's name (aws eks update-kubeconfig --name ...).");
    output("cluster_endpoint", this.cluster.endpoint, "The Kubernetes API server's URL (private unless public-restricted).");
    output("cluster_arn", this.cluster.arn, "The EKS cluster's ARN.");
    output("cluster_security_group_id", this.securityGroups.cluster.id, "The security group admitting clients to the API server.");
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
