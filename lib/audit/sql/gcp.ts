import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IGkeCluster } from "../../cluster/gke";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import type { INamespace } from "../../platform/namespaces";
import type { ICloudAuditLogins } from "./cloud";
import { CURL_IMAGE } from "./images";
import { AUDIT_DATABASE, type AuditLedgerProps, type LedgerAdminStep, type LedgerDatabase, type LedgerLogin, type LedgerToken } from "./ledger";
import { AUDIT_ROLES, createDatabaseSql } from "./roles";

/**
 * Cloud SQL's role that every IAM service-account user is made a member of: the ledger's
 * application grants go to it, so each tenant's IAM user (created with the tenant) can
 * append without another setup run.
 */
export const CLOUD_SQL_IAM_SERVICE_ACCOUNTS = "cloudsqliamserviceaccount";

/** The Cloud SQL instance the audit database lives on. */
export interface GcpAuditServer {
  readonly project: string;
  /** The instance's name. */
  readonly instance: string;
  /** Its private IP. */
  readonly host: string;
  /** The PEM of the instance's own CA (`server_ca_cert`). */
  readonly serverCa: string;
}

export interface GcpAuditLoginsProps {
  readonly cluster: IGkeCluster;
  /** Where the ledger's Jobs run; their service accounts are created here. */
  readonly namespace: INamespace;
  readonly server: GcpAuditServer;
  /** @default CURL_IMAGE */
  readonly curlImage?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * The audit ledger's logins on Cloud SQL for PostgreSQL, all IAM service-account users
 * (no password exists): a Google service account per Job (setup, migrator, maintainer),
 * each bound through Workload Identity to its Kubernetes service account and allowed to
 * sign in to this instance only. The setup Job's account may also update this
 * instance's users: it gives its own database user `cloudsqlsuperuser` through the
 * Admin API (the prebuilt provider has no `database_roles`), then acts as that role to
 * create the migrating NOLOGIN owner, the database, and the migrator's membership.
 * Tokens come from the GKE metadata server; TLS is checked against the instance's own
 * CA (`verify-ca`: its certificate names the instance, not its address).
 */
export class GcpAuditLogins extends Construct implements ICloudAuditLogins {
  readonly admin: LedgerAdminStep;
  readonly migrator: LedgerLogin;
  readonly maintainer: LedgerLogin;
  readonly database: LedgerDatabase;
  readonly memberships: NonNullable<AuditLedgerProps["memberships"]>;
  readonly clients: string[] = [CLOUD_SQL_IAM_SERVICE_ACCOUNTS];
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: GcpAuditLoginsProps) {
    super(scope, id);
    setComponent(this, "audit");
    const { cluster, server, namespace } = props;
    const naming = namingOf(this, props.naming);
    const image = props.curlImage ?? CURL_IMAGE;
    const onInstance = {
      title: `${server.instance} only`,
      description: `The Cloud SQL instance ${server.instance}`,
      expression: `resource.name == "projects/${server.project}/instances/${server.instance}" && resource.type == "sqladmin.googleapis.com/Instance"`,
    };

    /** A Google service account for the Job, its Workload Identity binding, and its database user; returns the user's name. */
    const identity = (key: string, serviceAccount: string, roles: string[]) => {
      const gsa = new ServiceAccount(this, `${key}ServiceAccount`, {
        project: server.project,
        accountId: naming.name(serviceAccount, undefined, 30),
        displayName: `${cluster.name} ${namespace.name}/${serviceAccount}`,
        description: `The audit ledger's ${serviceAccount} Job (Workload Identity)`,
      });
      const binding = new ServiceAccountIamMember(this, `${key}WorkloadIdentity`, {
        serviceAccountId: gsa.name,
        role: "roles/iam.workloadIdentityUser",
        member: `serviceAccount:${cluster.workloadPool}[${namespace.name}/${serviceAccount}]`,
      });
      const member = gsa.member;
      const iam = roles.map((role) => new ProjectIamMember(this, `${key}${role.split(".")[1]}`, { project: server.project, role, member, condition: onInstance }));
      // Cloud SQL names a service account's user by its email without the domain suffix.
      const user = Fn.trimsuffix(gsa.email, ".gserviceaccount.com");
      const sqlUser = new SqlUser(this, `${key}DatabaseUser`, { project: server.project, instance: server.instance, name: user, type: "CLOUD_IAM_SERVICE_ACCOUNT", deletionPolicy: "ABANDON" });
      const sa = new ServiceAccountV1(this, `${key}KubernetesServiceAccount`, {
        metadata: { name: serviceAccount, namespace: namespace.reference, annotations: { "iam.gke.io/gcp-service-account": gsa.email } },
        automountServiceAccountToken: false,
        dependsOn: [namespace.ready],
      });
      this.grants.push(binding, ...iam, sqlUser, sa);
      return user;
    };
    const login = ["roles/cloudsql.instanceUser", "roles/cloudsql.client"];
    const accessToken = `tok=$(curl -fsS --retry 5 -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token | sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p'); test -n "$tok"`;
    const token = (serviceAccount: string, extra = ""): LedgerToken => ({
      serviceAccount,
      container: { name: "iam-token", image, command: ["/bin/sh", "-c", `set -eu; ${accessToken}; ${extra}printf %s "$tok" > "$PASSWORD_FILE"`] },
    });

    // The Admin API's users.update adds cloudsqlsuperuser to the setup user (an operation, awaited).
    const api = `https://sqladmin.googleapis.com/v1/projects/${server.project}`;
    const selfGrant = [
      `link=$(curl -fsS --retry 5 -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' "${api}/instances/${server.instance}/users?name=$PGUSER&databaseRoles=cloudsqlsuperuser" -d "{\\"name\\": \\"$PGUSER\\", \\"type\\": \\"CLOUD_IAM_SERVICE_ACCOUNT\\"}" | sed -n 's/.*"selfLink" *: *"\\([^"]*\\)".*/\\1/p')`,
      "status=''",
      `for i in $(seq 60); do status=$(curl -fsS -H "Authorization: Bearer $tok" "$link" | sed -n 's/.*"status" *: *"\\([^"]*\\)".*/\\1/p'); [ "$status" = DONE ] && break; sleep 5; done`,
      `[ "$status" = DONE ] || { echo "users.update did not finish: $status" >&2; exit 1; }; `,
    ].join("; ");
    const setupUser = identity("Setup", "audit-setup", [...login, "roles/cloudsql.admin"]);
    const migratorUser = identity("Migrator", "audit-migrator", login);
    const maintainerUser = identity("Maintainer", "audit-maintainer", login);

    this.admin = {
      // Role attributes are not inherited: it acts as cloudsqlsuperuser to create roles and databases.
      login: { user: setupUser, role: "cloudsqlsuperuser", password: { token: token("audit-setup", selfGrant) } },
      sql: [
        `SELECT 'CREATE ROLE ${AUDIT_ROLES.migrator} NOLOGIN CREATEROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AUDIT_ROLES.migrator}') \\gexec`,
        ...createDatabaseSql(AUDIT_ROLES.migrator),
        `GRANT ${AUDIT_ROLES.migrator} TO "${migratorUser}";`,
        "",
      ].join("\n"),
    };
    this.migrator = { user: migratorUser, role: AUDIT_ROLES.migrator, password: { token: token("audit-migrator") } };
    this.maintainer = { user: maintainerUser, password: { token: token("audit-maintainer") } };
    this.memberships = [
      { login: maintainerUser, group: "audit_maintainer" },
      { login: CLOUD_SQL_IAM_SERVICE_ACCOUNTS, group: "audit_writer" },
    ];
    const ca = new ConfigMapV1(this, "ServerCa", {
      metadata: { name: "audit-server-ca", namespace: namespace.reference },
      data: { "ca.crt": server.serverCa },
      dependsOn: [namespace.ready],
    });
    this.grants.push(ca);
    this.database = {
      host: server.host,
      database: AUDIT_DATABASE,
      sslmode: "verify-ca",
      ca: { configMap: { name: "audit-server-ca", key: "ca.crt" } },
    };
  }
}
