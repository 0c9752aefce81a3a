import type { AksClusterProps } from "../lib/cluster/aks";
import { nodePools, type DeploymentSpec } from "../lib/config/spec";
import type { AzureDataLayerProps } from "../lib/data/azure";
import { AzureKeys, type AzureKeysProps } from "../lib/data/keys/azure";
import type { AzureDnsProps } from "../lib/dns/azure";
import type { AzureNetwork, AzureNetworkProps } from "../lib/network/azure";
import type { AzurePlatformTargetProps } from "../lib/platform/targets/azure";
import type { AzureSiteToSiteVpnProps } from "../lib/vpn/azure";
import type { AksCluster } from "../lib/cluster/aks";
import type { AzureDataLayer } from "../lib/data/azure";
import type { AzureCloudAlertsProps } from "../lib/observability/cloud/azure";
import type { AzureSiteToSiteVpn } from "../lib/vpn/azure";
import { alertReceivers } from "./observability-props";

/**
 * The spec as the Azure constructs' props: the one place an Azure deployment reads its
 * spec. Every name comes from the stack's naming.
 */

/** An azure target's spec. */
export type AzureSpec = DeploymentSpec & { readonly target: Extract<DeploymentSpec["target"], { cloud: "azure" }> };

export function isAzureSpec(spec: DeploymentSpec): spec is AzureSpec {
  return spec.target.cloud === "azure";
}

/** The spec's public allowlist, which the API server, its subnet and the vault share; empty for a private cluster. */
function allowedCidrs(spec: AzureSpec): string[] {
  return spec.cluster.endpoint === "public-restricted" ? spec.cluster.allowedCidrs : [];
}

export function azureNetworkProps(spec: AzureSpec): AzureNetworkProps {
  const { network, secureNodes } = spec;
  return {
    location: spec.target.region,
    cidr: network.cidr,
    zones: network.zones,
    peerCidrs: network.peers.flatMap((p) => p.cidrs),
    apiServerAllowedCidrs: allowedCidrs(spec),
    flowLogRetentionDays: network.flowLogRetentionDays,
    // The secure-node tier's Service (named as the workload names it) is admitted from
    // its trusted peers only by the nodes subnet's NSG, the layer beneath its load balancer.
    udpServices: secureNodes && [{ name: "secure-nodes", port: secureNodes.udpPort, peers: secureNodes.trustedPeers }],
  };
}

export function azureDnsProps(spec: AzureSpec, network: AzureNetwork): AzureDnsProps {
  return { network, domain: spec.dns.domain, privateZoneName: spec.dns.privateZone };
}

/** Undefined without peers: no VPN. The gateway subnet is created in the network for it. */
export function azureVpnProps(spec: AzureSpec, network: AzureNetwork): AzureSiteToSiteVpnProps | undefined {
  const { peers } = spec.network;
  if (peers.length === 0) return undefined;
  const keyVaultId = spec.target.keyVaultId;
  // The spec's validation requires target.keyVaultId with peers on azure (validate.ts).
  if (!keyVaultId) throw new Error("network.peers on azure need target.keyVaultId, the Key Vault holding the pre-shared keys");
  return {
    network,
    gatewaySubnetId: network.gatewaySubnet().id,
    peers: peers.map((peer) => ({ name: peer.name, cidrs: peer.cidrs, gatewayIp: peer.gatewayIp, pskSecretName: peer.psk.secretRef })),
    keyVaultId,
    sku: spec.tier === "small" ? "VpnGw1AZ" : "VpnGw2AZ",
  };
}

export function azureKeysProps(spec: AzureSpec, network: AzureNetwork): AzureKeysProps {
  const { data } = spec;
  return {
    network,
    allowedCidrs: allowedCidrs(spec),
    protection: data.protection,
    // The document database's administrator password is generated into the vault.
    deployerWritesSecrets: data.documents !== undefined,
    // PostgreSQL's geo-redundant backups are encrypted with a key in the paired region.
    disasterRecovery: Boolean(data.disasterRecovery && data.postgres),
  };
}

export function aksClusterProps(spec: AzureSpec, network: AzureNetwork, keys: AzureKeys): AksClusterProps {
  const pools = nodePools(spec);
  return {
    network,
    kmsKey: keys.etcd,
    kmsKeyVaultId: keys.keyVaultId,
    // The one wrap/unwrap key of the deployment: Azure has no separate volumes key.
    disksKey: keys.data,
    version: spec.cluster.version,
    allowedCidrs: allowedCidrs(spec),
    admins: spec.cluster.admins,
    systemPool: pools.system,
    workloadsPool: pools.workloads,
    podCidr: network.podCidr,
    serviceCidr: network.serviceCidr,
    // As long as the flow logs (at most 365 days on Azure), and at least Log Analytics' minimum of 30.
    logRetentionDays: Math.max(30, spec.network.flowLogRetentionDays),
  };
}

export function azureDataProps(spec: AzureSpec, network: AzureNetwork, keys: AzureKeys, logsWorkspaceId: string): AzureDataLayerProps {
  const { postgres, documents, redis, disasterRecovery, protection, buckets, retentionDays } = spec.data;
  return {
    network,
    key: keys.data,
    logsWorkspaceId,
    protection,
    postgres: postgres && {
      version: postgres.version,
      instanceClass: postgres.instanceClass,
      storageGb: postgres.storageGb,
      ha: postgres.ha,
      backupDays: postgres.backupDays,
      database: spec.name,
      geoBackup: keys.geo && { location: keys.geo.location, key: keys.geo.data },
    },
    documents: documents && { instanceClass: documents.instanceClass, ha: documents.instances > 1, database: spec.name, adminPasswordVault: keys },
    redis: redis && { nodeType: redis.nodeType },
    buckets: { buckets, retentionDays, geoRedundant: disasterRecovery !== undefined },
  };
}

/** The target's props but the cluster and the data layer, which the stack passes. */
export function azureTargetProps(spec: AzureSpec, network: AzureNetwork, keys: AzureKeys): Omit<AzurePlatformTargetProps, "cluster" | "data"> {
  const external = spec.target.keyVaultId;
  return {
    // External Secrets reads the spec's vault when it names one, else the deployment's.
    secretsVault: external ? AzureKeys.vaultFromId(external) : keys,
    // Pods live in the overlay range, outside the VNet: the private endpoints and the
    // database subnet are what tenants reach.
    tenantEgress: [{ cidr: network.privateEndpointsCidr }, { cidr: network.databaseCidr }],
    subscriptionId: spec.target.subscriptionId,
    networkCidr: network.cidr,
  };
}

/** The cloud's own alarms on what the infra stack creates, routed to the spec's receivers. */
export function azureCloudAlertsProps(
  spec: AzureSpec,
  parts: { network: AzureNetwork; vpn?: AzureSiteToSiteVpn; cluster: AksCluster; data: AzureDataLayer; keys: AzureKeys },
): AzureCloudAlertsProps {
  const { data, network } = parts;
  const vault = spec.target.keyVaultId;
  return {
    receivers: alertReceivers(spec),
    resourceGroupName: network.resourceGroupName,
    secretsVault: vault ? AzureKeys.vaultFromId(vault) : parts.keys,
    postgres: data.postgres && { serverId: data.postgres.server.id, sku: data.postgres.instanceClass },
    documentsId: data.documents?.cluster.id,
    redisId: data.redis?.cache.id,
    natGateways: { nodes: network.natGatewayId },
    vpnConnections: parts.vpn?.connectionIds,
    clusterId: parts.cluster.cluster.id,
  };
}
