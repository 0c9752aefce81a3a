import { DataAwsSecretsmanagerRandomPassword } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { ElasticacheReplicationGroup } from "@cdktf/provider-aws/lib/elasticache-replication-group";
import { ElasticacheSubnetGroup } from "@cdktf/provider-aws/lib/elasticache-subnet-group";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import type { DataSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import type { AwsNetwork } from "../network/aws";
import { StoreSecurityGroup } from "./aws-security-group";
import type { DataStoreConnection } from "./data";
import type { AwsKeys } from "./keys/aws";
import { serviceLogGroups } from "./aws-log-groups";

export interface AwsRedisProps {
  readonly naming: Naming;
  readonly redis: NonNullable<DataSpec["redis"]>;
  readonly network: AwsNetwork;
  /** The only group admitted on 6379: the EKS nodes (pods share it). */
  readonly clients: SecurityGroup;
  /** `data` encrypts the cache at rest and its snapshots, `secrets` the AUTH token, `logs` the log groups. */
  readonly keys: AwsKeys;
  /** Days of daily snapshots, 7-35. */
  readonly snapshotDays: number;
  readonly logRetentionDays: number;
  /** `prevent_destroy`, a final snapshot and a recovery window on the token's secret. */
  readonly protection: boolean;
}

/**
 * Valkey, the Linux Foundation's open-source continuation of Redis OSS (BSD-licensed,
 * wire-compatible), which ElastiCache offers at a lower price than Redis OSS.
 */
export const VALKEY_VERSION = "8.2";
const PORT = 6379;
const LOG_TYPES = ["slow-log", "engine-log"];

/**
 * An ElastiCache replication group running Valkey in the isolated data subnets,
 * reachable on 6379 from the cluster's nodes only: encrypted at rest with the data
 * key, TLS required in transit, AUTH required. HA adds a replica in another zone with
 * automatic failover and Multi-AZ; the replica count, node type and failover all
 * change in place, the replication group's id, engine, subnet group and key never do.
 *
 * The AUTH token is a password Secrets Manager generates (a data source, no literal in
 * the configuration), stored in a secret encrypted with the secrets key. Terraform must
 * hand it to ElastiCache, so it also sits in the Terraform state, which must itself be
 * encrypted and access-controlled (an S3 backend with SSE-KMS, say). The stored secret
 * is what the group uses: the token changes only when someone rotates the secret.
 * ElastiCache's RBAC users would need passwords from Terraform just the same.
 */
export class AwsRedis extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup;
  readonly securityGroup: SecurityGroup;
  readonly secret: SecretsmanagerSecret;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: AwsRedisProps) {
    super(scope, id);
    const { naming, redis, keys, protection } = props;
    // Replication group ids are at most 40 characters.
    const identifier = naming.name("redis", undefined, 40);

    this.securityGroup = new StoreSecurityGroup(this, "SecurityGroup", {
      name: identifier,
      description: `${identifier}: Valkey from the cluster's nodes`,
      vpcId: props.network.vpc.id,
      port: PORT,
      clients: props.clients,
    }).group;
    const subnets = new ElasticacheSubnetGroup(this, "SubnetGroup", {
      name: identifier,
      description: `${identifier}: the isolated data subnets`,
      subnetIds: props.network.dataSubnets.map((s) => s.id),
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
      kmsKeyId: keys.secrets.arn,
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

    const groups = serviceLogGroups(this, `/aws/elasticache/${identifier}`, LOG_TYPES, props.logRetentionDays, keys.logs);
    const logGroups = LOG_TYPES.map((logType, i) => ({ logType, group: groups[i] }));

    this.replicationGroup = protect(
      new ElasticacheReplicationGroup(this, "ReplicationGroup", {
        replicationGroupId: identifier,
        description: `${identifier}: cache and sessions`,
        engine: "valkey",
        engineVersion: VALKEY_VERSION,
        autoMinorVersionUpgrade: "true",
        nodeType: redis.nodeType,
        numCacheClusters: redis.ha ? 2 : 1,
        automaticFailoverEnabled: redis.ha,
        multiAzEnabled: redis.ha,
        port: PORT,
        subnetGroupName: subnets.name,
        securityGroupIds: [this.securityGroup.id],
        atRestEncryptionEnabled: "true",
        kmsKeyId: keys.data.arn,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        authToken: stored.secretString,
        // A rotated secret is accepted alongside the old token until clients have the new one.
        authTokenUpdateStrategy: "ROTATE",
        snapshotRetentionLimit: props.snapshotDays,
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
  }
}
