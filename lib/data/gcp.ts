import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { GcpNetwork } from "../network/gcp";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import { GcpBuckets } from "./gcp-buckets";
import { GcpDocuments } from "./gcp-documents";
import { GcpPostgres } from "./gcp-postgres";
import { GcpRedis } from "./gcp-redis";
import type { GcpKeys } from "./keys/gcp";

export interface GcpDataLayerProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly project: string;
  /** Cloud SQL and Memorystore attach to its private service access range. */
  readonly network: GcpNetwork;
  /** Built with the spec's data section: the data, secrets and recovery keys and their grants. */
  readonly keys: GcpKeys;
}

/**
 * The data layer on GCP: Cloud SQL for PostgreSQL, Firestore (MongoDB compatibility) as
 * the document store, Memorystore for Redis, and Cloud Storage buckets, each present
 * when the spec turns it on. Workloads reach the databases with their Google service
 * accounts (the platform target grants them); only Redis has a credential, its AUTH
 * string in Secret Manager.
 */
export class GcpDataLayer extends Construct implements IDataLayer {
  readonly stores: DataStoreConnection[];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess = { api: "gcs" };
  readonly postgres?: GcpPostgres;
  readonly redis?: GcpRedis;
  readonly documents?: GcpDocuments;
  readonly storage: GcpBuckets;
  /** Secret Manager ids of the stores' credentials: all the data-credentials store may read. */
  readonly credentialSecrets: string[];

  constructor(scope: Construct, id: string, props: GcpDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, naming, project, network, keys } = props;
    const region = network.region;
    const common = { spec, naming, project, keys };

    this.postgres = spec.data.postgres ? new GcpPostgres(this, "Postgres", { ...common, network }) : undefined;
    this.documents = spec.data.documents ? new GcpDocuments(this, "Documents", { ...common, region }) : undefined;
    this.redis = spec.data.redis ? new GcpRedis(this, "Redis", { ...common, network }) : undefined;
    this.storage = new GcpBuckets(this, "Buckets", { spec, project, region, keys });

    this.stores = [this.postgres, this.documents, this.redis].flatMap((s) => (s ? [s.connection] : []));
    this.buckets = this.storage.refs;
    this.credentialSecrets = this.stores.flatMap((s) => (s.credentials ? [s.credentials.remoteKey] : []));

    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    if (this.postgres) {
      output("postgres_instance", this.postgres.instance.name, "The Cloud SQL instance: restore backups and clone to a point in time from it.");
      output("postgres_connection_name", this.postgres.instance.connectionName, "project:region:instance, for the Cloud SQL Auth Proxy and connectors.");
      output("postgres_private_ip", this.postgres.instance.privateIpAddress, "The instance's private IP (no public IP exists).");
    }
    if (this.redis) output("redis_host", this.redis.instance.host, "Memorystore's private IP (TLS, AUTH string in Secret Manager).");
    if (this.documents) output("documents_host", this.documents.connection.host, "Firestore's MongoDB-compatible endpoint.");
    for (const bucket of this.buckets) output(`bucket_${bucket.purpose.replace(/-/g, "_")}`, bucket.name, `The ${bucket.purpose} bucket.`);
  }
}
