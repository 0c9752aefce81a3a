import type { DeploymentSpec } from "../lib/config/spec";
import type { ObservabilityProps } from "../lib/observability/observability";
import type { AlertReceivers } from "../lib/observability/receivers";

/**
 * The Observability construct's props from the spec, on every target; the stack adds
 * its target and the Platform's External Secrets. Undefined when observability is off.
 */
export function observabilityProps(spec: DeploymentSpec): Omit<ObservabilityProps, "target" | "secrets"> | undefined {
  const o = spec.observability;
  if (!o) return undefined;
  return {
    highAvailability: spec.tier !== "small",
    metricsRetentionDays: o.metrics.retentionDays,
    longTermMetricsDays: o.metrics.longTermDays,
    metricsVolumeGb: o.metrics.volumeGb,
    logsRetentionDays: o.logs.retentionDays,
    logsMode: o.logs.mode,
    traces: o.traces.backend,
    tracesRetentionDays: o.traces.retentionDays,
    receivers: alertReceivers(spec),
    grafanaAdminSecret: o.grafana.admin?.secretRef,
    protection: spec.data.protection,
  };
}

/** The spec's alert receivers, for Alertmanager and for the cloud's own alarms. */
export function alertReceivers(spec: DeploymentSpec): AlertReceivers {
  const { pagerduty, slack, email, webhook } = spec.observability?.alerts ?? {};
  return { pagerduty, slack, webhook, email };
}
