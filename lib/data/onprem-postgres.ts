import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import type { IExternalSecrets } from "../platform/external-secrets";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { CHARTS } from "../platform/charts";
import { platformLabels } from "../platform/namespaces";
import type { BackupTarget } from "./onprem-object-store";
import { AUDIT_DATABASE } from "../audit/sql/roles";
import { generatedSecret } from "./onprem-credentials";
import { AUDIT_LOGINS, DATA_NAMESPACE, ONPREM_DATA, tlsSecret, type OnpremStoreProps } from "./onprem-plan";
import { serverCertificate, serviceNames } from "./onprem-tls";

/**
 * CloudNativePG's PostgreSQL images per major version (standard: with pgaudit and
 * pgvector; Debian trixie), pinned to the newest minor the image project builds.
 */
export const POSTGRES_IMAGES: Record<string, string> = {
  "15": "ghcr.io/cloudnative-pg/postgresql:15.19-standard-trixie",
  "16": "ghcr.io/cloudnative-pg/postgresql:16.15-standard-trixie",
  "17": "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie",
};

/** The barman-cloud plugin's name, as Clusters and backups reference it. */
export const BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io";

/** CloudNativePG generates its own credentials: no `secrets`. The certificate manager also issues the backup plugin's certificates. */
export interface OnpremPostgresProps extends Omit<OnpremStoreProps, "secrets"> {
  /** Two operator replicas (leader election). @default false */
  readonly highAvailability?: boolean;
  /** Where base backups and WAL go: the object store's bucket for backups. */
  readonly backups: BackupTarget;
  /** Generates the audit logins' passwords in the cluster. Required when the plan has `audit`. @default none */
  readonly secrets?: IExternalSecrets;
}

/**
 * The audit ledger's roles as CloudNativePG-managed roles: the group roles the
 * migrations grant to, and the logins that are members of them. All are declared, so
 * the operator's periodic reconciliation (which revokes memberships it was not told
 * of) keeps exactly these; none has CREATEROLE, so the migrations cannot create roles
 * the operator would fight over.
 */
function auditRoles(): Record<string, unknown>[] {
  const group = (name: string) => ({ name, ensure: "present", login: false });
  const login = (l: { role: string; secret: string }, inRoles: string[]) => ({ name: l.role, ensure: "present", login: true, inRoles, passwordSecret: { name: l.secret } });
  return [
    ...["audit_owner", "audit_writer", "audit_reader", "audit_maintainer"].map(group),
    login(AUDIT_LOGINS.migrator, ["audit_owner"]),
    login(AUDIT_LOGINS.maintainer, ["audit_maintainer"]),
    login(AUDIT_LOGINS.app, ["audit_writer"]),
  ];
}

/**
 * PostgreSQL on CloudNativePG, operator and plugin confined to `data`: a Cluster of one
 * instance, or with `ha` three (a primary and two streaming standbys, on separate nodes
 * where the cluster has them, with automated failover); a separate WAL volume; TLS 1.3
 * with a server certificate from the internal CA, required on every TCP connection; no
 * superuser access; WAL archiving and daily base backups through the barman-cloud
 * plugin, kept `backupDays` days (point-in-time recovery within that window). The
 * application owner `app` and its password are CloudNativePG's `postgres-app` Secret,
 * created in the cluster.
 */
export class OnpremPostgres extends Construct {
  /** The release holding the Cluster (its volumes are owned by it). */
  readonly release: Manifests["release"];

  constructor(scope: Construct, id: string, props: OnpremPostgresProps) {
    super(scope, id);
    setComponent(this, "data");
    const { plan } = props;
    const pg = plan.postgres;
    if (!pg) throw new Error(`OnpremPostgres ${id}: the plan has no PostgreSQL (give OnpremDataPlan a postgres prop)`);
    const image = POSTGRES_IMAGES[pg.version];
    if (!image) {
      throw new Error(`OnpremPostgres ${id}: postgres.version must be one of ${Object.keys(POSTGRES_IMAGES).map((v) => `"${v}"`).join(", ")} (got ${JSON.stringify(pg.version)})`);
    }
    if (plan.audit && !props.secrets) throw new Error(`OnpremPostgres ${id}: the plan has audit, whose logins' passwords External Secrets generates: give the secrets prop`);
    const replicas = props.highAvailability ? 2 : 1;
    const dependsOn = props.dependsOn ?? [];

    const operator = new HelmChart(this, "Operator", {
      chart: CHARTS.cloudnativePg,
      namespace: DATA_NAMESPACE,
      values: {
        crds: { create: true },
        // Watches `data` only: its Role, not a ClusterRole, grants it the namespace's Secrets.
        config: { clusterWide: false },
        replicaCount: replicas,
      },
      dependsOn,
    }).release;
    const plugin = new HelmChart(this, "BackupPlugin", {
      chart: CHARTS.pluginBarmanCloud,
      namespace: DATA_NAMESPACE,
      // The operator finds the plugin by its Service in the operator's namespace.
      values: { crds: { create: true } },
      dependsOn: [operator, props.certManager.release, ...dependsOn],
    }).release;

    const name = ONPREM_DATA.postgres;
    const labels = platformLabels(plan.deployment, "data");
    const metadata = (n: string, annotations?: Record<string, string>) => ({ name: n, namespace: DATA_NAMESPACE, labels, ...(annotations ? { annotations } : {}) });
    const resources = { requests: pg.size, limits: pg.size };
    const storage = (size: number) => ({ size: `${size}Gi`, ...(props.storageClass ? { storageClass: props.storageClass } : {}) });
    const { endpointURL, endpointCA, s3Credentials } = props.backups;

    this.release = protect(
      new Manifests(this, "Cluster", {
        name: "postgres",
        namespace: DATA_NAMESPACE,
        objects: [
          serverCertificate({
            deployment: plan.deployment,
            store: name,
            dnsNames: ["rw", "ro", "r"].flatMap((s) => serviceNames(`${name}-${s}`)),
            // CloudNativePG reloads the instances when the renewed certificate lands.
            secretLabels: { "cnpg.io/reload": "" },
          }),
          {
            apiVersion: "barmancloud.cnpg.io/v1",
            kind: "ObjectStore",
            metadata: metadata(`${name}-backups`),
            spec: {
              configuration: {
                destinationPath: `s3://${plan.backupBucket}/postgres`,
                endpointURL,
                ...(endpointCA ? { endpointCA } : {}),
                s3Credentials,
                wal: { compression: "gzip" },
                data: { compression: "gzip" },
              },
              retentionPolicy: `${pg.backupDays}d`,
              // S3-compatible stores may refuse the checksums newer boto3 sends by default.
              instanceSidecarConfiguration: {
                env: [
                  { name: "AWS_REQUEST_CHECKSUM_CALCULATION", value: "when_required" },
                  { name: "AWS_RESPONSE_CHECKSUM_VALIDATION", value: "when_required" },
                ],
              },
            },
          },
          {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "Cluster",
            // Uninstalling the release leaves the Cluster (and so its volumes) while protection is on.
            metadata: metadata(name, plan.protection ? { "helm.sh/resource-policy": "keep" } : undefined),
            spec: {
              instances: pg.ha ? 3 : 1,
              imageName: image,
              primaryUpdateStrategy: "unsupervised",
              enableSuperuserAccess: false,
              storage: storage(pg.storageGb),
              walStorage: storage(Math.max(10, Math.ceil(pg.storageGb / 10))),
              resources,
              affinity: { enablePodAntiAffinity: true, topologyKey: "kubernetes.io/hostname" },
              certificates: { serverTLSSecret: tlsSecret(name), serverCASecret: tlsSecret(name) },
              postgresql: {
                parameters: { ssl_min_protocol_version: "TLSv1.3", log_connections: "on", log_disconnections: "on" },
                // Before CloudNativePG's final `host all all all scram-sha-256`: no connection without TLS.
                pg_hba: ["hostnossl all all all reject", "hostssl all all all scram-sha-256"],
              },
              bootstrap: { initdb: { database: plan.database, owner: "app" } },
              ...(plan.audit ? { managed: { roles: auditRoles() } } : {}),
              plugins: [{ name: BARMAN_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: `${name}-backups` } }],
            },
          },
          ...(plan.audit
            ? [
                ...Object.values(AUDIT_LOGINS).flatMap((l) =>
                  generatedSecret({
                    deployment: plan.deployment,
                    name: l.secret,
                    keys: ["password"],
                    template: { username: l.role, password: "{{ .password }}" },
                    // CloudNativePG reads managed roles' passwords from basic-auth Secrets and applies a change at once.
                    type: "kubernetes.io/basic-auth",
                    secretLabels: { "cnpg.io/reload": "true" },
                  }),
                ),
                {
                  apiVersion: "postgresql.cnpg.io/v1",
                  kind: "Database",
                  metadata: metadata(`${name}-audit`),
                  // Retained when the object goes: dropping an audit database is never a side effect.
                  spec: { name: AUDIT_DATABASE, owner: AUDIT_LOGINS.migrator.role, cluster: { name }, ensure: "present", databaseReclaimPolicy: "retain", encoding: "UTF8" },
                },
              ]
            : []),
          {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "ScheduledBackup",
            metadata: metadata(`${name}-daily`),
            spec: {
              // Six fields: seconds first. 02:00 every day, and one right after creation.
              schedule: "0 0 2 * * *",
              immediate: true,
              backupOwnerReference: "self",
              cluster: { name },
              method: "plugin",
              pluginConfiguration: { name: BARMAN_PLUGIN },
            },
          },
        ],
        dependsOn: [operator, plugin, props.certManager.release, props.certManager.issuers, ...props.backups.ready, ...(props.secrets ? [props.secrets.release] : []), ...dependsOn],
      }).release,
      plan.protection,
    );
  }
}
