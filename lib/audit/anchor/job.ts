import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../../core/helm";
import { setComponent } from "../../core/tags";
import { label, requireInt, requireProp } from "../../core/validate";
import type { IExternalSecrets } from "../../platform/external-secrets";
import { NAMESPACE_NAME } from "../../platform/namespaces";
import { CLUSTER_DNS, type NetworkAllow, type NetworkPeer, type NetworkRule } from "../../platform/network-policies";
import { ledgerPod, type LedgerDatabase, type LedgerLogin } from "../sql/ledger";
import type { FeeMode } from "./anchor";
import { ANCHOR_JOB_BUNDLE } from "./bundle";

/** Node.js 26 (the Active LTS line), the official image on Alpine, pinned to a release. */
export const ANCHOR_NODE_IMAGE = "docker.io/library/node:26.13.0-alpine3.24";
/** The official Node.js images' non-root user `node`. */
const NODE_UID = 1000;

const MOUNT = { program: "/opt/audit/anchor", key: "/run/audit/anchor-key" } as const;
/** The Secret key (and the secret manager's JSON property) holding the anchoring key. */
const KEY_PROPERTY = "privateKey";

/**
 * The bundled anchoring program, found from this file: beside it in the built package
 * (dist/lib/audit/anchor), or in dist/ when this file runs from the sources.
 */
export function defaultAnchorBundle(): string {
  const candidates = [join(__dirname, ANCHOR_JOB_BUNDLE)];
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) {
      candidates.push(join(dir, "dist", "lib", "audit", "anchor", ANCHOR_JOB_BUNDLE));
      break;
    }
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the anchoring job's program ${ANCHOR_JOB_BUNDLE} is not built (looked for ${candidates.join(", ")}): run npm run build`);
  return found;
}

export interface AuditAnchorJobProps {
  /** The deployment (labels). */
  readonly deployment: string;
  /** Where the job runs: a namespace whose pods reach the database and the chain's JSON-RPC, and hold the ledger's login Secrets. */
  readonly namespace: string;
  /** Syncs the anchoring key from the secret manager into the namespace. */
  readonly secrets: IExternalSecrets;
  /** The secret-manager secret whose JSON property `privateKey` holds the anchoring key (the contract's owner), 0x and 64 hex digits. */
  readonly signingKeySecretRef: string;
  /** The chain's JSON-RPC: https://, or http:// to a Service inside the cluster (BesuNetwork.rpcUrl). */
  readonly rpcUrl: string;
  /** The AuditAnchor contract (`audit-anchor deploy-contract` printed it). */
  readonly contractAddress: string;
  /** The chain id the transactions are signed for; a node of another chain is refused before signing. @default - the node's own */
  readonly chainId?: number;
  /** How transactions pay for gas (see FeeMode). @default "auto" */
  readonly fees?: FeeMode;
  /** The audit database, as the ledger's Jobs reach it. */
  readonly database: LedgerDatabase;
  /** A login that may read the ledger's head: a member of audit_reader is enough. */
  readonly login: LedgerLogin;
  /** When the head is anchored (cron, the cluster's time zone). @default AuditAnchorJob.DEFAULT_SCHEDULE */
  readonly schedule?: string;
  /** A Node.js image (20 or later) with /bin/sh. @default ANCHOR_NODE_IMAGE */
  readonly image?: string;
  /** The image's non-root user id. @default 1000 (the official images' `node`) */
  readonly runAsUser?: number;
  /** The bundled program (bundle.ts). @default - the one built beside this file (defaultAnchorBundle) */
  readonly bundle?: string;
  /** Labels every object gets. @default {} */
  readonly labels?: Record<string, string>;
  /** What must exist first: the ledger (its migrations), the login's Secret. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** The parts of ledgerPod's template this construct adds to. */
interface PodTemplate {
  spec: { containers: { volumeMounts: Record<string, unknown>[] }[]; volumes: Record<string, unknown>[] };
}

/**
 * Anchors the SQL audit ledger's head on an EVM chain on a schedule: a CronJob (one run
 * at a time) whose pod is the ledger's (`ledgerPod`: TLS with the server's name verified,
 * the password from a file, hardened, no service-account token) running the bundled
 * `audit-anchor anchor` command with a stock Node.js image. The program ships in a
 * ConfigMap; the anchoring key comes from the secret manager through an ExternalSecret
 * and is read from a mounted file, never from the manifest or an environment value.
 *
 * Egress its pods need (`AuditAnchorJob.egressAllow`): DNS, the chain's JSON-RPC (the
 * Besu RPC Service's 8545, or the external endpoint's 443) and the database's port.
 */
export class AuditAnchorJob extends Construct {
  /** The CronJob's name (alerts match it). */
  static readonly NAME = "audit-anchor";
  /** Hourly, off the full hour when other jobs start. */
  static readonly DEFAULT_SCHEDULE = "13 * * * *";
  /** Labels of the job's pods: a NetworkPolicy (BesuNetwork's `rpcClients`) selects them. */
  static readonly POD_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "audit-anchor" };

  /** The job's pods in `namespace`, as a peer of another namespace's NetworkPolicy (BesuNetwork's rpcClients). */
  static peer(namespace: string): NetworkPeer {
    return { namespace, pods: { matchLabels: { ...AuditAnchorJob.POD_LABELS } } };
  }

  /** The egress the job's pods need in a default-deny namespace: DNS, the chain's JSON-RPC, the database. */
  static egressAllow(props: { readonly rpc: NetworkRule; readonly database: NetworkRule }): NetworkAllow {
    return { name: "allow-audit-anchor", pods: { matchLabels: { ...AuditAnchorJob.POD_LABELS } }, egress: [CLUSTER_DNS, props.rpc, props.database] };
  }

  readonly release: Manifests["release"];
  readonly schedule: string;
  readonly image: string;

  constructor(scope: Construct, id: string, props: AuditAnchorJobProps) {
    super(scope, id);
    setComponent(this, "audit");
    this.validate(props);
    this.schedule = props.schedule ?? AuditAnchorJob.DEFAULT_SCHEDULE;
    this.image = props.image ?? ANCHOR_NODE_IMAGE;
    const labels = { ...props.labels, "app.kubernetes.io/part-of": "audit-ledger", ...AuditAnchorJob.POD_LABELS };
    const metadata = (name: string) => ({ name, namespace: props.namespace, labels });
    const program = readFileSync(props.bundle ?? defaultAnchorBundle(), "utf8");

    const keySecret = `${AuditAnchorJob.NAME}-key`;
    const key = props.secrets.sync(this, "SigningKey", {
      namespace: props.namespace,
      name: keySecret,
      remoteKey: props.signingKeySecretRef,
      properties: { [KEY_PROPERTY]: KEY_PROPERTY },
      dependsOn: props.dependsOn,
    });

    // node-postgres reads neither PGSSLROOTCERT nor libpq's sslmode meanings from the
    // environment: the URL carries both (uselibpqcompat: verify-ca and verify-full as libpq
    // has them); user, password and application name still come from the environment.
    const script = [
      `export DATABASE_URL="postgresql://$PGHOST:$PGPORT/$PGDATABASE?sslmode=$PGSSLMODE&sslrootcert=$PGSSLROOTCERT&uselibpqcompat=true"`,
      // The address is an argument, not an environment value: a bare 0x<40 hex> in YAML reads
      // as a number to YAML 1.1 parsers, and Helm writes it unquoted. It was checked to be hex.
      `exec node ${MOUNT.program}/${ANCHOR_JOB_BUNDLE} anchor --contract ${props.contractAddress}`,
    ].join("; ");
    const env = [
      { name: "AUDIT_ANCHOR_RPC_URL", value: props.rpcUrl },
      { name: "AUDIT_ANCHOR_FEES", value: props.fees ?? "auto" },
      { name: "AUDIT_ANCHOR_PRIVATE_KEY_FILE", value: `${MOUNT.key}/key` },
      ...(props.chainId !== undefined ? [{ name: "AUDIT_ANCHOR_CHAIN_ID", value: String(props.chainId) }] : []),
    ];
    const template = ledgerPod({
      database: props.database,
      login: props.login,
      runAsUser: props.runAsUser ?? NODE_UID,
      labels,
      configMaps: { [MOUNT.program]: AuditAnchorJob.NAME },
      container: {
        name: "anchor",
        image: this.image,
        script,
        env,
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      },
    }) as unknown as PodTemplate;
    // The key as a file readable by the pod's group only, beside what ledgerPod mounts.
    template.spec.volumes.push({ name: "anchor-key", secret: { secretName: keySecret, defaultMode: 0o440, items: [{ key: KEY_PROPERTY, path: "key" }] } });
    template.spec.containers[0].volumeMounts.push({ name: "anchor-key", mountPath: MOUNT.key, readOnly: true });

    this.release = new Manifests(this, "Anchor", {
      name: AuditAnchorJob.NAME,
      namespace: props.namespace,
      objects: [
        { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(AuditAnchorJob.NAME), data: { [ANCHOR_JOB_BUNDLE]: program } },
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: metadata(AuditAnchorJob.NAME),
          spec: {
            schedule: this.schedule,
            // Two runs at once would anchor the same head twice and race on the key's nonce.
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 1800,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            // A failed run is retried twice (an RPC node restarting), then fails the Job: the anchoring-lag alert.
            jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 900, template } },
          },
        },
      ],
      dependsOn: [key, ...(props.dependsOn ?? [])],
    }).release;
  }

  private validate(props: AuditAnchorJobProps): void {
    requireProp(this, "namespace", props.namespace, (n) => NAMESPACE_NAME.test(n), 'a DNS label of a-z, 0-9 and "-"');
    requireProp(this, "contractAddress", props.contractAddress, (a) => /^0x[0-9a-fA-F]{40}$/.test(a), "a 20-byte address, 0x and 40 hex digits");
    requireProp(this, "rpcUrl", props.rpcUrl, inClusterOrHttps, "an https:// URL, or http:// to a Service inside the cluster (<service>.<namespace>.svc[.<domain>])");
    requireProp(this, "schedule", props.schedule, (s) => /^(@(hourly|daily|weekly|monthly|yearly|annually)|\S+( \S+){4})$/.test(s), 'a cron schedule of five fields, such as "13 * * * *", or a macro such as @hourly');
    requireInt(this, "chainId", props.chainId, 1, Number.MAX_SAFE_INTEGER);
    requireInt(this, "runAsUser", props.runAsUser, 1, 2 ** 31 - 1);
    if (!Token.isUnresolved(props.signingKeySecretRef) && !/^[A-Za-z0-9/_+=.@-]{1,255}$/.test(props.signingKeySecretRef)) {
      // The name is not echoed: a key pasted here by mistake must not reach a log.
      throw new Error(`${label(this)}: signingKeySecretRef must be a secret's name in the secret manager, not the key itself`);
    }
  }
}

/** The signed transactions are not secret, but the receipts the job trusts must not be forged on the way. */
function inClusterOrHttps(url: string): boolean {
  const m = /^(https?):\/\/([a-z0-9.-]+)(:\d{1,5})?(\/\S*)?$/.exec(url);
  if (!m) return false;
  return m[1] === "https" || /^[a-z0-9-]+\.[a-z0-9-]+\.svc(\.[a-z0-9.-]+)?$/.test(m[2]);
}
