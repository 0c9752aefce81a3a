import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IAksCluster } from "../../cluster/aks";
import { AksWorkloadIdentity } from "../../cluster/aks-workload-identity";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import type { IAzureEntraLogin } from "../../data/azure-store";
import type { INamespace } from "../../platform/namespaces";
import type { ICloudAuditLogins } from "./cloud";
import { CURL_IMAGE } from "./images";
import { AUDIT_DATABASE, type AuditLedgerProps, type LedgerAdminStep, type LedgerDatabase, type LedgerLogin, type LedgerToken } from "./ledger";
import { AUDIT_ROLES, createDatabaseSql } from "./roles";

/** What an Entra token for Azure Database for PostgreSQL is issued for. */
export const OSSRDBMS_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

/** The Entra principal the migration Job signs in as; it becomes the NOLOGIN owner role AUDIT_ROLES.migrator. */
export const AZURE_MIGRATOR_LOGIN = "audit_migrator_login";

/** The ConfigMap (in the Jobs' namespace) holding the server's root CAs, and its key. */
export const AZURE_CA_CONFIG_MAP = { name: "audit-server-ca", key: "ca.crt" } as const;

/** The service accounts the Jobs run as, one identity each. */
export const AZURE_AUDIT_SERVICE_ACCOUNTS = { setup: "audit-setup", migrator: "audit-migrator", maintainer: "audit-maintainer" } as const;

/** The roots Azure Database for PostgreSQL's certificates chain to (audit/azure), found from this file in the source tree and in the built package. */
const CA_FILES = ["digicert-global-root-g2.pem", "microsoft-rsa-root-ca-2017.pem"];
const CA_DIR = (() => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "audit", "azure");
    if (existsSync(join(candidate, CA_FILES[0]))) return candidate;
  }
  throw new Error(`audit/azure/${CA_FILES[0]} not found above ${__dirname}`);
})();

/** The server's root CAs as one PEM bundle (libpq skips the comment lines between certificates). */
export function azurePostgresRootCas(): string {
  return CA_FILES.map((f) => readFileSync(join(CA_DIR, f), "utf8")).join("");
}

/**
 * Exchanges the pod's projected service-account token (put there by the workload
 * identity webhook, with AZURE_* set) for an Entra access token for PostgreSQL: a
 * client-credentials grant whose client assertion is that token, read by curl from
 * its file, never from the command line. Transient failures are retried; a refused
 * exchange fails at once (the Job retries the pod). A JWT holds no quote, so sed can
 * take it out of the JSON answer; an empty file fails the container.
 */
export const ENTRA_TOKEN_SCRIPT = [
  "set -eu",
  [
    'curl -fsS --retry 5 --retry-connrefused --max-time 30 -X POST "${AZURE_AUTHORITY_HOST%/}/${AZURE_TENANT_ID}/oauth2/v2.0/token"',
    '--data-urlencode "client_id=${AZURE_CLIENT_ID}"',
    "--data-urlencode grant_type=client_credentials",
    `--data-urlencode "scope=${OSSRDBMS_SCOPE}"`,
    "--data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    '--data-urlencode "client_assertion@${AZURE_FEDERATED_TOKEN_FILE}"',
    `| sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p' > "$PASSWORD_FILE"`,
  ].join(" "),
  'test -s "$PASSWORD_FILE"',
].join("; ");

/** The flexible server the audit database lives on (Entra authentication only). */
export interface AzureAuditServer {
  /** The server's private host name. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** Makes the setup identity an Entra administrator of the server (the kit's AzurePostgres). */
  readonly entra: IAzureEntraLogin;
}

export interface AzureAuditLoginsProps {
  /** The identities live in its resource group and trust its OIDC issuer. */
  readonly cluster: IAksCluster;
  /** Where the ledger's Jobs run; their service accounts are created here. */
  readonly namespace: INamespace;
  readonly server: AzureAuditServer;
  /**
   * The PostgreSQL roles of the application's identities (on AzurePostgres a tenant's
   * workload identity signs in as its identity's name, an Entra administrator): each
   * is granted audit_writer and CONNECT on the audit database. They must exist when the
   * migration Job runs (it retries until they do).
   */
  readonly applicationLogins: string[];
  /** @default CURL_IMAGE */
  readonly curlImage?: string;
  /** Names the identities. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * The audit ledger's logins on Azure Database for PostgreSQL with Entra ID as the only
 * way in, and no password anywhere. Three user-assigned identities, one per Job's
 * service account: only the setup identity is an Entra administrator. The setup Job
 * signs in as it and creates the NOLOGIN owner role `audit_migrator` (CREATEROLE), the
 * database it owns, and the Entra principals of the other two identities
 * (pgaadauth_create_principal_with_oid, matched by object id): the migrating login, a
 * member of `audit_migrator` that becomes it at connection (a role Azure creates cannot
 * be altered by an admin from PostgreSQL 16 on), and the maintaining login. Every
 * token is exchanged in the pod by curl from the projected service-account token. The
 * server's root CAs ship with the kit (audit/azure) in a ConfigMap: no download at run
 * time.
 */
export class AzureAuditLogins extends Construct implements ICloudAuditLogins {
  readonly admin: LedgerAdminStep;
  readonly migrator: LedgerLogin;
  readonly maintainer: LedgerLogin;
  readonly database: LedgerDatabase;
  readonly memberships: NonNullable<AuditLedgerProps["memberships"]>;
  /** The application's logins (applicationLogins), granted CONNECT. */
  readonly clients: string[];
  /** The service accounts, the federated credentials, the setup identity's Entra administrator and the CA ConfigMap: the Jobs wait for them. */
  readonly grants: ITerraformDependable[] = [];
  /** The setup identity's Entra administrator assignment (the only one this construct makes). */
  readonly entraAdmin: ITerraformDependable;
  /** The identities, by Job. */
  readonly identities: Readonly<Record<keyof typeof AZURE_AUDIT_SERVICE_ACCOUNTS, AksWorkloadIdentity>>;

  constructor(scope: Construct, id: string, props: AzureAuditLoginsProps) {
    super(scope, id);
    setComponent(this, "audit");
    const { cluster, namespace, server } = props;
    const naming = namingOf(this, props.naming);
    const image = props.curlImage ?? CURL_IMAGE;

    const bind = (key: string, serviceAccount: string): AksWorkloadIdentity => {
      const bound = new AksWorkloadIdentity(this, `${key}Identity`, { cluster, naming, serviceAccount: { namespace: namespace.name, name: serviceAccount } });
      const sa = new ServiceAccountV1(this, `${key}ServiceAccount`, {
        metadata: { name: serviceAccount, namespace: namespace.reference, annotations: bound.workloadIdentity.serviceAccountAnnotations },
        // The webhook projects the Entra audience's token itself; no Kubernetes API token.
        automountServiceAccountToken: false,
        dependsOn: [namespace.ready],
      });
      this.grants.push(sa, bound.credential);
      return bound;
    };
    const token = (bound: AksWorkloadIdentity, serviceAccount: string): { token: LedgerToken } => ({
      token: {
        serviceAccount,
        podLabels: bound.workloadIdentity.podLabels,
        container: { name: "entra-token", image, command: ["/bin/sh", "-c", ENTRA_TOKEN_SCRIPT] },
      },
    });
    const sas = AZURE_AUDIT_SERVICE_ACCOUNTS;
    this.identities = { setup: bind("Setup", sas.setup), migrator: bind("Migrator", sas.migrator), maintainer: bind("Maintainer", sas.maintainer) };

    this.entraAdmin = server.entra.allowEntraLogin(this, "SetupEntraAdmin", this.identities.setup.identity);
    const ca = new ConfigMapV1(this, "ServerCa", {
      metadata: { name: AZURE_CA_CONFIG_MAP.name, namespace: namespace.reference },
      data: { [AZURE_CA_CONFIG_MAP.key]: azurePostgresRootCas() },
      dependsOn: [namespace.ready],
    });
    this.grants.push(this.entraAdmin, ca);

    // An Entra administrator's role is named after its principal: the identity's name,
    // which AksWorkloadIdentity derives from the naming and the service account.
    const setupLogin = naming.name("wi", `${namespace.name}-${sas.setup}`, 120);
    const principal = (role: string, bound: AksWorkloadIdentity) =>
      `SELECT pgaadauth_create_principal_with_oid('${role}', '${bound.identity.principalId}', 'service', false, false) WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}');`;
    this.admin = {
      login: { user: setupLogin, password: token(this.identities.setup, sas.setup) },
      sql: [
        `SELECT 'CREATE ROLE ${AUDIT_ROLES.migrator} NOLOGIN CREATEROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AUDIT_ROLES.migrator}') \\gexec`,
        ...createDatabaseSql(AUDIT_ROLES.migrator),
        // Not administrators: the server knows them by their identities' object ids.
        principal(AZURE_MIGRATOR_LOGIN, this.identities.migrator),
        principal(AUDIT_ROLES.maintainer, this.identities.maintainer),
        // Needs ADMIN on audit_migrator only, which its creator holds.
        `GRANT ${AUDIT_ROLES.migrator} TO ${AZURE_MIGRATOR_LOGIN};`,
        "",
      ].join("\n"),
    };
    this.migrator = { user: AZURE_MIGRATOR_LOGIN, role: AUDIT_ROLES.migrator, password: token(this.identities.migrator, sas.migrator) };
    this.maintainer = { user: AUDIT_ROLES.maintainer, password: token(this.identities.maintainer, sas.maintainer) };
    this.clients = [...props.applicationLogins];
    this.memberships = [
      { login: AUDIT_ROLES.maintainer, group: "audit_maintainer" },
      ...props.applicationLogins.map((login) => ({ login, group: "audit_writer" as const })),
    ];
    this.database = { host: server.host, port: server.port, database: AUDIT_DATABASE, ca: { configMap: { ...AZURE_CA_CONFIG_MAP } } };
  }
}
