import { DefaultTokenResolver, StringConcat, TerraformStack, Testing, Tokenization } from "cdktf";
import { describe, expect, test } from "vitest";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { Naming } from "../../lib/core/naming";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { AddonNetworkPolicy, scrapeEgressAllow, type NetworkAllow } from "../../lib/platform/network-policies";
import { Platform, type PlatformProps } from "../../lib/platform/platform";
import { AwsPlatformTarget } from "../../lib/platform/targets/aws";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { chart } from "../support/helm";
import { LabTarget } from "../support/lab-target";
import { StackJson, synth, type Block } from "../support/synth";

function synthStack(build: (stack: TerraformStack) => void): StackJson {
  const stack = new TerraformStack(Testing.app(), "lab");
  configureClusterProviders(stack, new ExistingCluster({ kubeconfig: "~/.kube/lab", context: "lab" }).connection);
  build(stack);
  return new StackJson("lab", JSON.parse(Testing.synth(stack)), stack);
}

const platformStack = (props: Partial<PlatformProps> = {}) =>
  synthStack(
    (stack) =>
      new Platform(stack, "Platform", {
        naming: new Naming("lab"),
        target: new LabTarget(),
        tenants: [{ name: "app", cpu: "2", memory: "4Gi" }],
        gitops: { repo: "git@git.lab:ops/deploy.git" },
        remoteAccess: { network: "lab", tokensSecret: "twingate-connector" },
        ...props,
      }),
  );

/** The NetworkPolicies in the namespace named `ns`, by policy name. */
function policies(stack: StackJson, ns: string): Record<string, Block> {
  const namespace = stack.resource("kubernetes_namespace_v1", (n) => n.metadata.name === ns);
  const reference = stack.ref(namespace, "metadata[0].name");
  return Object.fromEntries(stack.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.namespace === reference).map((p) => [p.metadata.name, p]));
}

const ADDON_NAMESPACES = ["cert-manager", "external-secrets", "argocd", "kyverno", "envoy-gateway-system", "twingate"];
const PROMETHEUS_PEER = {
  namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "observability" } },
  pod_selector: { match_labels: { "app.kubernetes.io/name": "prometheus" } },
};
const tcpPorts = (...ports: number[]) => ports.map((port) => ({ port: String(port), protocol: "TCP" }));

describe("add-on namespaces of a Platform", () => {
  const stack = platformStack();

  test("every namespace the platform creates has exactly one default-deny policy, for ingress and egress", () => {
    const names = stack.resources("kubernetes_namespace_v1").map((n) => n.metadata.name);
    expect(names.sort()).toEqual([...ADDON_NAMESPACES, "app"].sort());
    for (const ns of names) {
      expect(policies(stack, ns)["default-deny-all"]?.spec, ns).toEqual({ pod_selector: { match_labels: {} }, policy_types: ["Ingress", "Egress"] });
    }
  });

  test.each(ADDON_NAMESPACES)("%s resolves names through the cluster's DNS only", (ns) => {
    const [rule] = policies(stack, ns)["allow-dns"].spec.egress;
    expect(rule.ports).toEqual(expect.arrayContaining([{ port: "53", protocol: "UDP" }, { port: "53", protocol: "TCP" }]));
    expect(rule.to).toEqual(
      expect.arrayContaining([
        { namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } }, pod_selector: { match_labels: { "k8s-app": "kube-dns" } } },
        { ip_block: { cidr: "169.254.20.10/32" } },
      ]),
    );
    expect(rule.to.filter((peer: Block) => peer.ip_block?.cidr === "0.0.0.0/0")).toEqual([]);
  });

  test.each(ADDON_NAMESPACES)("%s reaches the API server at the target's address and port only", (ns) => {
    expect(policies(stack, ns)["allow-api-server"].spec.egress).toEqual([{ to: [{ ip_block: { cidr: "192.0.2.16/28" } }], ports: tcpPorts(6443) }]);
  });

  test.each([
    ["cert-manager", { "app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/component": "webhook" }, 10250],
    ["external-secrets", { "app.kubernetes.io/instance": "external-secrets", "app.kubernetes.io/name": "external-secrets-webhook" }, 10250],
    ["kyverno", { "app.kubernetes.io/instance": "kyverno" }, 9443],
    ["envoy-gateway-system", { "app.kubernetes.io/instance": "gateway-helm", "control-plane": "envoy-gateway" }, 9443],
  ])("%s admits webhook calls from the target's control-plane ranges only, on the webhook's port", (ns, pods, port) => {
    const webhooks = policies(stack, ns)["allow-webhooks"].spec;
    expect(webhooks.pod_selector.match_labels).toEqual(pods);
    expect(webhooks.ingress).toEqual([{ from: [{ ip_block: { cidr: "192.0.2.0/28" } }], ports: tcpPorts(port) }]);
  });

  test("the webhook ports are pinned in the charts' values; Kyverno's admission and cleanup controllers serve its webhooks", () => {
    expect(chart(stack, "cert-manager").values.webhook.securePort).toBe(10250);
    expect(chart(stack, "external-secrets").values.webhook.port).toBe(10250);
    expect(policies(stack, "kyverno")["allow-webhooks"].spec.pod_selector.match_expressions).toEqual([
      { key: "app.kubernetes.io/component", operator: "In", values: ["admission-controller", "cleanup-controller"] },
    ]);
  });

  test("scrapes are admitted from Prometheus in the observability namespace only, on each add-on's metrics ports", () => {
    const scrapes = ADDON_NAMESPACES.flatMap((ns) => Object.values(policies(stack, ns)).filter((p) => p.metadata.name.startsWith("allow-scrape-")));
    const ports = Object.fromEntries(scrapes.map((p) => [p.metadata.name, p.spec.ingress[0].ports.map((q: Block) => Number(q.port))]));
    expect(ports).toEqual({
      "allow-scrape-cert-manager": [9402],
      "allow-scrape-external-secrets": [8080],
      "allow-scrape-argocd-application-controller": [8082],
      "allow-scrape-argocd-server": [8083],
      "allow-scrape-argocd-repo-server": [8084],
      "allow-scrape-argocd-applicationset-controller": [8080],
      "allow-scrape-argocd-notifications-controller": [9001],
      "allow-scrape-kyverno": [8000],
      "allow-scrape-envoy-gateway": [19001],
      "allow-scrape-envoy-proxy": [19001],
      "allow-scrape-twingate-connector": [9999],
    });
    for (const p of scrapes) expect(p.spec.ingress.map((r: Block) => r.from), p.metadata.name).toEqual([[PROMETHEUS_PEER]]);
    // Nothing else admits the observability namespace.
    const others = ADDON_NAMESPACES.flatMap((ns) => Object.values(policies(stack, ns))).filter((p) => !p.metadata.name.startsWith("allow-scrape-"));
    expect(JSON.stringify(others.map((p) => p.spec.ingress ?? []))).not.toContain("observability");
  });

  test("no ingress is open to every source: each rule names its peers, and only the proxies' listener takes any address", () => {
    for (const ns of ADDON_NAMESPACES) {
      for (const p of Object.values(policies(stack, ns))) {
        for (const rule of p.spec.ingress ?? []) {
          expect(rule.from?.length, `${ns}/${p.metadata.name}`).toBeGreaterThan(0);
          expect(rule.ports?.length, `${ns}/${p.metadata.name}`).toBeGreaterThan(0);
          if (rule.from.some((peer: Block) => peer.ip_block?.cidr === "0.0.0.0/0")) {
            expect([ns, p.metadata.name, rule.ports]).toEqual(["envoy-gateway-system", "allow-listeners", tcpPorts(10443)]);
          }
        }
      }
    }
  });

  test("the gateway's proxies take their configuration from the controller and reach tenant namespaces only; they get no API access", () => {
    const gateway = policies(stack, "envoy-gateway-system");
    const proxies = { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway" };
    expect(gateway["allow-listeners"].spec.pod_selector.match_labels).toEqual(proxies);
    expect(gateway["allow-to-xds"].spec).toMatchObject({ pod_selector: { match_labels: proxies }, egress: [{ ports: tcpPorts(18000) }] });
    expect(gateway["allow-xds"].spec.ingress).toEqual([{ from: [{ pod_selector: { match_labels: proxies } }], ports: tcpPorts(18000) }]);
    expect(gateway["allow-to-backends"].spec.egress).toEqual([{ to: [{ namespace_selector: { match_expressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] } }] }]);
    expect(gateway["allow-api-server"].spec.pod_selector).toEqual({ match_expressions: [{ key: "app.kubernetes.io/component", operator: "NotIn", values: ["proxy"] }] });
  });

  test("External Secrets' controller alone reaches the target's cloud APIs; cert-manager without ACME reaches nothing outside", () => {
    const cloud = policies(stack, "external-secrets")["allow-cloud-apis"].spec;
    expect(cloud.pod_selector.match_labels).toEqual({ "app.kubernetes.io/instance": "external-secrets", "app.kubernetes.io/name": "external-secrets" });
    expect(cloud.egress).toEqual([{ to: [{ ip_block: { cidr: "198.51.100.0/24" } }], ports: tcpPorts(8200) }]);
    expect(Object.keys(policies(stack, "cert-manager")).sort()).toEqual(["allow-api-server", "allow-dns", "allow-scrape-cert-manager", "allow-webhooks", "default-deny-all"]);
  });

  test("Argo CD's components reach the repo server and Redis in their namespace; the repo server alone reaches Git, over SSH for an SSH URL", () => {
    const argocd = policies(stack, "argocd");
    expect(argocd["allow-same-namespace"].spec.ingress).toEqual([{ from: [{ pod_selector: { match_labels: {} } }], ports: tcpPorts(8081, 6379) }]);
    expect(argocd["allow-same-namespace"].spec.egress).toEqual([{ to: [{ pod_selector: { match_labels: {} } }], ports: tcpPorts(8081, 6379) }]);
    expect(argocd["allow-git"].spec.pod_selector.match_labels).toEqual({ "app.kubernetes.io/instance": "argo-cd", "app.kubernetes.io/name": "argocd-repo-server" });
    expect(argocd["allow-git"].spec.egress[0].ports).toEqual(tcpPorts(443, 22));
    const https = policies(platformStack({ gitops: { repo: "https://git.lab:8443/ops/deploy.git" } }), "argocd")["allow-git"];
    expect(https.spec.egress[0].ports).toEqual(tcpPorts(443, 8443));
  });

  test("the Twingate connector reaches its relays and peers, and the private network; it serves metrics", () => {
    const twingate = policies(stack, "twingate");
    expect(twingate["allow-twingate"].spec.egress.map((r: Block) => r.ports)).toEqual([
      [...tcpPorts(443), { port: "30000", end_port: 31000, protocol: "TCP" }],
      [{ port: "1", end_port: 65535, protocol: "UDP" }],
    ]);
    expect(twingate["allow-twingate"].spec.egress[0].to[0].ip_block.except).toEqual(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]);
    expect(chart(stack, "connector").values.metrics).toEqual({ enabled: true, port: 9999, prometheusAnnotations: false });
  });

  test("each add-on's release waits for its namespace's policies, so its pods start under them", () => {
    const byNamespace: Record<string, string> = {
      "cert-manager": "cert-manager",
      "external-secrets": "external-secrets",
      argocd: "argo-cd",
      kyverno: "kyverno",
      "envoy-gateway-system": "gateway-helm",
      twingate: "connector",
    };
    for (const [ns, name] of Object.entries(byNamespace)) {
      const addresses = Object.values(policies(stack, ns)).map((p) => p.tfAddress);
      expect(chart(stack, name).block.depends_on, name).toEqual(expect.arrayContaining(addresses));
    }
  });

  test("Gatekeeper, when chosen: its controller manager takes webhook calls on 8443 from the control plane and from its post-install probe", () => {
    const gatekeeper = policies(platformStack({ policy: "gatekeeper" }), "gatekeeper-system");
    expect(gatekeeper["default-deny-all"]).toBeDefined();
    expect(gatekeeper["allow-webhooks"].spec).toMatchObject({
      pod_selector: { match_labels: { "control-plane": "controller-manager", "gatekeeper.sh/system": "yes", release: "gatekeeper" } },
      ingress: [{ from: [{ ip_block: { cidr: "192.0.2.0/28" } }], ports: tcpPorts(8443) }],
    });
    expect(gatekeeper["allow-same-namespace"].spec.ingress[0].ports).toEqual(tcpPorts(8443));
    expect(gatekeeper["allow-scrape-gatekeeper"].spec.ingress[0].ports).toEqual(tcpPorts(8888));
  });
});

describe("on the clouds' and on-prem targets", () => {
  test("AWS: webhooks admit the target's control-plane ranges; with a public zone, cert-manager's controller reaches ACME and the cloud APIs", async () => {
    const { platform } = await synth({
      name: "acme",
      target: { cloud: "aws", region: "us-west-2", accountId: "111122223333" },
      network: { cidr: "10.42.0.0/16" },
      dns: { domain: "acme.example.com" },
    });
    const target = platform.construct.node.findAll().find((c): c is AwsPlatformTarget => c instanceof AwsPlatformTarget)!;
    const resolve = (value: unknown) => Tokenization.resolve(value, { scope: platform.construct, resolver: new DefaultTokenResolver(new StringConcat()) });
    const certManager = policies(platform, "cert-manager");
    expect(certManager["allow-webhooks"].spec.ingress[0].from.map((p: Block) => p.ip_block.cidr)).toEqual(resolve(target.controlPlaneSources));
    const acme = certManager["allow-acme"].spec;
    expect(acme.pod_selector.match_labels).toEqual({ "app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/component": "controller" });
    expect(acme.egress[0]).toEqual({ to: [{ ip_block: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] } }], ports: tcpPorts(443) });
    const cloud = acme.egress.slice(1).map((r: Block) => ({ cidr: r.to[0].ip_block.cidr, ports: r.ports.map((p: Block) => Number(p.port)) }));
    expect(cloud).toEqual(resolve(target.cloudApiEgress.map(({ cidr, ports }) => ({ cidr, ports: ports?.map((p) => p.port) }))));
  });

  test("on-prem: webhooks admit the node network; External Secrets reaches Vault on its URL's port", async () => {
    const { platform } = await synth({
      name: "initech",
      target: { cloud: "onprem", context: "prod" },
      network: { cidr: "10.100.0.0/16" },
      platform: { secretStore: { vault: { server: "https://vault.example.com:8200", role: "byoc" } } },
    });
    const target = platform.construct.node.findAll().find((c): c is OnpremPlatformTarget => c instanceof OnpremPlatformTarget)!;
    expect(target.controlPlaneSources).toEqual(["10.100.0.0/16"]);
    expect(policies(platform, "external-secrets")["allow-webhooks"].spec.ingress[0].from).toEqual([{ ip_block: { cidr: "10.100.0.0/16" } }]);
    expect(policies(platform, "external-secrets")["allow-cloud-apis"].spec.egress[0].ports).toEqual(tcpPorts(8200));
    expect(policies(platform, "cert-manager")["allow-acme"]).toBeUndefined();
  });
});

describe("AddonNetworkPolicy", () => {
  const inNamespace = (allows: NetworkAllow[]) =>
    synthStack((stack) => {
      const namespace = new PlatformNamespace(stack, "Namespace", { name: "observability", naming: new Naming("lab"), component: "observability" });
      new AddonNetworkPolicy(stack, "Policy", { namespace, naming: new Naming("lab"), component: "observability", allows });
    });

  test("for a namespace of one's own: deny, DNS and the allows given, e.g. Prometheus scraping the add-ons", () => {
    const addons = new Platform(new TerraformStack(Testing.app(), "platform"), "Platform", { naming: new Naming("lab"), target: new LabTarget() });
    const prometheus = { matchLabels: { "app.kubernetes.io/name": "prometheus" } };
    const stack = inNamespace([scrapeEgressAllow(addons.metrics, prometheus)]);
    const found = policies(stack, "observability");
    expect(Object.keys(found).sort()).toEqual(["allow-dns", "allow-scrape-addons", "default-deny-all"]);
    const egress = found["allow-scrape-addons"].spec.egress;
    expect(egress).toContainEqual({
      to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "cert-manager" } }, pod_selector: { match_labels: { "app.kubernetes.io/instance": "cert-manager" } } }],
      ports: tcpPorts(9402),
    });
    expect(egress).toHaveLength(addons.metrics.length);
  });

  test.each<[string, NetworkAllow, RegExp]>([
    ["ingress from anyone", { name: "allow-all", ingress: [{ ports: [{ port: 80 }] }] }, /ingress\[0\] names no peers: ingress must say where it comes from/],
    ["an empty source list", { name: "allow-webhooks", ingress: [{ peers: [], ports: [{ port: 9443 }] }] }, /ingress\[0\]\.peers is empty \(got \[\]\): give at least one source/],
    ["egress anywhere on any port", { name: "allow-out", egress: [{}] }, /egress\[0\] names neither peers nor ports: that allows everything/],
    ["no rules", { name: "allow-api-server", egress: [] }, /allows\[0\] \(allow-api-server\) egress is empty \(got \[\]\)/],
    ["a bad range", { name: "allow-out", egress: [{ peers: [{ cidr: "10.0.0.0/33" }] }] }, /peers\[0\] must use IPv4 ranges such as 10\.0\.0\.0\/16 \(got "10\.0\.0\.0\/33"\)/],
    ["a range with pods", { name: "allow-out", egress: [{ peers: [{ cidr: "10.0.0.0/8", pods: {} }] }] }, /gives both a range and pods/],
    ["a reserved name", { name: "allow-dns", egress: [{ ports: [{ port: 53 }] }] }, /\(allow-dns\) name is used by another policy/],
    ["a reversed port range", { name: "allow-out", egress: [{ peers: [{ cidr: "0.0.0.0/0" }], ports: [{ port: 31000, endPort: 30000 }] }] }, /ports\[0\] must be a port from 1 to 65535, with endPort not below it/],
  ])("refuses %s", (_what, allow, error) => {
    expect(() => inNamespace([allow])).toThrow(error);
  });
});
