import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AzureNetwork } from "../network/azure";
import { pairedRegion } from "../config/azure-pairs";
import { AzureDocuments } from "./azure-documents";
import { AzurePostgres } from "./azure-postgres";
import { AzureRedis } from "./azure-redis";
import { AzureBlobStorage } from "./azure-storage";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import type { AzureKeys } from "./keys/azure";

export interface AzureDataLayerProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
  /** The deployment's vault with the `data` key (and, with disaster recovery, the paired region's). */
  readonly keys: AzureKeys;
  /** The Log Analytics workspace for the stores' logs (the cluster's). */
  readonly logsWorkspaceId: string;
}

/**
 * The data layer on Azure: PostgreSQL flexible server, the document database (vCore),
 * Azure Managed Redis and a storage account with a container per bucket, each private,
 * encrypted with the deployment's `data` key, signed into with Microsoft Entra ID only
 * (no store has a password or key that workloads use, so no credentials are synced),
 * and logged to Log Analytics. Disaster recovery copies PostgreSQL backups and the
 * blobs to the region's pair.
 */
export class AzureDataLayer extends Construct implements IDataLayer {
  readonly stores: DataStoreConnection[] = [];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess;
  readonly postgres?: AzurePostgres;
  readonly documents?: AzureDocuments;
  readonly redis?: AzureRedis;
  readonly storage: AzureBlobStorage;

  constructor(scope: Construct, id: string, props: AzureDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec } = props;
    // Fail at synth, naming the field, in a region where disaster recovery cannot work.
    if (spec.data.disasterRecovery) pairedRegion(props.network.location);

    if (spec.data.postgres) {
      this.postgres = new AzurePostgres(this, "Postgres", props);
      this.stores.push(this.postgres.connection);
      this.output("postgres_host", this.postgres.server.fqdn, "The PostgreSQL server's private host name.");
    }
    if (spec.data.documents) {
      this.documents = new AzureDocuments(this, "Documents", props);
      this.stores.push(this.documents.connection);
      this.output("documents_host", this.documents.connection.host, "The document database's host name (mongodb+srv), private to the VNet.");
    }
    if (spec.data.redis) {
      this.redis = new AzureRedis(this, "Redis", props);
      this.stores.push(this.redis.connection);
      this.output("redis_host", this.redis.cache.hostname, "The Redis host name, private to the VNet (TLS, port 10000).");
    }
    this.storage = new AzureBlobStorage(this, "Buckets", props);
    this.buckets = this.storage.buckets;
    this.objectStore = { api: "azure-blob", endpoint: this.storage.account.primaryBlobEndpoint };
    this.output("storage_account_name", this.storage.account.name, "The storage account holding the buckets (one container each).");
  }

  private output(name: string, value: string, description: string) {
    new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
  }
}
