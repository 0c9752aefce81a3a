import type { ITerraformDependable } from "cdktf";
import type { DataSpec, DeploymentSpec } from "../config/spec";
import type { CertManager } from "../platform/cert-manager";
import type { ExternalSecrets } from "../platform/external-secrets";
import type { BucketRef, DataStoreConnection, DataStoreKind, IDataLayer, ObjectStoreAccess } from "./data";

/** What every in-cluster store takes. */
export interface OnpremStoreProps {
  readonly deployment: string;
  readonly data: DataSpec;
  readonly plan: OnpremDataPlan;
  /** @default the cluster's default storage class */
  readonly storageClass?: string;
  /** Issues the store's server certificate. */
  readonly certManager: CertManager;
  /** Generates the store's passwords in the cluster. */
  readonly secrets: ExternalSecrets;
  /** The namespace. */
  readonly dependsOn: ITerraformDependable[];
}

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

/**
 * The on-prem data layer as names and sizes, derived from the spec alone: where each
 * store answers inside the cluster and which Secret holds its credentials. The target
 * publishes it (tenants' ConfigMaps, the data-credentials store's allowlist) before the
 * stores exist; the OnpremDataLayer construct creates exactly these objects.
 */
export class OnpremDataPlan implements IDataLayer {
  readonly stores: DataStoreConnection[] = [];
  readonly buckets: BucketRef[];
  /** Always with an endpoint: SeaweedFS's Service, or the spec's store. */
  readonly objectStore: ObjectStoreAccess & { readonly endpoint: string };
  /** The client bundles tenants read, one per store and one for the object store. */
  readonly bundles: ClientBundle[] = [];
  /** The database created for the product (PostgreSQL and MongoDB): the deployment's name, `-` as `_`. */
  readonly database: string;
  /** The bucket PostgreSQL's backups and WAL go to, under `postgres/`: the one for purpose `backups`, listed or not. */
  readonly backupBucket: string;
  /** True when the object store is SeaweedFS in the cluster; false for the spec's `data.objectStore`. */
  readonly inClusterObjectStore: boolean;
  /** Resources of each PostgreSQL instance, from the spec's CPU count (memory 4 GiB per CPU). */
  readonly postgresSize?: InstanceSize;
  /** Resources of each MongoDB member, as for PostgreSQL. */
  readonly documentsSize?: InstanceSize;
  /** Valkey's memory: the container's limit; `maxmemory` is 80 % of it. */
  readonly redisMemoryBytes?: number;

  constructor(spec: DeploymentSpec) {
    const { data } = spec;
    const host = (service: string) => `${service}.${DATA_NAMESPACE}.svc`;
    // Applications see one name; PostgreSQL identifiers are simplest without dashes.
    this.database = spec.name.replace(/-/g, "_");
    this.inClusterObjectStore = data.objectStore === undefined;
    this.buckets = data.buckets.map((purpose) => ({ purpose, name: bucketName(spec.name, purpose) }));
    this.backupBucket = bucketName(spec.name, "backups");

    if (data.postgres) {
      this.postgresSize = instanceSize(data.postgres.instanceClass, "data.postgres.instanceClass");
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
    if (data.redis) {
      this.redisMemoryBytes = memoryBytes(data.redis.nodeType, "data.redis.nodeType");
      const bundle = this.bundle("redis", {
        password: { secret: VALKEY_AUTH, key: "default" },
        "ca.crt": { secret: tlsSecret(ONPREM_DATA.valkey), key: "ca.crt" },
      });
      this.stores.push({ kind: "redis", host: host(ONPREM_DATA.valkey), port: DATA_PORTS.redis, settings: { tls: "true" }, credentials: credentials(bundle) });
    }
    if (data.documents) {
      this.documentsSize = instanceSize(data.documents.instanceClass ?? "", "data.documents.instanceClass");
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
    this.objectStore = {
      api: "s3",
      endpoint: data.objectStore ? data.objectStore.endpoint.replace(/\/$/, "") : `https://${host(`${ONPREM_DATA.seaweedfs}-all-in-one`)}:${DATA_PORTS.s3}`,
      // SeaweedFS ignores the region; SDKs still want one to sign with.
      region: data.objectStore?.region ?? "us-east-1",
      credentials: credentials(objectBundle),
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

/** On-prem instance classes are CPU counts ("2", "4"); memory follows at 4 GiB per CPU. */
function instanceSize(instanceClass: string, field: string): InstanceSize {
  const cpus = Number(instanceClass);
  if (!Number.isFinite(cpus) || cpus <= 0) {
    throw new Error(`${field}: on onprem this is a CPU count per instance such as "2" or "4" (got "${instanceClass}")`);
  }
  const gib = cpus * 4;
  return { cpu: String(cpus), memory: Number.isInteger(gib) ? `${gib}Gi` : `${Math.round(gib * 1024)}Mi` };
}

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** On-prem Redis node types are memory sizes ("1Gi", "512Mi"). */
function memoryBytes(nodeType: string, field: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(nodeType);
  if (!m || Number(m[1]) === 0) throw new Error(`${field}: on onprem this is a memory size such as "1Gi" or "512Mi" (got "${nodeType}")`);
  return Number(m[1]) * UNITS[m[2]];
}
