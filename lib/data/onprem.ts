import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AuditLedger, type LedgerDatabase, type LedgerLogin } from "../audit/sql/ledger";
import { setComponent } from "../core/tags";
import { platformLabels } from "../platform/namespaces";
import type { ICertManager } from "../platform/cert-manager";
import type { IExternalSecrets } from "../platform/external-secrets";
import type { INamespace } from "../platform/namespaces";
import type { AddonMetrics } from "../platform/network-policies";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import { OnpremClientBundles } from "./onprem-credentials";
import { OnpremMongoDb } from "./onprem-mongodb";
import { OnpremDataNetwork } from "./onprem-network";
import { OnpremObjectStore } from "./onprem-object-store";
import { AUDIT_LOGINS, DATA_NAMESPACE, DATA_PORTS, ONPREM_DATA, tlsSecret, type OnpremDataPlan } from "./onprem-plan";
import { OnpremPostgres, POSTGRES_IMAGES } from "./onprem-postgres";
import { OnpremValkey } from "./onprem-valkey";

/** Ports the API server calls the operators' admission webhooks on. */
const WEBHOOK_PORTS = { cloudnativePg: 9443, mongodbKubernetes: 1993 } as const;

export interface OnpremDataLayerProps {
  /** What to create: the stores, their sizes and names (the same plan the target publishes to tenants). */
  readonly plan: OnpremDataPlan;
  /** The `data` namespace (OnpremPlatformTarget creates it: the tenants' credential store's Role lives there). */
  readonly namespace: INamespace;
  /** cert-manager with the `internal-ca` ClusterIssuer: the stores' certificates come from it. */
  readonly certManager: ICertManager;
  /** External Secrets with the platform's store: generated passwords, client bundles, the external store's keys. */
  readonly secrets: IExternalSecrets;
  /** Tenant namespaces, which get egress to the stores. @default [] */
  readonly tenantNamespaces?: INamespace[];
  /** The StorageClass of the stores' volumes. @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Two replicas of the PostgreSQL operator. @default false */
  readonly highAvailability?: boolean;
}

/**
 * The on-prem data layer, in the existing cluster's `data` namespace (Pod Security
 * `restricted`): PostgreSQL on CloudNativePG with barman-cloud backups, Valkey for
 * Redis, MongoDB through MongoDB Controllers for Kubernetes, and the buckets on an
 * external S3-compatible store or SeaweedFS. Every store speaks TLS with a certificate
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
  /** The audit ledger's migrations and retention, when the plan has `audit`. */
  readonly auditLedger?: AuditLedger;
  /** Where the ledger's Jobs run and how its maintainer signs in (other ledger jobs, such as anchoring, reuse it). */
  readonly auditAccess?: { readonly namespace: string; readonly database: LedgerDatabase; readonly maintainer: LedgerLogin; readonly ready: ITerraformDependable[] };
  readonly objectStorage: OnpremObjectStore;
  /** The stores' metrics endpoints, for PodMonitors: CloudNativePG's exporter on each instance. */
  readonly metrics: AddonMetrics[];

  constructor(scope: Construct, id: string, props: OnpremDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const { plan, certManager, secrets } = props;
    if (props.namespace.name !== DATA_NAMESPACE) {
      throw new Error(`OnpremDataLayer ${id}: namespace must be the "${DATA_NAMESPACE}" namespace, where every store is placed (got ${JSON.stringify(props.namespace.name)})`);
    }
    this.stores = plan.stores;
    this.buckets = plan.buckets;
    this.metrics = plan.postgres
      ? [{ name: "postgres", namespace: props.namespace, pods: { matchLabels: { "cnpg.io/cluster": ONPREM_DATA.postgres } }, endpoints: [{ port: "metrics", number: 9187 }] }]
      : [];
    this.objectStore = plan.objectStore;
    const dependsOn = [props.namespace.ready];
    const common = { plan, storageClass: props.storageClass, certManager, dependsOn };

    this.objectStorage = new OnpremObjectStore(this, "ObjectStore", { ...common, secrets });
    if (plan.postgres) {
      this.postgres = new OnpremPostgres(this, "Postgres", { ...common, highAvailability: props.highAvailability, backups: this.objectStorage.backups, secrets });
    }
    if (plan.audit && this.postgres) {
      const pg = plan.postgres!;
      const login = (l: { role: string; secret: string }) => ({ user: l.role, password: { secret: { name: l.secret, key: "password" } } });
      const database: LedgerDatabase = { host: `${ONPREM_DATA.postgres}-rw.${DATA_NAMESPACE}.svc`, ca: { secret: { name: tlsSecret(ONPREM_DATA.postgres), key: "ca.crt" } } };
      const maintainer = login(AUDIT_LOGINS.maintainer);
      this.auditLedger = new AuditLedger(this, "AuditLedger", {
        deployment: plan.deployment,
        namespace: DATA_NAMESPACE,
        database,
        migrator: login(AUDIT_LOGINS.migrator),
        maintainer,
        clients: [AUDIT_LOGINS.app.role],
        retentionMonths: plan.audit.retentionMonths,
        // The server's own image: psql of the same major, run as its postgres user (26).
        image: POSTGRES_IMAGES[pg.version],
        runAsUser: 26,
        labels: platformLabels(plan.deployment, "data"),
        dependsOn: [this.postgres.release, ...dependsOn],
      });
      this.auditAccess = { namespace: DATA_NAMESPACE, database, maintainer, ready: [this.auditLedger.release] };
    }
    if (plan.redis) this.redis = new OnpremValkey(this, "Redis", { ...common, secrets });
    if (plan.documents) this.documents = new OnpremMongoDb(this, "Documents", { ...common, secrets });

    new OnpremClientBundles(this, "ClientCredentials", {
      deployment: plan.deployment,
      bundles: [...plan.bundles, plan.platformBundle],
      secrets,
      // The bundles' sources: CloudNativePG's app Secret, the generated passwords, the certificates.
      dependsOn: [
        ...dependsOn,
        ...this.objectStorage.backups.ready,
        ...[this.postgres, this.redis, this.documents].flatMap((s) => (s ? [s.release] : [])),
      ],
    });

    new OnpremDataNetwork(this, "Network", {
      deployment: plan.deployment,
      storePorts: [
        ...(plan.postgres ? [DATA_PORTS.postgres] : []),
        ...(plan.redis ? [DATA_PORTS.redis] : []),
        ...(plan.documents ? [DATA_PORTS.documents] : []),
        ...(plan.inClusterObjectStore ? [DATA_PORTS.s3] : []),
      ],
      // CloudNativePG's exporter serves 9187 in each instance.
      platformPorts: [...(plan.inClusterObjectStore ? [DATA_PORTS.s3] : []), ...(plan.postgres ? [9187] : [])],
      webhookPorts: [...(plan.postgres ? [WEBHOOK_PORTS.cloudnativePg] : []), ...(plan.documents ? [WEBHOOK_PORTS.mongodbKubernetes] : [])],
      tenantNamespaces: props.tenantNamespaces,
      dependsOn,
    });
  }
}
