/**
 * What every target's data layer gives the rest of the kit: where each store answers
 * and where its credentials are kept, never a credential. The platform publishes the
 * endpoints to tenant namespaces (a ConfigMap) and syncs the credentials there with
 * External Secrets.
 */

/** `audit`: the audit ledger's database, on the PostgreSQL server, with its own append-only login. */
export type DataStoreKind = "postgres" | "documents" | "redis" | "audit";

export interface DataStoreConnection {
  readonly kind: DataStoreKind;
  /** The store's private host name (a reference into the infra stack on clouds). */
  readonly host: string;
  readonly port: number;
  /** The database applications use. @default none (Redis) */
  readonly database?: string;
  /**
   * Non-secret connection settings published with the endpoint, e.g.
   * `{ sslmode: "verify-full" }` or `{ tls: "true" }`.
   */
  readonly settings: Record<string, string>;
  /**
   * The secret holding the credentials: its key in the target's secret manager (an ARN,
   * a Key Vault secret name, a Secret Manager id; on-prem a Kubernetes Secret's name),
   * and which property of its JSON value holds each credential (e.g.
   * `{ username: "username", password: "password" }`; an empty property takes the
   * whole value of a plain secret). Undefined where workloads authenticate with their
   * identity instead (Entra ID, IAM).
   */
  readonly credentials?: { readonly remoteKey: string; readonly properties: Record<string, string> };
}

/** Buckets the platform keeps for itself (access logs, long-term metrics): never the product's. */
export const PLATFORM_BUCKETS: readonly string[] = ["logs", "metrics"];

/** One object storage bucket (container on Azure) and what it is for. */
export interface BucketRef {
  /** The spec's name for it: metrics, logs, config, backups... */
  readonly purpose: string;
  /** Its name in the cloud (globally unique where the cloud asks). */
  readonly name: string;
}

/** How workloads reach the buckets. */
export interface ObjectStoreAccess {
  readonly api: "s3" | "azure-blob" | "gcs";
  /** The service endpoint (S3-compatible stores on-prem; the storage account's blob URL on Azure). @default the cloud's */
  readonly endpoint?: string;
  readonly region?: string;
  /** The storage account's name (azure-blob), which object-store clients configure apart from the endpoint. @default none */
  readonly account?: string;
  /**
   * Access keys, where the store has no workload identity (S3-compatible stores
   * on-prem): as for a data store's credentials. @default none: workloads use their identity
   */
  readonly credentials?: DataStoreConnection["credentials"];
  /**
   * Keys to the platform's own buckets (logs, metrics) where the store takes keys
   * (on-prem): a Kubernetes Secret with `accessKeyId`, `secretAccessKey` and, when the
   * endpoint's certificate comes from the internal CA, `ca.crt`. Never given to tenants.
   * @default none: the platform's components use their identity
   */
  readonly platformCredentials?: { readonly namespace: string; readonly secret: string; readonly caCert: boolean };
}

export interface IDataLayer {
  readonly stores: DataStoreConnection[];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess;
}
