import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { LoggingProjectBucketConfig } from "@cdktf/provider-google/lib/logging-project-bucket-config";
import { LoggingProjectExclusion } from "@cdktf/provider-google/lib/logging-project-exclusion";
import { LoggingProjectSink } from "@cdktf/provider-google/lib/logging-project-sink";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { ServiceNetworkingConnection } from "@cdktf/provider-google/lib/service-networking-connection";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { aligned, isNetworkAligned, parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { resolveProject } from "./gcp-context";
import type { INetwork } from "./network";
import { gcpPlan } from "./plan";

/**
 * What a managed database (Cloud SQL, Memorystore) takes from a VPC: the network and the
 * range allocated to its private service access, by name.
 */
export interface IGcpPrivateServiceNetwork {
  /** The VPC's id, `projects/<project>/global/networks/<name>` (the google provider takes it wherever a network is named). */
  readonly networkId: string;
  /** The name of the range (a global address, purpose VPC_PEERING) private service access allocates addresses from. */
  readonly privateServiceRangeName: string;
  /**
   * The private service access peering: a database attaching to the network waits for it.
   * @default - nothing to wait for (the peering exists)
   */
  readonly privateServiceAccess?: ITerraformDependable;
}

/**
 * A GCP network as the rest of the kit uses it: ids and names only, so the kit's own
 * GcpNetwork and an existing VPC (GcpNetwork.fromNetworkAttributes) fit alike.
 */
export interface IGcpNetwork extends INetwork, IGcpPrivateServiceNetwork {
  /** The regional subnet GKE's nodes use (its id). */
  readonly nodesSubnetId: string;
  /** The nodes subnet's secondary range for pods. */
  readonly podsRangeName: string;
  /** The nodes subnet's secondary range for Services. */
  readonly servicesRangeName: string;
  /** The private service access range's CIDR, where Cloud SQL and Memorystore answer: tenant pods may reach it. */
  readonly privateServiceCidr: string;
}

/** An existing VPC's ids and ranges, for GcpNetwork.fromNetworkAttributes. */
export interface GcpNetworkAttributes {
  readonly networkId: string;
  /** The VPC's address range: the GKE control plane allowlist admits it. */
  readonly cidr: string;
  readonly nodesSubnetId: string;
  /** @default "pods" */
  readonly podsRangeName?: string;
  /** @default "services" */
  readonly servicesRangeName?: string;
  readonly privateServiceRangeName: string;
  readonly privateServiceCidr: string;
  /** @default - nothing to wait for */
  readonly privateServiceAccess?: ITerraformDependable;
  /** @default [] (GKE picks the region's zones) */
  readonly zones?: readonly string[];
  /** @default [] */
  readonly peerCidrs?: readonly string[];
}

export interface GcpNetworkProps {
  /**
   * The VPC's address range, /24 or larger: the nodes subnet, its pods and services
   * ranges, the private service access range and the GKE control plane's /28 are carved
   * from it (gcpPlan).
   * @default GcpNetwork.DEFAULT_CIDR
   */
  readonly cidr?: string;
  /** Zone names GKE spreads nodes over, in the region. @default [] - GKE picks the region's zones */
  readonly zones?: readonly string[];
  /** Ranges of site-to-site peers, admitted to the GKE control plane. @default [] */
  readonly peerCidrs?: readonly string[];
  /** Days the dedicated log bucket keeps the VPC flow logs, 1-3650. @default 365 */
  readonly flowLogRetentionDays?: number;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** Ranges Google's load balancer health checks come from. */
const HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * A custom-mode VPC with one regional subnet for nodes (secondary ranges for pods and
 * services), Private Google Access, flow logs kept in their own log bucket for
 * `flowLogRetentionDays`, Cloud NAT for egress, a private service access range for
 * managed databases, and a firewall that denies ingress except from inside the network
 * and from Google's health checkers.
 */
export class GcpNetwork extends Construct implements IGcpNetwork {
  static readonly DEFAULT_CIDR = "10.0.0.0/16";
  static readonly DEFAULT_FLOW_LOG_RETENTION_DAYS = 365;

  /** An existing VPC, for the constructs that take an IGcpNetwork. */
  static fromNetworkAttributes(attrs: GcpNetworkAttributes): IGcpNetwork {
    return {
      networkId: attrs.networkId,
      cidr: attrs.cidr,
      nodesSubnetId: attrs.nodesSubnetId,
      podsRangeName: attrs.podsRangeName ?? "pods",
      servicesRangeName: attrs.servicesRangeName ?? "services",
      privateServiceRangeName: attrs.privateServiceRangeName,
      privateServiceCidr: attrs.privateServiceCidr,
      privateServiceAccess: attrs.privateServiceAccess,
      zones: attrs.zones ?? [],
      peerCidrs: attrs.peerCidrs ?? [],
    };
  }

  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  readonly cidr: string;
  readonly zones: readonly string[];
  readonly peerCidrs: readonly string[];
  readonly region: string;
  /** The Cloud NAT's name, for alerts on it. */
  readonly natName: string;
  readonly project: string;
  readonly flowLogRetentionDays: number;
  readonly networkId: string;
  readonly nodesSubnetId: string;
  /** Secondary range names for GKE's `ip_allocation_policy`. */
  readonly podsRangeName = "pods";
  readonly servicesRangeName = "services";
  /** The peering that managed databases (Cloud SQL, Memorystore) attach through. */
  readonly privateServiceAccess: ServiceNetworkingConnection;
  /** The range allocated to that peering: Cloud SQL and Memorystore take their addresses from it by name. */
  readonly privateServiceRange: ComputeGlobalAddress;
  readonly privateServiceRangeName: string;
  readonly privateServiceCidr: string;
  /** The project APIs enabled here (compute among them): what needs their service agents waits on these. */
  readonly apis: ProjectService[];

  constructor(scope: Construct, id: string, props: GcpNetworkProps = {}) {
    super(scope, id);
    this.cidr = props.cidr ?? GcpNetwork.DEFAULT_CIDR;
    this.flowLogRetentionDays = props.flowLogRetentionDays ?? GcpNetwork.DEFAULT_FLOW_LOG_RETENTION_DAYS;
    validate(this, this.cidr, this.flowLogRetentionDays);
    setComponent(this, "network");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    this.region = resolveRegion(this, "google", props.region);
    this.zones = props.zones ?? [];
    this.peerCidrs = props.peerCidrs ?? [];
    const plan = gcpPlan(this.cidr);
    this.privateServiceCidr = plan.privateServices;

    this.apis = ["compute", "servicenetworking", "dns", "logging"].map(
      (api) => new ProjectService(this, `Api-${api}`, { project, service: `${api}.googleapis.com`, disableOnDestroy: false }),
    );
    this.network = new ComputeNetwork(this, "Vpc", {
      name: naming.name("vpc"),
      project,
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
      dependsOn: this.apis,
    });
    this.subnet = new ComputeSubnetwork(this, "Subnet", {
      name: naming.name("nodes"),
      project,
      region: this.region,
      network: this.network.id,
      ipCidrRange: plan.nodes,
      secondaryIpRange: [
        { rangeName: this.podsRangeName, ipCidrRange: plan.pods },
        { rangeName: this.servicesRangeName, ipCidrRange: plan.services },
      ],
      privateIpGoogleAccess: true,
      stackType: "IPV4_ONLY",
      logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 1, metadata: "INCLUDE_ALL_METADATA" },
    });

    const router = new ComputeRouter(this, "NatRouter", { name: naming.name("nat"), project, region: this.region, network: this.network.id });
    this.natName = new ComputeRouterNat(this, "Nat", {
      name: naming.name("nat"),
      project,
      region: this.region,
      router: router.name,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetwork: [{ name: this.subnet.id, sourceIpRangesToNat: ["ALL_IP_RANGES"] }],
      enableEndpointIndependentMapping: false,
      enableDynamicPortAllocation: true,
      minPortsPerVm: 64,
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    }).name;

    const psa = parseIpv4Cidr(plan.privateServices)!;
    this.privateServiceRange = new ComputeGlobalAddress(this, "PrivateServiceRange", {
      name: naming.name("private-services"),
      project,
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address: plan.privateServices.split("/")[0],
      prefixLength: psa.prefix,
      network: this.network.id,
    });
    this.privateServiceAccess = new ServiceNetworkingConnection(this, "PrivateServiceAccess", {
      network: this.network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [this.privateServiceRange.name],
      // Deleting the peering fails while a database still uses it; leave it to the database's removal.
      deletionPolicy: "ABANDON",
    });

    this.networkId = this.network.id;
    this.nodesSubnetId = this.subnet.id;
    this.privateServiceRangeName = this.privateServiceRange.name;
    this.firewall(naming, project, [plan.nodes, plan.pods]);
    this.flowLogBucket(naming, project, this.flowLogRetentionDays);
  }

  private firewall(naming: Naming, project: string, internal: string[]) {
    const logConfig = { metadata: "INCLUDE_ALL_METADATA" };
    new ComputeFirewall(this, "DenyAllIngress", {
      name: naming.name("deny-all-ingress"),
      project,
      network: this.network.id,
      description: "Default deny for ingress; the allows below take precedence.",
      direction: "INGRESS",
      priority: 65534,
      sourceRanges: ["0.0.0.0/0"],
      deny: [{ protocol: "all" }],
      logConfig,
    });
    new ComputeFirewall(this, "AllowInternal", {
      name: naming.name("allow-internal"),
      project,
      network: this.network.id,
      description: "Nodes and pods talk to each other.",
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: internal,
      allow: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
      logConfig,
    });
    new ComputeFirewall(this, "AllowHealthChecks", {
      name: naming.name("allow-health-checks"),
      project,
      network: this.network.id,
      description: "Google load balancer health checks reach backends.",
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: HEALTH_CHECK_RANGES,
      allow: [{ protocol: "tcp" }],
      logConfig,
    });
  }

  /**
   * Flow logs land in _Default (30 days): a dedicated bucket keeps them for
   * `flowLogRetentionDays`, and an exclusion on the _Default sink stops paying for them twice.
   */
  private flowLogBucket(naming: Naming, project: string, retentionDays: number) {
    const bucket = new LoggingProjectBucketConfig(this, "FlowLogBucket", {
      project,
      location: this.region,
      bucketId: naming.name("flow-logs", undefined, 100),
      retentionDays,
      description: "VPC flow logs",
    });
    const filter = `resource.type="gce_subnetwork" AND log_id("compute.googleapis.com/vpc_flows") AND resource.labels.subnetwork_name="${this.subnet.name}"`;
    const sink = new LoggingProjectSink(this, "FlowLogSink", {
      name: naming.name("flow-logs"),
      project,
      destination: `logging.googleapis.com/${bucket.id}`,
      filter,
      uniqueWriterIdentity: true,
    });
    new LoggingProjectExclusion(this, "FlowLogDefaultExclusion", {
      name: naming.name("flow-logs", undefined, 100),
      project,
      description: "VPC flow logs are kept in their own bucket",
      filter,
      dependsOn: [sink],
    });
  }
}

function validate(network: GcpNetwork, cidr: string, retentionDays: number): void {
  const label = `GcpNetwork ${network.node.path}`;
  // The address plan splits the range at synth: it must be a literal.
  const block = Token.isUnresolved(cidr) ? undefined : parseIpv4Cidr(cidr);
  if (!block || block.prefix > 24) throw new Error(`${label}: cidr must be an IPv4 range of /24 or larger, such as 10.0.0.0/16 (got ${JSON.stringify(cidr)})`);
  if (!isNetworkAligned(block)) throw new Error(`${label}: cidr ${cidr} has host bits set; use ${aligned(block)}`);
  if (!Token.isUnresolved(retentionDays) && !(Number.isInteger(retentionDays) && retentionDays >= 1 && retentionDays <= 3650)) {
    throw new Error(`${label}: flowLogRetentionDays must be a whole number of days from 1 to 3650 (got ${retentionDays})`);
  }
}
