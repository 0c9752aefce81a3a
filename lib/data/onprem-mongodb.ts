import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { CHARTS } from "../platform/charts";
import { platformLabels } from "../platform/namespaces";
import { generatedSecret } from "./onprem-credentials";
import { DATA_NAMESPACE, MONGODB_PASSWORD, MONGODB_USER, ONPREM_DATA, tlsSecret, type OnpremStoreProps } from "./onprem-plan";
import { serverCertificate } from "./onprem-tls";

/** MongoDB Community Server, the newest 8.0 patch verified (8.0.17 fixes CVE-2025-14847). SSPL-licensed. */
export const MONGODB_VERSION = "8.0.17";

/** Volume sizes per member: fixed, because a StatefulSet's claim templates cannot change in place. */
const DATA_VOLUME = "100Gi";
const LOGS_VOLUME = "10Gi";

/**
 * MongoDB through MongoDB Controllers for Kubernetes, watching `data` only, telemetry
 * off: a MongoDBCommunity replica set of the tier's `instances` members, TLS required
 * (a certificate from the internal CA), SCRAM authentication, and one application user
 * `app` (readWrite and dbAdmin on the product's database) whose password External
 * Secrets generates in the cluster. The server is MongoDB Community, under the SSPL.
 */
export class OnpremMongoDb extends Construct {
  /** The release holding the replica set. */
  readonly release: Manifests["release"];

  constructor(scope: Construct, id: string, props: OnpremStoreProps) {
    super(scope, id);
    setComponent(this, "data");
    const { plan } = props;
    const docs = plan.documents;
    if (!docs) throw new Error(`OnpremMongoDb ${id}: the plan has no document database (give OnpremDataPlan a documents prop)`);
    const name = ONPREM_DATA.mongodb;
    const dependsOn = props.dependsOn ?? [];

    const operator = new HelmChart(this, "Operator", {
      chart: CHARTS.mongodbKubernetes,
      namespace: DATA_NAMESPACE,
      values: {
        operator: {
          watchedResources: ["mongodbcommunity"],
          // No ClusterRoles for features this layer does not use.
          enableClusterMongoDBRoles: false,
          // The operator reports to MongoDB unless told not to; a customer's cluster does not.
          telemetry: { enabled: false, send: { enabled: false } },
        },
      },
      dependsOn,
    }).release;

    const claim = (claimName: string, size: string) => ({
      metadata: { name: claimName },
      spec: { accessModes: ["ReadWriteOnce"], ...(props.storageClass ? { storageClassName: props.storageClass } : {}), resources: { requests: { storage: size } } },
    });
    const headless = `${name}-svc`;
    const domains = [`${headless}.${DATA_NAMESPACE}.svc.cluster.local`, `${headless}.${DATA_NAMESPACE}.svc`];

    this.release = protect(
      new Manifests(this, "ReplicaSet", {
        name: "mongodb",
        namespace: DATA_NAMESPACE,
        objects: [
          // Members are reached as <name>-<n>.<name>-svc...; clients seed from the Service.
          serverCertificate({ deployment: plan.deployment, store: name, dnsNames: [...domains.map((d) => `*.${d}`), ...domains], clientAuth: true }),
          ...generatedSecret({ deployment: plan.deployment, name: MONGODB_PASSWORD, keys: ["password"] }),
          {
            apiVersion: "mongodbcommunity.mongodb.com/v1",
            kind: "MongoDBCommunity",
            metadata: {
              name,
              namespace: DATA_NAMESPACE,
              labels: platformLabels(plan.deployment, "data"),
              // Uninstalling the release leaves the replica set while protection is on.
              ...(plan.protection ? { annotations: { "helm.sh/resource-policy": "keep" } } : {}),
            },
            spec: {
              type: "ReplicaSet",
              members: docs.instances,
              version: MONGODB_VERSION,
              security: {
                tls: { enabled: true, optional: false, certificateKeySecretRef: { name: tlsSecret(name) }, caCertificateSecretRef: { name: tlsSecret(name) } },
                authentication: { modes: ["SCRAM"] },
              },
              users: [
                {
                  name: MONGODB_USER,
                  db: "admin",
                  passwordSecretRef: { name: MONGODB_PASSWORD, key: "password" },
                  roles: [
                    { name: "readWrite", db: plan.database },
                    { name: "dbAdmin", db: plan.database },
                  ],
                  scramCredentialsSecretName: `${name}-${MONGODB_USER}`,
                },
              ],
              statefulSet: {
                spec: {
                  template: {
                    spec: {
                      containers: [
                        { name: "mongod", resources: { requests: docs.size, limits: docs.size } },
                        { name: "mongodb-agent", resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } } },
                      ],
                    },
                  },
                  volumeClaimTemplates: [claim("data-volume", DATA_VOLUME), claim("logs-volume", LOGS_VOLUME)],
                },
              },
            },
          },
        ],
        dependsOn: [operator, props.certManager.release, props.certManager.issuers, props.secrets.release, ...dependsOn],
      }).release,
      plan.protection,
    );
  }
}
