import { BackupPlan } from "@cdktf/provider-aws/lib/backup-plan";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import type { AwsKeys, DisasterRecoveryRegion } from "./keys/aws";

export interface AwsBackupCopiesProps {
  readonly naming: Naming;
  readonly keys: AwsKeys;
  /** What is backed up and copied, by ARN. */
  readonly resources: string[];
  /** Days each recovery point (and its copy) is kept. */
  readonly backupDays: number;
  /** `prevent_destroy` on both vaults. */
  readonly protection: boolean;
  readonly disasterRecovery: DisasterRecoveryRegion;
}

/**
 * Daily AWS Backup recovery points of the given resources (DocumentDB, whose own
 * continuous backups stay in their region), each copied to a vault in the
 * disaster-recovery region. The vaults are encrypted with the data key and its replica.
 * Daily rather than hourly: DocumentDB counts Backup's snapshots against its per-region
 * snapshot quota (100 by default), which hourly points kept for a week would exceed; the
 * copy's RPO is a day, the primary region keeps point-in-time restore.
 */
export class AwsBackupCopies extends Construct {
  readonly vault: BackupVault;
  readonly drVault: BackupVault;
  readonly plan: BackupPlan;

  constructor(scope: Construct, id: string, props: AwsBackupCopiesProps) {
    super(scope, id);
    const { naming, keys, protection } = props;
    const dr = props.disasterRecovery;
    if (!keys.dataReplica) throw new Error("disaster recovery needs the data key's replica: pass disasterRecovery to AwsKeys too");

    this.vault = protect(
      new BackupVault(this, "Vault", { name: naming.name("backup"), kmsKeyArn: keys.data.arn, tags: { Name: naming.name("backup") } }),
      protection,
    );
    this.drVault = protect(
      new BackupVault(this, "DisasterRecoveryVault", {
        provider: dr.provider,
        name: naming.name("backup-dr"),
        kmsKeyArn: keys.dataReplica.arn,
        tags: { Name: naming.name("backup-dr") },
      }),
      protection,
    );

    this.plan = new BackupPlan(this, "Plan", {
      name: naming.name("backup"),
      rule: [
        {
          ruleName: `daily-copied-to-${dr.region}`,
          targetVaultName: this.vault.name,
          schedule: "cron(0 5 * * ? *)",
          startWindow: 60,
          completionWindow: 360,
          lifecycle: { deleteAfter: props.backupDays },
          copyAction: [{ destinationVaultArn: this.drVault.arn, lifecycle: { deleteAfter: props.backupDays } }],
        },
      ],
    });

    const trust = new DataAwsIamPolicyDocument(this, "Trust", {
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["backup.amazonaws.com"] }] }],
    });
    const roleName = naming.name("backup", undefined, 64);
    const role = new IamRole(this, "Role", { name: roleName, assumeRolePolicy: trust.json, tags: { Name: roleName } });
    const attachment = new IamRolePolicyAttachment(this, "RolePolicy", {
      role: role.name,
      policyArn: `arn:${keys.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`,
    });
    new BackupSelection(this, "Selection", {
      name: naming.name("backup"),
      planId: this.plan.id,
      iamRoleArn: role.arn,
      resources: props.resources,
      dependsOn: [attachment],
    });
  }
}
