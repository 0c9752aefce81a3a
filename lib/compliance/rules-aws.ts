import { block, isCustomerKey, openToInternet, preventsDestroy, verdict, type RuleContext, type Rules, type Subject, type Verdict } from "./checks";

/** A parameter's value in an RDS or DocumentDB parameter group. */
const parameter = (group: Subject, name: string) => (group.attrs.parameter as { name: string; value: string }[] | undefined)?.find((p) => p.name === name)?.value;

/** TLS enforced by the instance's parameter group (one of `accepted`), when it names one of the stack's. */
function groupRequires(s: Subject, groupType: string, groupAttr: string, name: string, accepted: string[], ctx: RuleContext): Verdict {
  const ref = s.attrs[groupAttr];
  const group = ctx.of(groupType).find((g) => typeof ref === "string" && ref.startsWith(`\${${g.address}.`));
  const actual = group && parameter(group, name);
  return { check: "encryption-in-transit", pass: actual !== undefined && accepted.includes(actual), evidence: `${groupAttr}=${ref ?? "<unset>"}, ${name}=${actual ?? "<unset>"}` };
}

/** The bucket policy (an IAM policy document of the stack) denies every request without TLS. */
function deniesInsecureTransport(bucket: Subject, ctx: RuleContext): Verdict {
  const policies = ctx.referring("aws_s3_bucket_policy", bucket).map((p) => String(p.attrs.policy));
  const documents = ctx.of("data.aws_iam_policy_document").filter((d) => policies.some((p) => p.startsWith(`\${${d.address}.`)));
  // Every action, for everyone: a denial of one action leaves the others open to plain HTTP.
  const denial = documents.flatMap((d) => (d.attrs.statement ?? []) as Record<string, any>[]).find(
    (st) =>
      st.effect === "Deny" &&
      (st.actions as string[] | undefined)?.includes("s3:*") &&
      ((st.condition ?? []) as Record<string, any>[]).some((c) => c.variable === "aws:SecureTransport" && c.values?.includes("false")),
  );
  return { check: "encryption-in-transit", pass: !!denial, evidence: denial ? `${documents.map((d) => d.address).join(", ")}: Deny ${JSON.stringify(denial.actions)} when aws:SecureTransport=false` : `no bucket policy statement denies aws:SecureTransport=false (${policies.join(", ") || "no bucket policy"})` };
}

/** Checks per AWS resource type; see frameworks.ts for what each check means. */
export const AWS_RULES: Rules = {
  aws_kms_key: (s) => {
    // An asymmetric signing key (DNSSEC) cannot rotate automatically: it is replaced by a new key.
    const signing = (s.attrs.customer_master_key_spec ?? "SYMMETRIC_DEFAULT") !== "SYMMETRIC_DEFAULT" && s.attrs.key_usage === "SIGN_VERIFY";
    const days = s.attrs.rotation_period_in_days ?? 365;
    const rotation = verdict("key-rotation", s.attrs.enable_key_rotation === true && days <= 365, s.attrs, "enable_key_rotation", "rotation_period_in_days");
    return [
      signing && !rotation.pass
        ? { ...verdict("key-rotation", false, s.attrs, "customer_master_key_spec", "key_usage"), exempt: "AWS KMS rotates symmetric keys only; an asymmetric signing key is replaced by a new key, not rotated" }
        : rotation,
      preventsDestroy(s),
    ];
  },
  aws_db_instance: (s, ctx) => [
    verdict("encryption-at-rest", s.attrs.storage_encrypted === true && isCustomerKey(s.attrs.kms_key_id), s.attrs, "storage_encrypted", "kms_key_id"),
    groupRequires(s, "aws_db_parameter_group", "parameter_group_name", "rds.force_ssl", ["1"], ctx),
    verdict("backups", s.attrs.backup_retention_period >= ctx.minimums.backupDays, s.attrs, "backup_retention_period"),
    verdict("deletion-protection", s.attrs.deletion_protection === true && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "deletion_protection", "lifecycle.prevent_destroy"),
    verdict("private-data", s.attrs.publicly_accessible === false, s.attrs, "publicly_accessible"),
  ],
  aws_docdb_cluster: (s, ctx) => [
    verdict("encryption-at-rest", s.attrs.storage_encrypted === true && isCustomerKey(s.attrs.kms_key_id), s.attrs, "storage_encrypted", "kms_key_id"),
    groupRequires(s, "aws_docdb_cluster_parameter_group", "db_cluster_parameter_group_name", "tls", ["enabled", "tls1.2+", "tls1.3+", "fips-140-3"], ctx),
    verdict("backups", s.attrs.backup_retention_period >= ctx.minimums.backupDays, s.attrs, "backup_retention_period"),
    verdict("deletion-protection", s.attrs.deletion_protection === true && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "deletion_protection", "lifecycle.prevent_destroy"),
  ],
  aws_elasticache_replication_group: (s) => [
    verdict("encryption-at-rest", String(s.attrs.at_rest_encryption_enabled) === "true" && isCustomerKey(s.attrs.kms_key_id), s.attrs, "at_rest_encryption_enabled", "kms_key_id"),
    verdict("encryption-in-transit", String(s.attrs.transit_encryption_enabled) === "true" && (s.attrs.transit_encryption_mode ?? "required") === "required", s.attrs, "transit_encryption_enabled", "transit_encryption_mode"),
    preventsDestroy(s),
  ],
  aws_s3_bucket: (s, ctx) => {
    const sse = ctx.referring("aws_s3_bucket_server_side_encryption_configuration", s).map((c) => block(block(c.attrs.rule)?.apply_server_side_encryption_by_default));
    const pab = ctx.referring("aws_s3_bucket_public_access_block", s)[0]?.attrs;
    const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    const kms = sse.some((d) => (d?.sse_algorithm === "aws:kms" || d?.sse_algorithm === "aws:kms:dsse") && isCustomerKey(d.kms_master_key_id));
    // S3 delivers server access logs only to buckets encrypted with S3-managed keys.
    const logTarget = ctx.of("aws_s3_bucket_logging").some((l) => String(l.attrs.target_bucket).startsWith(`\${${s.address}.`));
    const encryption: Verdict = { check: "encryption-at-rest", pass: kms, evidence: `server-side encryption: ${sse.map((d) => `${d?.sse_algorithm} ${d?.kms_master_key_id ?? ""}`.trim()).join("; ") || "<none>"}` };
    return [
      !kms && logTarget && sse.some((d) => d?.sse_algorithm === "AES256") ? { ...encryption, exempt: "receives S3 server access logs, which S3 delivers only to buckets encrypted with S3-managed keys (SSE-S3)" } : encryption,
      { check: "private-data", pass: !!pab && flags.every((f) => pab[f] === true), evidence: pab ? flags.map((f) => `${f}=${pab[f]}`).join(", ") : "no public access block" },
      deniesInsecureTransport(s, ctx),
      preventsDestroy(s),
    ];
  },
  aws_cloudwatch_log_group: (s) => [verdict("encryption-at-rest", isCustomerKey(s.attrs.kms_key_id), s.attrs, "kms_key_id")],
  aws_sns_topic: (s) => [verdict("encryption-at-rest", isCustomerKey(s.attrs.kms_master_key_id), s.attrs, "kms_master_key_id")],
  aws_sqs_queue: (s) => [verdict("encryption-at-rest", isCustomerKey(s.attrs.kms_master_key_id), s.attrs, "kms_master_key_id")],
  aws_secretsmanager_secret: (s) => [verdict("encryption-at-rest", isCustomerKey(s.attrs.kms_key_id), s.attrs, "kms_key_id")],
  aws_eks_cluster: (s) => {
    const vpc = block(s.attrs.vpc_config) ?? {};
    const open = openToInternet((vpc.public_access_cidrs ?? []) as string[]);
    return [
      verdict("encryption-at-rest", isCustomerKey(block(block(s.attrs.encryption_config)?.provider)?.key_arn), s.attrs, "encryption_config.provider.key_arn", "encryption_config.resources"),
      verdict("control-plane-logs", ((s.attrs.enabled_cluster_log_types ?? []) as string[]).includes("audit"), s.attrs, "enabled_cluster_log_types"),
      verdict("private-api", vpc.endpoint_public_access === false || (vpc.endpoint_public_access === true && !open), s.attrs, "vpc_config.endpoint_public_access", "vpc_config.public_access_cidrs"),
      verdict("deletion-protection", s.attrs.deletion_protection === true && s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "deletion_protection", "lifecycle.prevent_destroy"),
    ];
  },
  aws_launch_template: (s) => {
    const disks = ((s.attrs.block_device_mappings ?? []) as Record<string, any>[]).map((m) => block(m.ebs));
    return [{ check: "encryption-at-rest", pass: disks.length > 0 && disks.every((d) => String(d?.encrypted) === "true" && isCustomerKey(d?.kms_key_id)), evidence: disks.map((d) => `ebs encrypted=${d?.encrypted}, kms_key_id=${d?.kms_key_id}`).join("; ") || "no block device mappings" }];
  },
  // Karpenter's nodes: every volume encrypted with the deployment's key.
  "k8s:EC2NodeClass.karpenter.k8s.aws": (s) => {
    const disks = ((s.attrs.spec?.blockDeviceMappings ?? []) as { ebs?: { encrypted?: boolean; kmsKeyID?: string } }[]).map((m) => m.ebs);
    return [{ check: "encryption-at-rest", pass: disks.length > 0 && disks.every((d) => d?.encrypted === true && isCustomerKey(d.kmsKeyID)), evidence: disks.map((d) => `ebs encrypted=${d?.encrypted}, kmsKeyID=${d?.kmsKeyID}`).join("; ") || "no blockDeviceMappings" }];
  },
  aws_vpc: (s, ctx) => {
    const logs = ctx.referring("aws_flow_log", s).filter((f) => f.attrs.traffic_type === "ALL");
    return [{ check: "flow-logs", pass: logs.length > 0, evidence: logs.length ? logs.map((f) => `${f.address} traffic_type=ALL`).join(", ") : "no aws_flow_log with traffic_type=ALL for this VPC" }];
  },
};
