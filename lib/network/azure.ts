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
import { dependable, Fn, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { knownZones } from "../config/regions";
import { NETWORK_PREFIX } from "../config/validate";
import { format, overlaps, parseIpv4Cidr, subnet as cidrSubnet } from "../core/cidr";
import { AzureKeyIdentity } from "../data/azure-key-identity";
import type { IAzureKey } from "../data/keys/azure";
import { namingOf, type Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { INetwork } from "./network";
import { azurePlan } from "./plan";
import { label, requireInt, requireProp } from "../core/validate";

/**
 * An Azure network as the rest of the kit uses it: ids only, so the kit's own
 * AzureNetwork and an existing VNet (AzureNetwork.fromVnetAttributes) fit alike.
 */
export interface IAzureNetwork extends INetwork {
  /** The region the kit's resources in this network are created in. */
  readonly location: string;
  /** The resource group the kit's resources are created in. */
  readonly resourceGroupName: string;
  /** That resource group's id: globally unique names (vaults, servers, accounts) hash it to stay unique and stable. */
  readonly resourceGroupId: string;
  readonly vnetId: string;
  /** Nodes and internal load balancers, with outbound access (a NAT gateway). */
  readonly nodesSubnetId: string;
  /** Private endpoints of the vault and the data stores, with network policies on. */
  readonly privateEndpointsSubnetId: string;
  /** Delegated to Microsoft.DBforPostgreSQL/flexibleServers: PostgreSQL needs it. */
  readonly databaseSubnetId?: string;
  /** Delegated to Microsoft.ContainerService/managedClusters (API server VNet integration): AKS needs it. */
  readonly apiServerSubnetId?: string;
  /**
   * What a cluster in this network must wait for, e.g. the NSG and NAT gateway
   * associations of its subnets. Absent when the network exists already.
   */
  readonly clusterDependencies?: ITerraformDependable[];
}

/** An existing VNet, its subnets and the resource group the kit's resources go in. */
export interface AzureVnetAttributes {
  readonly location: string;
  readonly resourceGroupName: string;
  /** `/subscriptions/<id>/resourceGroups/<name>` of `resourceGroupName`. */
  readonly resourceGroupId: string;
  readonly vnetId: string;
  /** The VNet's address range. */
  readonly cidr: string;
  readonly nodesSubnetId: string;
  readonly privateEndpointsSubnetId: string;
  /** @default - none: no PostgreSQL flexible server in this network */
  readonly databaseSubnetId?: string;
  /** @default - none: no AKS cluster in this network */
  readonly apiServerSubnetId?: string;
  /** Availability zones the network's resources use. @default [] */
  readonly zones?: readonly string[];
  /** Ranges of site-to-site peers, for allowlists. @default [] */
  readonly peerCidrs?: readonly string[];
}

export interface AzureNetworkProps {
  /** The Azure region. */
  readonly location: string;
  /** The VNet's range, from /16 to /20; subnets are carved from it (network/plan.ts). @default "10.0.0.0/16" */
  readonly cidr?: string;
  /** Availability zones, e.g. ["1", "2", "3"]. @default - the region's zones as this version knows them (none where it has none) */
  readonly zones?: string[];
  /** Ranges of site-to-site peers: the AKS overlay's pod and Service ranges avoid them. @default [] */
  readonly peerCidrs?: string[];
  /**
   * Public ranges admitted to the API server subnet on 443 (a public-restricted API
   * server's allowlist). Empty: only the VNet and its peers reach it.
   * @default []
   */
  readonly apiServerAllowedCidrs?: string[];
  /** Days VNet flow logs are kept, 1-365. @default 365 */
  readonly flowLogRetentionDays?: number;
  /**
   * UDP services on the cluster's nodes that trusted peers alone may reach: the nodes
   * subnet's NSG admits each port from its peers and the cluster's own ranges (the nodes
   * subnet, the pod overlay) and refuses it to every other address, the VNet included.
   * The Service's load balancer keeps its own allowlist of the same peers; these rules
   * are the layer beneath it.
   * @default - none
   */
  readonly udpServices?: readonly AzureUdpService[];
  /** Names the network's resources. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** A UDP service whose port the nodes subnet's NSG opens to its peers only. */
export interface AzureUdpService {
  /** The service's name, a DNS label: it names the NSG rules, so a change of port or peers updates them in place. */
  readonly name: string;
  /** The UDP port the peers send to. */
  readonly port: number;
  /** The IPv4 ranges allowed to reach the port, besides the cluster's own. */
  readonly peers: readonly string[];
}

/**
 * A resource group and VNet with a subnet per role: cluster nodes (outbound through a
 * NAT gateway), the AKS API server (delegated, for API server VNet integration),
 * private endpoints, and a database subnet delegated to PostgreSQL flexible server.
 * Default outbound access is off on every subnet, every subnet has an NSG that refuses
 * inbound traffic from the internet, and VNet flow logs go to a storage account that
 * is closed to public networks, expects SAS tokens of a day at most, and is encrypted
 * with a customer-managed key once `encryptFlowLogs` names one.
 */
export class AzureNetwork extends Construct implements IAzureNetwork {
  static readonly DEFAULT_CIDR = "10.0.0.0/16";
  static readonly DEFAULT_FLOW_LOG_RETENTION_DAYS = 365;
  /** The longest SAS the flow-log account expects, `DD.HH:MM:SS`: one day. */
  static readonly FLOW_LOG_SAS_EXPIRATION = "01.00:00:00";

  /** An existing VNet for the kit's constructs; nothing is created. */
  static fromVnetAttributes(attrs: AzureVnetAttributes): IAzureNetwork {
    return { ...attrs, zones: attrs.zones ?? [], peerCidrs: attrs.peerCidrs ?? [] };
  }

  readonly resourceGroup: ResourceGroup;
  readonly vnet: VirtualNetwork;
  readonly cidr: string;
  readonly zones: readonly string[];
  readonly peerCidrs: readonly string[];
  readonly location: string;
  readonly resourceGroupName: string;
  readonly resourceGroupId: string;
  readonly vnetId: string;
  readonly nodesSubnet: Subnet;
  readonly nodesSubnetId: string;
  /** Delegated to AKS: the API server's internal load balancer and pods live here. */
  readonly apiServerSubnet: Subnet;
  readonly apiServerSubnetId: string;
  readonly privateEndpointsSubnet: Subnet;
  readonly privateEndpointsSubnetId: string;
  readonly databaseSubnet: Subnet;
  readonly databaseSubnetId: string;
  /** The private endpoints' and the database's ranges: what tenant workloads connect to. */
  readonly privateEndpointsCidr: string;
  /** The nodes' NAT gateway, for alarms on it. */
  readonly natGatewayId: string;
  readonly databaseCidr: string;
  /** The AKS overlay's pod range: outside the VNet and every peer's ranges. */
  readonly podCidr: string;
  /** The cluster's Service range, likewise outside every routed range. */
  readonly serviceCidr: string;
  readonly apiServerAllowedCidrs: string[];
  readonly flowLogRetentionDays: number;
  readonly udpServices: readonly AzureUdpService[];
  /** Where Network Watcher writes the VNet flow logs. */
  readonly flowLogStorage: StorageAccount;
  /** The identity the flow-log account reaches its key through; undefined until `encryptFlowLogs`. */
  flowLogKeyIdentity?: AzureKeyIdentity;
  private readonly naming: Naming;
  /**
   * What a cluster in this network must wait for: the NSG and NAT gateway associations
   * of its subnets (AKS checks the NAT gateway at creation, and Azure refuses
   * concurrent writes to a subnet that is being joined).
   */
  readonly clusterDependencies: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: AzureNetworkProps) {
    super(scope, id);
    // Subnet ranges are planned at synth, so the plan shows literal, reviewable ranges.
    if (Token.isUnresolved(props.cidr)) throw new Error(`${label(this)}: cidr must be a literal range, not a reference: subnets are planned from it at synth`);
    const isCidr = (c: string) => Token.isUnresolved(c) || parseIpv4Cidr(c) !== undefined;
    requireProp(this, "cidr", props.cidr, (c) => {
      const block = parseIpv4Cidr(c);
      return block !== undefined && block.prefix >= NETWORK_PREFIX.min && block.prefix <= NETWORK_PREFIX.max;
    }, `an IPv4 range from /${NETWORK_PREFIX.min} to /${NETWORK_PREFIX.max}, e.g. ${AzureNetwork.DEFAULT_CIDR}`);
    // The overlay's ranges are chosen around the peers at synth, so their ranges are literals too.
    requireProp(this, "peerCidrs", props.peerCidrs, (cidrs) => cidrs.every((c) => parseIpv4Cidr(c) !== undefined), "a list of literal IPv4 ranges");
    requireProp(this, "apiServerAllowedCidrs", props.apiServerAllowedCidrs, (cidrs) => cidrs.every(isCidr), "a list of IPv4 ranges");
    requireProp(this, "zones", props.zones, (zones) => zones.every((z) => ["1", "2", "3"].includes(z)), 'a list of Azure zones, "1", "2" or "3"');
    requireInt(this, "flowLogRetentionDays", props.flowLogRetentionDays, 1, 365);
    checkUdpServices(this, props.udpServices ?? []);
    setComponent(this, "network");
    const naming = (this.naming = namingOf(this, props.naming));
    this.location = props.location;
    this.cidr = props.cidr ?? AzureNetwork.DEFAULT_CIDR;
    this.zones = props.zones ?? (Token.isUnresolved(props.location) ? [] : (knownZones("azure", props.location) ?? []).slice(0, 3));
    this.peerCidrs = props.peerCidrs ?? [];
    this.apiServerAllowedCidrs = props.apiServerAllowedCidrs ?? [];
    this.flowLogRetentionDays = props.flowLogRetentionDays ?? AzureNetwork.DEFAULT_FLOW_LOG_RETENTION_DAYS;
    this.udpServices = props.udpServices ?? [];
    const plan = azurePlan(this.cidr);
    const location = this.location;
    [this.podCidr, this.serviceCidr] = clusterRanges([this.cidr, ...this.peerCidrs]);
    this.privateEndpointsCidr = plan.privateEndpoints;
    this.databaseCidr = plan.database;

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", { name: naming.name("rg", undefined, 90), location });
    const resourceGroupName = this.resourceGroup.name;
    this.resourceGroupName = resourceGroupName;
    this.resourceGroupId = this.resourceGroup.id;
    this.vnet = new VirtualNetwork(this, "Vnet", {
      name: naming.name("vnet", undefined, 64),
      location,
      resourceGroupName,
      addressSpace: [this.cidr],
    });
    this.vnetId = this.vnet.id;

    const subnet = (
      key: string,
      name: string,
      prefix: string,
      extra: { delegation?: SubnetDelegation[]; privateEndpointNetworkPolicies?: string } = {},
      rules: NetworkSecurityGroupSecurityRule[] = [],
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
          ...rules,
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
    // explicit allow wherever a deny rule could match it. UDP services' rules are inline
    // like the rest: azurerm cannot mix inline rules and separate rule resources on one NSG.
    const nodes = subnet("nodes", "nodes", plan.nodes, {}, [
      allow("allow-pods-inbound", 100, "*", this.podCidr, "*"),
      ...udpServiceRules(this.udpServices, [plan.nodes, this.podCidr]),
    ]);
    this.nodesSubnet = nodes.subnet;
    this.nodesSubnetId = this.nodesSubnet.id;
    // A public-restricted API server is reached from the allowlist through its subnet; a
    // private one only from the VNet and its peers (the NSG's default VNet rule).
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
      this.apiServerAllowedCidrs.length > 0 ? [allow("allow-api-allowlist", 100, "Tcp", this.apiServerAllowedCidrs, "443")] : [],
    );
    this.apiServerSubnet = apiServer.subnet;
    this.apiServerSubnetId = this.apiServerSubnet.id;
    // NSGs and route tables apply to private endpoints only with network policies on.
    this.privateEndpointsSubnet = subnet("private-endpoints", "private-endpoints", plan.privateEndpoints, {
      privateEndpointNetworkPolicies: "Enabled",
    }).subnet;
    this.privateEndpointsSubnetId = this.privateEndpointsSubnet.id;
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
    this.databaseSubnetId = this.databaseSubnet.id;

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
    this.natGatewayId = nat.id;
    const natAssoc = new SubnetNatGatewayAssociation(this, "NatAssoc-nodes", { subnetId: this.nodesSubnet.id, natGatewayId: nat.id });
    this.clusterDependencies.push(nodes.assoc, apiServer.assoc, natAssoc);

    this.flowLogStorage = this.flowLogs(naming, this.flowLogRetentionDays);
  }

  /**
   * Encrypts the flow-log storage account with a customer-managed key, through an
   * identity of its own holding the one role that wraps and unwraps with that key.
   * Network Watcher is unaffected: Azure Storage encrypts at rest transparently to
   * writers. A method rather than a prop because the deployment's Key Vault is reached
   * through this network (its private endpoint), so its keys exist only after it.
   * Adding it later changes the account in place.
   */
  encryptFlowLogs(key: IAzureKey): AzureKeyIdentity {
    if (this.flowLogKeyIdentity) throw new Error(`${label(this)}: encryptFlowLogs was already called; the flow-log account takes one key`);
    const cmk = new AzureKeyIdentity(this, "FlowLogKeyIdentity", {
      name: this.naming.name("flowlogs", "cmk", 128),
      resourceGroupName: this.resourceGroupName,
      location: this.location,
      key,
      service: "the flow-log storage account",
    });
    const account = this.flowLogStorage;
    account.putIdentity({ type: "UserAssigned", identityIds: [cmk.identity.id] });
    // The versionless id: the account follows the key's rotations by itself.
    account.putCustomerManagedKey({ keyVaultKeyId: key.versionlessId, userAssignedIdentityId: cmk.identity.id });
    // Storage checks the key when the encryption is set.
    account.dependsOn = [...(account.dependsOn ?? []), dependable(cmk.grant)];
    this.flowLogKeyIdentity = cmk;
    return cmk;
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

  private flowLogs(naming: Naming, retentionDays: number): StorageAccount {
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
        // With shared keys on, a SAS signed with them could be minted for any length of
        // time; one longer than a day is recorded in the account's logs ("Log" is the only
        // action this provider version accepts).
        sasPolicy: { expirationPeriod: AzureNetwork.FLOW_LOG_SAS_EXPIRATION, expirationAction: "Log" },
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
    return account;
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

/**
 * Nodes subnet NSG priorities of UDP services: every allow (1000-1999) is read before
 * every deny (2000-2999), all after the pods' allow (100) and before the internet deny
 * (4096), which would otherwise refuse the peers of an internet-facing load balancer.
 */
const UDP_ALLOW_PRIORITY = 1000;
const UDP_DENY_PRIORITY = 2000;
const UDP_SERVICES_MAX = 1000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkUdpServices(scope: Construct, services: readonly AzureUdpService[]): void {
  const fail = (message: string): never => {
    throw new Error(`${label(scope)}: ${message}`);
  };
  if (services.length > UDP_SERVICES_MAX) fail(`udpServices: at most ${UDP_SERVICES_MAX} fit the NSG priorities (got ${services.length})`);
  const literal = (v: unknown) => !Token.isUnresolved(v);
  services.forEach((service, i) => {
    const at = `udpServices[${i}]`;
    requireProp(scope, `${at}.name`, service.name, (n) => DNS_LABEL.test(n), "a DNS label (lowercase letters, digits and hyphens, at most 63), e.g. secure-nodes");
    requireInt(scope, `${at}.port`, service.port, 1, 65535);
    if (service.peers.length === 0) fail(`${at}.peers must list at least one range: the port is opened to its peers only`);
    service.peers.forEach((peer, j) => requireProp(scope, `${at}.peers[${j}]`, peer, (p) => parseIpv4Cidr(p) !== undefined, "an IPv4 range such as 198.51.100.0/24"));
    const peers = service.peers.filter(literal);
    const repeated = peers.find((p, j) => peers.indexOf(p) !== j);
    if (repeated) fail(`${at}.peers lists ${repeated} twice`);
    const earlier = services.slice(0, i);
    const named = earlier.findIndex((s) => literal(service.name) && s.name === service.name);
    if (named >= 0) fail(`${at}.name "${service.name}" is udpServices[${named}]'s too: names identify the NSG rules`);
    const sharing = earlier.findIndex((s) => literal(service.port) && s.port === service.port);
    if (sharing >= 0) fail(`${at}.port ${service.port} is udpServices[${sharing}]'s too: the NSG cannot tell two services on one port apart, so each would admit the other's peers`);
  });
}

/**
 * Per UDP service: the port allowed from its peers and the cluster's own ranges (nodes
 * and overlay pods, its in-cluster clients), then refused from anywhere else, the VNet
 * included. Only UDP on that port: the load balancer's TCP probes of the nodes pass.
 */
function udpServiceRules(services: readonly AzureUdpService[], clusterCidrs: readonly string[]): NetworkSecurityGroupSecurityRule[] {
  return services.flatMap((service, i) => {
    const rule = {
      direction: "Inbound",
      protocol: "Udp",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: String(service.port),
    };
    return [
      {
        ...rule,
        name: `allow-udp-${service.name}`,
        description: `${service.name}: UDP ${service.port} from its trusted peers and the cluster`,
        priority: UDP_ALLOW_PRIORITY + i,
        access: "Allow",
        // Azure refuses a prefix listed twice, e.g. a peer that is also a cluster range.
        sourceAddressPrefixes: [...new Set([...service.peers, ...clusterCidrs])],
      },
      {
        ...rule,
        name: `deny-udp-${service.name}`,
        description: `${service.name}: UDP ${service.port} from anyone else, the VNet included`,
        priority: UDP_DENY_PRIORITY + i,
        access: "Deny",
        sourceAddressPrefix: "*",
      },
    ];
  });
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
