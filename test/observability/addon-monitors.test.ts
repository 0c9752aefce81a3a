import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { HelmChart } from "../../lib/core/helm";
import { Naming } from "../../lib/core/naming";
import { AddonMonitors, type AddonMonitorsProps } from "../../lib/observability/addon-monitors";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import type { AddonMetrics } from "../../lib/platform/network-policies";
import { Platform, type PlatformProps } from "../../lib/platform/platform";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { manifests, releases } from "../support/helm";
import { StackJson, type Block } from "../support/synth";

const naming = new Naming("lab");

/**
 * A Platform on an existing cluster (the on-prem target: the add-ons are the same on
 * every target), the operator's CRDs as their own release, and the monitors.
 */
function synthMonitors(platformProps: Partial<PlatformProps> = {}, props: Partial<AddonMonitorsProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "lab");
  const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab", context: "lab" });
  configureClusterProviders(stack, cluster.connection);
  const target = new OnpremPlatformTarget(stack, "Target", {
    naming,
    cluster,
    networkCidr: "10.100.0.0/16",
    vault: { server: "https://vault.lab", role: "byoc" },
  });
  const platform = new Platform(stack, "Platform", { naming, target, remoteAccess: { network: "lab", tokensSecret: "twingate" }, ...platformProps });
  const namespace = new PlatformNamespace(stack, "Observability", { name: "observability", naming, component: "observability" });
  const crds = new HelmChart(stack, "Crds", {
    chart: { repository: "https://prometheus-community.github.io/helm-charts", chart: "prometheus-operator-crds", version: "31.0.1" },
    namespace: "observability",
    values: {},
    dependsOn: [namespace.ready],
  }).release;
  new AddonMonitors(stack, "AddonMonitors", { addons: platform.metrics, crds, namespace, naming, ...props });
  return { json: new StackJson("lab", JSON.parse(Testing.synth(stack)), stack), metrics: platform.metrics };
}

const podMonitors = (json: StackJson) => manifests(json).filter((m) => m.object.kind === "PodMonitor");

describe("AddonMonitors", () => {
  const { json, metrics } = synthMonitors();

  test("one PodMonitor per add-on, in the add-on's namespace, scraping the container ports its chart names", () => {
    const found = podMonitors(json).map(({ object }) => [
      object.metadata.namespace,
      object.metadata.name,
      object.spec.podMetricsEndpoints.map((e: Block) => `${e.port}${e.path}`),
    ]);
    expect(found).toEqual([
      ["cert-manager", "cert-manager", ["http-metrics/metrics"]],
      ["external-secrets", "external-secrets", ["metrics/metrics"]],
      ["kyverno", "kyverno", ["metrics-port/metrics", "metrics/metrics"]],
      ["argocd", "argocd-application-controller", ["metrics/metrics"]],
      ["argocd", "argocd-server", ["metrics/metrics"]],
      ["argocd", "argocd-repo-server", ["metrics/metrics"]],
      ["argocd", "argocd-applicationset-controller", ["metrics/metrics"]],
      ["argocd", "argocd-notifications-controller", ["metrics/metrics"]],
      ["envoy-gateway-system", "envoy-gateway", ["metrics/metrics"]],
      ["envoy-gateway-system", "envoy-proxy", ["metrics/stats/prometheus"]],
      ["twingate", "twingate-connector", ["metrics/metrics"]],
    ]);
  });

  test("each monitor selects its add-on's pods by the chart's labels and scrapes every 30 seconds", () => {
    const monitor = (name: string) => podMonitors(json).find((m) => m.object.metadata.name === name)!.object;
    expect(monitor("cert-manager").spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/instance": "cert-manager" } });
    expect(monitor("argocd-repo-server").spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/instance": "argo-cd", "app.kubernetes.io/name": "argocd-repo-server" } });
    expect(monitor("envoy-proxy").spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway" });
    for (const { object } of podMonitors(json)) {
      expect(object.spec.podMetricsEndpoints.map((e: Block) => e.interval), object.metadata.name).toEqual(object.spec.podMetricsEndpoints.map(() => "30s"));
    }
  });

  test("every port a monitor scrapes is one its add-on's NetworkPolicy opens to Prometheus, for the same pods", () => {
    const namespaces = json.resources("kubernetes_namespace_v1");
    for (const addon of metrics) {
      const ns = namespaces.find((n) => n.metadata.name === addon.namespace.name)!;
      const policy = json.resource("kubernetes_network_policy_v1", (p) => p.metadata.name === `allow-scrape-${addon.name}` && p.metadata.namespace === json.ref(ns, "metadata[0].name"));
      expect(policy.spec.pod_selector.match_labels, addon.name).toEqual(addon.pods.matchLabels);
      const opened = policy.spec.ingress[0].ports.map((p: Block) => Number(p.port));
      expect(opened, addon.name).toEqual([...new Set(addon.endpoints.map((e) => e.number))]);
    }
  });

  test("the monitors wait for the operator's CRDs and for every add-on namespace; their release is kept in the observability namespace", () => {
    const release = releases(json).find((r) => r.block.name === "addon-monitors")!;
    expect(release.block.namespace).toBe("observability");
    const crds = json.resource("helm_release", (r) => r.chart === "prometheus-operator-crds");
    const namespaces = json.resources("kubernetes_namespace_v1").filter((n) => metrics.some((m) => m.namespace.name === n.metadata.name));
    expect(namespaces).toHaveLength(6);
    expect(release.block.depends_on).toEqual(expect.arrayContaining([crds.tfAddress, ...namespaces.map((n) => n.tfAddress)]));
  });

  test("the Twingate connector's chart serves the metrics its monitor scrapes", () => {
    const connector = releases(json).find((r) => r.block.chart === "connector")!;
    expect(connector.values.metrics).toMatchObject({ enabled: true, port: 9999 });
  });

  test("with Gatekeeper, its controller and audit are scraped on 8888; an interval can be set", () => {
    const gatekeeper = synthMonitors({ policy: "gatekeeper" }, { interval: "1m" });
    const monitor = podMonitors(gatekeeper.json).find((m) => m.object.metadata.namespace === "gatekeeper-system")!.object;
    expect(monitor.spec.selector.matchLabels).toEqual({ "gatekeeper.sh/system": "yes", release: "gatekeeper" });
    expect(monitor.spec.podMetricsEndpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "1m" }]);
    expect(gatekeeper.metrics.find((m) => m.name === "gatekeeper")!.endpoints).toEqual([{ port: "metrics", number: 8888 }]);
  });

  const addon = metrics[0];
  test.each<[string, Partial<AddonMonitorsProps>, RegExp]>([
    ["an interval Prometheus cannot read", { interval: "30 seconds" }, /interval must be a Prometheus duration such as "30s" or "1m" \(got "30 seconds"\)/],
    ["no add-on", { addons: [] }, /addons lists no add-on to monitor \(got \[\]\)/],
    ["a monitor twice in a namespace", { addons: [addon, addon] }, /addons\[1\] repeats the monitor cert-manager\/cert-manager/],
    ["an add-on without endpoints", { addons: [{ ...addon, endpoints: [] } as AddonMetrics] }, /addons\[0\] \(cert-manager\/cert-manager\) lists no metrics endpoint/],
  ])("refuses %s", (_what, props, error) => {
    expect(() => synthMonitors({}, props)).toThrow(error);
  });
});
