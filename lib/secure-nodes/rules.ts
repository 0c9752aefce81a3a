import type { RuleGroup } from "../observability/rules";
import type { SecureNodesSettings } from "./settings";
import { CONTAINER } from "./workload";

/**
 * The tier's alerts, scoped to its namespace (the tier has one to itself):
 * - SecureNodesNoActiveSessions: no session on any node for `noSessionsFor`, also when
 *   the nodes report nothing at all (down, or metric names that do not match);
 * - SecureNodesHandshakeFailures: the failed share of handshakes over 5 minutes above
 *   `handshakeFailureRatio` for 10 minutes;
 * - SecureNodesHandshakeLatencyHigh: the 99th percentile of handshake time above
 *   `handshakeP99Ms` for 10 minutes;
 * - SecureNodeRestarting: a node's container restarted `restartsPerHour` times within an
 *   hour (kube-state-metrics).
 */
export function secureNodesRuleGroups(settings: SecureNodesSettings): RuleGroup[] {
  const ns = settings.namespace;
  const m = settings.metricNames;
  const a = settings.alerts;
  const sel = `{namespace="${ns}"}`;
  return [
    {
      name: `cdktf-byoc.secure-nodes.${ns}`,
      rules: [
        {
          alert: "SecureNodesNoActiveSessions",
          expr: `(sum(${m.sessionsActive}${sel}) or vector(0)) == 0`,
          for: a.noSessionsFor,
          labels: { severity: "warning", namespace: ns },
          annotations: {
            summary: "The secure-node tier holds no session.",
            description: `No node in namespace ${ns} has reported an active session for ${a.noSessionsFor}. Check that peers reach the load balancer (source ranges, firewall, NetworkPolicy), the nodes' readiness, and that ${m.sessionsActive} is scraped.`,
          },
        },
        {
          alert: "SecureNodesHandshakeFailures",
          expr: `sum by (namespace) (rate(${m.handshakeFailures}${sel}[5m])) / sum by (namespace) (rate(${m.handshakes}${sel}[5m])) > ${a.handshakeFailureRatio}`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Many handshakes with the secure nodes fail.",
            description: `{{ $value | humanizePercentage }} of the handshakes in namespace {{ $labels.namespace }} failed over 5 minutes (threshold ${a.handshakeFailureRatio}). Check peers' keys and auth modes, and the nodes' logs.`,
          },
        },
        {
          alert: "SecureNodesHandshakeLatencyHigh",
          expr: `histogram_quantile(0.99, sum by (namespace, le) (rate(${m.handshakeDuration}_bucket${sel}[5m]))) > ${a.handshakeP99Ms}`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Handshakes with the secure nodes are slow.",
            description: `The 99th percentile of handshake time in namespace {{ $labels.namespace }} is {{ $value | printf "%.0f" }} ms (threshold ${a.handshakeP99Ms} ms). Check the nodes' CPU, the HSM's latency and the network to the peers.`,
          },
        },
        {
          alert: "SecureNodeRestarting",
          expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{namespace="${ns}", container="${CONTAINER}"}[1h])) >= ${a.restartsPerHour}`,
          labels: { severity: "warning" },
          annotations: {
            summary: "A secure node keeps restarting.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last hour. Check its previous logs, its probes and its memory limit.`,
          },
        },
      ],
    },
  ];
}
