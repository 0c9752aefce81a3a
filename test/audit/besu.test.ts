import { parse } from "smol-toml";
import { TerraformStack, Testing } from "cdktf";
import { fromRlp, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, test } from "vitest";
import { BESU_IMAGE, BesuNetwork, type BesuNetworkProps, type BesuNode } from "../../lib/audit/besu/besu";
import { qbftGenesis } from "../../lib/audit/besu/genesis";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { manifests } from "../support/helm";
import { StackJson, type Block } from "../support/synth";
import { naming } from "../support/targets";

/**
 * The Besu network as a library user composes it: an existing cluster whose External
 * Secrets read Vault (the real ExternalSecrets construct, so the keys' ExternalSecrets
 * are the ones a cluster gets), a stand-in for the Prometheus CRDs' release, and node
 * keys made here with viem, independently of the code under test.
 */

interface TestNode extends BesuNode {
  readonly privateKey: Hex;
  readonly address: Hex;
}

function makeNode(name: string): TestNode {
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  return { name, publicKey: account.publicKey.slice(4), secretRef: `acme/besu-${name}`, privateKey, address: account.address.toLowerCase() as Hex };
}

const validators = ["validator-0", "validator-1", "validator-2", "validator-3"].map(makeNode);
const rpcNodes = [makeNode("rpc-0")];
const ALL = [...validators, ...rpcNodes];
const AUDIT_JOB = { namespace: "audit", pods: { matchLabels: { "app.kubernetes.io/name": "audit-anchor" } } };

function synthBesu(props: Partial<BesuNetworkProps> = {}): StackJson {
  const stack = new TerraformStack(Testing.app(), "besu");
  const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
  configureClusterProviders(stack, cluster.connection);
  const target = new OnpremPlatformTarget(stack, "Target", { naming, cluster, vault: { server: "https://vault.lab:8200", role: "byoc" } });
  const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target });
  const metricsCrds = new PlatformNamespace(stack, "Crds", { name: "crds-stand-in", naming, component: "metrics" }).namespace;
  new BesuNetwork(stack, "Besu", { naming, secrets, metricsCrds, chainId: 4242, validators, rpcNodes, rpcClients: [AUDIT_JOB], storageClass: "encrypted-rwo", ...props });
  return new StackJson("besu", JSON.parse(Testing.synth(stack)), stack);
}

const byName = (stack: StackJson, type: string, name: string): Block => stack.resource(type, (b) => b.metadata.name === name);
const configMap = (stack: StackJson, name: string): Record<string, string> => byName(stack, "kubernetes_config_map_v1", name).data;
const podSpec = (stack: StackJson, node: string) => byName(stack, "kubernetes_stateful_set_v1", node).spec.template.spec;
const container = (stack: StackJson, node: string) => podSpec(stack, node).container[0];
const env = (stack: StackJson, node: string): Record<string, string> => Object.fromEntries(container(stack, node).env.map((e: { name: string; value?: string }) => [e.name, e.value]));
/** A NetworkPolicy of the Besu namespace (External Secrets has its own). */
const policy = (stack: StackJson, name: string) =>
  stack.resource("kubernetes_network_policy_v1", (p) => p.metadata.name === name && p.metadata.namespace.includes("Besu_Namespace")).spec;

/** config.toml as a TOML 1.0 parser (smol-toml) reads it: not the code that wrote it. */
const parseToml = (text: string): Record<string, unknown> => parse(text);

describe("BesuNetwork", () => {
  let stack: StackJson;
  beforeAll(() => {
    stack = synthBesu();
  });

  test("the genesis ConfigMap is qbftGenesis of the validators' addresses, and lists exactly them", () => {
    const genesis = JSON.parse(configMap(stack, "besu-genesis")["genesis.json"]);
    expect(genesis).toEqual(qbftGenesis({ chainId: 4242, validators: validators.map((v) => v.address) }));
    const [, listed] = fromRlp(genesis.extraData) as [Hex, Hex[]];
    expect(listed).toEqual(validators.map((v) => v.address).sort());
    expect(listed).not.toContain(rpcNodes[0].address);
  });

  test("the block timing and gas limit given reach the genesis; the network tells where its JSON-RPC is", () => {
    const tuned = synthBesu({ blockPeriodSeconds: 2, requestTimeoutSeconds: 6, gasLimit: 50_000_000, namespace: "ledger" });
    const genesis = JSON.parse(configMap(tuned, "besu-genesis")["genesis.json"]);
    expect(genesis.config.qbft).toMatchObject({ blockperiodseconds: 2, requesttimeoutseconds: 6 });
    expect(BigInt(genesis.gasLimit)).toBe(50_000_000n);
    const network = tuned.construct.node.findChild("Besu") as BesuNetwork;
    expect(network.rpcUrl).toBe("http://besu-rpc.ledger.svc:8545");
    expect(env(tuned, "rpc-0").BESU_HOST_ALLOWLIST).toContain("besu-rpc.ledger.svc");
  });

  test("each node's static nodes are every other node, by its headless Service's DNS name", () => {
    const lists = configMap(stack, "besu-static-nodes");
    for (const node of ALL) {
      const expected = ALL.filter((peer) => peer !== node).map((peer) => `enode://${peer.publicKey}@${peer.name}-0.${peer.name}.besu.svc:30303`);
      expect(JSON.parse(lists[`${node.name}.json`])).toEqual(expected);
      const volume = podSpec(stack, node.name).volume.find((v: { name: string }) => v.name === "static-nodes");
      expect(volume.config_map.items).toEqual([{ key: `${node.name}.json`, path: "static-nodes.json" }]);
    }
  });

  test("each node's governing Service is headless, published before readiness, and the StatefulSet uses it", () => {
    for (const node of ALL) {
      const service = byName(stack, "kubernetes_service_v1", node.name);
      expect(service.spec.cluster_ip).toBe("None");
      expect(service.spec.publish_not_ready_addresses).toBe(true);
      expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": "besu", "app.kubernetes.io/instance": node.name });
      const sts = byName(stack, "kubernetes_stateful_set_v1", node.name);
      expect(sts.spec.service_name).toBe(stack.ref(service, "metadata[0].name"));
      expect(sts.spec.replicas).toBe("1");
      expect(sts.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    }
  });

  test("DNS names in enodes work: Besu runs with its DNS support, and re-resolves when a pod moves", () => {
    expect(container(stack, "validator-0").args).toEqual(expect.arrayContaining(["--Xdns-enabled=true", "--Xdns-update-enabled=true"]));
  });

  test("no private key anywhere in the JSON: each node mounts a Secret synced from its own secretRef", () => {
    const text = JSON.stringify(stack.json);
    for (const node of ALL) expect(text).not.toContain(node.privateKey.slice(2));
    const externalSecrets = manifests(stack).filter((m) => m.object.kind === "ExternalSecret").map((m) => m.object);
    for (const node of ALL) {
      const synced = externalSecrets.find((s) => s.metadata.name === `${node.name}-nodekey`);
      expect(synced?.metadata.namespace).toBe("besu");
      expect(synced?.spec.data).toEqual([{ secretKey: "nodekey", remoteRef: { key: node.secretRef, property: "nodekey" } }]);
      const volume = podSpec(stack, node.name).volume.find((v: { name: string }) => v.name === "nodekey");
      expect(volume.secret.secret_name).toBe(`${node.name}-nodekey`);
    }
  });

  test("config.toml pins storage and sync, free gas, static peers without discovery and a minimal JSON-RPC", () => {
    const config = configMap(stack, "besu-config");
    const rpc = parseToml(config["rpc.toml"]);
    const validator = parseToml(config["validator.toml"]);
    for (const toml of [rpc, validator]) {
      expect(toml).toMatchObject({
        "data-storage-format": "BONSAI",
        "sync-mode": "FULL",
        "min-gas-price": 0,
        "tx-pool-min-gas-price": 0,
        "discovery-enabled": false,
        "p2p-port": 30303,
        "rpc-http-enabled": true,
        "rpc-ws-enabled": false,
        "graphql-http-enabled": false,
        "metrics-enabled": true,
        "metrics-port": 9545,
        "node-private-key-file": "/etc/besu/key/nodekey",
        "static-nodes-file": "/etc/besu/static/static-nodes.json",
        "genesis-file": "/etc/besu/genesis/genesis.json",
      });
      expect(toml).not.toHaveProperty("host-allowlist");
    }
    expect(rpc["rpc-http-api"]).toEqual(["ETH", "NET", "WEB3", "QBFT"]);
    // A validator serving QBFT would take validator votes from any RPC client.
    expect(validator["rpc-http-api"]).toEqual(["ETH", "NET", "WEB3"]);
    const mounted = (node: string) => podSpec(stack, node).volume.find((v: { name: string }) => v.name === "config").config_map.items;
    expect(mounted("rpc-0")).toEqual([{ key: "rpc.toml", path: "config.toml" }]);
    expect(mounted("validator-2")).toEqual([{ key: "validator.toml", path: "config.toml" }]);
  });

  test("the host allowlist is the RPC Service's names and the pod's own address (probes and scrapes), never a wildcard", () => {
    for (const node of ALL) {
      expect(env(stack, node.name).BESU_HOST_ALLOWLIST.split(",")).toEqual(["$(POD_IP)", "besu-rpc", "besu-rpc.besu", "besu-rpc.besu.svc", "besu-rpc.besu.svc.cluster.local"]);
    }
  });

  test("one ClusterIP Service for JSON-RPC, in front of the RPC nodes", () => {
    const service = byName(stack, "kubernetes_service_v1", "besu-rpc");
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": "besu", "cdktf-byoc/besu-role": "rpc" });
    expect(service.spec.port).toEqual([{ name: "rpc", port: 8545, target_port: "rpc", protocol: "TCP" }]);
    expect(stack.resources("kubernetes_service_v1").every((s) => s.spec.type !== "LoadBalancer" && s.spec.type !== "NodePort")).toBe(true);
  });

  test("without RPC nodes, the validators serve JSON-RPC", () => {
    const alone = synthBesu({ rpcNodes: [] });
    expect(byName(alone, "kubernetes_service_v1", "besu-rpc").spec.selector["cdktf-byoc/besu-role"]).toBe("validator");
    expect(policy(alone, "allow-rpc").pod_selector.match_labels["cdktf-byoc/besu-role"]).toBe("validator");
  });

  test("NetworkPolicies: default deny; P2P 30303 TCP and UDP among Besu pods only; JSON-RPC from the clients given; metrics from Prometheus", () => {
    expect(policy(stack, "default-deny-all")).toMatchObject({ pod_selector: { match_labels: {} }, policy_types: ["Ingress", "Egress"] });
    const besuPods = { match_labels: { "app.kubernetes.io/name": "besu" } };
    const p2pPorts = [
      { port: "30303", protocol: "UDP" },
      { port: "30303", protocol: "TCP" },
    ];
    const p2p = policy(stack, "allow-p2p");
    expect(p2p.pod_selector).toEqual(besuPods);
    expect(p2p.ingress).toEqual([{ from: [{ pod_selector: besuPods }], ports: p2pPorts }]);
    expect(p2p.egress).toEqual([{ to: [{ pod_selector: besuPods }], ports: p2pPorts }]);

    const rpc = policy(stack, "allow-rpc");
    expect(rpc.pod_selector).toEqual({ match_labels: { "app.kubernetes.io/name": "besu", "cdktf-byoc/besu-role": "rpc" } });
    expect(rpc.ingress).toEqual([
      {
        from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "audit" } }, pod_selector: { match_labels: { "app.kubernetes.io/name": "audit-anchor" } } }],
        ports: [{ port: "8545", protocol: "TCP" }],
      },
    ]);
    const scrape = policy(stack, "allow-scrape");
    expect(scrape.ingress).toEqual([
      {
        from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "observability" } }, pod_selector: { match_labels: { "app.kubernetes.io/name": "prometheus" } } }],
        ports: [{ port: "9545", protocol: "TCP" }],
      },
    ]);
    const names = stack.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.namespace.includes("Besu_Namespace")).map((p) => p.metadata.name);
    expect(names.sort()).toEqual(["allow-dns", "allow-p2p", "allow-rpc", "allow-scrape", "default-deny-all"]);
  });

  test("without RPC clients nothing may call JSON-RPC", () => {
    const closed = synthBesu({ rpcClients: [] });
    expect(closed.resources("kubernetes_network_policy_v1").some((p) => p.metadata.name === "allow-rpc")).toBe(false);
  });

  test("probes: started and alive on /liveness, ready on /readiness, on the RPC port", () => {
    const c = container(stack, "validator-1");
    expect(c.startup_probe.http_get).toEqual({ path: "/liveness", port: "rpc" });
    expect(c.liveness_probe.http_get).toEqual({ path: "/liveness", port: "rpc" });
    expect(c.readiness_probe.http_get).toEqual({ path: "/readiness", port: "rpc" });
    expect(c.port.find((p: { name: string }) => p.name === "rpc").container_port).toBe(8545);
  });

  test("hardening: restricted namespace, non-root Besu user, read-only root, no capabilities, no API token, a pinned image", () => {
    const namespace = byName(stack, "kubernetes_namespace_v1", "besu");
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const node of ALL) {
      const spec = podSpec(stack, node.name);
      expect(spec.security_context).toMatchObject({ run_as_non_root: true, run_as_user: "1000", fs_group: "1000", seccomp_profile: { type: "RuntimeDefault" } });
      expect(spec.automount_service_account_token).toBe(false);
      const c = spec.container[0];
      expect(c.security_context).toEqual({ run_as_non_root: true, allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } });
      expect(c.image).toBe(BESU_IMAGE);
      expect(c.resources.limits.memory).toBe("4Gi");
      // With a read-only root, everything Besu writes has a volume.
      expect(c.volume_mount.filter((m: { read_only?: boolean }) => !m.read_only).map((m: { mount_path: string }) => m.mount_path).sort()).toEqual(["/data", "/tmp"]);
    }
    expect(BESU_IMAGE).toMatch(/^docker\.io\/hyperledger\/besu:\d+\.\d+\.\d+$/);
  });

  test("storage: each node its own claim of the class and size given, protected from deletion, mounted as its data", () => {
    const sized = synthBesu({ volumeSize: "50Gi" });
    for (const node of ALL) {
      const claim = byName(sized, "kubernetes_persistent_volume_claim_v1", `${node.name}-data`);
      expect(claim.spec.storage_class_name).toBe("encrypted-rwo");
      expect(claim.spec.resources.requests.storage).toBe("50Gi");
      expect(claim.lifecycle.prevent_destroy).toBe(true);
      const data = podSpec(sized, node.name).volume.find((v: { name: string }) => v.name === "data");
      expect(data.persistent_volume_claim.claim_name).toBe(sized.ref(claim, "metadata[0].name"));
    }
    const unprotected = synthBesu({ protection: false, storageClass: undefined });
    const claim = byName(unprotected, "kubernetes_persistent_volume_claim_v1", "validator-0-data");
    expect(claim.lifecycle?.prevent_destroy).toBeUndefined();
    expect(claim.spec.storage_class_name).toBeUndefined();
    expect(claim.spec.resources.requests.storage).toBe("20Gi");
  });

  test("one PodDisruptionBudget over all validators lets one go at a time", () => {
    const budget = byName(stack, "kubernetes_pod_disruption_budget_v1", "besu-validators");
    expect(budget.spec).toEqual({ max_unavailable: "1", selector: { match_labels: { "app.kubernetes.io/name": "besu", "cdktf-byoc/besu-role": "validator" } } });
    for (const v of validators) expect(byName(stack, "kubernetes_stateful_set_v1", v.name).spec.template.metadata.labels).toMatchObject(budget.spec.selector.match_labels);
  });

  test("a ServiceMonitor scrapes the nodes' metrics port through their governing Services", () => {
    const monitor = manifests(stack).find((m) => m.object.kind === "ServiceMonitor")!.object;
    expect(monitor.metadata.namespace).toBe("besu");
    expect(monitor.spec.endpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "30s" }]);
    const selected = stack.resources("kubernetes_service_v1").filter(
      (s) => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v) && "cdktf-byoc/besu-role" in s.metadata.labels,
    );
    expect(selected.map((s) => s.metadata.name).sort()).toEqual(ALL.map((n) => n.name).sort());
    for (const s of selected) expect(s.spec.port).toContainEqual({ name: "metrics", port: 9545, target_port: "metrics", protocol: "TCP" });
  });

  test("fewer than 4 validators are refused with the reason", () => {
    expect(() => synthBesu({ validators: validators.slice(0, 3) })).toThrow(/validators must list at least 4 nodes \(got 3\): QBFT tolerates f faulty validators out of 3f \+ 1/);
  });

  test.each([
    [{ rpcNodes: [{ ...rpcNodes[0], name: "validator-0" }] }, /rpcNodes\[0\]\.name "validator-0" is used by another node/],
    [{ rpcNodes: [{ ...rpcNodes[0], publicKey: validators[1].publicKey }] }, /rpcNodes\[0\]\.publicKey is another node's too/],
    [{ rpcNodes: [{ ...rpcNodes[0], secretRef: validators[2].secretRef }] }, /rpcNodes\[0\]\.secretRef "acme\/besu-validator-2" is another node's too/],
    [{ rpcNodes: [{ ...rpcNodes[0], publicKey: `${rpcNodes[0].publicKey.slice(0, 127)}0` === rpcNodes[0].publicKey ? `${rpcNodes[0].publicKey.slice(0, 127)}1` : `${rpcNodes[0].publicKey.slice(0, 127)}0` }] }, /rpcNodes\[0\]\.publicKey: .* is not a secp256k1 public key/],
    [{ rpcNodes: [{ ...rpcNodes[0], name: "Rpc_0" }] }, /rpcNodes\[0\]\.name must be a DNS label/],
    [{ rpcNodes: [{ ...rpcNodes[0], name: "besu-rpc" }] }, /is the RPC Service's name/],
    [{ volumeSize: "20GB" }, /volumeSize must be a size in Gi or Ti/],
    [{ chainId: 0 }, /BesuNetwork besu\/Besu: chainId must be an integer from 1/],
    [{ blockPeriodSeconds: 0.5 }, /blockPeriodSeconds must be an integer from 1 to 3600 \(got 0.5\)/],
  ])("%# refuses a bad node list or size", (props, message) => {
    expect(() => synthBesu(props)).toThrow(message);
  });
});
