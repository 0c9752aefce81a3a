import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { EksCluster, EksClusterProps } from "../lib/cluster/eks";
import type { KarpenterProps } from "../lib/cluster/karpenter";
import { nodePools, type DeploymentSpec } from "../lib/config/spec";
import type { AwsKeys, AwsKeysProps, DisasterRecoveryRegion } from "../lib/data/keys/aws";
import type { AwsDns, AwsDnsProps } from "../lib/dns/aws";
import type { AwsNetwork, AwsNetworkProps } from "../lib/network/aws";
import type { AwsPlatformTargetProps } from "../lib/platform/targets/aws";
import type { AwsSiteToSiteVpnProps } from "../lib/vpn/aws";
import type { AwsDataLayer } from "../lib/data/aws";
import type { AwsCloudAlarmsProps } from "../lib/observability/cloud/aws";
import type { AwsSiteToSiteVpn } from "../lib/vpn/aws";
import { alertReceivers } from "./observability-props";

/**
 * The spec as the AWS infra constructs' props: the one place an AWS deployment reads its
 * spec (the data layer's mapping is in aws-data-props.ts). Region is not passed: every
 * construct takes the AWS provider's, which carries the spec's region; every name comes
 * from the stack's naming.
 */

/** An aws target's spec. */
export type AwsSpec = DeploymentSpec & { readonly target: Extract<DeploymentSpec["target"], { cloud: "aws" }> };

export function isAwsSpec(spec: DeploymentSpec): spec is AwsSpec {
  return spec.target.cloud === "aws";
}

/** With disaster recovery, the data key gets a replica in that region. */
export function awsKeysProps(spec: AwsSpec, disasterRecovery: DisasterRecoveryRegion | undefined): AwsKeysProps {
  return { protection: spec.data.protection, disasterRecovery };
}

export function awsNetworkProps(spec: AwsSpec, keys: AwsKeys): AwsNetworkProps {
  const { network } = spec;
  return {
    cidr: network.cidr,
    zones: network.zones,
    natGateways: network.natGateways,
    endpoints: network.endpoints,
    flowLogRetentionDays: network.flowLogRetentionDays,
    peerCidrs: network.peers.flatMap((p) => p.cidrs),
    logsKey: keys.logs,
    accountId: keys.accountId,
  };
}

/** `usEast1Provider` undefined: the stack's own provider is in us-east-1 (or there is no public zone). */
export function awsDnsProps(spec: AwsSpec, network: AwsNetwork, keys: AwsKeys, usEast1Provider: AwsProvider | undefined): AwsDnsProps {
  const { dns } = spec;
  return {
    vpcId: network.vpcId,
    privateZone: dns.privateZone,
    domain: dns.domain,
    acmCertificate: dns.certificates === "acm",
    usEast1Provider,
    queryLogs: dns.queryLogs,
    // Query logs are kept like the flow logs; their keys are protected like the kit's others.
    queryLogRetentionDays: spec.network.flowLogRetentionDays,
    dnssec: dns.dnssec,
    protection: spec.data.protection,
    accountId: keys.accountId,
    partition: keys.partition,
  };
}

/** Undefined without peers: no VPN. */
export function awsVpnProps(spec: AwsSpec, network: AwsNetwork, keys: AwsKeys): AwsSiteToSiteVpnProps | undefined {
  const { peers, flowLogRetentionDays } = spec.network;
  if (peers.length === 0) return undefined;
  return {
    network,
    peers: peers.map((p) => ({ name: p.name, cidrs: p.cidrs, gatewayIp: p.gatewayIp, pskSecret: p.psk.secretRef, bgpAsn: p.bgpAsn, tunnelInsideCidrs: p.tunnelInsideCidrs })),
    logsKey: keys.logs,
    logRetentionDays: flowLogRetentionDays,
  };
}

export function eksClusterProps(spec: AwsSpec, network: AwsNetwork, keys: AwsKeys): EksClusterProps {
  const { cluster, platform } = spec;
  return {
    network,
    secretsKey: keys.cluster,
    logsKey: keys.logs,
    volumesKey: keys.volumes,
    version: cluster.version,
    systemPool: nodePools(spec).system,
    endpoint: cluster.endpoint,
    allowedCidrs: cluster.allowedCidrs,
    admins: cluster.admins,
    logRetentionDays: spec.network.flowLogRetentionDays,
    remoteAccess: spec.vpn.remoteAccess !== undefined,
    gitOverSsh: platform.gitops !== undefined && !platform.gitops.repo.startsWith("https://"),
    tags: spec.tags,
    accountId: keys.accountId,
    partition: keys.partition,
  };
}

export function karpenterProps(spec: AwsSpec, cluster: EksCluster, keys: AwsKeys): KarpenterProps {
  return { cluster, volumesKey: keys.volumes, eventsKey: keys.events, workloadsPool: nodePools(spec).workloads, tags: spec.tags };
}

export function awsTargetProps(spec: AwsSpec, network: AwsNetwork, dns: AwsDns, keys: AwsKeys): Omit<AwsPlatformTargetProps, "cluster" | "karpenter" | "data"> {
  return {
    network,
    volumesKey: keys.volumes,
    dataSubnetCidrs: network.dataSubnetCidrs,
    endpointSubnetCidrs: network.privateSubnetCidrs,
    publicZoneId: dns.publicZone?.zoneId,
    albIngress: spec.platform.ingress === "aws-load-balancer-controller",
    // Static load balancer addresses are kept like the data: peers allowlist them.
    protection: spec.data.protection,
  };
}

/** The cloud's own alarms on what the infra stack creates, routed to the spec's receivers. */
export function awsCloudAlarmsProps(
  spec: AwsSpec,
  parts: { network: AwsNetwork; vpn?: AwsSiteToSiteVpn; cluster: EksCluster; data: AwsDataLayer; keys: AwsKeys },
): AwsCloudAlarmsProps {
  const { postgres, documents, redis } = parts.data;
  return {
    receivers: alertReceivers(spec),
    topicKeyArn: parts.keys.events.arn,
    postgres: postgres && { instanceId: postgres.instance.identifier, allocatedStorageGb: postgres.storageGb, instanceClass: postgres.instanceClass },
    documents: documents && { instanceIds: documents.instances.map((i) => i.identifier) },
    redis: redis && { replicationGroupId: redis.replicationGroup.replicationGroupId, cacheClusters: redis.ha ? 2 : 1 },
    natGateways: parts.network.natGatewayIds,
    vpnConnections: parts.vpn?.connectionIds,
    // Karpenter's nodes have no Auto Scaling group: the in-cluster rules watch them.
    nodeGroups: { system: parts.cluster.systemNodes.nodeGroup.resources.get(0).autoscalingGroups.get(0).name },
  };
}
