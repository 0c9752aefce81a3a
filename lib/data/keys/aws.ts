import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import type { Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { setComponent } from "../../core/tags";

export interface AwsKeysProps {
  readonly naming: Naming;
  readonly region: string;
}

/**
 * Customer-managed KMS keys, one per purpose, yearly rotation on, 30-day deletion
 * window and `prevent_destroy`: losing a key loses everything it encrypted.
 */
export class AwsKeys extends Construct {
  /** Encrypts CloudWatch log groups (flow logs, VPN tunnel logs, later control-plane logs). */
  readonly logs: KmsKey;
  /** `arn:<partition>:iam::<account>:root` and friends, for policies that name the account. */
  readonly accountId: string;
  readonly partition: string;

  constructor(scope: Construct, id: string, props: AwsKeysProps) {
    super(scope, id);
    setComponent(this, "keys");
    this.accountId = new DataAwsCallerIdentity(this, "Account").accountId;
    this.partition = new DataAwsPartition(this, "Partition").partition;

    const logsPolicy = new DataAwsIamPolicyDocument(this, "LogsKeyPolicy", {
      statement: [
        this.accountAdminStatement(),
        {
          sid: "CloudWatchLogsInThisAccount",
          principals: [{ type: "Service", identifiers: [`logs.${props.region}.amazonaws.com`] }],
          actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          resources: ["*"],
          condition: [
            {
              test: "ArnLike",
              variable: "kms:EncryptionContext:aws:logs:arn",
              values: [`arn:${this.partition}:logs:${props.region}:${this.accountId}:log-group:*`],
            },
          ],
        },
      ],
    });
    this.logs = this.key("Logs", props.naming.name("logs"), "CloudWatch Logs", logsPolicy.json);
  }

  /** The account's IAM principals administer the key through IAM policies (the AWS default). */
  private accountAdminStatement() {
    return {
      sid: "AccountIamAdministers",
      principals: [{ type: "AWS", identifiers: [`arn:${this.partition}:iam::${this.accountId}:root`] }],
      actions: ["kms:*"],
      resources: ["*"],
    };
  }

  private key(id: string, name: string, purpose: string, policy: string): KmsKey {
    const key = protect(
      new KmsKey(this, id, {
        description: `${name}: ${purpose}`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
        policy,
        tags: { Name: name },
      }),
    );
    new KmsAlias(this, `${id}Alias`, { name: `alias/${name}`, targetKeyId: key.keyId });
    return key;
  }
}
