import { Construct } from "constructs";
import { AUDIT_DATABASE } from "../audit/sql/roles";
import { setComponent } from "../core/tags";
import { AzureDocuments, type AzureDocumentsProps } from "./azure-documents";
import { AzurePostgres, type AzurePostgresOptions } from "./azure-postgres";
import { AzureRedis, type AzureRedisOptions } from "./azure-redis";
import { AzureBlobStorage, type AzureBlobStorageOptions } from "./azure-storage";
import type { AzureStoreProps, IAzureEntraLogin } from "./azure-store";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";

/**
 * An Azure data layer as the platform target uses it: where tenants' blob roles are
 * scoped, and the stores that give tenants' identities an Entra sign-in.
 */
export interface IAzureDataLayer extends IDataLayer {
  /** The containers' resource manager ids by bucket purpose. */
  readonly containerIds: Readonly<Record<string, string>>;
  readonly postgres?: IAzureEntraLogin;
  readonly documents?: IAzureEntraLogin;
  readonly redis?: IAzureEntraLogin;
}

export interface AzureDataLayerProps extends AzureStoreProps {
  /** The buckets: a storage account with a container each. */
  readonly buckets: AzureBlobStorageOptions;
  /** PostgreSQL flexible server and its sizes. @default - no PostgreSQL */
  readonly postgres?: AzurePostgresOptions;
  /**
   * Publish the audit ledger's database (`audit` on the PostgreSQL server, Entra sign-in)
   * to tenants: the platform stack creates it (AzureAuditLogins). Needs `postgres`. @default false
   */
  readonly audit?: boolean;
  /** The document database (vCore) and where its administrator password is kept. @default - no document database */
  readonly documents?: Omit<AzureDocumentsProps, keyof AzureStoreProps>;
  /** Azure Managed Redis and its SKU. @default - no Redis */
  readonly redis?: AzureRedisOptions;
}

/**
 * The data layer on Azure: PostgreSQL flexible server, the document database (vCore),
 * Azure Managed Redis and a storage account with a container per bucket, each private,
 * encrypted with `key`, signed into with Microsoft Entra ID only (no store has a
 * password or key that workloads use, so no credentials are synced), and logged to Log
 * Analytics. Each store is also usable alone (AzurePostgres, AzureDocuments,
 * AzureRedis, AzureBlobStorage); outputs are theirs (`data_postgres_host`...).
 */
export class AzureDataLayer extends Construct implements IAzureDataLayer {
  readonly stores: DataStoreConnection[] = [];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess;
  readonly containerIds: Record<string, string>;
  readonly postgres?: AzurePostgres;
  readonly documents?: AzureDocuments;
  readonly redis?: AzureRedis;
  readonly storage: AzureBlobStorage;

  constructor(scope: Construct, id: string, props: AzureDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const store: AzureStoreProps = {
      network: props.network,
      key: props.key,
      logsWorkspaceId: props.logsWorkspaceId,
      protection: props.protection,
      naming: props.naming,
    };

    if (props.postgres) {
      this.postgres = new AzurePostgres(this, "Postgres", { ...store, ...props.postgres });
      this.stores.push(this.postgres.connection);
      if (props.audit) this.stores.push({ ...this.postgres.connection, kind: "audit", database: AUDIT_DATABASE });
    }
    if (props.documents) {
      this.documents = new AzureDocuments(this, "Documents", { ...store, ...props.documents });
      this.stores.push(this.documents.connection);
    }
    if (props.redis) {
      this.redis = new AzureRedis(this, "Redis", { ...store, ...props.redis });
      this.stores.push(this.redis.connection);
    }
    this.storage = new AzureBlobStorage(this, "Buckets", { ...store, ...props.buckets });
    this.buckets = this.storage.buckets;
    this.containerIds = Object.fromEntries(Object.entries(this.storage.containers).map(([purpose, c]) => [purpose, c.resourceManagerId]));
    this.objectStore = { api: "azure-blob", endpoint: this.storage.account.primaryBlobEndpoint, account: this.storage.account.name };
  }
}
