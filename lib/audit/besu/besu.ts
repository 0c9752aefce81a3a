import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { PersistentVolumeClaimV1 } from "@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../../core/helm";
import { namingOf, type Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { label, requireInt, requireProp } from "../../core/validate";
import type { IExternalSecrets } from "../../platform/external-secrets";
import { NAMESPACE_NAME, PlatformNamespace, platformLabels } from "../../platform/namespaces";
import { AddonNetworkPolicy, PROMETHEUS, tcp, udpAndTcp, type NetworkAllow, type NetworkPeer } from "../../platform/network-policies";
import { configToml, METRICS_PORT, RPC_APIS, RPC_PORT, VALIDATOR_RPC_APIS } from "./config";
import { enodeUrl, genesisJson, nodeAddress, normalizePublicKey, P2P_PORT, qbftGenesis, type Hex, type QbftGenesis } from "./genesis";
import { NODE_KEY_PROPERTY, type NodeRole } from "./keys";
import { BESU_IMAGE, BESU_PODS, nodePodTemplate, ROLE_LABEL, type NodeResources } from "./pod";

export { BESU_IMAGE, BESU_VERSION, type NodeResources } from "./pod";

/** One node of the network: its identity is public; its key stays in the secret manager. */
export interface BesuNode {
  /** A DNS label of at most 38 characters, unique in the network: its StatefulSet, Service and volume are named after it. */
  readonly name: string;
  /** The node's secp256k1 public key: 128 hex digits (0x optional), as `cdktf-byoc besu-keys` prints it. */
  readonly publicKey: string;
  /** The secret in the target's secret manager whose JSON property `nodekey` holds the private key. */
  readonly secretRef: string;
}

export interface BesuNetworkProps {
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Syncs each node's key from the secret manager (the platform's External Secrets). */
  readonly secrets: IExternalSecrets;
  /** The release installing the Prometheus operator's CRDs: the ServiceMonitor needs them. */
  readonly metricsCrds: ITerraformDependable;
  /** The chain id (replay protection between chains): pick one no other chain of yours uses. */
  readonly chainId: number;
  /**
   * The genesis validators, at least 4 (QBFT tolerates f faulty validators out of 3f + 1).
   * The list is part of the genesis: changing it later makes a different chain, which the
   * running nodes refuse; change validators on a live chain by QBFT votes instead.
   */
  readonly validators: readonly BesuNode[];
  /** Non-validating nodes serving JSON-RPC, so clients never load the validators. @default [] - the validators serve it */
  readonly rpcNodes?: readonly BesuNode[];
  /** The namespace created for the network. @default BesuNetwork.DEFAULT_NAMESPACE */
  readonly namespace?: string;
  /** Who may call JSON-RPC (port 8545), e.g. the anchoring job's namespace. @default [] - nobody: only the probes */
  readonly rpcClients?: readonly NetworkPeer[];
  /** Who may scrape the nodes' metrics (port 9545). @default [PROMETHEUS] */
  readonly scrapers?: readonly NetworkPeer[];
  /** StorageClass of the nodes' volumes (use an encrypted one). @default - the cluster's default (the kit's encrypted class on clouds) */
  readonly storageClass?: string;
  /** Each node's volume. @default BesuNetwork.DEFAULT_VOLUME_SIZE */
  readonly volumeSize?: string;
  /** `prevent_destroy` on the nodes' volumes: they hold the chain. @default true */
  readonly protection?: boolean;
  /** Each node's container. @default BesuNetwork.DEFAULT_RESOURCES */
  readonly resources?: NodeResources;
  /** Minimum seconds between blocks. @default 5 */
  readonly blockPeriodSeconds?: number;
  /** Seconds before a QBFT round times out. @default twice `blockPeriodSeconds` */
  readonly requestTimeoutSeconds?: number;
  /** The block gas limit. @default 30000000 */
  readonly gasLimit?: number;
  /** The cluster's DNS domain (the host allowlist names the RPC Service under it too). @default "cluster.local" */
  readonly clusterDomain?: string;
  /** On OpenShift: grant the namespace the SCC for the image's fixed user. @default false */
  readonly openshift?: boolean;
  /** The Besu image. @default BESU_IMAGE */
  readonly image?: string;
  /** What the workloads wait for besides the namespace, policies and keys. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A private Besu network with QBFT consensus: each node its own StatefulSet of one pod,
 * so each mounts its own key (synced by External Secrets from the secret manager; no key
 * passes through Terraform), on its own protected, encrypted volume. Nodes find each
 * other as static peers through each one's headless Service (discovery off); the genesis
 * and the static-node lists are built at synth from the nodes' public keys. JSON-RPC is
 * reachable inside the cluster only, through one ClusterIP Service, from `rpcClients`
 * alone; P2P only among the nodes; metrics only from `scrapers`. Pods run as Besu's
 * non-root user with a read-only root filesystem in a namespace enforcing Pod Security
 * `restricted` with default-deny NetworkPolicies.
 */
export class BesuNetwork extends Construct {
  static readonly DEFAULT_NAMESPACE = "besu";
  /** The ClusterIP Service in front of the RPC-serving nodes. */
  static readonly RPC_SERVICE = "besu-rpc";
  static readonly MIN_VALIDATORS = 4;
  static readonly DEFAULT_VOLUME_SIZE = "20Gi";
  /** 4 GiB per node, as Consensys' Kubernetes guide for Besu recommends: the heap takes half, RocksDB the rest. */
  static readonly DEFAULT_RESOURCES: NodeResources = { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } };

  readonly namespace: PlatformNamespace;
  readonly genesis: QbftGenesis;
  readonly chainId: number;
  /** The genesis validators' addresses, ascending. */
  readonly validatorAddresses: Hex[];
  /** JSON-RPC inside the cluster, e.g. for the anchoring job. */
  readonly rpcUrl: string;
  /** For the compliance checks (IComplianceFacts): the chain's validators. */
  readonly complianceFacts: { readonly kind: "audit-chain"; readonly attrs: { readonly validators: number } };
  /** Each node's StatefulSet, by node name. */
  readonly statefulSets: Record<string, StatefulSetV1>;
  /** Each node's volume, by node name. */
  readonly volumes: Record<string, PersistentVolumeClaimV1>;
  readonly policies: AddonNetworkPolicy["policies"];

  constructor(scope: Construct, id: string, props: BesuNetworkProps) {
    super(scope, id);
    const rpcNodes = props.rpcNodes ?? [];
    const nodes = [...props.validators.map((n) => ({ ...n, role: "validator" as NodeRole })), ...rpcNodes.map((n) => ({ ...n, role: "rpc" as NodeRole }))];
    this.validate(props, nodes);
    const naming = namingOf(this, props.naming);
    const nsName = props.namespace ?? BesuNetwork.DEFAULT_NAMESPACE;
    const labels = platformLabels(naming.deployment, "audit");
    const volumeSize = props.volumeSize ?? BesuNetwork.DEFAULT_VOLUME_SIZE;
    const clusterDomain = props.clusterDomain ?? "cluster.local";
    // The validators serve JSON-RPC only when there is no RPC node.
    const rpcRole: NodeRole = rpcNodes.length > 0 ? "rpc" : "validator";
    this.chainId = props.chainId;
    this.complianceFacts = { kind: "audit-chain", attrs: { validators: props.validators.length } };
    this.validatorAddresses = props.validators.map((v) => nodeAddress(v.publicKey)).sort();
    this.genesis = qbftGenesis({
      chainId: props.chainId,
      validators: this.validatorAddresses,
      blockPeriodSeconds: props.blockPeriodSeconds,
      requestTimeoutSeconds: props.requestTimeoutSeconds,
      gasLimit: props.gasLimit,
    });
    this.rpcUrl = `http://${BesuNetwork.RPC_SERVICE}.${nsName}.svc:${RPC_PORT}`;

    const ns = (this.namespace = new PlatformNamespace(this, "Namespace", { name: nsName, naming, component: "audit", openshift: props.openshift }));
    const meta = (name: string, extra: Record<string, string> = {}) => ({ name, namespace: ns.reference, labels: { ...labels, ...BESU_PODS, ...extra } });
    this.policies = new AddonNetworkPolicy(this, "NetworkPolicy", { namespace: ns, naming, component: "audit", allows: this.allows(props, rpcRole) }).policies;

    const account = new ServiceAccountV1(this, "ServiceAccount", { metadata: meta("besu"), automountServiceAccountToken: false });
    const host = (node: string) => `${node}-0.${node}.${nsName}.svc`;
    const config = new ConfigMapV1(this, "Config", {
      metadata: meta("besu-config"),
      data: Object.fromEntries([...new Set(nodes.map((n) => n.role))].map((role) => [`${role}.toml`, configToml(role === "validator" ? VALIDATOR_RPC_APIS : RPC_APIS)])),
    });
    const genesis = new ConfigMapV1(this, "Genesis", { metadata: meta("besu-genesis"), data: { "genesis.json": genesisJson(this.genesis) } });
    const staticNodes = new ConfigMapV1(this, "StaticNodes", {
      metadata: meta("besu-static-nodes"),
      data: Object.fromEntries(
        nodes.map((node) => [`${node.name}.json`, `${JSON.stringify(nodes.filter((peer) => peer.name !== node.name).map((peer) => enodeUrl(peer.publicKey, host(peer.name))), null, 2)}\n`]),
      ),
    });

    // The names clients reach JSON-RPC by: Besu checks the Host header against them.
    const service = BesuNetwork.RPC_SERVICE;
    const allowedHosts = [service, `${service}.${nsName}`, `${service}.${nsName}.svc`, `${service}.${nsName}.svc.${clusterDomain}`];
    const resources = props.resources ?? BesuNetwork.DEFAULT_RESOURCES;
    const image = props.image ?? BESU_IMAGE;
    this.statefulSets = {};
    this.volumes = {};
    for (const node of nodes) {
      const scope = new Construct(this, `Node-${node.name}`);
      const selector = { ...BESU_PODS, "app.kubernetes.io/instance": node.name };
      const keySecret = `${node.name}-nodekey`;
      const key = props.secrets.sync(scope, "Key", {
        namespace: nsName,
        name: keySecret,
        remoteKey: node.secretRef,
        properties: { [NODE_KEY_PROPERTY]: NODE_KEY_PROPERTY },
        dependsOn: [ns.ready],
      });
      const volume = protect(
        new PersistentVolumeClaimV1(scope, "Volume", {
          metadata: meta(`${node.name}-data`, { "app.kubernetes.io/instance": node.name }),
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: volumeSize } },
            ...(props.storageClass ? { storageClassName: props.storageClass } : {}),
          },
          // The claim binds when the pod mounts it (WaitForFirstConsumer): waiting here would deadlock.
          waitUntilBound: false,
        }),
        props.protection ?? true,
      );
      // The governing Service: stable DNS <node>-0.<node>.<ns>.svc for the static-node lists,
      // published before the pod is ready (readiness needs peers, and peers need the name).
      const governing = new ServiceV1(scope, "Service", {
        metadata: meta(node.name, { [ROLE_LABEL]: node.role }),
        spec: {
          clusterIp: "None",
          publishNotReadyAddresses: true,
          selector,
          port: [
            { name: "p2p", port: P2P_PORT, targetPort: "p2p", protocol: "TCP" },
            { name: "metrics", port: METRICS_PORT, targetPort: "metrics", protocol: "TCP" },
          ],
        },
      });
      this.statefulSets[node.name] = new StatefulSetV1(scope, "StatefulSet", {
        metadata: meta(node.name, { [ROLE_LABEL]: node.role }),
        spec: {
          replicas: "1",
          serviceName: governing.metadata.name,
          selector: { matchLabels: selector },
          template: nodePodTemplate({
            name: node.name,
            role: node.role,
            labels: { ...labels, ...selector, [ROLE_LABEL]: node.role },
            image,
            resources,
            serviceAccount: account.metadata.name,
            allowedHosts,
            configMap: config.metadata.name,
            genesisConfigMap: genesis.metadata.name,
            staticNodesConfigMap: staticNodes.metadata.name,
            keySecret,
            claim: volume.metadata.name,
          }),
        },
        // A new network's nodes become ready only together (readiness needs a peer): Terraform
        // does not wait for each one in turn.
        waitForRollout: false,
        dependsOn: [key, ...this.policies, ...(props.dependsOn ?? [])],
      });
      this.volumes[node.name] = volume;
    }

    new ServiceV1(this, "RpcService", {
      metadata: meta(BesuNetwork.RPC_SERVICE),
      spec: { type: "ClusterIP", selector: { ...BESU_PODS, [ROLE_LABEL]: rpcRole }, port: [{ name: "rpc", port: RPC_PORT, targetPort: "rpc", protocol: "TCP" }] },
    });
    // Voluntary evictions (node drains) take one validator at a time: QBFT keeps producing
    // blocks with floor((n - 1) / 3) validators down, so one is always safe from n = 4.
    new PodDisruptionBudgetV1(this, "ValidatorBudget", {
      metadata: meta("besu-validators"),
      spec: { maxUnavailable: "1", selector: { matchLabels: { ...BESU_PODS, [ROLE_LABEL]: "validator" } } },
    });
    new Manifests(this, "Monitor", {
      name: "besu-monitor",
      namespace: nsName,
      objects: [
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: { name: "besu", namespace: nsName, labels: { ...labels, ...BESU_PODS } },
          spec: {
            // The nodes' governing Services (the RPC Service has no metrics port).
            selector: { matchLabels: BESU_PODS, matchExpressions: [{ key: ROLE_LABEL, operator: "Exists" }] },
            endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
          },
        },
      ],
      dependsOn: [props.metricsCrds, ns.ready],
    });
  }

  /** P2P among the nodes only, JSON-RPC from the clients given, metrics from the scrapers. */
  private allows(props: BesuNetworkProps, rpcRole: NodeRole): NetworkAllow[] {
    const nodes: NetworkPeer = { pods: { matchLabels: BESU_PODS } };
    const clients = props.rpcClients ?? [];
    return [
      {
        name: "allow-p2p",
        pods: nodes.pods,
        ingress: [{ peers: [nodes], ports: udpAndTcp(P2P_PORT) }],
        egress: [{ peers: [nodes], ports: udpAndTcp(P2P_PORT) }],
      },
      { name: "allow-scrape", pods: nodes.pods, ingress: [{ peers: props.scrapers ?? [PROMETHEUS], ports: tcp(METRICS_PORT) }] },
      ...(clients.length > 0 ? [{ name: "allow-rpc", pods: { matchLabels: { ...BESU_PODS, [ROLE_LABEL]: rpcRole } }, ingress: [{ peers: clients, ports: tcp(RPC_PORT) }] }] : []),
    ];
  }

  private validate(props: BesuNetworkProps, nodes: readonly (BesuNode & { role: NodeRole })[]): void {
    const fail = (message: string): never => {
      throw new Error(`${label(this)}: ${message}`);
    };
    if (props.validators.length < BesuNetwork.MIN_VALIDATORS) {
      fail(
        `validators must list at least ${BesuNetwork.MIN_VALIDATORS} nodes (got ${props.validators.length}): QBFT tolerates f faulty validators out of 3f + 1, so fewer than 4 stop the chain when one fails; generate keys with \`cdktf-byoc besu-keys --validators 4\``,
      );
    }
    requireInt(this, "chainId", props.chainId, 1, Number.MAX_SAFE_INTEGER);
    requireInt(this, "blockPeriodSeconds", props.blockPeriodSeconds, 1, 3600);
    requireInt(this, "requestTimeoutSeconds", props.requestTimeoutSeconds, 1, 3600);
    requireInt(this, "gasLimit", props.gasLimit, 21000, Number.MAX_SAFE_INTEGER);
    requireProp(this, "namespace", props.namespace, (n) => NAMESPACE_NAME.test(n), 'a DNS label of a-z, 0-9 and "-"');
    requireProp(this, "volumeSize", props.volumeSize, (s) => /^[1-9]\d*(Gi|Ti)$/.test(s), "a size in Gi or Ti, e.g. 50Gi");
    const seen = { name: new Set<string>(), key: new Set<string>(), secret: new Set<string>() };
    nodes.forEach((node, i) => {
      const where = `${node.role === "validator" ? "validators" : "rpcNodes"}[${i < props.validators.length ? i : i - props.validators.length}]`;
      // The key's release is secret-<name>-nodekey, and Helm release names end at 53 characters.
      if (!/^[a-z0-9]([a-z0-9-]{0,36}[a-z0-9])?$/.test(node.name)) fail(`${where}.name must be a DNS label of a-z, 0-9 and "-", at most 38 characters (got ${JSON.stringify(node.name)})`);
      if (node.name === BesuNetwork.RPC_SERVICE) fail(`${where}.name ${JSON.stringify(node.name)} is the RPC Service's name; pick another`);
      if (seen.name.has(node.name)) fail(`${where}.name ${JSON.stringify(node.name)} is used by another node; names must be unique`);
      let publicKey = "";
      try {
        publicKey = normalizePublicKey(node.publicKey);
      } catch (e) {
        fail(`${where}.publicKey: ${(e as Error).message}`);
      }
      if (seen.key.has(publicKey)) fail(`${where}.publicKey is another node's too: each node needs its own key`);
      if (!node.secretRef) fail(`${where}.secretRef is empty: name the secret holding the node's key (besu-keys prints it)`);
      if (seen.secret.has(node.secretRef)) fail(`${where}.secretRef ${JSON.stringify(node.secretRef)} is another node's too: each node needs its own key`);
      seen.name.add(node.name);
      seen.key.add(publicKey);
      seen.secret.add(node.secretRef);
    });
  }
}
