import { RedisInstance } from "@cdktf/provider-google/lib/redis-instance";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { TIERS } from "../config/tiers";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import type { IGcpPrivateServiceNetwork } from "../network/gcp";
import { resolveProject } from "../network/gcp-context";
import type { DataStoreConnection } from "./data";
import type { IGcpKey } from "./keys/gcp";

export interface GcpRedisProps {
  /** The VPC and its private service access range, which the instance takes its addresses from. */
  readonly network: IGcpPrivateServiceNetwork;
  /** Encrypts the instance (Memorystore's agent must hold encrypt/decrypt on it). */
  readonly key: IGcpKey;
  /** Encrypts the AUTH string's Secret Manager secret (Secret Manager's agent must hold encrypt/decrypt on it). */
  readonly secretsKey: IGcpKey;
  /** Memory in GB, 1-300 (changes in place). @default - the small tier's (1) */
  readonly memorySizeGb?: number;
  /**
   * `prevent_destroy` on the instance and deletion protection on its AUTH secret. Off
   * only for throwaway environments.
   * @default true
   */
  readonly protection?: boolean;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
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
 * loses its data on any failure. Memory changes in place. Output: `host`.
 */
export class GcpRedis extends Construct {
  readonly instance: RedisInstance;
  /** The secret holding the AUTH string, whole (not JSON). */
  readonly authSecret: SecretManagerSecret;
  readonly connection: DataStoreConnection;
  readonly memorySizeGb: number;
  readonly protection: boolean;
  readonly region: string;
  readonly project: string;

  constructor(scope: Construct, id: string, props: GcpRedisProps) {
    super(scope, id);
    this.memorySizeGb = props.memorySizeGb ?? Number(TIERS.small.data.redis.nodeType.gcp);
    const memorySizeGb = this.memorySizeGb;
    if (!Token.isUnresolved(memorySizeGb) && !(Number.isInteger(memorySizeGb) && memorySizeGb >= 1 && memorySizeGb <= 300)) {
      throw new Error(`GcpRedis ${this.node.path}: memorySizeGb must be a whole number of GB from 1 to 300 (got ${memorySizeGb})`);
    }
    this.protection = props.protection ?? true;
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    const region = (this.region = resolveRegion(this, "google", props.region));
    const { network, key, secretsKey } = props;

    // Every attribute that replaces the instance (name, tier, network, connect mode, range,
    // key, TLS mode, region) is fixed whatever the size; zones are left to the service.
    this.instance = protect(
      new RedisInstance(this, "Instance", {
        name: naming.name("redis", undefined, 40),
        displayName: `${naming.deployment} Redis`,
        project,
        region,
        tier: "STANDARD_HA",
        memorySizeGb,
        redisVersion: "REDIS_7_2",
        authorizedNetwork: network.networkId,
        connectMode: "PRIVATE_SERVICE_ACCESS",
        // With private service access, the name of the allocated range (not a CIDR).
        reservedIpRange: network.privateServiceRangeName,
        authEnabled: true,
        transitEncryptionMode: "SERVER_AUTHENTICATION",
        customerManagedKey: key.id,
        persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: "ONE_HOUR" },
        maintenancePolicy: { weeklyMaintenanceWindow: [{ day: "SUNDAY", startTime: { hours: 3, minutes: 0, seconds: 0, nanos: 0 } }] },
        dependsOn: [...(network.privateServiceAccess ? [network.privateServiceAccess] : []), ...(key.grants ?? [])],
      }),
      this.protection,
    );

    // Outside the deployment's `<name>-` prefix, which the platform's own secret store may
    // read: only the tenants' data-credentials store is granted this secret. Deployment
    // names never hold "_", so no other deployment's prefix matches it either.
    const secretId = `${naming.deployment.replace(/-/g, "_")}_redis_auth`;
    this.authSecret = new SecretManagerSecret(this, "AuthSecret", {
      secretId,
      project,
      replication: { userManaged: { replicas: [{ location: region, customerManagedEncryption: { kmsKeyName: secretsKey.id } }] } },
      deletionProtection: this.protection,
      dependsOn: secretsKey.grants,
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
    constructOutput(this, "host", { value: this.instance.host, description: "Memorystore's private IP (TLS, AUTH string in Secret Manager)." });
  }
}
