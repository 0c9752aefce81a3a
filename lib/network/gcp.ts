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
import { Construct } from "constructs";
import { parseIpv4Cidr } from "../core/cidr";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { INetwork } from "./network";
import { gcpPlan } from "./plan";

export interface GcpNetworkProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly region: string;
  /** The project the network lives in. */
  readonly project: string;
}

/** Ranges Google's load balancer health checks come from. */
const HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * A custom-mode VPC with one regional subnet for nodes (secondary ranges for pods and
 * services), Private Google Access, flow logs kept in their own log bucket for the
 * spec's retention, Cloud NAT for egress, a private service access range for managed
 * databases, and a firewall that denies ingress except from inside the network and
 * from Google's health checkers.
 */
export class GcpNetwork extends Construct implements INetwork {
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  readonly cidr: string;
  readonly zones: readonly string[];
  readonly peerCidrs: readonly string[];
  readonly region: string;
  /** Secondary range names for GKE's `ip_allocation_policy`. */
  readonly podsRangeName = "pods";
  readonly servicesRangeName = "services";
  /** The peering that managed databases (Cloud SQL, Memorystore) attach through. */
  readonly privateServiceAccess: ServiceNetworkingConnection;
  /** The range allocated to that peering: Cloud SQL and Memorystore take their addresses from it by name. */
  readonly privateServiceRange: ComputeGlobalAddress;
  /** The project APIs enabled here (compute among them): what needs their service agents waits on these. */
  readonly apis: ProjectService[];

  constructor(scope: Construct, id: string, props: GcpNetworkProps) {
    super(scope, id);
    setComponent(this, "network");
    const { spec, naming, project } = props;
    const net = spec.network;
    this.region = props.region;
    this.cidr = net.cidr;
    this.zones = net.zones;
    this.peerCidrs = net.peers.flatMap((p) => p.cidrs);
    const plan = gcpPlan(net.cidr);

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
    new ComputeRouterNat(this, "Nat", {
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
    });

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

    this.firewall(naming, project, [plan.nodes, plan.pods]);
    this.flowLogBucket(naming, project, net.flowLogRetentionDays);
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
   * Flow logs land in _Default (30 days): a dedicated bucket keeps them for the spec's
   * retention, and an exclusion on the _Default sink stops paying for them twice.
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
