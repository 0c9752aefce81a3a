import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { Naming } from "../../lib/core/naming";
import { ByocStack } from "../../lib/core/stack";
import { AwsDataLayer } from "../../lib/data/aws";
import { AwsBackupCopies } from "../../lib/data/aws-backup";
import { AwsBucketReplication } from "../../lib/data/aws-bucket-replication";
import { AwsBuckets } from "../../lib/data/aws-buckets";
import { AwsDocuments } from "../../lib/data/aws-documents";
import { AwsPostgres } from "../../lib/data/aws-postgres";
import { AwsRedis } from "../../lib/data/aws-redis";
import type { IAwsKey } from "../../lib/data/keys/aws";
import type { IAwsNetwork } from "../../lib/network/aws";
import { StackJson } from "../support/synth";

/** An existing VPC, given by ids only. */
const vpc: IAwsNetwork = {
  cidr: "10.20.0.0/16",
  zones: ["us-east-1a", "us-east-1b"],
  peerCidrs: [],
  vpcId: "vpc-0123456789abcdef0",
  publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"],
  privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
  dataSubnetIds: ["subnet-data-a", "subnet-data-b"],
  privateRouteTableIds: ["rtb-a", "rtb-b"],
};
const secretsKey: IAwsKey = { arn: "arn:aws:kms:us-east-1:111122223333:key/secrets" };
const storageKey: IAwsKey = { arn: "arn:aws:kms:us-east-1:111122223333:key/storage" };
const clients = ["sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb"];
const naming = new Naming("acme");

const replicaKey: IAwsKey = { arn: "arn:aws:kms:us-west-2:111122223333:key/replica" };

/** A plain TerraformStack with just the AWS provider, in us-east-1. */
function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), "test");
  new AwsProvider(s, "aws", { region: "us-east-1" });
  return s;
}
const synthesized = (s: TerraformStack) => new StackJson("test", JSON.parse(Testing.synth(s)), s);
/** Every resource type in the stack that is a KMS key or alias. */
const kmsResources = (json: StackJson) => Object.keys(json.json.resource).filter((t) => t.startsWith("aws_kms"));

describe("AwsPostgres alone", () => {
  test("in an existing VPC given by ids, with client security group ids and one key of the user's (plus a secrets key): no other key", () => {
    // GIVEN a stack of the user's with its own storage key
    const s = stack();
    const key = new KmsKey(s, "StorageKey", { description: "the user's key", enableKeyRotation: true });
    // WHEN only the network ids, the clients and the keys are given
    new AwsPostgres(s, "Postgres", { naming, network: vpc, clientSecurityGroupIds: clients, key, secretsKey });
    const json = synthesized(s);

    // THEN the database is private in the given data subnets, encrypted with the given keys, and protected
    const db = json.resource("aws_db_instance");
    expect(db).toMatchObject({
      identifier: "acme-postgres",
      publicly_accessible: false,
      storage_encrypted: true,
      kms_key_id: json.ref(json.resource("aws_kms_key"), "arn"),
      performance_insights_kms_key_id: json.ref(json.resource("aws_kms_key"), "arn"),
      manage_master_user_password: true,
      master_user_secret_kms_key_id: secretsKey.arn,
      deletion_protection: true,
      skip_final_snapshot: false,
      lifecycle: { prevent_destroy: true },
      db_name: "acme",
    });
    expect(db.password).toBeUndefined();
    expect(json.resource("aws_db_subnet_group").subnet_ids).toEqual(vpc.dataSubnetIds);
    expect(kmsResources(json)).toEqual(["aws_kms_key"]);
    expect(json.resources("aws_kms_key")).toHaveLength(1);
  });

  test("sized like the small tier by default; TLS forced; reachable from each client group on 5432 only", () => {
    const s = stack();
    new AwsPostgres(s, "Postgres", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey });
    const json = synthesized(s);
    expect(kmsResources(json)).toEqual([]);
    expect(json.resource("aws_db_instance")).toMatchObject({
      engine_version: "17",
      instance_class: "db.t4g.medium",
      allocated_storage: 100,
      max_allocated_storage: 1000,
      multi_az: false,
      backup_retention_period: 7,
      kms_key_id: storageKey.arn,
    });
    const params = Object.fromEntries(json.resource("aws_db_parameter_group").parameter.map((p: { name: string; value: string }) => [p.name, p.value]));
    expect(params["rds.force_ssl"]).toBe("1");

    const group = json.resource("aws_security_group");
    expect(group.vpc_id).toBe(vpc.vpcId);
    const rules = json.resources("aws_vpc_security_group_ingress_rule");
    expect(rules.map((r) => r.referenced_security_group_id).sort()).toEqual(clients);
    // The first client's rule keeps the address it had with one client: appending a client moves nothing.
    expect(rules.find((r) => r.referenced_security_group_id === clients[0])!.tfAddress).toMatch(/SecurityGroup_FromClients_[0-9A-F]{8}$/);
    for (const rule of rules) {
      expect(rule).toMatchObject({ security_group_id: json.ref(group, "id"), ip_protocol: "tcp", from_port: 5432, to_port: 5432 });
      expect(rule.cidr_ipv4).toBeUndefined();
    }
    // Without a logs key the log groups use CloudWatch Logs' own encryption.
    for (const logs of json.resources("aws_cloudwatch_log_group")) {
      expect(logs.kms_key_id).toBeUndefined();
      expect(logs.retention_in_days).toBe(365);
    }
  });

  test("region and partition come from the stack: the CA bundle of the provider's region, the partition read once", () => {
    const s = stack();
    const pg = new AwsPostgres(s, "Postgres", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey });
    const json = synthesized(s);
    expect(pg.connection.settings.ca_bundle_url).toBe("https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem");
    const partition = json.data("aws_partition");
    expect(partition).toHaveLength(1);
    expect(json.resource("aws_iam_role_policy_attachment").policy_arn).toBe(
      `arn:${json.ref(partition[0], "partition")}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    );
  });

  test("a region that disagrees with the provider's is refused", () => {
    expect(
      () => new AwsPostgres(stack(), "Postgres", { naming, region: "eu-west-1", network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey }),
    ).toThrow('AwsPostgres test/Postgres: region "eu-west-1" differs from the aws provider\'s region "us-east-1"; give the provider\'s region or leave region unset');
  });

  test("two databases in one stack get distinct outputs", () => {
    const s = stack();
    const props = { network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey };
    new AwsPostgres(s, "Orders", { ...props, naming: new Naming("orders") });
    new AwsPostgres(s, "Billing", { ...props, naming: new Naming("billing") });
    const json = synthesized(s);
    expect(Object.keys(json.json.output).sort()).toEqual(["billing_address", "billing_secret_arn", "orders_address", "orders_secret_arn"]);
    expect(json.json.output.orders_address.value).toBe(json.ref(json.resource("aws_db_instance", (d) => d.identifier === "orders-postgres"), "address"));
  });

  test("disaster recovery replicates the automated backups with the given provider and key", () => {
    const s = stack();
    const provider = new AwsProvider(s, "aws-dr", { alias: "dr", region: "us-west-2" });
    new AwsPostgres(s, "Postgres", {
      naming,
      network: vpc,
      clientSecurityGroupIds: clients,
      key: storageKey,
      secretsKey,
      disasterRecovery: { region: "us-west-2", provider, key: replicaKey },
    });
    const json = synthesized(s);
    expect(json.resource("aws_db_instance_automated_backups_replication")).toMatchObject({ provider: "aws.dr", kms_key_id: replicaKey.arn });
  });

  test("bad props are refused with the prop, the value and what is allowed", () => {
    const base = { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey };
    const make = (over: Record<string, unknown>) => () => new AwsPostgres(stack(), "Postgres", { ...base, ...over });
    expect(make({ storageGb: 10 })).toThrow("AwsPostgres test/Postgres: storageGb must be an integer from 20 to 65536 (got 10)");
    expect(make({ storageGb: 500, maxStorageGb: 200 })).toThrow("AwsPostgres test/Postgres: maxStorageGb must be an integer from storageGb (500) to 65536 (got 200)");
    expect(make({ backupDays: 3 })).toThrow("AwsPostgres test/Postgres: backupDays must be an integer from 7 to 35 (got 3)");
    expect(make({ version: "17.2" })).toThrow('AwsPostgres test/Postgres: version must be a PostgreSQL major version such as "17" (got "17.2")');
    expect(make({ instanceClass: "m7g.large" })).toThrow('AwsPostgres test/Postgres: instanceClass must be an RDS instance class such as "db.m7g.large" (got "m7g.large")');
    expect(make({ clientSecurityGroupIds: [] })).toThrow("AwsPostgres test/Postgres: clientSecurityGroupIds must be at least one security group id (got [])");
    expect(make({ network: { ...vpc, dataSubnetIds: [] } })).toThrow("AwsPostgres test/Postgres: network.dataSubnetIds must be at least one subnet id (got [])");
    expect(make({ logRetentionDays: 42 })).toThrow(/^AwsPostgres test\/Postgres: logRetentionDays must be one of 1, 3, 5, .*, 3653 \(got 42\)$/);
  });

  test("values known only at apply time are not validated", () => {
    const s = stack();
    const storage = new TerraformVariable(s, "storage", { type: "number" });
    new AwsPostgres(s, "Postgres", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey, storageGb: storage.numberValue });
    expect(synthesized(s).resource("aws_db_instance").allocated_storage).toBe("${var.storage}");
  });

  test("a single list-valued reference for the clients is refused: one rule per group needs the list", () => {
    const s = stack();
    const ids = new TerraformVariable(s, "clients", { type: "list(string)" });
    expect(() => new AwsPostgres(s, "Postgres", { naming, network: vpc, clientSecurityGroupIds: ids.listValue, key: storageKey, secretsKey })).toThrow(
      "AwsPostgres test/Postgres: clientSecurityGroupIds must be a list of ids (each may be a reference), not one list-valued reference",
    );
  });

  test("naming comes from the enclosing ByocStack; in a plain stack without one it is asked for", () => {
    const byoc = new ByocStack(Testing.app(), "shop", { deployment: "shop" });
    new AwsProvider(byoc, "aws", { region: "us-east-1" });
    new AwsPostgres(byoc, "Postgres", { network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey });
    const json = new StackJson("shop", JSON.parse(Testing.synth(byoc)), byoc);
    expect(json.resource("aws_db_instance")).toMatchObject({ identifier: "shop-postgres", db_name: "shop" });
    expect(json.resource("aws_db_instance").tags).toMatchObject({ Name: "shop-postgres" });

    expect(() => new AwsPostgres(stack(), "Postgres", { network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey })).toThrow(
      'AwsPostgres test/Postgres: no naming: pass props.naming (new Naming("<deployment>")), or create it inside a ByocStack',
    );
  });
});

describe("AwsRedis alone", () => {
  test("Valkey encrypted with the given key, TLS and AUTH required, the token's secret under the secrets key; no key created", () => {
    const s = stack();
    new AwsRedis(s, "Cache", { naming, network: vpc, clientSecurityGroupIds: [clients[0]], key: storageKey, secretsKey });
    const json = synthesized(s);
    expect(kmsResources(json)).toEqual([]);
    expect(json.resource("aws_elasticache_replication_group")).toMatchObject({
      at_rest_encryption_enabled: "true",
      kms_key_id: storageKey.arn,
      transit_encryption_enabled: true,
      transit_encryption_mode: "required",
      node_type: "cache.t4g.small",
      num_cache_clusters: 1,
      snapshot_retention_limit: 7,
      lifecycle: { prevent_destroy: true },
    });
    expect(json.resource("aws_secretsmanager_secret").kms_key_id).toBe(secretsKey.arn);
    expect(json.resource("aws_elasticache_subnet_group").subnet_ids).toEqual(vpc.dataSubnetIds);
    expect(json.resource("aws_vpc_security_group_ingress_rule")).toMatchObject({ referenced_security_group_id: clients[0], from_port: 6379, to_port: 6379 });
    expect(Object.keys(json.json.output).sort()).toEqual(["cache_auth_secret_arn", "cache_primary_endpoint"]);
  });

  test("a bad node type is refused", () => {
    expect(() => new AwsRedis(stack(), "Cache", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey, nodeType: "t4g.small" })).toThrow(
      'AwsRedis test/Cache: nodeType must be an ElastiCache node type such as "cache.m7g.large" (got "t4g.small")',
    );
  });
});

describe("AwsDocuments alone", () => {
  test("DocumentDB with one key: encrypted, TLS 1.2+, managed password, protected; no secrets key needed", () => {
    const s = stack();
    new AwsDocuments(s, "Documents", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey });
    const json = synthesized(s);
    expect(kmsResources(json)).toEqual([]);
    expect(json.resource("aws_docdb_cluster")).toMatchObject({
      storage_encrypted: true,
      kms_key_id: storageKey.arn,
      manage_master_user_password: true,
      backup_retention_period: 7,
      deletion_protection: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(json.resource("aws_docdb_cluster_instance")).toMatchObject({ instance_class: "db.t4g.medium", performance_insights_kms_key_id: storageKey.arn });
    const params = Object.fromEntries(json.resource("aws_docdb_cluster_parameter_group").parameter.map((p: { name: string; value: string }) => [p.name, p.value]));
    expect(params.tls).toBe("tls1.2+");
    expect(json.resource("aws_docdb_subnet_group").subnet_ids).toEqual(vpc.dataSubnetIds);
  });

  test("too many instances are refused", () => {
    expect(() => new AwsDocuments(stack(), "Documents", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, instances: 20 })).toThrow(
      "AwsDocuments test/Documents: instances must be an integer from 1 to 16 (got 20)",
    );
  });
});

describe("AwsBuckets alone", () => {
  test("hardened buckets with one key, the account read from the caller identity, outputs per purpose", () => {
    const s = stack();
    new AwsBuckets(s, "Buckets", { naming, key: storageKey, purposes: ["logs", "exports"] });
    const json = synthesized(s);
    expect(kmsResources(json)).toEqual([]);
    const account = json.data("aws_caller_identity");
    expect(account).toHaveLength(1);
    const exports = json.resource("aws_s3_bucket", (b) => b.tfAddress.includes("Bucket-exports_"));
    expect(exports).toMatchObject({ force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(exports.bucket).toBe(`\${join("-", ["acme-exports", ${json.ref(account[0], "account_id").slice(2, -1)}, "us-east-1"])}`);
    const encryption = json.resource("aws_s3_bucket_server_side_encryption_configuration", (e) => e.bucket === json.ref(exports, "id"));
    expect(encryption.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: storageKey.arn });
    for (const block of json.resources("aws_s3_bucket_public_access_block")) {
      expect(block).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    }
    // Only the default retention of a purpose that exists: logs, not metrics.
    const lifecycle = (purpose: string) =>
      json.resource("aws_s3_bucket_lifecycle_configuration", (l) => l.bucket === json.ref(json.resource("aws_s3_bucket", (b) => b.tfAddress.includes(`Bucket-${purpose}_`)), "id"));
    expect(lifecycle("logs").rule).toContainEqual(expect.objectContaining({ expiration: [{ days: 30 }] }));
    expect(lifecycle("exports").rule.some((r: Record<string, unknown>) => r.expiration)).toBe(false);
    expect(Object.keys(json.json.output).sort()).toEqual(["buckets_exports_name", "buckets_logs_name"]);
  });

  test("bad purposes and retention are refused", () => {
    const make = (over: Record<string, unknown>) => () => new AwsBuckets(stack(), "Buckets", { naming, key: storageKey, ...over });
    expect(make({ purposes: ["config"] })).toThrow(
      'AwsBuckets test/Buckets: purposes must be a list that includes "logs", which receives the other buckets\' access logs (got ["config"])',
    );
    expect(make({ purposes: ["logs", "Config"] })).toThrow('AwsBuckets test/Buckets: purposes must be 3-22 characters of a-z, 0-9 and "-" each (got "Config")');
    expect(make({ purposes: ["logs", "logs"] })).toThrow('AwsBuckets test/Buckets: purposes must be a list without duplicates (got ["logs","logs"])');
    expect(make({ retentionDays: { audit: 30 } })).toThrow('AwsBuckets test/Buckets: retentionDays must be keyed by the purposes (metrics, logs, config, backups) (got "audit")');
    expect(make({ retentionDays: { logs: 0 } })).toThrow("AwsBuckets test/Buckets: retentionDays.logs must be a whole number of days, at least 1 (got 0)");
  });
});

describe("AwsDataLayer alone", () => {
  test("only the stores given: PostgreSQL and the buckets, with the given keys only; outputs under the layer's path", () => {
    const s = stack();
    const data = new AwsDataLayer(s, "Data", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, secretsKey, postgres: { ha: true } });
    const json = synthesized(s);
    expect(kmsResources(json)).toEqual([]);
    expect(json.resource("aws_db_instance").multi_az).toBe(true);
    expect(json.resources("aws_docdb_cluster")).toEqual([]);
    expect(json.resources("aws_elasticache_replication_group")).toEqual([]);
    expect(json.resources("aws_s3_bucket")).toHaveLength(4);
    expect(data.objectStore).toEqual({ api: "s3", region: "us-east-1" });
    expect(data.credentialSecretArns).toEqual([data.postgres!.secretArn]);
    expect(data.key).toBe(storageKey);
    expect(Object.keys(json.json.output)).toEqual(expect.arrayContaining(["data_postgres_address", "data_postgres_secret_arn", "data_buckets_logs_name"]));
  });

  test("PostgreSQL or Redis without a secrets key is refused", () => {
    expect(() => new AwsDataLayer(stack(), "Data", { naming, network: vpc, clientSecurityGroupIds: clients, key: storageKey, redis: {} })).toThrow(
      "AwsDataLayer test/Data: secretsKey is required with redis, which keeps its credentials under it (got none)",
    );
  });
});

describe("Disaster-recovery pieces alone", () => {
  const dr = (s: TerraformStack) => ({ region: "us-west-2", provider: new AwsProvider(s, "aws-dr", { alias: "dr", region: "us-west-2" }), key: replicaKey });
  /** The statements of the policy document a resource's `policy` (or `assume_role_policy`) points at. */
  const statements = (json: StackJson, ref: string): Record<string, any>[] => json.data("aws_iam_policy_document").find((d) => ref === json.ref(d, "json"))!.statement;

  test("AwsBackupCopies: protected vaults under the given keys, daily points copied to the second region", () => {
    const s = stack();
    new AwsBackupCopies(s, "Backups", { naming, key: storageKey, resources: ["arn:aws:rds:us-east-1:111122223333:cluster:docs"], disasterRecovery: dr(s) });
    const json = synthesized(s);
    const vault = json.resource("aws_backup_vault", (v) => v.name === "acme-backup");
    const drVault = json.resource("aws_backup_vault", (v) => v.name === "acme-backup-dr");
    expect(vault).toMatchObject({ kms_key_arn: storageKey.arn, lifecycle: { prevent_destroy: true } });
    expect(drVault).toMatchObject({ provider: "aws.dr", kms_key_arn: replicaKey.arn, lifecycle: { prevent_destroy: true } });
    expect(json.resource("aws_backup_plan").rule[0]).toMatchObject({
      lifecycle: { delete_after: 7 },
      copy_action: [{ destination_vault_arn: json.ref(drVault, "arn"), lifecycle: { delete_after: 7 } }],
    });
    expect(json.resource("aws_backup_selection").resources).toEqual(["arn:aws:rds:us-east-1:111122223333:cluster:docs"]);
    expect(kmsResources(json)).toEqual([]);
  });

  test("AwsBucketReplication between existing buckets: S3 of this account only, delete markers kept out, copies under the replica key", () => {
    const s = stack();
    const source = { id: "acme-exports", arn: "arn:aws:s3:::acme-exports" };
    const replica = { id: "acme-exports-dr", arn: "arn:aws:s3:::acme-exports-dr" };
    new AwsBucketReplication(s, "Replication", { naming, source, sourceKey: storageKey, replica, replicaRegion: "us-west-2", replicaKey });
    const json = synthesized(s);
    const role = json.resource("aws_iam_role");
    expect(statements(json, role.assume_role_policy)[0].condition).toEqual([
      { test: "StringEquals", variable: "aws:SourceAccount", values: [json.ref(json.data("aws_caller_identity")[0], "account_id")] },
    ]);
    const permissions = statements(json, json.resource("aws_iam_role_policy").policy);
    expect(permissions.find((p) => p.sid === "DecryptSource")!.condition).toContainEqual({ test: "StringEquals", variable: "kms:ViaService", values: ["s3.us-east-1.amazonaws.com"] });
    expect(permissions.find((p) => p.sid === "EncryptReplicas")!.resources).toEqual([replicaKey.arn]);
    expect(json.resource("aws_s3_bucket_replication_configuration")).toMatchObject({
      bucket: source.id,
      rule: [expect.objectContaining({ delete_marker_replication: { status: "Disabled" }, destination: expect.objectContaining({ bucket: replica.arn, encryption_configuration: { replica_kms_key_id: replicaKey.arn } }) })],
    });
  });

  test("AwsBuckets with disaster recovery: the backups bucket replicated to a hardened copy in the second region", () => {
    const s = stack();
    new AwsBuckets(s, "Buckets", { naming, key: storageKey, accountId: "111122223333", disasterRecovery: dr(s) });
    const json = synthesized(s);
    expect(json.data("aws_caller_identity")).toEqual([]);
    const copy = json.resource("aws_s3_bucket", (b) => b.tfAddress.includes("Bucket-backups-dr_"));
    expect(copy).toMatchObject({ provider: "aws.dr", bucket: '${join("-", ["acme-backups-dr", "111122223333", "us-west-2"])}', lifecycle: { prevent_destroy: true } });
    expect(json.resource("aws_s3_bucket_replication_configuration").rule[0].destination.encryption_configuration).toEqual({ replica_kms_key_id: replicaKey.arn });
    const drLogs = json.resource("aws_s3_bucket", (b) => b.tfAddress.includes("Bucket-logs-dr_"));
    expect(drLogs).toMatchObject({ provider: "aws.dr", bucket: '${join("-", ["acme-logs-dr", "111122223333", "us-west-2"])}', lifecycle: { prevent_destroy: true } });
    expect(json.resource("aws_s3_bucket_logging", (l) => l.bucket === json.ref(copy, "id"))).toMatchObject({ provider: "aws.dr", target_bucket: json.ref(drLogs, "id") });
  });
});
