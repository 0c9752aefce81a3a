import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { Construct } from "constructs";
import { PLATFORM_BUCKETS, type DataStoreConnection, type IDataLayer } from "../data/data";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { IExternalSecrets } from "./external-secrets";
import { platformLabels, type INamespace } from "./namespaces";
import type { IPlatformTarget } from "./target";

export interface DataAccessProps {
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Grants the tenant's workload identity access to the product's buckets. */
  readonly target: IPlatformTarget;
  /** The stores and buckets whose endpoints and credentials the tenant gets. */
  readonly data: IDataLayer;
  /** The tenant's namespace. */
  readonly namespace: INamespace;
  /** Syncs the stores' credentials from the data-credentials store. */
  readonly secrets: IExternalSecrets;
}

/** The ConfigMap the endpoints are published in, and the service account workloads run as. */
export const DATA_ENDPOINTS = "data-endpoints";
export const WORKLOAD_SERVICE_ACCOUNT = "workload";

/**
 * What a tenant's workloads need to reach the data layer, and nothing secret in
 * Terraform: a ConfigMap `data-endpoints` with each store's host, port, database and
 * TLS settings and the buckets' names; a Secret `<store>-credentials` per store with
 * credentials, synced by External Secrets from the data-credentials store; and a
 * service account `workload` whose cloud identity may read and write the product's
 * buckets (not the platform's logs and metrics).
 */
export class DataAccess extends Construct {
  readonly configMap: ConfigMapV1;
  readonly serviceAccount: ServiceAccountV1;
  /** The workloads' own PostgreSQL login where they sign in with their identity (Azure, GCP). @default - none: credentials are synced */
  readonly postgresUser?: string;

  constructor(scope: Construct, id: string, props: DataAccessProps) {
    super(scope, id);
    // The tenant's cloud identity is tagged as the data layer's.
    setComponent(this, "data");
    const { data, secrets } = props;
    const namespace = props.namespace.name;
    const labels = platformLabels(namingOf(this, props.naming).deployment, "data");
    const ready = props.namespace.ready;

    const withCredentials = [
      ...data.stores.filter((s) => s.credentials).map((s) => ({ name: `${s.kind}-credentials`, credentials: s.credentials! })),
      ...(data.objectStore.credentials ? [{ name: "object-store-credentials", credentials: data.objectStore.credentials }] : []),
    ];
    for (const { name, credentials } of withCredentials) {
      secrets.sync(this, `Secret-${name}`, {
        namespace,
        name,
        remoteKey: credentials.remoteKey,
        properties: credentials.properties,
        store: "data",
        dependsOn: [ready],
      });
    }

    const sa = { namespace, name: WORKLOAD_SERVICE_ACCOUNT };
    const buckets = data.buckets.filter((b) => !PLATFORM_BUCKETS.includes(b.purpose));
    const identity = props.target.workloadIdentity(this, sa, buckets);
    this.postgresUser = identity.config.POSTGRES_USER;
    this.serviceAccount = new ServiceAccountV1(this, "Workload", {
      metadata: { name: sa.name, namespace, labels, annotations: identity.identity.serviceAccountAnnotations },
      dependsOn: [ready, ...identity.grants],
    });
    // The data layer's endpoints, with this tenant's own login names; and the labels pods
    // must carry for the workload identity (Azure's webhook opts pods in by label).
    const podLabels = Object.entries(identity.identity.podLabels).map(([k, v]) => `${k}=${v}`).join(",");
    this.configMap = new ConfigMapV1(this, "Endpoints", {
      metadata: { name: DATA_ENDPOINTS, namespace, labels },
      data: { ...endpoints(data), ...identity.config, ...(podLabels ? { WORKLOAD_POD_LABELS: podLabels } : {}) },
      dependsOn: [ready],
    });
  }
}

/** The ConfigMap's keys: POSTGRES_HOST, POSTGRES_SSLMODE, REDIS_TLS, BUCKET_BACKUPS... */
function endpoints(data: IDataLayer): Record<string, string> {
  const entries: [string, string][] = [];
  const key = (...parts: string[]) => parts.join("_").toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  for (const store of data.stores) entries.push(...storeEntries(store, key));
  for (const bucket of data.buckets) entries.push([key("bucket", bucket.purpose), bucket.name]);
  entries.push([key("object_store_api"), data.objectStore.api]);
  if (data.objectStore.endpoint) entries.push([key("object_store_endpoint"), data.objectStore.endpoint]);
  if (data.objectStore.region) entries.push([key("object_store_region"), data.objectStore.region]);
  return Object.fromEntries(entries);
}

function storeEntries(store: DataStoreConnection, key: (...parts: string[]) => string): [string, string][] {
  return [
    [key(store.kind, "host"), store.host],
    [key(store.kind, "port"), String(store.port)],
    ...(store.database ? [[key(store.kind, "database"), store.database] as [string, string]] : []),
    ...Object.entries(store.settings).map(([k, v]): [string, string] => [key(store.kind, k), v]),
  ];
}
