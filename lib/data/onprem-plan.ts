import type { ITerraformDependable } from "cdktf";
import { TIERS } from "../config/tiers";
import { ByocStack } from "../core/stack";
import type { ICertManager } from "../platform/cert-manager";
import type { IExternalSecrets } from "../platform/external-secrets";
import { AUDIT_DATABASE, AUDIT_ROLES } from "../audit/sql/roles";
import type { BucketRef, DataStoreConnection, DataStoreKind, IDataLayer, ObjectStoreAccess } from "./data";

/** What every in-cluster store takes. */
export interface OnpremStoreProps {
  /** The data layer the store belongs to: its names, sizes and protection. */
  readonly plan: OnpremDataPlan;
  /** @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Issues the store's server certificate from the internal CA. */
  readonly certManager: ICertManager;
  /** Generates the store's passwords in the cluster. */
  readonly secrets: IExternalSecrets;
  /** The `data` namespace. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** PostgreSQL on CloudNativePG. */
export interface OnpremPostgresOptions {
  /** The major version: "15", "16" or "17". @default "17" */
  readonly version?: string;
  /** CPUs of each instance; memory follows at 4 GiB per CPU. @default - the small tier's: 2 */
  readonly cpus?: number;
  /** Each instance's data volume in GiB; its WAL volume is a tenth of that, at least 10. @default - the small tier's: 100 */
  readonly storageGb?: number;
  /** Three instances (a primary and two standbys) instead of one. @default false */
  readonly ha?: boolean;
  /** Days of backups and point-in-time recovery. @default - the small tier's: 7 */
  readonly backupDays?: number;
}

/** Valkey, for Redis clients. */
export interface OnpremRedisOptions {
  /** The memory of each instance, e.g. "1Gi" or "512Mi"; `maxmemory` is 80 % of it. @default - the small tier's: "1Gi" */
  readonly memory?: string;
  /** Two replicas of the primary (promoting one is a manual step). @default false */
  readonly ha?: boolean;
}

/** MongoDB, for document clients. */
export interface OnpremDocumentsOptions {
  /** CPUs of each member; memory follows at 4 GiB per CPU. @default - the small tier's: 2 */
  readonly cpus?: number;
  /** Members of the replica set. @default - the small tier's: 1 */
  readonly instances?: number;
}

/** An existing S3-compatible object store for the buckets and PostgreSQL's backups. */
export interface ExternalObjectStore {
  /** Its https:// endpoint. */
  readonly endpoint: string;
  /** The region requests are signed for. @default "us-east-1" */
  readonly region?: string;
  /** The platform secret store's key of a JSON secret with accessKeyId and secretAccessKey. */
  readonly credentialsSecret: string;
}

export interface OnpremDataPlanProps {
  /** The deployment: the buckets' prefix and the database's name. */
  readonly deployment: string;
  /** @default - no PostgreSQL */
  readonly postgres?: OnpremPostgresOptions;
  /** @default - no Valkey */
  readonly redis?: OnpremRedisOptions;
  /** @default - no MongoDB */
  readonly documents?: OnpremDocumentsOptions;
  /** The buckets, by purpose; `logs` and `metrics` are the platform's own. @default ["metrics", "logs", "config", "backups"] */
  readonly buckets?: string[];
  /** Days a bucket keeps objects and noncurrent versions; a bucket missing here keeps them. @default { logs: 30, metrics: 30 } */
  readonly retentionDays?: Record<string, number>;
  /** Where the buckets live. @default - SeaweedFS in the cluster */
  readonly objectStore?: ExternalObjectStore;
  /** `prevent_destroy` and kept volumes on every store; turning it off is for throwaway environments. @default true */
  readonly protection?: boolean;
  /** The audit ledger's database on the PostgreSQL server (needs `postgres`). @default - none */
  readonly audit?: OnpremAuditOptions;
}

export interface OnpremAuditOptions {
  /** Events older than this many months are dropped, a whole monthly partition at a time. @default 84 (seven years) */
  readonly retentionMonths?: number;
}

/** The audit ledger's logins on CloudNativePG (managed roles) and the Secrets their passwords are generated into. */
export const AUDIT_LOGINS = {
  migrator: { role: AUDIT_ROLES.migrator, secret: "postgres-audit-migrator" },
  maintainer: { role: AUDIT_ROLES.maintainer, secret: "postgres-audit-keeper" },
  app: { role: AUDIT_ROLES.app, secret: "postgres-audit-app" },
} as const;

/** The namespace every on-prem store, its operator and its secrets live in. */
export const DATA_NAMESPACE = "data";

/**
 * Names of the objects in `data`. Fixed, never derived from a tier or size: a release,
 * a custom resource or a Secret that changed name would be replaced with its data.
 */
export const ONPREM_DATA = {
  /** The CloudNativePG Cluster; CNPG names its Services `<name>-rw|-ro|-r` and its app Secret `<name>-app`. */
  postgres: "postgres",
  /** The Valkey release: Service `valkey`, pods `valkey-<n>` behind `valkey-headless`. */
  valkey: "valkey",
  /** The MongoDBCommunity replica set: pods `mongodb-<n>` behind the headless Service `mongodb-svc`. */
  mongodb: "mongodb",
  /** The SeaweedFS release: one all-in-one pod behind `seaweedfs-all-in-one`. */
  seaweedfs: "seaweedfs",
} as const;

/** Ports the stores answer on; the S3 port serves HTTPS only. */
export const DATA_PORTS = { postgres: 5432, redis: 6379, documents: 27017, s3: 8333 } as const;

/** A Secret key copied into a client bundle: which Secret in `data` holds it, under which key. */
export interface BundleSource {
  readonly secret: string;
  readonly key: string;
}

/**
 * What tenants receive for one store: a Secret in `data` assembled by External Secrets
 * from the store's own credentials and the CA that signed its certificate, holding
 * nothing else (no server key, no replication or backup credentials). The tenants'
 * data-credentials store may read these bundles and nothing else in the namespace.
 */
export interface ClientBundle {
  readonly store: DataStoreKind | "object-store";
  /** The bundle's Secret name in `data`: the `remoteKey` tenants sync. */
  readonly name: string;
  /** Each key of the bundle and where it comes from. */
  readonly keys: Record<string, BundleSource>;
  /** Non-secret keys written as they are (a fixed user name). @default none */
  readonly literals?: Record<string, string>;
}

/** CPU and memory of one database instance. */
export interface InstanceSize {
  readonly cpu: string;
  readonly memory: string;
}

/** PostgreSQL as the plan resolved it. */
export interface PlannedPostgres {
  readonly version: string;
  /** Resources of each instance. */
  readonly size: InstanceSize;
  readonly storageGb: number;
  readonly ha: boolean;
  readonly backupDays: number;
}

/**
 * The on-prem data layer as names and sizes, derived from its props alone: where each
 * store answers inside the cluster and which Secret holds its credentials. The target
 * publishes it (tenants' ConfigMaps, the data-credentials store's allowlist) before the
 * stores exist; the OnpremDataLayer construct creates exactly these objects.
 */
export class OnpremDataPlan implements IDataLayer {
  static readonly DEFAULT_BUCKETS: readonly string[] = ["metrics", "logs", "config", "backups"];
  static readonly DEFAULT_RETENTION_DAYS: Readonly<Record<string, number>> = { logs: 30, metrics: 30 };
  readonly deployment: string;
  readonly stores: DataStoreConnection[] = [];
  readonly buckets: BucketRef[];
  /** Always with an endpoint (SeaweedFS's Service, or the external store's) and a region to sign with. */
  readonly objectStore: ObjectStoreAccess & { readonly endpoint: string; readonly region: string };
  /** The client bundles tenants read, one per store and one for the object store. */
  readonly bundles: ClientBundle[] = [];
  /** The keys to the platform's buckets (logs, metrics), which only the platform's components read. */
  readonly platformBundle: ClientBundle;
  /** The database created for the product (PostgreSQL and MongoDB): the deployment's name, `-` as `_`. */
  readonly database: string;
  /** The bucket PostgreSQL's backups and WAL go to, under `postgres/`: the one for purpose `backups`, listed or not. */
  readonly backupBucket: string;
  /** True when the object store is SeaweedFS in the cluster; false for an external store. */
  readonly inClusterObjectStore: boolean;
  /** The external object store; undefined with SeaweedFS. */
  readonly externalObjectStore?: ExternalObjectStore;
  readonly retentionDays: Readonly<Record<string, number>>;
  readonly protection: boolean;
  readonly postgres?: PlannedPostgres;
  /** Valkey's memory (the container's limit; `maxmemory` is 80 % of it) and replicas. */
  readonly redis?: { readonly memoryBytes: number; readonly ha: boolean };
  /** Resources of each MongoDB member, and how many. */
  readonly documents?: { readonly size: InstanceSize; readonly instances: number };
  /** The audit ledger's database `audit` on the PostgreSQL server. */
  readonly audit?: { readonly retentionMonths: number };

  constructor(props: OnpremDataPlanProps) {
    const { deployment } = props;
    if (!ByocStack.DEPLOYMENT_NAME.test(deployment)) {
      throw new Error(`OnpremDataPlan: deployment must be 3-20 characters of a-z, 0-9 and "-", starting with a letter (got ${JSON.stringify(deployment)})`);
    }
    const small = TIERS.small.data;
    const buckets = props.buckets ?? OnpremDataPlan.DEFAULT_BUCKETS;
    if (buckets.length === 0) throw new Error("OnpremDataPlan: buckets must list at least one bucket (got none)");
    this.deployment = deployment;
    this.retentionDays = props.retentionDays ?? OnpremDataPlan.DEFAULT_RETENTION_DAYS;
    this.protection = props.protection ?? true;
    this.externalObjectStore = props.objectStore;
    const host = (service: string) => `${service}.${DATA_NAMESPACE}.svc`;
    // Applications see one name; PostgreSQL identifiers are simplest without dashes.
    this.database = deployment.replace(/-/g, "_");
    this.inClusterObjectStore = props.objectStore === undefined;
    this.buckets = buckets.map((purpose) => ({ purpose, name: bucketName(deployment, purpose) }));
    this.backupBucket = bucketName(deployment, "backups");

    if (props.postgres) {
      const pg = props.postgres;
      this.postgres = {
        version: pg.version ?? "17",
        size: instanceSize(pg.cpus ?? Number(small.postgres.instanceClass.onprem), "postgres.cpus"),
        storageGb: pg.storageGb ?? small.postgres.storageGb,
        ha: pg.ha ?? small.postgres.ha,
        backupDays: pg.backupDays ?? small.postgres.backupDays,
      };
      const bundle = this.bundle("postgres", {
        username: { secret: `${ONPREM_DATA.postgres}-app`, key: "username" },
        password: { secret: `${ONPREM_DATA.postgres}-app`, key: "password" },
        "ca.crt": { secret: tlsSecret(ONPREM_DATA.postgres), key: "ca.crt" },
      });
      this.stores.push({
        kind: "postgres",
        host: host(`${ONPREM_DATA.postgres}-rw`),
        port: DATA_PORTS.postgres,
        database: this.database,
        // The server's certificate names this host and is signed by the internal CA (`ca.crt`).
        settings: { sslmode: "verify-full" },
        credentials: credentials(bundle),
      });
    }
    if (props.audit) {
      if (!this.postgres) throw new Error("OnpremDataPlan: audit needs postgres (the ledger's database lives on the PostgreSQL server)");
      this.audit = { retentionMonths: props.audit.retentionMonths ?? 84 };
      const app = AUDIT_LOGINS.app.secret;
      const bundle = this.bundle("audit", {
        username: { secret: app, key: "username" },
        password: { secret: app, key: "password" },
        "ca.crt": { secret: tlsSecret(ONPREM_DATA.postgres), key: "ca.crt" },
      });
      this.stores.push({
        kind: "audit",
        host: host(`${ONPREM_DATA.postgres}-rw`),
        port: DATA_PORTS.postgres,
        database: AUDIT_DATABASE,
        settings: { sslmode: "verify-full" },
        credentials: credentials(bundle),
      });
    }
    if (props.redis) {
      this.redis = { memoryBytes: memoryBytes(props.redis.memory ?? small.redis.nodeType.onprem, "redis.memory"), ha: props.redis.ha ?? small.redis.ha };
      const bundle = this.bundle("redis", {
        password: { secret: VALKEY_AUTH, key: "default" },
        "ca.crt": { secret: tlsSecret(ONPREM_DATA.valkey), key: "ca.crt" },
      });
      this.stores.push({ kind: "redis", host: host(ONPREM_DATA.valkey), port: DATA_PORTS.redis, settings: { tls: "true" }, credentials: credentials(bundle) });
    }
    if (props.documents) {
      const instances = props.documents.instances ?? small.documents.instances;
      if (!Number.isInteger(instances) || instances < 1) throw new Error(`OnpremDataPlan: documents.instances must be a whole number of at least 1 (got ${instances})`);
      this.documents = {
        size: instanceSize(props.documents.cpus ?? Number(small.documents.instanceClass.onprem), "documents.cpus"),
        instances,
      };
      const bundle = this.bundle(
        "documents",
        {
          password: { secret: MONGODB_PASSWORD, key: "password" },
          "ca.crt": { secret: tlsSecret(ONPREM_DATA.mongodb), key: "ca.crt" },
        },
        { username: MONGODB_USER },
      );
      this.stores.push({
        kind: "documents",
        host: host(`${ONPREM_DATA.mongodb}-svc`),
        port: DATA_PORTS.documents,
        database: this.database,
        settings: { tls: "true", replicaSet: ONPREM_DATA.mongodb, authSource: "admin" },
        credentials: credentials(bundle),
      });
    }

    const keys = this.inClusterObjectStore ? OBJECT_STORE_IDENTITIES : OBJECT_STORE_KEYS;
    const objectBundle = this.bundle("object-store", {
      accessKeyId: { secret: keys, key: "accessKeyId" },
      secretAccessKey: { secret: keys, key: "secretAccessKey" },
      // SeaweedFS's certificate comes from the internal CA; an external store's is the customer's.
      ...(this.inClusterObjectStore ? { "ca.crt": { secret: tlsSecret(ONPREM_DATA.seaweedfs), key: "ca.crt" } } : {}),
    });
    // The external store's one key pair serves both; SeaweedFS gives the platform its own identity.
    const platform = (k: "accessKeyId" | "secretAccessKey") =>
      this.inClusterObjectStore ? { secret: OBJECT_STORE_IDENTITIES, key: `platform${k[0].toUpperCase()}${k.slice(1)}` } : { secret: OBJECT_STORE_KEYS, key: k };
    this.platformBundle = {
      store: "object-store",
      name: "object-store-platform-client",
      keys: {
        accessKeyId: platform("accessKeyId"),
        secretAccessKey: platform("secretAccessKey"),
        ...(this.inClusterObjectStore ? { "ca.crt": { secret: tlsSecret(ONPREM_DATA.seaweedfs), key: "ca.crt" } } : {}),
      },
    };
    this.objectStore = {
      api: "s3",
      endpoint: props.objectStore ? props.objectStore.endpoint.replace(/\/$/, "") : `https://${host(`${ONPREM_DATA.seaweedfs}-all-in-one`)}:${DATA_PORTS.s3}`,
      // SeaweedFS ignores the region; SDKs still want one to sign with.
      region: props.objectStore?.region ?? "us-east-1",
      credentials: credentials(objectBundle),
      platformCredentials: { namespace: DATA_NAMESPACE, secret: this.platformBundle.name, caCert: this.inClusterObjectStore },
    };
  }

  /** The Secrets tenants may read through the data-credentials store: exactly the bundles. */
  get bundleNames(): string[] {
    return this.bundles.map((b) => b.name);
  }

  private bundle(store: ClientBundle["store"], keys: Record<string, BundleSource>, literals?: Record<string, string>): ClientBundle {
    const bundle: ClientBundle = { store, name: `${store}-client`, keys, literals };
    this.bundles.push(bundle);
    return bundle;
  }
}

/** The generated Valkey passwords: `default` (applications) and `replication` (replicas). */
export const VALKEY_AUTH = "valkey-auth";
/** The generated password of the MongoDB application user. */
export const MONGODB_PASSWORD = "mongodb-app-password";
/** The MongoDB application user (SCRAM, in `admin`). */
export const MONGODB_USER = "app";
/** SeaweedFS's S3 identities (its config file) and their generated keys. */
export const OBJECT_STORE_IDENTITIES = "object-store-identities";
/** The external object store's keys (and region), synced from the platform's secret store. */
export const OBJECT_STORE_KEYS = "object-store-keys";

/** The Secret cert-manager writes a store's server certificate to (`tls.crt`, `tls.key`, `ca.crt`). */
export function tlsSecret(store: string): string {
  return `${store}-tls`;
}

/** Bucket names carry the deployment: an external store may be shared by several. */
function bucketName(deployment: string, purpose: string): string {
  return `${deployment}-${purpose}`;
}

function credentials(bundle: ClientBundle): NonNullable<DataStoreConnection["credentials"]> {
  const keys = [...Object.keys(bundle.keys), ...Object.keys(bundle.literals ?? {})];
  return { remoteKey: bundle.name, properties: Object.fromEntries(keys.map((k) => [k, k])) };
}

/** Memory follows the CPU count at 4 GiB per CPU. */
function instanceSize(cpus: number, prop: string): InstanceSize {
  if (!Number.isFinite(cpus) || cpus <= 0) {
    throw new Error(`OnpremDataPlan: ${prop} must be a positive number of CPUs such as 2 or 4 (got ${cpus})`);
  }
  const gib = cpus * 4;
  return { cpu: String(cpus), memory: Number.isInteger(gib) ? `${gib}Gi` : `${Math.round(gib * 1024)}Mi` };
}

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A memory size ("1Gi", "512Mi") in bytes. */
function memoryBytes(size: string, prop: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(size);
  if (!m || Number(m[1]) === 0) throw new Error(`OnpremDataPlan: ${prop} must be a memory size such as "1Gi" or "512Mi" (got ${JSON.stringify(size)})`);
  return Number(m[1]) * UNITS[m[2]];
}
