import { NatGateway } from "@cdktf/provider-azurerm/lib/nat-gateway";
import { NatGatewayPublicIpAssociation } from "@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association";
import { NetworkSecurityGroup, type NetworkSecurityGroupSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkWatcherFlowLog } from "@cdktf/provider-azurerm/lib/network-watcher-flow-log";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { Subnet, type SubnetDelegation } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { format, overlaps, parseIpv4Cidr, subnet as cidrSubnet } from "../core/cidr";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { INetwork } from "./network";
import { azurePlan } from "./plan";

export interface AzureNetworkProps {
  readonly spec: DeploymentSpec;
  /** The Azure region. */
  readonly location: string;
  readonly naming: Naming;
}

/**
 * A resource group and VNet with a subnet per role: cluster nodes (outbound through a
 * NAT gateway), the AKS API server (delegated, for API server VNet integration),
 * private endpoints, and a database subnet delegated to PostgreSQL flexible server.
 * Default outbound access is off on every subnet, every subnet has an NSG that refuses
 * inbound traffic from the internet, and VNet flow logs go to a storage account that
 * is closed to public networks.
 */
export class AzureNetwork extends Construct implements INetwork {
  readonly resourceGroup: ResourceGroup;
  readonly vnet: VirtualNetwork;
  readonly cidr: string;
  readonly zones: readonly string[];
  readonly peerCidrs: readonly string[];
  readonly nodesSubnet: Subnet;
  /** Delegated to AKS: the API server's internal load balancer and pods live here. */
  readonly apiServerSubnet: Subnet;
  readonly privateEndpointsSubnet: Subnet;
  readonly databaseSubnet: Subnet;
  readonly location: string;
  /** The AKS overlay's pod range: outside the VNet and every peer's ranges. */
  readonly podCidr: string;
  /** The cluster's Service range, likewise outside every routed range. */
  readonly serviceCidr: string;
  /**
   * What a cluster in this network must wait for: the NSG and NAT gateway associations
   * of its subnets (AKS checks the NAT gateway at creation, and Azure refuses
   * concurrent writes to a subnet that is being joined).
   */
  readonly clusterDependencies: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AzureNetworkProps) {
    super(scope, id);
    setComponent(this, "network");
    const { spec, naming } = props;
    const net = spec.network;
    this.location = props.location;
    this.cidr = net.cidr;
    this.zones = net.zones;
    this.peerCidrs = net.peers.flatMap((p) => p.cidrs);
    const plan = azurePlan(net.cidr);
    const location = this.location;
    [this.podCidr, this.serviceCidr] = clusterRanges([net.cidr, ...this.peerCidrs]);

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", { name: naming.name("rg", undefined, 90), location });
    const resourceGroupName = this.resourceGroup.name;
    this.vnet = new VirtualNetwork(this, "Vnet", {
      name: naming.name("vnet", undefined, 64),
      location,
      resourceGroupName,
      addressSpace: [net.cidr],
    });

    const subnet = (
      key: string,
      name: string,
      prefix: string,
      extra: { delegation?: SubnetDelegation[]; privateEndpointNetworkPolicies?: string } = {},
      allows: NetworkSecurityGroupSecurityRule[] = [],
    ) => {
      const s = new Subnet(this, `Subnet-${key}`, {
        name,
        resourceGroupName,
        virtualNetworkName: this.vnet.name,
        addressPrefixes: [prefix],
        defaultOutboundAccessEnabled: false,
        ...extra,
      });
      const nsg = new NetworkSecurityGroup(this, `Nsg-${key}`, {
        name: naming.name(name, "nsg", 80),
        location,
        resourceGroupName,
        securityRule: [
          ...allows,
          {
            name: "deny-internet-inbound",
            description: "Nothing on this subnet is reachable from the internet; allows for ingress are added above this rule.",
            priority: 4096,
            direction: "Inbound",
            access: "Deny",
            protocol: "*",
            sourceAddressPrefix: "Internet",
            sourcePortRange: "*",
            destinationAddressPrefix: "*",
            destinationPortRange: "*",
          },
        ],
      });
      const assoc = new SubnetNetworkSecurityGroupAssociation(this, `NsgAssoc-${key}`, { subnetId: s.id, networkSecurityGroupId: nsg.id });
      return { subnet: s, assoc };
    };
    // Overlay pod traffic keeps pod addresses and is subject to the NSG: AKS asks for an
    // explicit allow wherever a deny rule could match it.
    const nodes = subnet("nodes", "nodes", plan.nodes, {}, [allow("allow-pods-inbound", 100, "*", this.podCidr, "*")]);
    this.nodesSubnet = nodes.subnet;
    // A public-restricted API server is reached from the allowlist through its subnet; a
    // private one only from the VNet and its peers (the NSG's default VNet rule).
    const publicApi = spec.cluster.endpoint === "public-restricted";
    const apiServer = subnet(
      "api-server",
      "api-server",
      plan.apiServer,
      {
        delegation: [
          {
            name: "aks-api-server",
            serviceDelegation: {
              name: "Microsoft.ContainerService/managedClusters",
              actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
            },
          },
        ],
      },
      publicApi ? [allow("allow-api-allowlist", 100, "Tcp", spec.cluster.allowedCidrs, "443")] : [],
    );
    this.apiServerSubnet = apiServer.subnet;
    // NSGs and route tables apply to private endpoints only with network policies on.
    this.privateEndpointsSubnet = subnet("private-endpoints", "private-endpoints", plan.privateEndpoints, {
      privateEndpointNetworkPolicies: "Enabled",
    }).subnet;
    this.databaseSubnet = subnet("database", "database", plan.database, {
      delegation: [
        {
          name: "postgresql-flexible-server",
          serviceDelegation: {
            name: "Microsoft.DBforPostgreSQL/flexibleServers",
            actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
          },
        },
      ],
    }).subnet;

    // A subnet takes one NAT gateway. A "no zone" Standard gateway sits in a zone
    // Azure picks and shares its fate; zone-redundant NAT (StandardV2) needs a newer
    // azurerm than this kit's pinned 4.55.
    const natIp = new PublicIp(this, "NatIp", {
      name: naming.name("nat", "ip", 80),
      location,
      resourceGroupName,
      sku: "Standard",
      allocationMethod: "Static",
    });
    const nat = new NatGateway(this, "Nat", { name: naming.name("nat", undefined, 80), location, resourceGroupName, skuName: "Standard", idleTimeoutInMinutes: 4 });
    new NatGatewayPublicIpAssociation(this, "NatIpAssoc", { natGatewayId: nat.id, publicIpAddressId: natIp.id });
    const natAssoc = new SubnetNatGatewayAssociation(this, "NatAssoc-nodes", { subnetId: this.nodesSubnet.id, natGatewayId: nat.id });
    this.clusterDependencies.push(nodes.assoc, apiServer.assoc, natAssoc);

    this.flowLogs(naming, net.flowLogRetentionDays);
  }

  /** The gateway subnet for a VPN gateway (Azure requires the name; it takes no NSG). */
  gatewaySubnet(): Subnet {
    return new Subnet(this, "Subnet-gateway", {
      name: "GatewaySubnet",
      resourceGroupName: this.resourceGroup.name,
      virtualNetworkName: this.vnet.name,
      addressPrefixes: [azurePlan(this.cidr).gateway],
    });
  }

  private flowLogs(naming: Naming, retentionDays: number) {
    // Network Watcher writes through the trusted-services bypass; this provider
    // version has no managed-identity option for flow logs, so shared-key auth stays on.
    const account = protect(
      new StorageAccount(this, "FlowLogStorage", {
        // Storage account names are global: a hash of the resource group id (which holds
        // the subscription) makes the name unique per subscription and stable.
        name: Fn.join("", [naming.compact("flowlogs", 16), Fn.substr(Fn.sha1(this.resourceGroup.id), 0, 8)]),
        location: this.location,
        resourceGroupName: this.resourceGroup.name,
        accountTier: "Standard",
        // ZRS exists only in regions with availability zones.
        accountReplicationType: this.zones.length > 0 ? "ZRS" : "LRS",
        accountKind: "StorageV2",
        minTlsVersion: "TLS1_2",
        httpsTrafficOnlyEnabled: true,
        allowNestedItemsToBePublic: false,
        infrastructureEncryptionEnabled: true,
        crossTenantReplicationEnabled: false,
        defaultToOauthAuthentication: true,
        networkRules: { defaultAction: "Deny", bypass: ["AzureServices"] },
        blobProperties: { deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
      }),
    );
    new NetworkWatcherFlowLog(this, "FlowLog", {
      name: naming.name("vnet", "flow-logs", 80),
      // The watcher Azure creates per region when the first VNet is made.
      networkWatcherName: `NetworkWatcher_${this.location}`,
      resourceGroupName: "NetworkWatcherRG",
      targetResourceId: this.vnet.id,
      storageAccountId: account.id,
      enabled: true,
      version: 2,
      retentionPolicy: { enabled: true, days: retentionDays },
      // Azure creates the region's watcher when the first VNet appears.
      dependsOn: [this.vnet],
    });
  }
}

/** An inbound allow rule, placed above the NSG's internet deny. */
function allow(name: string, priority: number, protocol: string, sources: string | string[], ports: string): NetworkSecurityGroupSecurityRule {
  return {
    name,
    priority,
    direction: "Inbound",
    access: "Allow",
    protocol,
    ...(Array.isArray(sources) ? { sourceAddressPrefixes: sources } : { sourceAddressPrefix: sources }),
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: ports,
  };
}

/** RFC 6598 shared space: where the AKS overlay takes its pod and Service ranges. */
const CLUSTER_SPACE = parseIpv4Cidr("100.64.0.0/10")!;

/**
 * The first two /16s of 100.64.0.0/10 that overlap none of the given ranges (the VNet
 * and the site-to-site peers): pods, then Services. Overlay pod traffic to a range it
 * overlaps would never leave the node, so the choice avoids every routed range. For a
 * usual spec this is 100.64.0.0/16 and 100.65.0.0/16.
 */
export function clusterRanges(taken: readonly string[]): [pods: string, services: string] {
  const blocks = taken.map((c) => parseIpv4Cidr(c)!);
  const free: string[] = [];
  for (let i = 0; i < 2 ** (16 - CLUSTER_SPACE.prefix) && free.length < 2; i++) {
    const candidate = cidrSubnet(CLUSTER_SPACE, 16, i);
    if (!blocks.some((b) => overlaps(b, parseIpv4Cidr(candidate)!))) free.push(candidate);
  }
  if (free.length < 2) {
    throw new Error(`the network and its peers leave no two free /16s in ${format(CLUSTER_SPACE)} for the AKS pod and Service ranges; move a peer range out of it`);
  }
  return [free[0], free[1]];
}
