import { describe, expect, test } from "vitest";
import { parseSpec } from "../../lib/config/spec";
import { TIERS } from "../../lib/config/tiers";
import { problems } from "../support/problems";

const aws = { name: "acme", target: { cloud: "aws", region: "eu-west-1" } };
const onprem = { name: "lab", target: { cloud: "onprem" } };

describe("observability defaults", () => {
  test("on by default: 15 days in Prometheus, 13 months in the bucket, 30 days of logs, Tempo 7 days, sizes from the tier", () => {
    const o = parseSpec(aws).observability;
    expect(o?.metrics).toEqual({ retentionDays: 15, longTermDays: 395, volumeGb: TIERS.small.observability.metricsVolumeGb });
    expect(o?.logs).toEqual({ retentionDays: 30, mode: "monolithic" });
    expect(o?.traces).toEqual({ backend: "tempo", retentionDays: 7 });
    expect(o?.alerts).toEqual({});
    expect(parseSpec({ ...aws, tier: "large" }).observability?.logs.mode).toBe("distributed");
    expect(parseSpec({ ...aws, tier: "large" }).observability?.metrics.volumeGb).toBe(TIERS.large.observability.metricsVolumeGb);
  });

  test("the spec's sizes win over the tier's", () => {
    const o = parseSpec({ ...aws, tier: "large", observability: { metrics: { volumeGb: 80 }, logs: { mode: "monolithic" } } }).observability;
    expect(o?.metrics.volumeGb).toBe(80);
    expect(o?.logs.mode).toBe("monolithic");
  });

  test("off: no observability, and the buckets keep their 30-day lifecycle", () => {
    const spec = parseSpec({ ...aws, observability: { enabled: false } });
    expect(spec.observability).toBeUndefined();
    expect(spec.data.retentionDays).toEqual({ logs: 30, metrics: 30 });
  });

  test("the buckets' lifecycle follows the retention a week behind, unless the spec sets one that is long enough", () => {
    const spec = parseSpec({ ...aws, observability: { metrics: { longTermDays: 90 }, logs: { retentionDays: 60 } }, data: { retentionDays: { config: 10 } } });
    expect(spec.data.retentionDays).toEqual({ logs: 67, metrics: 97, config: 10 });
    expect(parseSpec({ ...aws, data: { retentionDays: { metrics: 500 } } }).data.retentionDays.metrics).toBe(500);
    // Metrics kept in the cluster only: the bucket keeps its own default.
    expect(parseSpec({ ...aws, observability: { metrics: { longTermDays: 0 } } }).data.retentionDays.metrics).toBe(30);
  });

  test("receivers are secret references", () => {
    const alerts = {
      pagerduty: { secretRef: "alerts/pagerduty" },
      slack: { secretRef: "alerts/slack", channel: "#ops" },
      email: { to: ["ops@acme.example.com"], smtp: { smarthost: "smtp.acme.example.com:587", from: "alerts@acme.example.com", secretRef: "alerts/smtp" } },
      webhook: { secretRef: "alerts/hook" },
    };
    expect(parseSpec({ ...aws, observability: { alerts } }).observability?.alerts).toEqual(alerts);
  });
});

describe("a bad observability section is rejected with the path, the value and what is accepted", () => {
  test.each([
    [{ observability: { traces: { backend: "zipkin" } } }, 'observability.traces.backend: expected one of "tempo", "jaeger", "none" (got "zipkin")'],
    [{ observability: { metrics: { retentionDays: 0 } } }, "observability.metrics.retentionDays: at least 1 (got 0)"],
    [{ observability: { logs: { mode: "simple-scalable" } } }, 'observability.logs.mode: expected one of "monolithic", "distributed" (got "simple-scalable")'],
    [{ observability: { alerts: { pagerduty: "abc123" } } }, "observability.alerts.pagerduty: takes a reference to a secret, never the secret itself: write { secretRef: <the secret's name in the cloud's secret manager> } (value not shown)"],
    [{ observability: { alerts: { slack: { url: "https://hooks.slack.com/x" } } } }, "observability.alerts.slack.url: unknown field; the secret itself belongs in the cloud's secret manager, and here only { secretRef: <the secret's name in the cloud's secret manager> } (accepted: \"secretRef\", \"channel\")"],
    [{ observability: { alerts: { email: { to: ["not-an-address"] } } } }, 'observability.alerts.email.to[0]: must be an e-mail address such as ops@example.com (got "not-an-address")'],
    [{ observability: { alerts: { email: { to: [] } } } }, "observability.alerts.email.to: at least 1 entries (got [])"],
    [{ observability: { metrics: { retentionDays: 30, longTermDays: 10 } } }, "observability.metrics.longTermDays: must be 0 or at least metrics.retentionDays (30): the bucket keeps what Prometheus has already dropped (got 10)"],
    [
      { data: { buckets: ["config"] } },
      'data.buckets: observability.metrics.longTermDays needs the "metrics" bucket: add "metrics" to data.buckets, or set observability.metrics.longTermDays to 0 to keep metrics in the cluster only (got ["config"])',
    ],
    [
      { data: { retentionDays: { logs: 20 } } },
      "data.retentionDays.logs: the logs bucket would delete data observability.logs.retentionDays keeps for 30 days; set it to at least 37 (a week behind the compactor), or shorten observability.logs.retentionDays (got 20)",
    ],
  ])("%j", (extra, message) => {
    expect(problems({ ...aws, ...extra })).toContain(message);
  });

  test("on azure, a receiver the cloud's action group reads needs the spec's vault", () => {
    const azure = { name: "acme", target: { cloud: "azure", region: "westeurope" } };
    expect(problems({ ...azure, observability: { alerts: { webhook: { secretRef: "hook" } } } })).toContain(
      "observability.alerts.webhook: on azure needs target.keyVaultId: the vault holding the receiver's secret, read at plan time by Azure Monitor's action group (value not shown)",
    );
  });

  test("on-prem, a receiver's secret needs the Vault store", () => {
    expect(problems({ ...onprem, observability: { alerts: { slack: { secretRef: "alerts/slack" } } } })).toContain(
      'observability.alerts.slack: needs platform.secretStore on onprem: External Secrets has no store to read it from (value not shown)',
    );
  });

  test("OpenShift monitors itself: off by default there, refused when asked for", () => {
    const openshift = { name: "lab", target: { cloud: "onprem", distribution: "openshift" } };
    expect(parseSpec(openshift).observability).toBeUndefined();
    expect(problems({ ...openshift, observability: { enabled: true } })[0]).toMatch(/^observability.enabled: OpenShift monitors itself/);
  });

  test("a bucket observability needs twice is reported once", () => {
    const found = problems({ ...aws, data: { buckets: ["config"] } }).filter((p) => p.includes('"logs" bucket'));
    expect(found).toHaveLength(1);
  });
});
