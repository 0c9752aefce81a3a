import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { setComponent } from "../core/tags";
import { CiIssuer, exportCiVariables, type CiTrustProps, type ICiTrust } from "./trust";

export interface AwsCiTrustProps extends CiTrustProps {
  /** The S3 bucket holding the deployments' state (the `state.bucket` of their spec). */
  readonly stateBucket: string;
  /** Key prefixes of the deployments' state objects (`<prefix>/<stack>.tfstate`). @default - the deployment names, as configureBackend writes them */
  readonly stateKeyPrefixes?: readonly string[];
  /** The KMS key encrypting the state objects (`state.kmsKeyId`), as an ARN. @default - none: S3-managed encryption */
  readonly stateKmsKeyArn?: string;
  /**
   * An existing IAM OIDC provider for the issuer. An account holds one per issuer URL, so a
   * second trust for the same CI system in the account must adopt the first one's.
   * @default - an `aws_iam_openid_connect_provider` for the issuer is created
   */
  readonly oidcProviderArn?: string;
  /**
   * Managed policies of the plan role. ReadOnlyAccess reads every service Terraform
   * refreshes; the role also denies reading stored data (see `allowPlanDataReads`).
   * @default - [arn:<partition>:iam::aws:policy/ReadOnlyAccess]
   */
  readonly planPolicyArns?: readonly string[];
  /**
   * Secrets the plan role may read: Terraform reads the kit's generated secrets and the
   * secrets a spec references (VPN pre-shared keys, alert receivers) while planning.
   * @default - secrets whose name starts with a deployment's name (`<deployment>-*`), as the kit names them
   */
  readonly planSecretArns?: readonly string[];
  /**
   * Let the plan role read stored data: S3 objects outside the state, DynamoDB items,
   * CloudWatch Logs events. ReadOnlyAccess grants these; planning needs none of them.
   * @default false
   */
  readonly allowPlanDataReads?: boolean;
  /**
   * Managed policies of the apply role. The infra stack creates IAM roles and policies, so
   * anything that can apply it can grant itself more: narrowing this helps together with a
   * `permissionsBoundary` that caps what the roles it creates may do.
   * @default - [arn:<partition>:iam::aws:policy/AdministratorAccess]
   */
  readonly applyPolicyArns?: readonly string[];
  /** A permissions boundary set on both roles. @default - none */
  readonly permissionsBoundary?: string;
  /** Seconds a session lasts, 3600-43200; the CI step must ask for no more (configure-aws-credentials: role-duration-seconds). @default 3600 */
  readonly maxSessionDuration?: number;
}

/** The audience AWS STS expects in CI tokens (the Contract with the pipeline templates). */
const AUDIENCE = "sts.amazonaws.com";

/** Reads of stored data that ReadOnlyAccess grants and planning never needs. */
const DATA_READS = {
  s3: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTorrent"],
  other: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults"],
};

/**
 * Keyless CI access to an AWS account: the issuer as an IAM OIDC provider and two roles
 * assumed with `sts:AssumeRoleWithWebIdentity`, audience `sts.amazonaws.com`.
 * - plan: trusted for pull requests and any branch of the repository; ReadOnlyAccess,
 *   reading stored data denied, reading the state and writing only its lock objects
 *   (`<key>.tflock`, S3 native locking).
 * - apply: trusted only for the apply subjects (GitHub: the deployments' environments;
 *   GitLab, Jenkins: the protected branches); `applyPolicyArns` and the state read/write.
 * Subjects are matched with StringEquals; only the plan's branch wildcard uses StringLike.
 */
export class AwsCiTrust extends Construct implements ICiTrust {
  static readonly AUDIENCE = AUDIENCE;
  static readonly DEFAULT_MAX_SESSION_DURATION = 3600;

  readonly issuer: CiIssuer;
  readonly oidcProviderArn: string;
  readonly planRole: IamRole;
  readonly applyRole: IamRole;
  readonly planPolicyArns: readonly string[];
  readonly applyPolicyArns: readonly string[];
  readonly ciVariables: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AwsCiTrustProps) {
    super(scope, id);
    const label = `AwsCiTrust ${this.node.path}`;
    this.issuer = new CiIssuer(label, props);
    const maxSessionDuration = props.maxSessionDuration ?? AwsCiTrust.DEFAULT_MAX_SESSION_DURATION;
    if (!Token.isUnresolved(maxSessionDuration) && !(Number.isInteger(maxSessionDuration) && maxSessionDuration >= 3600 && maxSessionDuration <= 43200)) {
      throw new Error(`${label}: maxSessionDuration must be whole seconds from 3600 to 43200 (got ${maxSessionDuration})`);
    }
    if (!Token.isUnresolved(props.stateBucket) && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.stateBucket)) {
      throw new Error(`${label}: stateBucket must be an S3 bucket name (got ${JSON.stringify(props.stateBucket)})`);
    }
    const prefixes = props.stateKeyPrefixes ?? this.issuer.deployments;
    if (prefixes.length === 0) throw new Error(`${label}: stateKeyPrefixes must name at least one prefix (got [])`);
    setComponent(this, "ci-trust");

    const partition = new DataAwsPartition(this, "Partition").partition;
    this.planPolicyArns = props.planPolicyArns ?? [`arn:${partition}:iam::aws:policy/ReadOnlyAccess`];
    this.applyPolicyArns = props.applyPolicyArns ?? [`arn:${partition}:iam::aws:policy/AdministratorAccess`];
    this.oidcProviderArn =
      props.oidcProviderArn ??
      new IamOpenidConnectProvider(this, "OidcProvider", {
        url: this.issuer.issuerUrl,
        clientIdList: [AUDIENCE],
        // No thumbprints: IAM checks GitHub's and GitLab's certificates against its own
        // trusted CAs, and reads any other issuer's itself.
      }).arn;

    const host = this.issuer.issuerHost;
    const plan = this.issuer.planSubjects();
    const trust = (name: string, exact: string[], patterns: string[]) =>
      new DataAwsIamPolicyDocument(this, name, {
        statement: [
          ...(exact.length ? [[`${name}Exact`, "StringEquals", exact] as const] : []),
          ...(patterns.length ? [[`${name}Pattern`, "StringLike", patterns] as const] : []),
        ].map(([sid, test, subjects]) => ({
          sid,
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: [this.oidcProviderArn] }],
          condition: [
            { test: "StringEquals", variable: `${host}:aud`, values: [AUDIENCE] },
            { test, variable: `${host}:sub`, values: [...subjects] },
          ],
        })),
      });
    const role = (kind: "plan" | "apply", document: DataAwsIamPolicyDocument, policies: readonly string[]) => {
      const r = new IamRole(this, kind === "plan" ? "PlanRole" : "ApplyRole", {
        name: `${this.issuer.name}-${kind}`,
        description: `${kind} from ${this.issuer.ci} ${this.issuer.repository} (cdktf-byoc)`,
        assumeRolePolicy: document.json,
        maxSessionDuration,
        permissionsBoundary: props.permissionsBoundary,
      });
      policies.forEach((arn, i) => new IamRolePolicyAttachment(this, `${kind}-policy-${i}`, { role: r.name, policyArn: arn }));
      return r;
    };
    this.planRole = role("plan", trust("PlanTrust", plan.filter((s) => !s.endsWith("*")), plan.filter((s) => s.endsWith("*"))), this.planPolicyArns);
    this.applyRole = role("apply", trust("ApplyTrust", this.issuer.applySubjects(), []), this.applyPolicyArns);

    const bucket = `arn:${partition}:s3:::${props.stateBucket}`;
    const objects = (suffix: string) => prefixes.map((p) => `${bucket}/${p}/${suffix}`);
    const key: DataAwsIamPolicyDocumentStatement[] = props.stateKmsKeyArn
      ? [{ sid: "StateKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [props.stateKmsKeyArn] }]
      : [];
    const list: DataAwsIamPolicyDocumentStatement = { sid: "ListState", actions: ["s3:ListBucket"], resources: [bucket] };
    const planSecrets = props.planSecretArns ?? this.issuer.deployments.map((d) => `arn:${partition}:secretsmanager:*:*:secret:${d}-*`);
    const planStatements: DataAwsIamPolicyDocumentStatement[] = [
      list,
      { sid: "ReadState", actions: ["s3:GetObject"], resources: objects("*") },
      // Terraform takes the lock for a plan too: it writes and deletes `<key>.tflock`.
      { sid: "LockState", actions: ["s3:PutObject", "s3:DeleteObject"], resources: objects("*.tflock") },
      ...key,
      ...(planSecrets.length
        ? [
            { sid: "ReadSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [...planSecrets] },
            // Secrets under a customer-managed key: decrypting through Secrets Manager only.
            { sid: "DecryptSecrets", actions: ["kms:Decrypt"], resources: ["*"], condition: [{ test: "StringLike", variable: "kms:ViaService", values: ["secretsmanager.*.amazonaws.com"] }] },
          ]
        : []),
      ...(props.allowPlanDataReads
        ? []
        : [
            { sid: "DenyObjectReads", effect: "Deny", actions: DATA_READS.s3, notResources: objects("*") },
            { sid: "DenyDataReads", effect: "Deny", actions: DATA_READS.other, resources: ["*"] },
          ]),
    ];
    const applyStatements: DataAwsIamPolicyDocumentStatement[] = [
      list,
      { sid: "ReadWriteState", actions: ["s3:GetObject", "s3:PutObject"], resources: objects("*") },
      { sid: "UnlockState", actions: ["s3:DeleteObject"], resources: objects("*.tflock") },
      ...key,
    ];
    new IamRolePolicy(this, "PlanState", { role: this.planRole.id, name: "state-read-and-lock", policy: new DataAwsIamPolicyDocument(this, "PlanStatePolicy", { statement: planStatements }).json });
    new IamRolePolicy(this, "ApplyState", { role: this.applyRole.id, name: "state-read-write", policy: new DataAwsIamPolicyDocument(this, "ApplyStatePolicy", { statement: applyStatements }).json });

    this.ciVariables = exportCiVariables(this, [
      { name: "BYOC_AWS_PLAN_ROLE_ARN", value: this.planRole.arn, description: "the role plan jobs assume (read-only, state lock)" },
      { name: "BYOC_AWS_APPLY_ROLE_ARN", value: this.applyRole.arn, description: "the role apply jobs assume" },
    ]);
  }
}
