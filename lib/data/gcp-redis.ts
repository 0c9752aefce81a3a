import { RedisInstance } from "@cdktf/provider-google/lib/redis-instance";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { GcpNetwork } from "../network/gcp";
import type { DataStoreConnection } from "./data";
import type { GcpKeys } from "./keys/gcp";

export interface GcpRedisProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly project: string;
  /** The instance takes its addresses from the network's private service access range. */
  readonly network: GcpNetwork;
  /** The data key encrypts the instance; the secrets key its AUTH string in Secret Manager. */
  readonly keys: GcpKeys;
}

/**
 * Memorystore for Redis 7.2, Standard tier: a replica in another zone with automatic
 * failover, reached over private service access only, AUTH on, TLS with server
 * authentication, encrypted with the data key, hourly RDB snapshots and a Sunday
 * maintenance window. The AUTH string Google generates is copied into a Secret Manager
 * secret (encrypted with the secrets key, kept in the region) that External Secrets
 * syncs to tenants.
 *
 * The tier is Standard on every size: BASIC and STANDARD_HA cannot be changed in place
 * (the instance is replaced), so `ha` cannot switch between them; a Basic instance also
 * loses its data on any failure. Memory changes in place.
 */
export class GcpRedis extends Construct {
  readonly instance: RedisInstance;
  /** The secret holding the AUTH string, whole (not JSON). */
  readonly authSecret: SecretManagerSecret;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: GcpRedisProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, naming, project, network, keys } = props;
    const redis = spec.data.redis;
    if (!redis || !keys.data || !keys.secrets) throw new Error("GcpRedis needs data.redis and the keys' data and secrets keys");
    // A size in GB, 1-300 (validate-data.ts checks it).
    const memorySizeGb = Number(redis.nodeType);

    // Every attribute that replaces the instance (name, tier, network, connect mode, range,
    // key, TLS mode, region) is fixed whatever the tier; zones are left to the service.
    this.instance = protect(
      new RedisInstance(this, "Instance", {
        name: naming.name("redis", undefined, 40),
        displayName: `${spec.name} Redis`,
        project,
        region: network.region,
        tier: "STANDARD_HA",
        memorySizeGb,
        redisVersion: "REDIS_7_2",
        authorizedNetwork: network.network.id,
        connectMode: "PRIVATE_SERVICE_ACCESS",
        // With private service access, the name of the allocated range (not a CIDR).
        reservedIpRange: network.privateServiceRange.name,
        authEnabled: true,
        transitEncryptionMode: "SERVER_AUTHENTICATION",
        customerManagedKey: keys.data.id,
        persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: "ONE_HOUR" },
        maintenancePolicy: { weeklyMaintenanceWindow: [{ day: "SUNDAY", startTime: { hours: 3, minutes: 0, seconds: 0, nanos: 0 } }] },
        dependsOn: [network.privateServiceAccess, ...keys.grantsFor("redis")],
      }),
      spec.data.protection,
    );

    // Outside the deployment's `<name>-` prefix, which the platform's own secret store may
    // read: only the tenants' data-credentials store is granted this secret. Deployment
    // names never hold "_", so no other deployment's prefix matches it either.
    const secretId = `${spec.name.replace(/-/g, "_")}_redis_auth`;
    this.authSecret = new SecretManagerSecret(this, "AuthSecret", {
      secretId,
      project,
      replication: { userManaged: { replicas: [{ location: network.region, customerManagedEncryption: { kmsKeyName: keys.secrets.id } }] } },
      deletionProtection: spec.data.protection,
      dependsOn: keys.grantsFor("secrets"),
    });
    // The AUTH string reaches Secret Manager through Terraform: it sits in the (encrypted)
    // state, where the instance's own auth_string already is. The JSON holds a reference only.
    new SecretManagerSecretVersion(this, "AuthSecretVersion", { secret: this.authSecret.id, secretData: this.instance.authString });

    this.connection = {
      kind: "redis",
      host: this.instance.host,
      port: this.instance.port,
      settings: {
        tls: "true",
        // PEM of the instance's server CA, for clients to verify the server.
        server_ca: this.instance.serverCaCerts.get(0).cert,
      },
      credentials: { remoteKey: secretId, properties: { password: "" } },
    };
  }
}
