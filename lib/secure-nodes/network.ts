import { PROMETHEUS, egressRules, tcp, type LabelSelector, type NetworkAllow } from "../platform/network-policies";
import type { SecureNodesSettings } from "./settings";

/**
 * What the nodes may send and receive besides the cluster's DNS, which the namespace's
 * default-deny keeps closed: the UDP port from the peers only (the Service keeps the
 * client address, `externalTrafficPolicy: Local`, so the policy sees the peer); the
 * health port from the load balancer's health checkers only; the metrics port from
 * Prometheus only; out, the peers' UDP port, the audit collector and the HSM. The
 * kubelet's probes need no rule: traffic from a pod's own node is always allowed.
 */
export function nodeAllows(settings: SecureNodesSettings, pods: LabelSelector, healthCheckSources: readonly string[]): NetworkAllow[] {
  const { audit, hsm } = settings;
  const ranges = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ cidr }));
  return [
    { name: "allow-peers", pods, ingress: [{ peers: ranges(settings.peers), ports: [{ port: settings.udpPort, protocol: "UDP" }] }] },
    { name: "allow-to-peers", pods, egress: [{ peers: ranges(settings.peers), ports: [{ port: settings.peerUdpPort, protocol: "UDP" }] }] },
    ...(healthCheckSources.length > 0 ? [{ name: "allow-health-checks", pods, ingress: [{ peers: ranges(healthCheckSources), ports: tcp(settings.healthPort) }] }] : []),
    { name: "allow-scrape", pods, ingress: [{ peers: [PROMETHEUS], ports: tcp(settings.metricsPort) }] },
    ...(audit ? [{ name: "allow-audit-sink", pods, egress: [{ peers: ranges(audit.cidrs), ports: tcp(audit.port) }] }] : []),
    ...(hsm ? [{ name: "allow-hsm", pods, egress: egressRules(hsm.egress) }] : []),
  ];
}
