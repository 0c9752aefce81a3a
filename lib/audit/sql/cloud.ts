import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { Naming } from "../../core/naming";
import { namingOf } from "../../core/naming";
import { setComponent } from "../../core/tags";
import type { INamespace } from "../../platform/namespaces";
import { AddonNetworkPolicy, egressRules, EVERY_POD, type NetworkAllow } from "../../platform/network-policies";
import type { TenantEgress } from "../../platform/target";
import { AuditLedger, type AuditLedgerProps, type LedgerAdminStep, type LedgerDatabase, type LedgerLogin } from "./ledger";

/** What a managed cloud's logins give the ledger: one implementation per cloud (aws.ts, ...). */
export interface ICloudAuditLogins {
  readonly admin: LedgerAdminStep;
  readonly migrator: LedgerLogin;
  readonly maintainer: LedgerLogin;
  readonly database: LedgerDatabase;
  readonly memberships: NonNullable<AuditLedgerProps["memberships"]>;
  /** The application's login(s), granted CONNECT. */
  readonly clients: string[];
  /** Roles, identities and service accounts the Jobs wait for. */
  readonly grants: ITerraformDependable[];
}

export interface CloudAuditLedgerProps {
  /** The ledger's own namespace (the logins' service accounts are in it). */
  readonly namespace: INamespace;
  readonly logins: ICloudAuditLogins;
  /** Where the database answers (the data subnets), and the cloud APIs the token containers call. */
  readonly egress: { readonly database: readonly TenantEgress[]; readonly cloudApis: readonly TenantEgress[] };
  readonly retentionMonths: number;
  /** psql's image and its user id. */
  readonly image: string;
  readonly runAsUser: number;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** More egress for pods of the namespace (the anchoring job's JSON-RPC). @default [] */
  readonly allows?: readonly NetworkAllow[];
  /** @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The audit ledger on a managed cloud's PostgreSQL: the ledger's Jobs (AuditLedger) in
 * their own namespace under default-deny NetworkPolicies that let them reach only the
 * database, the cluster's DNS and the cloud APIs their tokens come from.
 */
export class CloudAuditLedger extends Construct {
  readonly ledger: AuditLedger;
  /** Where the ledger's Jobs run and how the maintainer signs in: other ledger jobs (anchoring) reuse it. */
  readonly access: { readonly namespace: string; readonly database: LedgerDatabase; readonly maintainer: LedgerLogin; readonly ready: ITerraformDependable[] };

  constructor(scope: Construct, id: string, props: CloudAuditLedgerProps) {
    super(scope, id);
    setComponent(this, "audit");
    const naming = namingOf(this, props.naming);
    const policies = new AddonNetworkPolicy(this, "NetworkPolicy", {
      namespace: props.namespace,
      naming,
      component: "audit",
      allows: [
        { name: "allow-database", pods: EVERY_POD, egress: egressRules(props.egress.database) },
        { name: "allow-cloud-apis", pods: EVERY_POD, egress: egressRules(props.egress.cloudApis) },
        ...(props.allows ?? []),
      ],
    });
    const { logins } = props;
    this.ledger = new AuditLedger(this, "Ledger", {
      deployment: naming.deployment,
      namespace: props.namespace.name,
      database: logins.database,
      admin: logins.admin,
      migrator: logins.migrator,
      maintainer: logins.maintainer,
      memberships: logins.memberships,
      clients: logins.clients,
      retentionMonths: props.retentionMonths,
      image: props.image,
      runAsUser: props.runAsUser,
      labels: { "app.kubernetes.io/component": "audit" },
      dependsOn: [props.namespace.ready, ...policies.policies, ...logins.grants, ...(props.dependsOn ?? [])],
    });
    this.access = { namespace: props.namespace.name, database: logins.database, maintainer: logins.maintainer, ready: [this.ledger.release] };
  }
}
