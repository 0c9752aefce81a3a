import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { setComponent } from "../core/tags";
import type { CertManager } from "../platform/cert-manager";
import type { ExternalSecrets } from "../platform/external-secrets";
import type { PlatformNamespace } from "../platform/namespaces";
import type { Tenant } from "../platform/tenants";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import { OnpremClientBundles } from "./onprem-credentials";
import { OnpremMongoDb } from "./onprem-mongodb";
import { OnpremDataNetwork } from "./onprem-network";
import { OnpremObjectStore } from "./onprem-object-store";
import { DATA_PORTS, type OnpremDataPlan } from "./onprem-plan";
import { OnpremPostgres } from "./onprem-postgres";
import { OnpremValkey } from "./onprem-valkey";

/** Ports the API server calls the operators' admission webhooks on. */
const WEBHOOK_PORTS = { cloudnativePg: 9443, mongodbKubernetes: 1993 } as const;

export interface OnpremDataLayerProps {
  readonly spec: DeploymentSpec;
  /** The names and sizes the target already published to the platform. */
  readonly plan: OnpremDataPlan;
  /** The `data` namespace (the target creates it: the tenants' credential store's Role lives there). */
  readonly namespace: PlatformNamespace;
  /** The platform's cert-manager: the stores' certificates come from its internal CA. */
  readonly certManager: CertManager;
  /** The platform's External Secrets: generated passwords, client bundles, the external store's keys. */
  readonly secrets: ExternalSecrets;
  /** Tenant namespaces, which get egress to the stores. */
  readonly tenants: Tenant[];
}

/**
 * The on-prem data layer, in the existing cluster's `data` namespace (Pod Security
 * `restricted`): PostgreSQL on CloudNativePG with barman-cloud backups, Valkey for
 * Redis, MongoDB through MongoDB Controllers for Kubernetes, and the buckets on the
 * spec's S3-compatible store or SeaweedFS. Every store speaks TLS with a certificate
 * from the platform's internal CA and authenticates with credentials created inside
 * the cluster; tenants receive them as client bundles (credentials and CA) through the
 * data-credentials store. Built after the Platform, whose cert-manager and External
 * Secrets it uses; it creates exactly what `plan` describes.
 */
export class OnpremDataLayer extends Construct implements IDataLayer {
  readonly stores: DataStoreConnection[];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess;
  readonly postgres?: OnpremPostgres;
  readonly redis?: OnpremValkey;
  readonly documents?: OnpremMongoDb;
  readonly objectStorage: OnpremObjectStore;

  constructor(scope: Construct, id: string, props: OnpremDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, plan, certManager, secrets } = props;
    if (spec.target.cloud !== "onprem") throw new Error(`OnpremDataLayer needs an onprem target, got ${spec.target.cloud}`);
    const { data } = spec;
    this.stores = plan.stores;
    this.buckets = plan.buckets;
    this.objectStore = plan.objectStore;
    const deployment = spec.name;
    const storageClass = spec.target.storageClass;
    const dependsOn = [props.namespace.ready];
    const common = { deployment, data, plan, storageClass, certManager, dependsOn };

    this.objectStorage = new OnpremObjectStore(this, "ObjectStore", { ...common, secrets });
    if (data.postgres) {
      this.postgres = new OnpremPostgres(this, "Postgres", { ...common, highAvailability: spec.tier !== "small", backups: this.objectStorage.backups });
    }
    if (data.redis) this.redis = new OnpremValkey(this, "Redis", { ...common, secrets });
    if (data.documents) this.documents = new OnpremMongoDb(this, "Documents", { ...common, secrets });

    new OnpremClientBundles(this, "ClientCredentials", {
      deployment,
      bundles: plan.bundles,
      secrets,
      // The bundles' sources: CloudNativePG's app Secret, the generated passwords, the certificates.
      dependsOn: [
        ...dependsOn,
        ...this.objectStorage.backups.ready,
        ...[this.postgres, this.redis, this.documents].flatMap((s) => (s ? [s.release] : [])),
      ],
    });

    new OnpremDataNetwork(this, "Network", {
      deployment,
      storePorts: [
        ...(data.postgres ? [DATA_PORTS.postgres] : []),
        ...(data.redis ? [DATA_PORTS.redis] : []),
        ...(data.documents ? [DATA_PORTS.documents] : []),
        ...(plan.inClusterObjectStore ? [DATA_PORTS.s3] : []),
      ],
      webhookPorts: [...(data.postgres ? [WEBHOOK_PORTS.cloudnativePg] : []), ...(data.documents ? [WEBHOOK_PORTS.mongodbKubernetes] : [])],
      tenants: props.tenants,
      dependsOn,
    });
  }
}
