import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { AuditAnchorJob } from "../lib/audit/anchor/job";
import { besuNetworkPlan } from "../lib/audit/besu-plan";
import { BesuNetwork } from "../lib/audit/besu/besu";
import { RPC_PORT as BESU_RPC_PORT } from "../lib/audit/besu/config";
import { AuditProviderConfig } from "../lib/audit/provider";
import { CloudAuditLedger, type ICloudAuditLogins } from "../lib/audit/sql/cloud";
import type { LedgerDatabase, LedgerLogin } from "../lib/audit/sql/ledger";
import type { INamespace } from "../lib/platform/namespaces";
import type { IPlatformTarget } from "../lib/platform/target";
import type { cloudLedgerProps } from "./audit-props";
import type { DeploymentSpec } from "../lib/config/spec";
import type { DataStoreConnection } from "../lib/data/data";
import type { IExternalSecrets } from "../lib/platform/external-secrets";
import type { Tenant } from "../lib/platform/tenants";

/** What every target's platform stack hands the audit backend. */
export interface AuditWiring {
  readonly secrets: IExternalSecrets;
  /** The Prometheus operator's CRDs (the Besu network's ServiceMonitor). Undefined with observability off. */
  readonly metricsCrds?: ITerraformDependable;
  readonly tenants: readonly Tenant[];
  /** The data layer's stores: the audit database's endpoint is the `audit` store. */
  readonly stores: readonly DataStoreConnection[];
  readonly storageClass?: string;
  /**
   * Where the SQL ledger's Jobs run and how they sign in: the anchoring job runs there
   * too, as the maintainer (who may read the chain's head). Undefined without a SQL ledger.
   */
  readonly ledger?: { readonly namespace: string; readonly database: LedgerDatabase; readonly maintainer: LedgerLogin; readonly ready: ITerraformDependable[] };
}

/** The SQL ledger on a managed cloud: its Jobs in `namespace`, reaching the target's database subnets and cloud APIs only. */
export function cloudAuditLedger(
  scope: Construct,
  spec: DeploymentSpec,
  parts: { ledger: NonNullable<ReturnType<typeof cloudLedgerProps>>; namespace: INamespace; logins: ICloudAuditLogins; target: IPlatformTarget; dependsOn?: ITerraformDependable[] },
): CloudAuditLedger {
  const { target } = parts;
  return new CloudAuditLedger(scope, "Audit", {
    ...parts.ledger,
    namespace: parts.namespace,
    logins: parts.logins,
    egress: { database: target.tenantEgress, cloudApis: target.cloudApiEgress },
    allows: anchorEgress(spec, target.tenantEgress),
    dependsOn: [...target.prerequisites, ...(parts.dependsOn ?? [])],
  });
}

/** The ledger namespace's egress to an in-cluster Besu's JSON-RPC, for the anchoring job (a default-deny namespace). */
function anchorEgress(spec: DeploymentSpec, database: { cidr: string; ports?: { port: number; protocol: "TCP" | "UDP" }[] }[]) {
  if (!spec.audit?.anchor || spec.audit.blockchain?.type !== "besu") return [];
  return [
    AuditAnchorJob.egressAllow({
      rpc: { peers: [{ namespace: BesuNetwork.DEFAULT_NAMESPACE }], ports: [{ port: BESU_RPC_PORT }] },
      database: { peers: database.map((d) => ({ cidr: d.cidr })), ports: [{ port: 5432 }] },
    }),
  ];
}

/**
 * The chain side of the spec's `audit` (a private Besu network when the chain is
 * besu) and what the application reads: the `audit-provider` ConfigMap in each tenant
 * namespace. The SQL ledger itself is per target (the data layer's server).
 */
export function auditBackend(scope: Construct, spec: DeploymentSpec, wiring: AuditWiring): void {
  const audit = spec.audit;
  if (!audit) return;
  const besu = besuNetworkPlan(audit, spec.name);
  let chainEndpoint = audit.blockchain?.endpoint;
  if (besu) {
    if (!wiring.metricsCrds) throw new Error("audit.blockchain: a besu network needs observability on (its nodes' ServiceMonitor); turn observability on or use an existing chain by endpoint");
    const network = new BesuNetwork(scope, "AuditChain", {
      ...besu,
      secrets: wiring.secrets,
      metricsCrds: wiring.metricsCrds,
      storageClass: wiring.storageClass,
      protection: spec.data.protection,
      // The applications write to the chain; the anchoring job sends the ledger's head.
      rpcClients: [...wiring.tenants.map((t) => ({ namespace: t.namespace.name })), ...(wiring.ledger && audit.anchor ? [AuditAnchorJob.peer(wiring.ledger.namespace)] : [])],
    });
    chainEndpoint = network.rpcUrl;
    // The tenants' default-deny egress lets them reach the chain's JSON-RPC (its own policy admits them).
    for (const tenant of wiring.tenants) {
      tenant.allowEgress({ name: "allow-to-audit-chain", egress: [{ peers: [{ namespace: network.namespace.name }], ports: [{ port: BESU_RPC_PORT }] }] });
    }
  }
  const anchor = audit.anchor;
  if (anchor && wiring.ledger && chainEndpoint) {
    new AuditAnchorJob(scope, "AuditAnchor", {
      deployment: spec.name,
      namespace: wiring.ledger.namespace,
      secrets: wiring.secrets,
      signingKeySecretRef: anchor.signingKey.secretRef,
      rpcUrl: chainEndpoint,
      contractAddress: anchor.contractAddress,
      chainId: besu?.chainId,
      database: wiring.ledger.database,
      login: wiring.ledger.maintainer,
      schedule: anchor.schedule,
      dependsOn: wiring.ledger.ready,
    });
  }
  // The applications that record events run in the tenant namespaces; without one, nothing reads the configuration.
  if (wiring.tenants.length === 0) return;
  const store = wiring.stores.find((s) => s.kind === "audit");
  new AuditProviderConfig(scope, "AuditProvider", {
    namespaces: wiring.tenants.map((t) => t.namespace.name),
    type: audit.type,
    database: store && { host: store.host, port: store.port, database: store.database, retention: audit.database.retention, credentialsSecret: store.credentials ? "audit-credentials" : undefined },
    blockchain: audit.blockchain && chainEndpoint ? { type: audit.blockchain.type, network: audit.blockchain.network, endpoint: chainEndpoint, contractAddress: audit.blockchain.contractAddress } : undefined,
    events: audit.events,
    dependsOn: wiring.tenants.map((t) => t.namespace.ready),
  });
}
