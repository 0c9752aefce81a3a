import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { helmYaml } from "../core/helm";
import { setComponent } from "../core/tags";
import { label, requireProp } from "../core/validate";
import { NAMESPACE_NAME } from "../platform/namespaces";

/** Where the application finds its audit events' store (the seed's `auditProvider`.database). */
export interface AuditDatabaseEndpoint {
  /** The server's host name (a token of another resource is fine). */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default "audit" */
  readonly database?: string;
  /** How long events are kept, as the spec says it, e.g. "7-years". */
  readonly retention: string;
  /** The Kubernetes Secret, in each namespace, holding the application's login (`username`, `password`): its name, never its content. @default - none named */
  readonly credentialsSecret?: string;
}

/** The chain the application writes to or reads anchors from (the seed's `auditProvider`.blockchain). */
export interface AuditChainEndpoint {
  readonly type: "besu" | "ethereum" | "polygon" | "fabric";
  /** A short name such as private or mainnet. */
  readonly network: string;
  /** The JSON-RPC (or Fabric gateway) URL; for Besu here, BesuNetwork.rpcUrl. */
  readonly endpoint: string;
  /** The audit contract, once deployed. @default - none yet */
  readonly contractAddress?: string;
}

export interface AuditProviderConfigProps {
  /** The namespaces of the applications that record audit events: each gets the ConfigMap. */
  readonly namespaces: readonly string[];
  /** The backend the application writes to. */
  readonly type: "database" | "blockchain";
  /** Required with type database; with type blockchain, where anchoring reads from, if anywhere. @default - none */
  readonly database?: AuditDatabaseEndpoint;
  /** Required with type blockchain; with type database, the chain the ledger's head is anchored on, if any. @default - none */
  readonly blockchain?: AuditChainEndpoint;
  /** The events the application records. */
  readonly events: readonly string[];
  /** Labels of the ConfigMaps. @default {} */
  readonly labels?: Record<string, string>;
  /** What the ConfigMaps wait for: the namespaces. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * What the application reads to find its audit backend: in each namespace a ConfigMap
 * `audit-provider` whose key `audit.yml` holds the seed's `auditProvider` document (type,
 * database {type, endpoint host:port, database, retention}, blockchain {type, network,
 * endpoint, contractAddress}, events). Names and addresses only: credentials reach the
 * pods as Secrets synced by External Secrets, which `credentialsSecret` names.
 */
export class AuditProviderConfig extends Construct {
  static readonly NAME = "audit-provider";
  /** The ConfigMap key: the seed's config/audit.yml, so the file can be mounted as is. */
  static readonly KEY = "audit.yml";

  /** The document every ConfigMap holds. */
  readonly document: { readonly auditProvider: Record<string, unknown> };
  /** The ConfigMap of each namespace, by namespace. */
  readonly configMaps: Record<string, ConfigMapV1>;

  constructor(scope: Construct, id: string, props: AuditProviderConfigProps) {
    super(scope, id);
    setComponent(this, "audit");
    this.validate(props);
    const db = props.database;
    const chain = props.blockchain;
    this.document = {
      auditProvider: {
        type: props.type,
        ...(db && {
          database: {
            type: "postgresql",
            endpoint: `${db.host}:${db.port ?? 5432}`,
            database: db.database ?? "audit",
            retention: db.retention,
            ...(db.credentialsSecret && { credentialsSecret: db.credentialsSecret }),
          },
        }),
        ...(chain && {
          blockchain: {
            type: chain.type,
            network: chain.network,
            endpoint: chain.endpoint,
            ...(chain.contractAddress && { contractAddress: chain.contractAddress }),
          },
        }),
        events: [...props.events],
      },
    };
    // YAML 1.1-safe quoting for any reader, and Terraform's template characters escaped
    // (tokens such as a managed server's host still resolve).
    const text = helmYaml(this.document);
    this.configMaps = Object.fromEntries(
      props.namespaces.map((namespace) => [
        namespace,
        new ConfigMapV1(this, `ConfigMap-${namespace}`, {
          metadata: { name: AuditProviderConfig.NAME, namespace, labels: { ...props.labels, "app.kubernetes.io/name": AuditProviderConfig.NAME } },
          data: { [AuditProviderConfig.KEY]: text },
          dependsOn: props.dependsOn,
        }),
      ]),
    );
  }

  private validate(props: AuditProviderConfigProps): void {
    const fail = (message: string): never => {
      throw new Error(`${label(this)}: ${message}`);
    };
    if (props.namespaces.length === 0) fail("namespaces must name at least one namespace: the applications' that record audit events");
    props.namespaces.forEach((n, i) => {
      requireProp(this, `namespaces[${i}]`, n, (v) => NAMESPACE_NAME.test(v), 'a DNS label of a-z, 0-9 and "-"');
      if (props.namespaces.indexOf(n) !== i) fail(`namespaces[${i}] ${JSON.stringify(n)} is listed twice`);
    });
    if (props.type === "database" && !props.database) fail("database is required with type database: the ledger's host and retention");
    if (props.type === "blockchain" && !props.blockchain) fail("blockchain is required with type blockchain: the chain's type, network and endpoint");
    if (props.events.length === 0) fail("events must list at least one event");
    props.events.forEach((e, i) => requireProp(this, `events[${i}]`, e, (v) => /^[a-z][a-z0-9_]{0,62}$/.test(v), "a lower-case event name such as data_access"));
    const db = props.database;
    if (db) {
      requireProp(this, "database.port", db.port, (p) => Number.isInteger(p) && p >= 1 && p <= 65535, "a TCP port");
      requireProp(this, "database.retention", db.retention, (r) => /^[1-9]\d{0,3}-(days|months|years)$/.test(r), 'a count and a unit, such as "7-years"');
    }
    const chain = props.blockchain;
    if (chain) {
      requireProp(this, "blockchain.endpoint", chain.endpoint, (u) => /^https?:\/\/\S+$/.test(u), "an http(s) URL");
      requireProp(this, "blockchain.contractAddress", chain.contractAddress, (a) => /^0x[0-9a-fA-F]{40}$/.test(a), "a 20-byte address, 0x and 40 hex digits");
    }
    // A credential pasted where a Secret's name belongs would land in a ConfigMap every pod can read.
    const secret = db?.credentialsSecret;
    if (secret !== undefined && !Token.isUnresolved(secret) && !NAMESPACE_NAME.test(secret)) fail("database.credentialsSecret must be a Kubernetes Secret's name (a DNS label), never the credential");
  }
}
