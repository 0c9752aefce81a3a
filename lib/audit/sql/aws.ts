import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IEksCluster } from "../../cluster/eks";
import { setComponent } from "../../core/tags";
import type { INamespace } from "../../platform/namespaces";
import { AUDIT_DATABASE, type AuditLedgerProps, type LedgerAdminStep, type LedgerDatabase, type LedgerLogin } from "./ledger";
import type { ICloudAuditLogins } from "./cloud";
import { AWS_CLI_IMAGE } from "./images";
import { AUDIT_ROLES, createDatabaseSql } from "./roles";

/** The RDS instance the audit database lives on. */
export interface AwsAuditServer {
  /** The instance's private host name. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** The instance's DbiResourceId: what `rds-db:connect` names. */
  readonly resourceId: string;
  /** The master user's name. */
  readonly masterUser: string;
  /** The secret RDS keeps the master credentials in (manage_master_user_password). */
  readonly masterSecretArn: string;
  /** The key that encrypts that secret. */
  readonly masterSecretKeyArn: string;
}

export interface AwsAuditLoginsProps {
  readonly cluster: IEksCluster;
  /** Where the ledger's Jobs run; their service accounts are created here. */
  readonly namespace: INamespace;
  readonly server: AwsAuditServer;
  /** @default AWS_CLI_IMAGE */
  readonly awsCliImage?: string;
}

/**
 * The audit ledger's logins on RDS for PostgreSQL, with no password anywhere but RDS's
 * own secret. A setup Job signs in as the master user (its password read from that
 * secret at run time by its Pod Identity role, which may read that one secret) and
 * creates the migrating, maintaining and application logins, each granted `rds_iam`:
 * they sign in with IAM tokens (15 minutes, computed in the pod by the AWS CLI from
 * the pod's own role, which may `rds-db:connect` as that login only). The database is
 * created owned by the migrating login, which creates the ledger's group roles and so
 * may grant them. The server's CA bundle is fetched from RDS's trust store.
 */
export class AwsAuditLogins extends Construct implements ICloudAuditLogins {
  readonly admin: LedgerAdminStep;
  readonly migrator: LedgerLogin;
  readonly maintainer: LedgerLogin;
  readonly database: LedgerDatabase;
  readonly memberships: NonNullable<AuditLedgerProps["memberships"]>;
  /** The application's login: tenants' roles get `appStatement` to sign in as it. */
  readonly clients: string[] = [AUDIT_ROLES.app];
  /** `rds-db:connect` as the application login, for the roles of the application's pods. */
  readonly appStatement: DataAwsIamPolicyDocumentStatement;
  /** The Pod Identity roles and associations, and the service accounts: the Jobs wait for them. */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AwsAuditLoginsProps) {
    super(scope, id);
    setComponent(this, "audit");
    const { cluster, server, namespace } = props;
    const image = props.awsCliImage ?? AWS_CLI_IMAGE;
    const dbUser = (login: string) => `arn:${cluster.partition}:rds-db:${cluster.region}:${cluster.accountId}:dbuser:${server.resourceId}/${login}`;
    const connect = (sid: string, login: string): DataAwsIamPolicyDocumentStatement => ({ sid, actions: ["rds-db:connect"], resources: [dbUser(login)] });

    const identity = (key: string, serviceAccount: string, statements: DataAwsIamPolicyDocumentStatement[]) => {
      const sa = new ServiceAccountV1(this, `${key}ServiceAccount`, {
        metadata: { name: serviceAccount, namespace: namespace.reference },
        automountServiceAccountToken: false,
        dependsOn: [namespace.ready],
      });
      const role = cluster.bindServiceAccount(this, `${key}Identity`, { namespace: namespace.name, serviceAccount, statements });
      this.grants.push(sa, ...role.grants);
      return serviceAccount;
    };
    // Each container writes what psql reads: the token (or password) and the CA bundle.
    const fetchCa = 'curl -fsS --retry 5 --retry-all-errors -o "$CA_FILE" "$CA_URL"';
    const token = (serviceAccount: string) => ({
      serviceAccount,
      container: {
        name: "iam-token",
        image,
        command: ["/bin/sh", "-c", `set -eu; ${fetchCa}; aws rds generate-db-auth-token --hostname "$PGHOST" --port "$PGPORT" --region "${cluster.region}" --username "$PGUSER" > "$PASSWORD_FILE"`],
      },
    });

    const setupSa = identity("Setup", "audit-setup", [
      { sid: "ReadMasterSecret", actions: ["secretsmanager:GetSecretValue"], resources: [server.masterSecretArn] },
      {
        sid: "DecryptThroughSecretsManager",
        actions: ["kms:Decrypt"],
        resources: [server.masterSecretKeyArn],
        condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${cluster.region}.amazonaws.com`] }],
      },
    ]);
    // The secret's JSON holds the password as a JSON string: unescaped with sed, no jq in the image.
    const masterPassword = [
      `aws secretsmanager get-secret-value --region "${cluster.region}" --secret-id "$SECRET_ARN" --query SecretString --output text`,
      `sed -n 's/.*"password" *: *"\\(\\([^"\\\\]\\|\\\\.\\)*\\)".*/\\1/p'`,
      `sed 's/\\\\\\(.\\)/\\1/g' > "$PASSWORD_FILE"`,
    ].join(" | ");
    this.admin = {
      login: {
        user: server.masterUser,
        password: {
          token: {
            serviceAccount: setupSa,
            container: { name: "master-password", image, command: ["/bin/sh", "-c", `set -eu; ${fetchCa}; ${masterPassword}; test -s "$PASSWORD_FILE"`], env: [{ name: "SECRET_ARN", value: server.masterSecretArn }] },
          },
        },
      },
      sql: [
        ...[AUDIT_ROLES.migrator, AUDIT_ROLES.maintainer, AUDIT_ROLES.app].map(
          (role) => `SELECT 'CREATE ROLE ${role} LOGIN${role === AUDIT_ROLES.migrator ? " CREATEROLE" : ""}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') \\gexec`,
        ),
        // IAM tokens are their only way in.
        `GRANT rds_iam TO ${AUDIT_ROLES.migrator}, ${AUDIT_ROLES.maintainer}, ${AUDIT_ROLES.app};`,
        ...createDatabaseSql(AUDIT_ROLES.migrator),
        "",
      ].join("\n"),
    };
    this.migrator = { user: AUDIT_ROLES.migrator, password: { token: token(identity("Migrator", "audit-migrator", [connect("ConnectAsMigrator", AUDIT_ROLES.migrator)])) } };
    this.maintainer = { user: AUDIT_ROLES.maintainer, password: { token: token(identity("Maintainer", "audit-maintainer", [connect("ConnectAsMaintainer", AUDIT_ROLES.maintainer)])) } };
    this.memberships = [
      { login: AUDIT_ROLES.maintainer, group: "audit_maintainer" },
      { login: AUDIT_ROLES.app, group: "audit_writer" },
    ];
    this.appStatement = connect("ConnectAsAuditApplication", AUDIT_ROLES.app);
    this.database = {
      host: server.host,
      port: server.port,
      database: AUDIT_DATABASE,
      ca: { url: `https://truststore.pki.rds.amazonaws.com/${cluster.region}/${cluster.region}-bundle.pem` },
    };
  }
}
