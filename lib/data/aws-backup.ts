import { BackupPlan } from "@cdktf/provider-aws/lib/backup-plan";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { TIERS } from "../config/tiers";
import { namingOf, type Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { type AwsDisasterRecovery } from "./aws-store";
import type { IAwsKey } from "./keys/aws";
import { requireInt, requireProp } from "../core/validate";

export interface AwsBackupCopiesProps {
  /** What is backed up and copied, by ARN. */
  readonly resources: string[];
  /** Encrypts the vault in this region. */
  readonly key: IAwsKey;
  /** The region the recovery points are copied to, and the key encrypting the vault there. */
  readonly disasterRecovery: AwsDisasterRecovery;
  /** Days each recovery point (and its copy) is kept, 7-35. @default - the small tier's PostgreSQL backup days, 7 */
  readonly backupDays?: number;
  /** `prevent_destroy` on both vaults. @default true */
  readonly protection?: boolean;
  /** The AWS partition, for the Backup service policy's ARN. @default - read with an `aws_partition` data source */
  readonly partition?: string;
  /** Names the vaults, plan and role. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * Daily AWS Backup recovery points of the given resources (DocumentDB, whose own
 * continuous backups stay in their region), each copied to a vault in the
 * disaster-recovery region. The vaults are encrypted with `key` and the disaster-recovery
 * key (the data key and its replica in the kit's stacks).
 * Daily rather than hourly: DocumentDB counts Backup's snapshots against its per-region
 * snapshot quota (100 by default), which hourly points kept for a week would exceed; the
 * copy's RPO is a day, the primary region keeps point-in-time restore.
 */
export class AwsBackupCopies extends Construct {
  readonly vault: BackupVault;
  readonly drVault: BackupVault;
  readonly plan: BackupPlan;
  readonly backupDays: number;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AwsBackupCopiesProps) {
    super(scope, id);
    requireProp(this, "resources", props.resources, (r: string[]) => r.length > 0, "at least one resource ARN");
    requireInt(this, "backupDays", props.backupDays, 7, 35);
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    this.backupDays = props.backupDays ?? TIERS.small.data.postgres.backupDays;
    this.protection = props.protection ?? true;
    const partition = props.partition ?? new DataAwsPartition(this, "Partition").partition;
    const dr = props.disasterRecovery;

    this.vault = protect(
      new BackupVault(this, "Vault", { name: naming.name("backup"), kmsKeyArn: props.key.arn, tags: { Name: naming.name("backup") } }),
      this.protection,
    );
    this.drVault = protect(
      new BackupVault(this, "DisasterRecoveryVault", {
        provider: dr.provider,
        name: naming.name("backup-dr"),
        kmsKeyArn: dr.key.arn,
        tags: { Name: naming.name("backup-dr") },
      }),
      this.protection,
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
          lifecycle: { deleteAfter: this.backupDays },
          copyAction: [{ destinationVaultArn: this.drVault.arn, lifecycle: { deleteAfter: this.backupDays } }],
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
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`,
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
