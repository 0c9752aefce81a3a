import { Construct } from "constructs";
import { AUDIT_DATABASE } from "../audit/sql/roles";
import { namingOf, type Naming } from "../core/naming";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { resolveProject } from "../network/gcp-context";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import { GcpBuckets, type GcpBucketsProps } from "./gcp-buckets";
import { GcpDocuments, type GcpDocumentsProps } from "./gcp-documents";
import { GcpPostgres, type GcpPostgresProps } from "./gcp-postgres";
import { GcpRedis, type GcpRedisProps } from "./gcp-redis";

/**
 * The GCP data layer as the platform target uses it: the IDataLayer, plus the names its
 * IAM conditions and grants take.
 */
export interface IGcpDataLayer extends IDataLayer {
  /** The Cloud SQL instance's name, known at synth. @default - no Cloud SQL */
  readonly postgresInstanceName?: string;
  /** The Firestore database's id, known at synth. @default - no document store */
  readonly documentsDatabaseName?: string;
  /** Secret Manager ids of the stores' credentials: all the data-credentials store may read. */
  readonly credentialSecrets: string[];
}

/** What every store of the layer shares: given once to the layer. */
type Shared = "naming" | "project" | "region";

export interface GcpDataLayerProps {
  /** Cloud SQL for PostgreSQL. @default - none */
  readonly postgres?: Omit<GcpPostgresProps, Shared>;
  /**
   * Publish the audit ledger's database (`audit` on the Cloud SQL instance, IAM sign-in)
   * to tenants: the platform stack creates it (GcpAuditLogins). Needs `postgres`. @default false
   */
  readonly audit?: boolean;
  /** Firestore with MongoDB compatibility. @default - none */
  readonly documents?: Omit<GcpDocumentsProps, Shared>;
  /** Memorystore for Redis. @default - none */
  readonly redis?: Omit<GcpRedisProps, Shared>;
  /** The buckets (always created: the platform keeps its logs and metrics there). */
  readonly buckets: Omit<GcpBucketsProps, Shared>;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * The data layer on GCP: Cloud SQL for PostgreSQL, Firestore (MongoDB compatibility) as
 * the document store, Memorystore for Redis, and Cloud Storage buckets, each present
 * when its props are given. Workloads reach the databases with their Google service
 * accounts (the platform target grants them); only Redis has a credential, its AUTH
 * string in Secret Manager. Each store is a construct of its own, usable alone.
 */
export class GcpDataLayer extends Construct implements IGcpDataLayer {
  readonly stores: DataStoreConnection[];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess = { api: "gcs" };
  readonly postgres?: GcpPostgres;
  readonly redis?: GcpRedis;
  readonly documents?: GcpDocuments;
  readonly storage: GcpBuckets;
  readonly credentialSecrets: string[];
  readonly postgresInstanceName?: string;
  readonly documentsDatabaseName?: string;

  constructor(scope: Construct, id: string, props: GcpDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const shared = {
      naming: namingOf(this, props.naming),
      project: resolveProject(this, props.project),
      region: resolveRegion(this, "google", props.region),
    };

    this.postgres = props.postgres ? new GcpPostgres(this, "Postgres", { ...props.postgres, ...shared }) : undefined;
    this.documents = props.documents ? new GcpDocuments(this, "Documents", { ...props.documents, ...shared }) : undefined;
    this.redis = props.redis ? new GcpRedis(this, "Redis", { ...props.redis, ...shared }) : undefined;
    this.storage = new GcpBuckets(this, "Buckets", { ...props.buckets, ...shared });

    if (props.audit && !this.postgres) throw new Error(`GcpDataLayer ${this.node.path}: audit needs postgres, the instance the audit database lives on`);
    this.stores = [this.postgres, this.documents, this.redis].flatMap((s) => (s ? [s.connection] : []));
    if (props.audit && this.postgres) this.stores.push({ ...this.postgres.connection, kind: "audit", database: AUDIT_DATABASE });
    this.buckets = this.storage.refs;
    this.credentialSecrets = this.stores.flatMap((s) => (s.credentials ? [s.credentials.remoteKey] : []));
    this.postgresInstanceName = this.postgres?.instanceName;
    this.documentsDatabaseName = this.documents?.databaseName;
  }
}
