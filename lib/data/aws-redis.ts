import { DataAwsSecretsmanagerRandomPassword } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { ElasticacheReplicationGroup } from "@cdktf/provider-aws/lib/elasticache-replication-group";
import { ElasticacheSubnetGroup } from "@cdktf/provider-aws/lib/elasticache-subnet-group";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import { TIERS } from "../config/tiers";
import { namingOf } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { serviceLogGroups } from "./aws-log-groups";
import { StoreSecurityGroup } from "./aws-security-group";
import { DEFAULT_LOG_RETENTION_DAYS, validateStoreProps, type AwsStoreProps } from "./aws-store";
import type { DataStoreConnection } from "./data";
import type { IAwsKey } from "./keys/aws";
import { requireInt, requireProp } from "../core/validate";

const SMALL = TIERS.small.data;

/** The cache's sizes; every one defaults to the small tier's. */
export interface AwsRedisOptions {
  /** The ElastiCache node type. @default - the small tier's, "cache.t4g.small" */
  readonly nodeType?: string;
  /** A replica in another zone with automatic failover and Multi-AZ. @default - the small tier's, false */
  readonly ha?: boolean;
  /** Days of daily snapshots, 7-35. @default - the small tier's PostgreSQL backup days, 7 */
  readonly snapshotDays?: number;
}

export interface AwsRedisProps extends AwsStoreProps, AwsRedisOptions {
  /** Encrypts the secret holding the AUTH token. */
  readonly secretsKey: IAwsKey;
}

/**
 * Valkey, the Linux Foundation's open-source continuation of Redis OSS (BSD-licensed,
 * wire-compatible), which ElastiCache offers at a lower price than Redis OSS.
 */
export const VALKEY_VERSION = "8.2";
const PORT = 6379;
const LOG_TYPES = ["slow-log", "engine-log"];

/**
 * An ElastiCache replication group running Valkey in the network's data subnets,
 * reachable on 6379 from the client security groups only: encrypted at rest with
 * `key`, TLS required in transit, AUTH required. HA adds a replica in another zone with
 * automatic failover and Multi-AZ; the replica count, node type and failover all
 * change in place, the replication group's id, engine, subnet group and key never do.
 *
 * The AUTH token is a password Secrets Manager generates (a data source, no literal in
 * the configuration), stored in a secret encrypted with `secretsKey`. Terraform must
 * hand it to ElastiCache, so it also sits in the Terraform state, which must itself be
 * encrypted and access-controlled (an S3 backend with SSE-KMS, say). The stored secret
 * is what the group uses: the token changes only when someone rotates the secret.
 * ElastiCache's RBAC users would need passwords from Terraform just the same.
 * Outputs: `primary_endpoint` and `auth_secret_arn`.
 */
export class AwsRedis extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup;
  readonly securityGroup: SecurityGroup;
  readonly secret: SecretsmanagerSecret;
  readonly connection: DataStoreConnection;
  readonly nodeType: string;
  readonly ha: boolean;
  readonly snapshotDays: number;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AwsRedisProps) {
    super(scope, id);
    validateStoreProps(this, props);
    requireProp(this, "nodeType", props.nodeType, (t: string) => /^cache\.[a-z0-9-]+\.[a-z0-9]+$/.test(t), 'an ElastiCache node type such as "cache.m7g.large"');
    requireInt(this, "snapshotDays", props.snapshotDays, 7, 35);
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    this.nodeType = props.nodeType ?? SMALL.redis.nodeType.aws;
    this.ha = props.ha ?? SMALL.redis.ha;
    this.snapshotDays = props.snapshotDays ?? SMALL.postgres.backupDays;
    this.protection = props.protection ?? true;
    const { key } = props;
    const protection = this.protection;
    // Replication group ids are at most 40 characters.
    const identifier = naming.name("redis", undefined, 40);

    this.securityGroup = new StoreSecurityGroup(this, "SecurityGroup", {
      name: identifier,
      description: `${identifier}: Valkey from the cluster's nodes`,
      vpcId: props.network.vpcId,
      port: PORT,
      clientSecurityGroupIds: props.clientSecurityGroupIds,
    }).group;
    const subnets = new ElasticacheSubnetGroup(this, "SubnetGroup", {
      name: identifier,
      description: `${identifier}: the isolated data subnets`,
      subnetIds: props.network.dataSubnetIds,
      tags: { Name: identifier },
    });

    const generated = new DataAwsSecretsmanagerRandomPassword(this, "GeneratedToken", {
      passwordLength: 64,
      // ElastiCache refuses some printable characters in a token; letters and digits are enough at this length.
      excludePunctuation: true,
    });
    this.secret = new SecretsmanagerSecret(this, "AuthToken", {
      name: naming.name("redis-auth"),
      description: `${identifier}: the AUTH token clients present`,
      kmsKeyId: props.secretsKey.arn,
      recoveryWindowInDays: protection ? 30 : 0,
      tags: { Name: naming.name("redis-auth") },
    });
    // The data source generates a new password on every plan: only the first is stored.
    const version = new SecretsmanagerSecretVersion(this, "AuthTokenValue", {
      secretId: this.secret.id,
      secretString: generated.randomPassword,
      lifecycle: { ignoreChanges: ["secret_string"] },
    });
    const stored = new DataAwsSecretsmanagerSecretVersion(this, "StoredToken", {
      secretId: this.secret.id,
      dependsOn: [version],
    });

    const groups = serviceLogGroups(this, `/aws/elasticache/${identifier}`, LOG_TYPES, props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, props.logsKey);
    const logGroups = LOG_TYPES.map((logType, i) => ({ logType, group: groups[i] }));

    this.replicationGroup = protect(
      new ElasticacheReplicationGroup(this, "ReplicationGroup", {
        replicationGroupId: identifier,
        description: `${identifier}: cache and sessions`,
        engine: "valkey",
        engineVersion: VALKEY_VERSION,
        autoMinorVersionUpgrade: "true",
        nodeType: this.nodeType,
        numCacheClusters: this.ha ? 2 : 1,
        automaticFailoverEnabled: this.ha,
        multiAzEnabled: this.ha,
        port: PORT,
        subnetGroupName: subnets.name,
        securityGroupIds: [this.securityGroup.id],
        atRestEncryptionEnabled: "true",
        kmsKeyId: key.arn,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        authToken: stored.secretString,
        // A rotated secret is accepted alongside the old token until clients have the new one.
        authTokenUpdateStrategy: "ROTATE",
        snapshotRetentionLimit: this.snapshotDays,
        finalSnapshotIdentifier: protection ? `${identifier}-final` : undefined,
        logDeliveryConfiguration: logGroups.map(({ logType, group }) => ({
          logType,
          destinationType: "cloudwatch-logs",
          destination: group.name,
          logFormat: "json",
        })),
        applyImmediately: false,
        tags: { Name: identifier },
      }),
      protection,
    );

    this.connection = {
      kind: "redis",
      host: this.replicationGroup.primaryEndpointAddress,
      port: PORT,
      settings: { tls: "true" },
      // A plain secret: the token is its whole value.
      credentials: { remoteKey: this.secret.arn, properties: { password: "" } },
    };
    constructOutput(this, "primary_endpoint", { value: this.replicationGroup.primaryEndpointAddress, description: "The Valkey primary endpoint (TLS, AUTH)." });
    constructOutput(this, "auth_secret_arn", { value: this.secret.arn, description: "The Secrets Manager secret holding the AUTH token." });
  }
}
