/**
 * The spec as the GCP constructs' props: the one place a GCP deployment reads its spec.
 * Region and project are not passed: every construct takes the google provider's (the
 * spec's region and project, or without a project the credentials' at plan time), and
 * every name comes from the stack's naming.
 */
import { machineShape } from "../lib/cluster/gke-node-pool";
import type { GkeClusterProps } from "../lib/cluster/gke";
import { nodePools, type DeploymentSpec } from "../lib/config/spec";
import type { GcpDataLayerProps } from "../lib/data/gcp";
import type { GcpDataStore, GcpKeys, GcpKeysProps } from "../lib/data/keys/gcp";
import type { GcpDnsProps } from "../lib/dns/gcp";
import type { GcpNetwork, GcpNetworkProps } from "../lib/network/gcp";
import { gcpPlan } from "../lib/network/plan";
import type { GcpPlatformTargetProps } from "../lib/platform/targets/gcp";
import type { GcpSiteToSiteVpnProps } from "../lib/vpn/gcp";
import type { GcpDataLayer } from "../lib/data/gcp";
import type { GcpCloudAlertsProps } from "../lib/observability/cloud/gcp";
import type { GcpSiteToSiteVpn } from "../lib/vpn/gcp";
import { alertReceivers } from "./observability-props";

/** A gcp target's spec. */
export type GcpSpec = DeploymentSpec & { readonly target: Extract<DeploymentSpec["target"], { cloud: "gcp" }> };

export function isGcpSpec(spec: DeploymentSpec): spec is GcpSpec {
  return spec.target.cloud === "gcp";
}

export function gcpNetworkProps(spec: GcpSpec): GcpNetworkProps {
  const { network } = spec;
  return {
    cidr: network.cidr,
    zones: network.zones,
    peerCidrs: network.peers.flatMap((p) => p.cidrs),
    flowLogRetentionDays: network.flowLogRetentionDays,
  };
}

export function gcpDnsProps(spec: GcpSpec, network: GcpNetwork): GcpDnsProps {
  return { networkId: network.networkId, privateZone: spec.dns.privateZone, domain: spec.dns.domain };
}

/** Undefined without peers: no VPN. */
export function gcpVpnProps(spec: GcpSpec, network: GcpNetwork): GcpSiteToSiteVpnProps | undefined {
  const { peers } = spec.network;
  if (peers.length === 0) return undefined;
  return {
    networkId: network.networkId,
    peers: peers.map((peer) => {
      // The spec's validation requires both on gcp (HA VPN routes by BGP only).
      if (peer.bgpAsn === undefined || peer.tunnelInsideCidrs === undefined) throw new Error(`network.peers ${peer.name}: gcp needs bgpAsn and tunnelInsideCidrs`);
      return { name: peer.name, gatewayIp: peer.gatewayIp, pskSecret: peer.psk.secretRef, bgpAsn: peer.bgpAsn, tunnelInsideCidrs: peer.tunnelInsideCidrs };
    }),
  };
}

/**
 * The cluster's keys always; with the data layer (always on a cloud) the data key for
 * every store the spec turns on and the buckets, and the secrets key. The recovery region's key goes to the
 * backups bucket's copy and to Cloud SQL.
 */
export function gcpKeysProps(spec: GcpSpec, network: GcpNetwork): GcpKeysProps {
  const { data } = spec;
  const dataStores: GcpDataStore[] = [
    ...(data.postgres ? (["postgres"] as const) : []),
    ...(data.redis ? (["redis"] as const) : []),
    ...(data.documents ? (["documents"] as const) : []),
    "buckets",
  ];
  const recoveryRegion = data.disasterRecovery?.region;
  return {
    computeApi: network.apis,
    dataStores,
    // Every deployment has had the secrets key, Redis or not: it is kept (keys are never destroyed).
    secretsKey: true,
    recoveryRegion,
    recoveryStores: recoveryRegion
      ? [...(data.postgres ? (["postgres"] as const) : []), ...(data.buckets.includes("backups") ? (["buckets"] as const) : [])]
      : undefined,
    protection: data.protection,
  };
}

export function gkeClusterProps(spec: GcpSpec, network: GcpNetwork, keys: GcpKeys): GkeClusterProps {
  const { cluster } = spec;
  const pools = nodePools(spec);
  const autoscaling = cluster.autoscaling === "node-auto-provisioning" ? "node-auto-provisioning" : "cluster-autoscaler";
  if (autoscaling === "node-auto-provisioning") {
    // Named by the spec's path; GkeCluster would name its own props.
    for (const [role, size] of Object.entries(pools)) {
      if (!machineShape(size.instanceType)) {
        throw new Error(
          `cluster.nodePools.${role}.instanceType: node auto-provisioning needs the machine's vCPUs for its limits; ` +
            `use a <family>-<standard|highcpu|highmem>-<vCPUs> or custom machine type such as n2-standard-8 (got "${size.instanceType}")`,
        );
      }
    }
  }
  return {
    network,
    clusterKey: keys.keyFor("cluster"),
    disksKey: keys.keyFor("disks"),
    version: cluster.version,
    endpoint: cluster.endpoint,
    allowedCidrs: cluster.allowedCidrs,
    admins: cluster.admins,
    systemPool: pools.system,
    workloadsPool: pools.workloads,
    autoscaling,
    gkeGateway: spec.platform.ingress === "gke-gateway",
    labels: spec.tags,
  };
}

/** A store gets props only where the spec turns it on, with the sizes the spec resolved from its tier. */
export function gcpDataProps(spec: GcpSpec, network: GcpNetwork, keys: GcpKeys): GcpDataLayerProps {
  const { data } = spec;
  const protection = data.protection;
  const recoveryRegion = data.disasterRecovery?.region;
  return {
    postgres: data.postgres && {
      network,
      key: keys.keyFor("postgres"),
      version: data.postgres.version,
      instanceClass: data.postgres.instanceClass,
      storageGb: data.postgres.storageGb,
      maxStorageGb: data.postgres.maxStorageGb,
      ha: data.postgres.ha,
      backupDays: data.postgres.backupDays,
      backupLocation: recoveryRegion,
      protection,
      labels: spec.tags,
    },
    // Firestore keeps backups as long as PostgreSQL does.
    documents: data.documents && { key: keys.keyFor("documents"), backupDays: data.postgres?.backupDays, protection },
    // A size in GB (validate-data.ts checks it).
    redis: data.redis && { network, key: keys.keyFor("redis"), secretsKey: keys.keyFor("secrets"), memorySizeGb: Number(data.redis.nodeType), protection },
    buckets: {
      key: keys.keyFor("buckets"),
      purposes: data.buckets,
      retentionDays: data.retentionDays,
      recovery: recoveryRegion ? { region: recoveryRegion, key: keys.keyFor("recovery") } : undefined,
      protection,
    },
  };
}

export function gcpTargetProps(spec: GcpSpec, network: GcpNetwork): Omit<GcpPlatformTargetProps, "cluster" | "data" | "publicZoneName" | "controlPlaneCidr"> {
  const plan = gcpPlan(network.cidr);
  return {
    privateServiceCidr: network.privateServiceCidr,
    networkCidr: network.cidr,
    gkeGateway: spec.platform.ingress === "gke-gateway",
    // UDP services' firewall rules: in the VPC, with the nodes and pods as in-cluster clients.
    networkId: network.networkId,
    clusterCidrs: [plan.nodes, plan.pods],
  };
}

/** The cloud's own alarms on what the infra stack creates, routed to the spec's receivers. */
export function gcpCloudAlertsProps(
  spec: GcpSpec,
  parts: { network: GcpNetwork; vpn?: GcpSiteToSiteVpn; cluster: { readonly name: string }; data: GcpDataLayer },
): GcpCloudAlertsProps {
  const { data } = parts;
  return {
    receivers: alertReceivers(spec),
    postgres: data.postgres && { instanceName: data.postgres.instanceName, tier: data.postgres.instanceClass },
    redisInstanceId: data.redis?.instance.id,
    natGateways: { nodes: parts.network.natName },
    vpnTunnels: parts.vpn?.tunnelNames,
    clusterName: parts.cluster.name,
  };
}
