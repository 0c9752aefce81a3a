import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../../core/helm";
import { setComponent } from "../../core/tags";
import { AUDIT_DATABASE } from "./roles";

export { AUDIT_DATABASE };

/** The ledger's migrations and their runner (audit/sql), found from this file in the source tree and in the built package. */
export const MIGRATIONS_DIR = (() => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "audit", "sql");
    if (existsSync(join(candidate, "migrate.sh"))) return candidate;
  }
  throw new Error(`audit/sql/migrate.sh not found above ${__dirname}`);
})();


/** A key of a Secret or a ConfigMap in the Jobs' namespace. */
export interface KeyRef {
  readonly name: string;
  readonly key: string;
}

/** Where a token-signing init container writes the login's password for the psql container. */
export const LEDGER_PASSWORD_FILE = "/run/audit/login/password";
/** Where a token container writes the server's CA bundle when the database gives a `ca.url`. */
export const LEDGER_CA_FILE = "/run/audit/login/ca.crt";

/**
 * A short-lived password (a cloud IAM or Entra token) obtained in the pod: an init
 * container, running as `serviceAccount` (the cloud identity), writes it to
 * LEDGER_PASSWORD_FILE, a memory-backed volume the psql container reads.
 */
export interface LedgerToken {
  readonly serviceAccount: string;
  /** Labels the identity's webhook needs on the pod (Azure). @default {} */
  readonly podLabels?: Record<string, string>;
  /** The init container (name, image, command, env); the kit adds the volume and the hardening. */
  readonly container: { readonly name: string; readonly image: string; readonly command: string[]; readonly env?: { name: string; value: string }[] };
}

/**
 * How a pod signs in to the audit database: a login, optionally the NOLOGIN role it
 * becomes right after (`PGOPTIONS=-c role=…`), and where its password comes from: a
 * Secret key, or a token made in the pod.
 */
export interface LedgerLogin {
  /** The PostgreSQL login. */
  readonly user: string;
  /** A role the login is a member of, assumed at connection (the database owner for migrations). @default the login itself */
  readonly role?: string;
  readonly password: { readonly secret: KeyRef } | { readonly token: LedgerToken };
}

/** The audit database as the ledger's Jobs reach it. */
export interface LedgerDatabase {
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default "audit" */
  readonly database?: string;
  /**
   * `verify-full` checks the CA and that the certificate names `host`. `verify-ca` only
   * where the server's certificate names no host a client uses and its CA is the
   * server's own (Cloud SQL's per-instance CA). @default "verify-full"
   */
  readonly sslmode?: "verify-full" | "verify-ca";
  /**
   * The CA that signed the server's certificate: the Jobs verify the host name against it
   * (`verify-full`). A `url` (a cloud's published bundle) is fetched by each login's
   * token container, given CA_URL and CA_FILE: every login must then be a token login.
   */
  readonly ca: { readonly secret: KeyRef } | { readonly configMap: KeyRef } | { readonly url: string };
}

/**
 * The one-time setup a managed server needs before the migrations, run as its admin in
 * database `postgres`: the NOLOGIN owner role, the database, the logins (see
 * audit/README or the target that builds it).
 */
export interface LedgerAdminStep {
  readonly login: LedgerLogin;
  /** psql script text (idempotent); psql variables are not used. */
  readonly sql: string;
}

export interface AuditLedgerProps {
  /** The deployment (labels). */
  readonly deployment: string;
  /** Where the Jobs run: a namespace whose pods reach the database and hold its Secrets. */
  readonly namespace: string;
  readonly database: LedgerDatabase;
  /** Creates the owner role, the database and the logins first, where nothing else does (managed clouds). @default none: they exist (CloudNativePG's managed roles) */
  readonly admin?: LedgerAdminStep;
  /** Applies the migrations: the database owner (or a member of it). */
  readonly migrator: LedgerLogin;
  /** Drops expired partitions and creates the coming months': a member of audit_maintainer. */
  readonly maintainer: LedgerLogin;
  /** Logins that may connect to the audit database after the migrations (the application's). */
  readonly clients: string[];
  /**
   * Group memberships the migrator grants after the migrations, e.g. the application's
   * login into audit_writer: it created the groups, so it holds their ADMIN option.
   * @default none: the logins are members already (CloudNativePG's managed roles)
   */
  readonly memberships?: { readonly login: string; readonly group: "audit_writer" | "audit_reader" | "audit_maintainer" }[];
  /** Events older than this many months are dropped, a whole monthly partition at a time. */
  readonly retentionMonths: number;
  /** An image with a POSIX shell and psql, run as a non-root user (uid `runAsUser`). */
  readonly image: string;
  /** The image's user id. */
  readonly runAsUser: number;
  /** When the retention job runs (cron, the cluster's time zone). @default "17 3 * * *" */
  readonly schedule?: string;
  /** When the whole chain is verified (cron). @default "47 4 * * *" */
  readonly verifySchedule?: string;
  /** Labels every object gets. @default {} */
  readonly labels?: Record<string, string>;
  /** What must exist first: the database, the logins' Secrets. */
  readonly dependsOn: ITerraformDependable[];
}

const MOUNT = { migrations: "/opt/audit/sql", ca: "/run/audit/ca", secret: "/run/audit/secret", login: "/run/audit/login", tmp: "/tmp" } as const;

/** Verifies the whole chain; prints the first broken link and fails when there is one. */
const VERIFY_SCRIPT = `broken=$(psql -v ON_ERROR_STOP=1 -X -A -t -F ' ' -c 'SELECT seq, problem FROM audit.verify() LIMIT 1'); if [ -n "$broken" ]; then echo "audit ledger broken at $broken" >&2; exit 1; fi; echo "audit ledger verified"`;

const HARDENED = {
  runAsNonRoot: true,
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;

/** A container of a ledger pod: its image runs `script` with /bin/sh, the libpq environment set and PGPASSWORD read from the login's file. */
export interface LedgerContainer {
  readonly name: string;
  readonly image: string;
  readonly script: string;
  /** More environment (non-secret). @default none */
  readonly env?: { name: string; value: string }[];
  /** @default 50m/64Mi requested, 500m/256Mi limit */
  readonly resources?: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
}

export interface LedgerPodProps {
  readonly database: LedgerDatabase;
  readonly login: LedgerLogin;
  readonly container: LedgerContainer;
  /** The user id both containers run as (the image's own non-root user). */
  readonly runAsUser: number;
  readonly labels: Record<string, string>;
  /** ConfigMap volumes mounted read-only in the main container, by mount path. @default { "/opt/audit/sql": "audit-migrations" } */
  readonly configMaps?: Record<string, string>;
}

/**
 * The pod template every ledger Job shares (migrations, retention, verification,
 * anchoring): libpq's environment for `login` over TLS with the host name verified, the
 * password from a file (a Secret key, or what the login's token container wrote to a
 * memory volume), the CA mounted (or fetched by the token container), every container
 * non-root with a read-only root, no service account token.
 */
export function ledgerPod(props: LedgerPodProps): Record<string, unknown> {
  const { database: db, login, container } = props;
  const ca = db.ca;
  const caUrl = "url" in ca ? ca.url : undefined;
  const caSource = "secret" in ca ? { secret: { name: ca.secret.name, items: [{ key: ca.secret.key, path: "ca.crt" }] } } : "configMap" in ca ? { configMap: { name: ca.configMap.name, items: [{ key: ca.configMap.key, path: "ca.crt" }] } } : undefined;
  const token = "token" in login.password ? login.password.token : undefined;
  const secret = "secret" in login.password ? login.password.secret : undefined;
  if (caUrl && !token) throw new Error(`ledger pod ${container.name}: database.ca.url is fetched by the login's token container: the login needs password.token`);
  const passwordFile = token ? LEDGER_PASSWORD_FILE : `${MOUNT.secret}/password`;
  const configMaps = props.configMaps ?? { [MOUNT.migrations]: "audit-migrations" };
  const env = [
    { name: "PGHOST", value: db.host },
    { name: "PGPORT", value: String(db.port ?? 5432) },
    { name: "PGDATABASE", value: db.database ?? AUDIT_DATABASE },
    { name: "PGUSER", value: login.user },
    { name: "PGSSLMODE", value: db.sslmode ?? "verify-full" },
    { name: "PGSSLROOTCERT", value: caUrl ? LEDGER_CA_FILE : `${MOUNT.ca}/ca.crt` },
    { name: "PGCONNECT_TIMEOUT", value: "10" },
    { name: "PGAPPNAME", value: `audit-${container.name}` },
    ...(login.role ? [{ name: "PGOPTIONS", value: `-c role=${login.role}` }] : []),
  ];
  const resources = container.resources ?? { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
  const configVolumes = Object.values(configMaps).map((name, i) => ({ name: `config-${i}`, configMap: { name, defaultMode: 0o555 } }));
  return {
    metadata: { labels: { ...props.labels, ...token?.podLabels } },
    spec: {
      restartPolicy: "Never",
      ...(token ? { serviceAccountName: token.serviceAccount } : {}),
      // The cloud identities project their own tokens; the Kubernetes API is never called.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: props.runAsUser, runAsGroup: props.runAsUser, fsGroup: props.runAsUser, seccompProfile: { type: "RuntimeDefault" } },
      ...(token
        ? {
            initContainers: [
              {
                ...token.container,
                env: [
                  ...(token.container.env ?? []),
                  ...env.filter((e) => ["PGHOST", "PGPORT", "PGUSER"].includes(e.name)),
                  { name: "PASSWORD_FILE", value: LEDGER_PASSWORD_FILE },
                  ...(caUrl ? [{ name: "CA_URL", value: caUrl }, { name: "CA_FILE", value: LEDGER_CA_FILE }] : []),
                  // Tools that keep a cache write it to the writable /tmp.
                  { name: "HOME", value: MOUNT.tmp },
                ],
                resources,
                securityContext: HARDENED,
                volumeMounts: [
                  { name: "login", mountPath: MOUNT.login },
                  { name: "tmp", mountPath: MOUNT.tmp },
                ],
              },
            ],
          }
        : {}),
      containers: [
        {
          name: container.name,
          image: container.image,
          command: ["/bin/sh", "-c", `set -eu; export PGPASSWORD="$(cat ${passwordFile})"; ${container.script}`],
          env: [...env, ...(container.env ?? [])],
          resources,
          securityContext: HARDENED,
          volumeMounts: [
            ...Object.keys(configMaps).map((mountPath, i) => ({ name: `config-${i}`, mountPath, readOnly: true })),
            ...(caSource ? [{ name: "ca", mountPath: MOUNT.ca, readOnly: true }] : []),
            token ? { name: "login", mountPath: MOUNT.login, readOnly: true } : { name: "secret", mountPath: MOUNT.secret, readOnly: true },
            { name: "tmp", mountPath: MOUNT.tmp },
          ],
        },
      ],
      volumes: [
        ...configVolumes,
        ...(caSource ? [{ name: "ca", projected: { defaultMode: 0o444, sources: [caSource] } }] : []),
        secret
          ? { name: "secret", secret: { secretName: secret.name, defaultMode: 0o440, items: [{ key: secret.key, path: "password" }] } }
          : { name: "login", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
        { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
      ],
    },
  };
}

/**
 * The SQL audit ledger's schema and upkeep, in the cluster: the migrations (audit/sql)
 * in a ConfigMap, applied by a Job that Helm runs after every install and upgrade of the
 * release and waits for (a failed migration fails the deploy); the Job's name carries
 * the migrations' digest, so a new kit version's migrations upgrade the release and
 * run. On a managed server an admin Job runs first (hook weight) and creates the owner
 * role, the database and the logins. Then the database is closed to everyone but the
 * listed clients. A CronJob keeps partitions three months ahead and drops whole expired
 * months (never single rows). All connect over TLS verifying the server's name; a
 * password is read from a file (a Secret key, or a token an init container makes with
 * the pod's cloud identity), never from an environment value in the manifest.
 */
export class AuditLedger extends Construct {
  readonly release: Manifests["release"];
  /** The digest of the migrations the Job applies. */
  readonly migrationsDigest: string;
  /** For the compliance checks (IComplianceFacts): how long events are kept. */
  readonly complianceFacts: { readonly kind: "audit-ledger"; readonly attrs: { readonly retentionMonths: number } };

  constructor(scope: Construct, id: string, props: AuditLedgerProps) {
    super(scope, id);
    setComponent(this, "audit");
    if (!Number.isInteger(props.retentionMonths) || props.retentionMonths < 1) {
      throw new Error(`AuditLedger ${id}: retentionMonths must be a whole number of months, at least 1 (got ${props.retentionMonths})`);
    }
    // Scripts reach the shell inside quotes: logins are checked to hold none (a login known
    // only at apply is a cloud identity's name, which cannot hold one).
    for (const login of [props.admin?.login.user, props.migrator.user, props.maintainer.user, ...props.clients].filter((l) => l !== undefined)) {
      if (!Token.isUnresolved(login) && !/^[A-Za-z0-9_@.-]{1,63}$/.test(login)) throw new Error(`AuditLedger ${id}: ${JSON.stringify(login)} is not a login name the Jobs can quote (letters, digits, _ @ . -)`);
    }
    const logins = [props.admin?.login, props.migrator, props.maintainer].filter((l) => l !== undefined);
    if ("url" in props.database.ca && logins.some((l) => !("token" in l.password))) {
      throw new Error(`AuditLedger ${id}: database.ca.url is fetched by the logins' token containers: every login needs password.token`);
    }
    const files: Record<string, string> = Object.fromEntries(
      readdirSync(MIGRATIONS_DIR)
        .filter((f) => /^V\d+__\w+\.sql$/.test(f) || f === "migrate.sh")
        .sort()
        .map((f) => [f, readFileSync(join(MIGRATIONS_DIR, f), "utf8")]),
    );
    if (props.admin) files["admin.sql"] = props.admin.sql;
    this.complianceFacts = { kind: "audit-ledger", attrs: { retentionMonths: props.retentionMonths } };
    this.migrationsDigest = createHash("sha256").update(JSON.stringify(files)).digest("hex");
    const labels = { ...props.labels, "app.kubernetes.io/part-of": "audit-ledger" };
    const metadata = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: props.namespace, labels, ...extra });
    const db = props.database;
    const database = db.database ?? AUDIT_DATABASE;

    const pod = (name: string, login: LedgerLogin, script: string, connectTo = database) =>
      ledgerPod({ database: { ...db, database: connectTo }, login, labels, runAsUser: props.runAsUser, container: { name, image: props.image, script } });

    const quote = (role: string) => `"${role}"`;
    const closeDatabase = [
      `REVOKE CONNECT, TEMPORARY ON DATABASE ${quote(database)} FROM PUBLIC;`,
      ...[...new Set([props.maintainer.user, ...props.clients])].map((login) => `GRANT CONNECT ON DATABASE ${quote(database)} TO ${quote(login)};`),
    ].join(" ");
    const grants = (props.memberships ?? []).map((m) => `GRANT ${m.group} TO ${quote(m.login)};`).join(" ");
    for (const m of props.memberships ?? []) {
      if (!Token.isUnresolved(m.login) && !/^[A-Za-z0-9_@.-]{1,63}$/.test(m.login)) throw new Error(`AuditLedger ${id}: ${JSON.stringify(m.login)} is not a login name the Jobs can quote (letters, digits, _ @ . -)`);
    }
    const maintain = `SELECT audit.ensure_partitions(3); SELECT * FROM audit.drop_expired_partitions(interval '${props.retentionMonths} months');`;
    const hookJob = (name: string, weight: number, template: unknown) => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: metadata(`${name}-${this.migrationsDigest.slice(0, 10)}`, {
        annotations: {
          // After the ConfigMap exists; Helm waits for each in weight order and fails the release if one fails.
          "helm.sh/hook": "post-install,post-upgrade",
          "helm.sh/hook-weight": String(weight),
          "helm.sh/hook-delete-policy": "before-hook-creation",
        },
      }),
      spec: {
        // Retries cover a database that is still starting, or roles and grants not there yet.
        backoffLimit: 6,
        activeDeadlineSeconds: 1800,
        ttlSecondsAfterFinished: 7 * 24 * 3600,
        template,
      },
    });

    this.release = new Manifests(this, "Ledger", {
      name: "audit-ledger",
      namespace: props.namespace,
      objects: [
        { apiVersion: "v1", kind: "ConfigMap", metadata: metadata("audit-migrations"), data: files },
        ...(props.admin ? [hookJob("audit-setup", -5, pod("setup", props.admin.login, `psql -v ON_ERROR_STOP=1 -X -q -f ${MOUNT.migrations}/admin.sql`, "postgres"))] : []),
        hookJob("audit-migrate", 0, pod("migrate", props.migrator, `sh ${MOUNT.migrations}/migrate.sh && psql -v ON_ERROR_STOP=1 -X -q -c '${grants} ${closeDatabase}'`)),
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: metadata("audit-retention"),
          spec: {
            schedule: props.schedule ?? "17 3 * * *",
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: { spec: { backoffLimit: 3, activeDeadlineSeconds: 3600, template: pod("retention", props.maintainer, `psql -v ON_ERROR_STOP=1 -X -c "${maintain}"`) } },
          },
        },
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: metadata("audit-verify"),
          spec: {
            schedule: props.verifySchedule ?? "47 4 * * *",
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            // A broken link fails the Job (kube_job_status_failed: the ledger's alert) and its log names the row.
            jobTemplate: { spec: { backoffLimit: 0, activeDeadlineSeconds: 6 * 3600, template: pod("verify", props.maintainer, VERIFY_SCRIPT) } },
          },
        },
      ],
      dependsOn: props.dependsOn,
    }).release;
  }
}
