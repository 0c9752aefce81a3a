import { describe, expect, test } from "vitest";
import { helmYaml } from "../../lib/core/helm";
import { chart, manifests, object } from "../support/helm";
import { synth, type StackJson } from "../support/synth";

/**
 * Observability as each target's stacks wire it from the spec: the stores on the
 * cluster with the spec's retention, the buckets through workload identity, the
 * receivers from secrets, and the cloud's own alarms in the infra stack.
 */

const receivers = {
  pagerduty: { secretRef: "acme/alerts/pagerduty" },
  email: { to: ["oncall@acme.example.com"] },
  webhook: { secretRef: "acme/alerts/hook" },
};
const observability = { metrics: { retentionDays: 10, longTermDays: 200 }, logs: { retentionDays: 21 }, traces: { retentionDays: 5 }, alerts: receivers };
const specs = {
  aws: { name: "acme", target: { cloud: "aws", region: "eu-west-1" }, observability },
  azure: {
    name: "acme",
    target: { cloud: "azure", region: "westeurope", keyVaultId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/acme-ops" },
    observability: { ...observability, alerts: { ...receivers, pagerduty: { secretRef: "alerts-pagerduty" }, webhook: { secretRef: "alerts-hook" } } },
  },
  gcp: { name: "acme", target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" }, observability: { ...observability, alerts: { ...receivers, pagerduty: { secretRef: "acme-pagerduty" }, webhook: { secretRef: "acme-hook" } } } },
  onprem: {
    name: "acme",
    target: { cloud: "onprem" },
    platform: { secretStore: { vault: { server: "https://vault.acme.example.com:8200", role: "byoc" } } },
    observability,
  },
} as const;

/** The cloud's alarm resource on each target (none on-prem: nothing cloud-side). */
const ALARMS = { aws: "aws_cloudwatch_metric_alarm", azure: "azurerm_monitor_metric_alert", gcp: "google_monitoring_alert_policy" } as const;

describe.each(Object.keys(specs) as (keyof typeof specs)[])("%s", (cloud) => {
  let platform: StackJson;
  let infra: StackJson | undefined;
  test("synthesizes", async () => {
    const stacks = await synth(specs[cloud]);
    platform = stacks.platform;
    infra = stacks.infra;
  }, 120_000);

  test("the spec's retention reaches Prometheus, Thanos, Loki and Tempo", () => {
    expect(chart(platform, "kube-prometheus-stack").values.prometheus.prometheusSpec.retention).toBe("10d");
    const compactor = platform.resources("kubernetes_stateful_set_v1").find((s) => s.metadata.name === "thanos-compact");
    expect(compactor?.spec.template.spec.container[0].args).toContain("--retention.resolution-1h=200d");
    expect(chart(platform, "loki").values.loki.limits_config.retention_period).toBe("504h");
    expect(chart(platform, "tempo").values.tempo.retention).toBe("120h");
  });

  test("Prometheus keeps its data on a volume", () => {
    const spec = chart(platform, "kube-prometheus-stack").values.prometheus.prometheusSpec;
    expect(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("50Gi");
  });

  test("the stores reach their buckets with an identity or the platform's keys, never keys in values", () => {
    const loki = chart(platform, "loki").values;
    const text = JSON.stringify(platform.json);
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}|"(access_key_id|secret_access_key|account_key|sas_token)"\s*:\s*"[^$]/);
    if (cloud === "onprem") {
      // The platform's own SeaweedFS identity, copied by a store that reads only that Secret.
      const store = object(platform, "SecretStore", "loki-object-store-reader").object;
      expect(store.spec.provider.kubernetes.remoteNamespace).toBe("data");
      const role = platform.resources("kubernetes_role_v1").find((r) => r.metadata.name === "loki-object-store-reader");
      expect(role?.rule).toEqual([{ api_groups: [""], resources: ["secrets"], resource_names: ["object-store-platform-client"], verbs: ["get"] }]);
    } else {
      const bound = { aws: "aws_eks_pod_identity_association", azure: "azurerm_federated_identity_credential", gcp: "google_service_account_iam_member" }[cloud];
      const subjects = platform.resources(bound).map((b) => JSON.stringify(b));
      for (const sa of ["prometheus", "loki", "tempo"]) expect(subjects.some((s) => s.includes(sa)), `${bound} for ${sa}`).toBe(true);
      expect(loki.loki.storage.bucketNames).toBeDefined();
    }
  });

  test("receivers come from synced secrets, and Grafana's admin from an existing Secret", () => {
    const synced = manifests(platform)
      .filter((m) => m.object.kind === "ExternalSecret" && m.object.metadata.namespace === "observability")
      .flatMap((m) => JSON.stringify(m.object));
    expect(synced.join()).toContain(specs[cloud].observability.alerts.pagerduty.secretRef);
    expect(chart(platform, "kube-prometheus-stack").values.grafana.admin.existingSecret).toBe("grafana-admin");
    expect(chart(platform, "kube-prometheus-stack").values.grafana["grafana.ini"]?.["auth.anonymous"]?.enabled ?? false).toBe(false);
  });

  test("both observability namespaces deny all traffic by default", () => {
    const denied = platform
      .resources("kubernetes_network_policy_v1")
      .filter((p) => p.metadata.name === "default-deny-all")
      .map((p) => p.metadata.namespace);
    expect(denied.join()).toMatch(/Observability_Namespace_/);
    expect(denied.join()).toMatch(/Observability_NodeAgentsNamespace_/);
  });

  test("the cloud's own alarms route to the same receivers", () => {
    if (cloud === "onprem") return expect(infra).toBeUndefined();
    const alarms = infra!.resources(ALARMS[cloud]);
    expect(alarms.length).toBeGreaterThan(3);
    expect(JSON.stringify(infra!.json)).toContain("oncall@acme.example.com");
  });
});

describe("observability off", () => {
  test("no stores, no alarms, and the buckets keep their 30-day lifecycle", async () => {
    const { platform, infra } = await synth({ ...specs.aws, observability: { enabled: false } });
    expect(platform.resources("helm_release").map((r) => r.chart)).not.toContain("kube-prometheus-stack");
    expect(infra.resources("aws_cloudwatch_metric_alarm")).toEqual([]);
  }, 120_000);
});

describe("helm values", () => {
  test("a literal ${...} or %{...} is escaped for Terraform; cdktf tokens are not", () => {
    expect(helmYaml({ a: "node=${NODE_NAME}", b: "%{if x}", c: "${TfToken[TOKEN.1]}" })).toBe("a: node=$${NODE_NAME}\nb: \"%%{if x}\"\nc: ${TfToken[TOKEN.1]}\n");
  });
});

describe("on-prem data layer metrics", () => {
  test("CloudNativePG's instances are scraped on their exporter, which the data namespace admits from observability", async () => {
    const { platform } = await synth(specs.onprem);
    const monitor = object(platform, "PodMonitor", "postgres").object;
    expect(monitor.spec.selector).toEqual({ matchLabels: { "cnpg.io/cluster": "postgres" } });
    expect(monitor.spec.podMetricsEndpoints.map((e: { port: string }) => e.port)).toEqual(["metrics"]);
    const admit = platform.resources("kubernetes_network_policy_v1").find((p) => p.metadata.name === "allow-from-observability");
    expect(admit?.spec.ingress[0].ports.map((p: { port: string }) => p.port)).toEqual(["8333", "9187"]);
  }, 120_000);
});
