import { beforeAll, describe, expect, test } from "vitest";
import { object, releases } from "../support/helm";
import { synth, type Block, type StackJson } from "../support/synth";

const base = {
  name: "acme",
  tier: "medium",
  target: { cloud: "aws", region: "us-west-2", accountId: "111122223333" },
  network: { cidr: "10.42.0.0/16" },
  platform: { tenants: [{ name: "app", cpu: "4", memory: "8Gi" }] },
};
const spec = (data: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => ({ ...base, data, ...over });
/** Every store on, backups copied to us-east-1. */
const FULL = { documents: { enabled: true }, disasterRecovery: { region: "us-east-1" } };

/** `${data.terraform_remote_state.<infra>.outputs.<output for block.attribute>}`, as the platform stack reads an infra value. */
const remote = (block: Block, attribute: string) =>
  `\${data.terraform_remote_state.cross-stack-reference-input-acme-aws-infra.outputs.cross-stack-output-${block.tfAddress.replace(
    /\./g,
    "",
  )}${attribute.replace(/[^\w]/g, "")}}`;
/** The statements of the policy document a resource's `policy` (or `assume_role_policy`) points at. */
const statements = (stack: StackJson, ref: string): Record<string, any>[] =>
  stack.data("aws_iam_policy_document").find((d) => ref === stack.ref(d, "json"))!.statement;
const sid = (list: Record<string, any>[], id: string) => list.find((s) => s.sid === id)!;
const key = (stack: StackJson, name: string) => stack.resource("aws_kms_key", (k) => k.tags.Name === name);

describe("AwsKeys: data and secrets", () => {
  let infra: StackJson;
  let noDr: StackJson;
  beforeAll(async () => {
    [{ infra }, { infra: noDr }] = await Promise.all([synth(spec(FULL)), synth(spec())]);
  });

  test("the data key rotates yearly, is multi-Region from the start and cannot be destroyed by a plan", () => {
    for (const stack of [infra, noDr]) {
      const data = key(stack, "acme-data");
      expect(data).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30, multi_region: true });
      expect(data.lifecycle.prevent_destroy).toBe(true);
    }
    const secrets = key(infra, "acme-data-secrets");
    expect(secrets).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(secrets.multi_region).toBeUndefined();
    expect(secrets.lifecycle.prevent_destroy).toBe(true);
  });

  test("the data key serves RDS, ElastiCache and AWS Backup for this account only; S3 callers need IAM", () => {
    const policy = statements(infra, key(infra, "acme-data").policy);
    const use = sid(policy, "DataServicesUse");
    expect(use.principals).toEqual([{ type: "AWS", identifiers: ["*"] }]);
    expect(use.actions).not.toContain("kms:*");
    expect(use.condition).toEqual([
      {
        test: "StringEquals",
        variable: "kms:ViaService",
        values: ["rds.us-west-2.amazonaws.com", "elasticache.us-west-2.amazonaws.com", "backup.us-west-2.amazonaws.com"],
      },
      { test: "StringEquals", variable: "kms:CallerAccount", values: [expect.stringMatching(/aws_caller_identity/)] },
    ]);
    const grants = sid(policy, "DataServicesGrants");
    expect(grants.actions).toEqual(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]);
    expect(grants.condition).toContainEqual({ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] });
    expect(JSON.stringify(policy)).not.toContain("s3.us-west-2");
  });

  test("the secrets key is used through Secrets Manager only", () => {
    const policy = statements(infra, key(infra, "acme-data-secrets").policy);
    expect(sid(policy, "SecretsManagerUse").condition[0]).toEqual({
      test: "StringEquals",
      variable: "kms:ViaService",
      values: ["secretsmanager.us-west-2.amazonaws.com"],
    });
    expect(policy.map((s) => s.sid)).toEqual(["AccountIamAdministers", "SecretsManagerUse", "SecretsManagerGrants"]);
  });

  test("disaster recovery adds a replica of the data key in the second region, through a provider alias", () => {
    expect(infra.json.provider.aws).toContainEqual(
      expect.objectContaining({ alias: "dr", region: "us-east-1", allowed_account_ids: ["111122223333"] }),
    );
    const replica = infra.resource("aws_kms_replica_key");
    expect(replica).toMatchObject({ provider: "aws.dr", primary_key_arn: infra.ref(key(infra, "acme-data"), "arn"), deletion_window_in_days: 30 });
    expect(replica.lifecycle.prevent_destroy).toBe(true);
    const use = sid(statements(infra, replica.policy), "BackupCopiesUse");
    expect(use.condition[0].values).toEqual(["rds.us-east-1.amazonaws.com", "backup.us-east-1.amazonaws.com"]);
    expect(noDr.resources("aws_kms_replica_key")).toEqual([]);
    expect(noDr.json.provider.aws).toHaveLength(1);
  });
});

describe("AwsPostgres", () => {
  let infra: StackJson;
  let db: Block;
  beforeAll(async () => {
    ({ infra } = await synth(spec(FULL)));
    db = infra.resource("aws_db_instance");
  });

  test("private in the data subnets, reachable on 5432 from the nodes' security group only", () => {
    expect(db.publicly_accessible).toBe(false);
    const subnets = infra.resource("aws_db_subnet_group");
    expect(db.db_subnet_group_name).toBe(infra.ref(subnets, "name"));
    const dataSubnets = infra
      .resources("aws_subnet")
      .filter((s) => s.tags.Name.startsWith("acme-data-"))
      .map((s) => infra.ref(s, "id"));
    expect([...subnets.subnet_ids].sort()).toEqual(dataSubnets.sort());
    const group = infra.resource("aws_security_group", (g) => g.name === "acme-postgres");
    expect(db.vpc_security_group_ids).toEqual([infra.ref(group, "id")]);
    const rules = infra.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === infra.ref(group, "id"));
    const nodes = infra.resource("aws_security_group", (g) => g.name === "acme-eks-nodes");
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ ip_protocol: "tcp", from_port: 5432, to_port: 5432, referenced_security_group_id: infra.ref(nodes, "id") });
    expect(rules[0].cidr_ipv4).toBeUndefined();
    expect(infra.resources("aws_vpc_security_group_egress_rule").filter((r) => r.security_group_id === infra.ref(group, "id"))).toEqual([]);
  });

  test("storage, Performance Insights and the managed master password are encrypted with customer keys", () => {
    expect(db).toMatchObject({
      storage_encrypted: true,
      kms_key_id: infra.ref(key(infra, "acme-data"), "arn"),
      performance_insights_enabled: true,
      performance_insights_kms_key_id: infra.ref(key(infra, "acme-data"), "arn"),
      manage_master_user_password: true,
      master_user_secret_kms_key_id: infra.ref(key(infra, "acme-data-secrets"), "arn"),
      username: "byoc_admin",
      db_name: "acme",
    });
    expect(db.password).toBeUndefined();
  });

  test("TLS is forced with the current CA; connections and slow statements are logged", () => {
    expect(db.ca_cert_identifier).toBe("rds-ca-rsa2048-g1");
    const group = infra.resource("aws_db_parameter_group");
    expect(db.parameter_group_name).toBe(infra.ref(group, "name"));
    expect(group).toMatchObject({ family: "postgres17", name: "acme-postgres17", lifecycle: { create_before_destroy: true } });
    expect(Object.fromEntries(group.parameter.map((p: { name: string; value: string }) => [p.name, p.value]))).toEqual({
      "rds.force_ssl": "1",
      ssl_min_protocol_version: "TLSv1.2",
      log_connections: "1",
      log_disconnections: "1",
      log_min_duration_statement: "1000",
    });
  });

  test("logs go to pre-created KMS-encrypted log groups; enhanced monitoring every minute", () => {
    expect(db.enabled_cloudwatch_logs_exports).toEqual(["postgresql", "upgrade"]);
    for (const log of ["postgresql", "upgrade"]) {
      const group = infra.resource("aws_cloudwatch_log_group", (g) => g.name === `/aws/rds/instance/acme-postgres/${log}`);
      expect(group.kms_key_id).toBe(infra.ref(key(infra, "acme-logs"), "arn"));
      expect(group.retention_in_days).toBeGreaterThan(0);
      expect(db.depends_on).toContain(group.tfAddress);
    }
    const role = infra.resource("aws_iam_role", (r) => r.name === "acme-rds-monitoring");
    expect(db).toMatchObject({ monitoring_interval: 60, monitoring_role_arn: infra.ref(role, "arn") });
    expect(statements(infra, role.assume_role_policy)[0].principals).toEqual([{ type: "Service", identifiers: ["monitoring.rds.amazonaws.com"] }]);
    expect(infra.resource("aws_iam_role_policy_attachment", (a) => a.role === infra.ref(role, "name")).policy_arn).toMatch(
      /AmazonRDSEnhancedMonitoringRole$/,
    );
  });

  test("sized by the tier, Multi-AZ, gp3 with autoscaling, backups and protection on", () => {
    expect(db).toMatchObject({
      identifier: "acme-postgres",
      engine: "postgres",
      engine_version: "17",
      auto_minor_version_upgrade: true,
      instance_class: "db.m7g.large",
      storage_type: "gp3",
      allocated_storage: 200,
      max_allocated_storage: 2000,
      multi_az: true,
      backup_retention_period: 14,
      copy_tags_to_snapshot: true,
      iam_database_authentication_enabled: true,
      apply_immediately: false,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "acme-postgres-final",
      delete_automated_backups: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  test("disaster recovery replicates automated backups into the second region with the replica key", async () => {
    const replication = infra.resource("aws_db_instance_automated_backups_replication");
    expect(replication).toMatchObject({
      provider: "aws.dr",
      source_db_instance_arn: infra.ref(db, "arn"),
      kms_key_id: infra.ref(infra.resource("aws_kms_replica_key"), "arn"),
      retention_period: 14,
    });
    const { infra: none } = await synth(spec());
    expect(none.resources("aws_db_instance_automated_backups_replication")).toEqual([]);
  });

  test("the spec's version picks the parameter family; turning postgres off removes it", async () => {
    const [{ infra: v16 }, { infra: off }] = await Promise.all([
      synth(spec({ postgres: { version: "16" } })),
      synth(spec({ postgres: { enabled: false } })),
    ]);
    expect(v16.resource("aws_db_instance").engine_version).toBe("16");
    expect(v16.resource("aws_db_parameter_group").family).toBe("postgres16");
    expect(off.resources("aws_db_instance")).toEqual([]);
  });
});

describe("AwsDocuments", () => {
  let infra: StackJson;
  let cluster: Block;
  beforeAll(async () => {
    ({ infra } = await synth(spec(FULL)));
    cluster = infra.resource("aws_docdb_cluster");
  });

  test("encrypted, managed password, backups, logs exported, protected", () => {
    const subnets = infra.resource("aws_docdb_subnet_group");
    expect(cluster).toMatchObject({
      cluster_identifier: "acme-documents",
      engine: "docdb",
      engine_version: "5.0.0",
      master_username: "byoc_admin",
      manage_master_user_password: true,
      storage_encrypted: true,
      kms_key_id: infra.ref(key(infra, "acme-data"), "arn"),
      port: 27017,
      db_subnet_group_name: infra.ref(subnets, "name"),
      backup_retention_period: 14,
      enabled_cloudwatch_logs_exports: ["audit", "profiler"],
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "acme-documents-final",
      lifecycle: { prevent_destroy: true },
    });
    expect(cluster.master_password).toBeUndefined();
    for (const log of ["audit", "profiler"]) {
      const group = infra.resource("aws_cloudwatch_log_group", (g) => g.name === `/aws/docdb/acme-documents/${log}`);
      expect(group.kms_key_id).toBe(infra.ref(key(infra, "acme-logs"), "arn"));
      expect(cluster.depends_on).toContain(group.tfAddress);
    }
  });

  test("TLS 1.2+ and the audit log are required by the cluster parameter group", () => {
    const group = infra.resource("aws_docdb_cluster_parameter_group");
    expect(cluster.db_cluster_parameter_group_name).toBe(infra.ref(group, "name"));
    expect(group.family).toBe("docdb5.0");
    const params = Object.fromEntries(group.parameter.map((p: { name: string; value: string }) => [p.name, p.value]));
    expect(params).toMatchObject({ tls: "tls1.2+", audit_logs: "enabled", profiler: "enabled" });
  });

  test("instances keyed by index, on the current CA, Performance Insights with the data key", () => {
    const instances = infra.resources("aws_docdb_cluster_instance");
    expect(instances.map((i) => i.identifier).sort()).toEqual(["acme-documents-0", "acme-documents-1", "acme-documents-2"]);
    for (const i of instances) {
      expect(i).toMatchObject({
        cluster_identifier: infra.ref(cluster, "id"),
        instance_class: "db.r6g.large",
        ca_cert_identifier: "rds-ca-rsa2048-g1",
        enable_performance_insights: true,
        performance_insights_kms_key_id: infra.ref(key(infra, "acme-data"), "arn"),
      });
    }
  });

  test("reachable on 27017 from the nodes only", () => {
    const group = infra.resource("aws_security_group", (g) => g.name === "acme-documents");
    expect(cluster.vpc_security_group_ids).toEqual([infra.ref(group, "id")]);
    const [rule] = infra.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === infra.ref(group, "id"));
    const nodes = infra.resource("aws_security_group", (g) => g.name === "acme-eks-nodes");
    expect(rule).toMatchObject({ from_port: 27017, to_port: 27017, referenced_security_group_id: infra.ref(nodes, "id") });
  });

  test("disaster recovery: AWS Backup copies the cluster daily into a vault in the second region", () => {
    const vault = infra.resource("aws_backup_vault", (v) => v.name === "acme-backup");
    const drVault = infra.resource("aws_backup_vault", (v) => v.name === "acme-backup-dr");
    expect(vault).toMatchObject({ kms_key_arn: infra.ref(key(infra, "acme-data"), "arn"), lifecycle: { prevent_destroy: true } });
    expect(drVault).toMatchObject({
      provider: "aws.dr",
      kms_key_arn: infra.ref(infra.resource("aws_kms_replica_key"), "arn"),
      lifecycle: { prevent_destroy: true },
    });
    const [rule] = infra.resource("aws_backup_plan").rule;
    expect(rule).toMatchObject({
      target_vault_name: infra.ref(vault, "name"),
      lifecycle: { delete_after: 14 },
      copy_action: [{ destination_vault_arn: infra.ref(drVault, "arn"), lifecycle: { delete_after: 14 } }],
    });
    const selection = infra.resource("aws_backup_selection");
    expect(selection.resources).toEqual([infra.ref(cluster, "arn")]);
  });

  test("off by default; without disaster recovery no Backup plan", async () => {
    const [{ infra: off }, { infra: noDr }] = await Promise.all([synth(spec()), synth(spec({ documents: { enabled: true } }))]);
    expect(off.resources("aws_docdb_cluster")).toEqual([]);
    expect(noDr.resources("aws_docdb_cluster")).toHaveLength(1);
    expect(noDr.resources("aws_backup_plan")).toEqual([]);
  });
});

describe("AwsRedis", () => {
  let infra: StackJson;
  let group: Block;
  beforeAll(async () => {
    ({ infra } = await synth(spec(FULL)));
    group = infra.resource("aws_elasticache_replication_group");
  });

  test("Valkey, encrypted at rest with the data key, TLS required, HA in place with failover", () => {
    expect(group).toMatchObject({
      replication_group_id: "acme-redis",
      engine: "valkey",
      at_rest_encryption_enabled: "true",
      kms_key_id: infra.ref(key(infra, "acme-data"), "arn"),
      transit_encryption_enabled: true,
      transit_encryption_mode: "required",
      node_type: "cache.m7g.large",
      num_cache_clusters: 2,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      snapshot_retention_limit: 14,
      final_snapshot_identifier: "acme-redis-final",
      subnet_group_name: infra.ref(infra.resource("aws_elasticache_subnet_group"), "name"),
      lifecycle: { prevent_destroy: true },
    });
  });

  test("the AUTH token is generated by Secrets Manager, kept in a secret under the secrets key and read back from it", () => {
    const secret = infra.resource("aws_secretsmanager_secret");
    expect(secret).toMatchObject({
      name: "acme-redis-auth",
      kms_key_id: infra.ref(key(infra, "acme-data-secrets"), "arn"),
      recovery_window_in_days: 30,
    });
    const generated = infra.data("aws_secretsmanager_random_password")[0];
    expect(generated.password_length).toBe(64);
    const version = infra.resource("aws_secretsmanager_secret_version");
    expect(version).toMatchObject({ secret_id: infra.ref(secret, "id"), secret_string: infra.ref(generated, "random_password") });
    expect(version.lifecycle.ignore_changes).toEqual(["secret_string"]);
    const stored = infra.data("aws_secretsmanager_secret_version").find((d) => d.secret_id === infra.ref(secret, "id"))!;
    expect(stored.depends_on).toEqual([version.tfAddress]);
    expect(group.auth_token).toBe(infra.ref(stored, "secret_string"));
    expect(group.auth_token_update_strategy).toBe("ROTATE");
  });

  test("slow and engine logs go to KMS-encrypted log groups; 6379 from the nodes only", () => {
    for (const type of ["slow-log", "engine-log"]) {
      const logs = infra.resource("aws_cloudwatch_log_group", (g) => g.name === `/aws/elasticache/acme-redis/${type}`);
      expect(logs.kms_key_id).toBe(infra.ref(key(infra, "acme-logs"), "arn"));
      expect(group.log_delivery_configuration).toContainEqual({
        log_type: type,
        destination_type: "cloudwatch-logs",
        destination: infra.ref(logs, "name"),
        log_format: "json",
      });
    }
    const sg = infra.resource("aws_security_group", (g) => g.name === "acme-redis");
    expect(group.security_group_ids).toEqual([infra.ref(sg, "id")]);
    const [rule] = infra.resources("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === infra.ref(sg, "id"));
    expect(rule).toMatchObject({ from_port: 6379, to_port: 6379, referenced_security_group_id: expect.stringContaining("Nodes") });
  });

  test("without HA: one node, no failover", async () => {
    const { infra: small } = await synth(spec({}, { tier: "small" }));
    expect(small.resource("aws_elasticache_replication_group")).toMatchObject({
      node_type: "cache.t4g.small",
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      multi_az_enabled: false,
    });
  });
});

describe("AwsBuckets", () => {
  let infra: StackJson;
  const bucket = (purpose: string) => infra.resource("aws_s3_bucket", (b) => b.tfAddress.includes(`Bucket-${purpose}_`));
  const of = (type: string, b: Block) => infra.resource(type, (r) => r.bucket === infra.ref(b, "id"));
  beforeAll(async () => {
    ({ infra } = await synth(spec(FULL)));
  });

  test("one bucket per purpose, named <deployment>-<purpose>-<account>-<region>, no force_destroy, protected", () => {
    for (const purpose of ["metrics", "logs", "config", "backups"]) {
      const b = bucket(purpose);
      expect(b.bucket).toBe(`\${join("-", ["acme-${purpose}", data.aws_caller_identity.Keys_Account_6BD4EEDC.account_id, "us-west-2"])}`);
      expect(b.force_destroy).toBe(false);
      expect(b.lifecycle.prevent_destroy).toBe(true);
      expect(of("aws_s3_bucket_public_access_block", b)).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(of("aws_s3_bucket_ownership_controls", b).rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
      expect(of("aws_s3_bucket_versioning", b).versioning_configuration).toEqual({ status: "Enabled" });
    }
  });

  test("SSE-KMS with the data key and a bucket key; logs uses SSE-S3, which server access logging requires", () => {
    for (const purpose of ["metrics", "config", "backups"]) {
      expect(of("aws_s3_bucket_server_side_encryption_configuration", bucket(purpose)).rule).toEqual([
        {
          apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: infra.ref(key(infra, "acme-data"), "arn") },
          bucket_key_enabled: true,
        },
      ]);
    }
    expect(of("aws_s3_bucket_server_side_encryption_configuration", bucket("logs")).rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
  });

  test("lifecycle: incomplete uploads aborted after 7 days; current and noncurrent versions expire after the retention", () => {
    const rules = (purpose: string) => of("aws_s3_bucket_lifecycle_configuration", bucket(purpose)).rule;
    for (const purpose of ["metrics", "logs", "config", "backups"]) {
      expect(rules(purpose)).toContainEqual(
        expect.objectContaining({ status: "Enabled", abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
      );
    }
    expect(rules("logs")).toContainEqual(
      // Loki keeps logs 30 days by default: the lifecycle runs a week behind.
      expect.objectContaining({ expiration: [{ days: 37 }], noncurrent_version_expiration: [{ noncurrent_days: 37 }] }),
    );
    expect(rules("config").some((r: Record<string, unknown>) => r.expiration)).toBe(false);
  });

  test("policies: TLS only; other encryption and other keys refused; logs admits S3 logging from these buckets only", () => {
    const policy = (purpose: string) => statements(infra, of("aws_s3_bucket_policy", bucket(purpose)).policy);
    for (const purpose of ["metrics", "logs", "config", "backups"]) {
      const tls = sid(policy(purpose), "DenyInsecureTransport");
      expect(tls).toMatchObject({
        effect: "Deny",
        actions: ["s3:*"],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });
      expect(tls.resources).toEqual([infra.ref(bucket(purpose), "arn"), `${infra.ref(bucket(purpose), "arn")}/*`]);
    }
    const config = policy("config");
    expect(sid(config, "DenyOtherEncryption").condition).toContainEqual({
      test: "StringNotEquals",
      variable: "s3:x-amz-server-side-encryption",
      values: ["aws:kms"],
    });
    expect(sid(config, "DenyOtherKeys").condition).toContainEqual({
      test: "StringNotEquals",
      variable: "s3:x-amz-server-side-encryption-aws-kms-key-id",
      values: [infra.ref(key(infra, "acme-data"), "arn")],
    });
    const logging = sid(policy("logs"), "ServerAccessLogsOfThisAccount");
    expect(logging.principals).toEqual([{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }]);
    expect(logging.condition).toContainEqual({
      test: "ArnLike",
      variable: "aws:SourceArn",
      values: ["metrics", "config", "backups"].map((p) => infra.ref(bucket(p), "arn")),
    });
    expect(logging.condition).toContainEqual(expect.objectContaining({ variable: "aws:SourceAccount" }));
  });

  test("every bucket but logs writes its access logs into logs, under its purpose", () => {
    const logging = infra.resources("aws_s3_bucket_logging").filter((l) => l.provider === undefined);
    expect(logging.map((l) => l.target_prefix).sort()).toEqual(["backups/", "config/", "metrics/"]);
    for (const l of logging) expect(l.target_bucket).toBe(infra.ref(bucket("logs"), "id"));
  });

  test("disaster recovery: the copy logs its requests into a logs bucket in its own region, hardened like the primary one", () => {
    const drLogs = bucket("logs-dr");
    expect(drLogs).toMatchObject({ provider: "aws.dr", force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(drLogs.bucket).toContain('"acme-logs-dr"');
    expect(drLogs.bucket).toContain('"us-east-1"');
    // Server access logs are delivered to SSE-S3 buckets only, as in the primary region.
    expect(of("aws_s3_bucket_server_side_encryption_configuration", drLogs)).toMatchObject({
      provider: "aws.dr",
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(of("aws_s3_bucket_versioning", drLogs)).toMatchObject({ provider: "aws.dr", versioning_configuration: { status: "Enabled" } });
    expect(of("aws_s3_bucket_public_access_block", drLogs)).toMatchObject({
      provider: "aws.dr",
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(of("aws_s3_bucket_ownership_controls", drLogs).rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
    expect(of("aws_s3_bucket_lifecycle_configuration", drLogs).rule).toContainEqual(
      expect.objectContaining({ expiration: [{ days: 37 }], noncurrent_version_expiration: [{ noncurrent_days: 37 }] }),
    );

    const replica = bucket("backups-dr");
    const logging = of("aws_s3_bucket_logging", replica);
    expect(logging).toMatchObject({ provider: "aws.dr", target_bucket: infra.ref(drLogs, "id"), target_prefix: "backups/" });
    const policy = of("aws_s3_bucket_policy", drLogs);
    expect(policy.provider).toBe("aws.dr");
    expect(logging.depends_on).toContain(policy.tfAddress);
    const admitted = sid(statements(infra, policy.policy), "ServerAccessLogsOfThisAccount");
    expect(admitted.principals).toEqual([{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }]);
    expect(admitted.resources).toEqual([`${infra.ref(drLogs, "arn")}/*`]);
    expect(admitted.condition).toContainEqual({ test: "ArnLike", variable: "aws:SourceArn", values: [infra.ref(replica, "arn")] });
    expect(admitted.condition).toContainEqual(expect.objectContaining({ test: "StringEquals", variable: "aws:SourceAccount" }));
    expect(sid(statements(infra, policy.policy), "DenyInsecureTransport").effect).toBe("Deny");
  });

  test("disaster recovery: backups replicated to a hardened bucket in the second region under the replica key", () => {
    const replica = bucket("backups-dr");
    expect(replica).toMatchObject({ provider: "aws.dr", force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(replica.bucket).toContain('"acme-backups-dr"');
    expect(replica.bucket).toContain('"us-east-1"');
    const replicaKey = infra.resource("aws_kms_replica_key");
    expect(of("aws_s3_bucket_server_side_encryption_configuration", replica).rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toBe(
      infra.ref(replicaKey, "arn"),
    );
    expect(of("aws_s3_bucket_versioning", replica).versioning_configuration.status).toBe("Enabled");
    expect(of("aws_s3_bucket_public_access_block", replica).restrict_public_buckets).toBe(true);
    const replication = infra.resource("aws_s3_bucket_replication_configuration");
    expect(replication.bucket).toBe(infra.ref(bucket("backups"), "id"));
    expect(replication.rule).toEqual([
      expect.objectContaining({
        status: "Enabled",
        delete_marker_replication: { status: "Disabled" },
        source_selection_criteria: { sse_kms_encrypted_objects: { status: "Enabled" } },
        destination: expect.objectContaining({
          bucket: infra.ref(replica, "arn"),
          encryption_configuration: { replica_kms_key_id: infra.ref(replicaKey, "arn") },
        }),
      }),
    ]);
    const role = infra.resource("aws_iam_role", (r) => r.name === "acme-s3-replication");
    const permissions = statements(infra, infra.resource("aws_iam_role_policy", (p) => p.role === infra.ref(role, "id")).policy);
    expect(sid(permissions, "WriteReplicas").resources).toEqual([`${infra.ref(replica, "arn")}/*`]);
    expect(sid(permissions, "DecryptSource").resources).toEqual([infra.ref(key(infra, "acme-data"), "arn")]);
    expect(sid(permissions, "EncryptReplicas").resources).toEqual([infra.ref(replicaKey, "arn")]);
  });

  test("without disaster recovery no replica; without logs the spec is refused", async () => {
    const { infra: none } = await synth(spec());
    expect(none.resources("aws_s3_bucket")).toHaveLength(4);
    expect(none.resources("aws_s3_bucket_replication_configuration")).toEqual([]);
    await expect(synth(spec({ buckets: ["config"] }))).rejects.toThrow(/must include "logs" on aws/);
  });
});

describe("AwsDataLayer outputs", () => {
  test("named after each store's path: endpoints, secret ARNs and bucket names, never a credential", async () => {
    const { infra } = await synth(spec(FULL));
    const output = (name: string) => infra.json.output[name].value;
    expect(output("data_postgres_address")).toBe(infra.ref(infra.resource("aws_db_instance"), "address"));
    expect(output("data_postgres_secret_arn")).toBe(infra.ref(infra.resource("aws_db_instance"), "master_user_secret[0].secret_arn"));
    expect(output("data_documents_endpoint")).toBe(infra.ref(infra.resource("aws_docdb_cluster"), "endpoint"));
    expect(output("data_redis_primary_endpoint")).toBe(infra.ref(infra.resource("aws_elasticache_replication_group"), "primary_endpoint_address"));
    expect(output("data_redis_auth_secret_arn")).toBe(infra.ref(infra.resource("aws_secretsmanager_secret"), "arn"));
    for (const purpose of ["metrics", "logs", "config", "backups"]) {
      expect(output(`data_buckets_${purpose}_name`)).toBe(infra.ref(infra.resource("aws_s3_bucket", (b) => b.tfAddress.includes(`Bucket-${purpose}_`)), "bucket"));
    }
    expect(JSON.stringify(infra.json.output)).not.toMatch(/secret_string|random_password/);
  });
});

describe("AwsDataLayer with protection disabled", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synth(spec({ ...FULL, protection: "disabled" }, { environment: "development" })));
  });

  test("no prevent_destroy, no deletion protection, no final snapshots", () => {
    for (const type of [
      "aws_db_instance",
      "aws_docdb_cluster",
      "aws_elasticache_replication_group",
      "aws_s3_bucket",
      "aws_kms_key",
      "aws_kms_replica_key",
      "aws_backup_vault",
    ]) {
      expect(infra.resources(type).length, type).toBeGreaterThan(0);
      for (const r of infra.resources(type)) expect(r.lifecycle?.prevent_destroy, r.tfAddress).toBeUndefined();
    }
    for (const type of ["aws_db_instance", "aws_docdb_cluster"]) {
      expect(infra.resource(type)).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
      expect(infra.resource(type).final_snapshot_identifier).toBeUndefined();
    }
    expect(infra.resource("aws_db_instance").delete_automated_backups).toBe(true);
    expect(infra.resource("aws_elasticache_replication_group").final_snapshot_identifier).toBeUndefined();
    expect(infra.resource("aws_secretsmanager_secret").recovery_window_in_days).toBe(0);
  });
});

describe("AwsDataLayer tier changes", () => {
  /** Types holding data, and the attributes that replace them when they change. */
  const FORCE_NEW: Record<string, string[]> = {
    aws_db_instance: ["identifier", "engine", "kms_key_id", "storage_encrypted", "db_subnet_group_name", "username", "db_name"],
    aws_docdb_cluster: ["cluster_identifier", "engine", "kms_key_id", "storage_encrypted", "master_username", "db_subnet_group_name", "port"],
    aws_elasticache_replication_group: ["replication_group_id", "engine", "at_rest_encryption_enabled", "kms_key_id", "subnet_group_name", "port"],
    aws_s3_bucket: ["bucket"],
    aws_kms_key: ["multi_region"],
    aws_kms_replica_key: ["primary_key_arn"],
    aws_backup_vault: ["name", "kms_key_arn"],
    aws_db_subnet_group: ["name"],
    aws_docdb_subnet_group: ["name"],
    aws_elasticache_subnet_group: ["name"],
    aws_secretsmanager_secret: ["name"],
  };
  let stacks: StackJson[];
  beforeAll(async () => {
    stacks = (await Promise.all(["small", "medium", "large"].map((tier) => synth(spec(FULL, { tier }))))).map((s) => s.infra);
  });

  test("small, medium and large keep every stateful address and replacement-forcing attribute", () => {
    const view = (s: StackJson) =>
      Object.fromEntries(
        Object.entries(FORCE_NEW).flatMap(([type, attrs]) =>
          s.resources(type).map((r) => [r.tfAddress, Object.fromEntries(attrs.map((a) => [a, r[a]]))]),
        ),
      );
    const [small, medium, large] = stacks.map(view);
    expect(Object.keys(small).length).toBeGreaterThan(15);
    expect(medium).toEqual(small);
    expect(large).toEqual(small);
  });

  test("what the tier changes, it changes in place: class, storage, Multi-AZ, nodes, instances", () => {
    const [small, , large] = stacks;
    expect(small.resource("aws_db_instance")).toMatchObject({ instance_class: "db.t4g.medium", multi_az: false, allocated_storage: 100 });
    expect(large.resource("aws_db_instance")).toMatchObject({ instance_class: "db.r7g.xlarge", multi_az: true, allocated_storage: 500 });
    expect(small.resource("aws_elasticache_replication_group").num_cache_clusters).toBe(1);
    expect(large.resource("aws_elasticache_replication_group").num_cache_clusters).toBe(2);
    const instances = (s: StackJson) => s.resources("aws_docdb_cluster_instance").map((i) => i.tfAddress);
    expect(instances(small)).toHaveLength(1);
    expect(instances(large)).toEqual(expect.arrayContaining(instances(small)));
    expect(instances(large)).toHaveLength(3);
  });
});

describe("AwsPlatformTarget: data access", () => {
  let infra: StackJson;
  let platform: StackJson;
  const role = (name: string) => platform.resource("aws_iam_role", (r) => r.name === name);
  const inline = (r: Block) =>
    statements(
      platform,
      platform.resource("aws_iam_role_policy", (p) => p.role === platform.ref(r, "id") && p.name !== "assume-data-credentials-reader").policy,
    );
  beforeAll(async () => {
    ({ infra, platform } = await synth(spec(FULL)));
  });

  test("each tenant gets the endpoints and TLS settings in its data-endpoints ConfigMap", () => {
    const config = platform.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "data-endpoints" && c.metadata.namespace.includes("app"));
    expect(config.data).toMatchObject({
      POSTGRES_HOST: remote(infra.resource("aws_db_instance"), "address"),
      POSTGRES_PORT: "5432",
      POSTGRES_DATABASE: "acme",
      POSTGRES_SSLMODE: "verify-full",
      POSTGRES_CA_BUNDLE_URL: "https://truststore.pki.rds.amazonaws.com/us-west-2/us-west-2-bundle.pem",
      DOCUMENTS_HOST: remote(infra.resource("aws_docdb_cluster"), "endpoint"),
      DOCUMENTS_PORT: "27017",
      DOCUMENTS_TLS: "true",
      DOCUMENTS_REPLICA_SET: "rs0",
      DOCUMENTS_RETRY_WRITES: "false",
      REDIS_HOST: remote(infra.resource("aws_elasticache_replication_group"), "primary_endpoint_address"),
      REDIS_PORT: "6379",
      REDIS_TLS: "true",
      OBJECT_STORE_API: "s3",
      OBJECT_STORE_REGION: "us-west-2",
    });
    expect(config.data.BUCKET_BACKUPS).toMatch(/aws_s3_bucketData_Buckets_Bucket-backups_.*bucket\}$/);
    expect(JSON.stringify(config.data)).not.toMatch(/password|secret_string/i);
  });

  test("credentials are synced from the data-credentials store by secret ARN, never as values", () => {
    const arns = {
      postgres: remote(infra.resource("aws_db_instance"), "master_user_secret[0].secret_arn"),
      documents: remote(infra.resource("aws_docdb_cluster"), "master_user_secret[0].secret_arn"),
      redis: remote(infra.resource("aws_secretsmanager_secret"), "arn"),
    };
    for (const [kind, arn] of Object.entries(arns)) {
      const { object: secret } = object(platform, "ExternalSecret", `${kind}-credentials`);
      expect(secret.metadata.namespace).toBe("app");
      expect(secret.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "data-credentials" });
      const refs = secret.spec.data.map((d: { remoteRef: { key: string } }) => d.remoteRef.key);
      expect(new Set(refs)).toEqual(new Set([arn]));
    }
    expect(object(platform, "ExternalSecret", "redis-credentials").object.spec.data).toEqual([
      { secretKey: "password", remoteRef: { key: arns.redis } },
    ]);
  });

  test("the data-credentials store assumes a reader role that may read exactly those secrets", () => {
    const reader = role("acme-data-credentials-reader");
    const { object: store } = object(platform, "ClusterSecretStore", "data-credentials");
    expect(store.spec.provider).toEqual({ aws: { service: "SecretsManager", region: "us-west-2", role: platform.ref(reader, "arn") } });
    const permissions = inline(reader);
    expect(permissions).toHaveLength(2);
    expect(sid(permissions, "ReadDataCredentials")).toMatchObject({ actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"] });
    expect(sid(permissions, "ReadDataCredentials").resources).toEqual([
      remote(infra.resource("aws_db_instance"), "master_user_secret[0].secret_arn"),
      remote(infra.resource("aws_docdb_cluster"), "master_user_secret[0].secret_arn"),
      remote(infra.resource("aws_secretsmanager_secret"), "arn"),
    ]);
    expect(sid(permissions, "DecryptThroughSecretsManager")).toMatchObject({
      actions: ["kms:Decrypt"],
      resources: [remote(key(infra, "acme-data-secrets"), "arn")],
      condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["secretsmanager.us-west-2.amazonaws.com"] }],
    });
  });

  test("only the External Secrets controller's role may assume the reader, and it is allowed to", () => {
    const reader = role("acme-data-credentials-reader");
    const controller = role("acme-pod-external-secrets-external-secrets");
    expect(statements(platform, reader.assume_role_policy)).toEqual([
      expect.objectContaining({
        principals: [{ type: "AWS", identifiers: [platform.ref(controller, "arn")] }],
        actions: ["sts:AssumeRole", "sts:TagSession"],
      }),
    ]);
    const assume = platform.resource("aws_iam_role_policy", (p) => p.name === "assume-data-credentials-reader");
    expect(assume.role).toBe(platform.ref(controller, "id"));
    expect(statements(platform, assume.policy)).toEqual([
      expect.objectContaining({ actions: ["sts:AssumeRole", "sts:TagSession"], resources: [platform.ref(reader, "arn")] }),
    ]);
    const storeRelease = releases(platform).find((r) =>
      r.objects.some((o) => o.kind === "ClusterSecretStore" && o.metadata.name === "data-credentials"),
    )!;
    expect(storeRelease.block.depends_on).toEqual(expect.arrayContaining([reader.tfAddress, assume.tfAddress]));
  });

  test("the tenant's workload role reads and writes exactly the product's buckets, and the data key through S3", () => {
    const workload = role("acme-pod-app-workload");
    const association = platform.resource("aws_eks_pod_identity_association", (a) => a.namespace === "app" && a.service_account === "workload");
    expect(association.role_arn).toBe(platform.ref(workload, "arn"));
    const permissions = inline(workload);
    const bucketArn = (purpose: string) =>
      `arn:${remote(infra.data("aws_partition")[0], "partition")}:s3:::${remote(
        infra.resource("aws_s3_bucket", (b) => b.tfAddress.includes(`Bucket-${purpose}_`)),
        "bucket",
      )}`;
    expect(sid(permissions, "ListBuckets").resources).toEqual([bucketArn("config"), bucketArn("backups")]);
    expect(sid(permissions, "ReadWriteObjects").resources).toEqual([`${bucketArn("config")}/*`, `${bucketArn("backups")}/*`]);
    expect(sid(permissions, "ReadWriteObjects").actions).not.toContain("s3:*");
    expect(sid(permissions, "DataKeyThroughS3")).toMatchObject({
      resources: [remote(key(infra, "acme-data"), "arn")],
      condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["s3.us-west-2.amazonaws.com"] }],
    });
    expect(JSON.stringify(permissions)).not.toContain("rds-db:connect");
  });
});
