import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { IKubernetesCluster } from "../cluster/cluster";
import type { BucketRef, IDataLayer } from "../data/data";

/** A Kubernetes service account, by namespace and name. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * What a service account and its pods carry to act as a cloud identity: annotations
 * (Azure client id, GCP service account) and pod labels (Azure's webhook opt-in).
 * Empty on AWS, where a Pod Identity association does the binding outside the pod.
 */
export interface WorkloadIdentity {
  readonly serviceAccountAnnotations: Record<string, string>;
  readonly podLabels: Record<string, string>;
}

/** A cloud-side grant bound to a service account, and the config that uses it. */
export interface Binding<T> {
  readonly identity: WorkloadIdentity;
  /** Cloud resources the in-cluster release must wait for (role, association, grant). */
  readonly grants: ITerraformDependable[];
  readonly config: T;
}

/** A range tenant pods may reach, on any port or on the ports listed. */
export interface TenantEgress {
  readonly cidr: string;
  readonly ports?: { readonly port: number; readonly protocol: "TCP" | "UDP" }[];
}

/** How the gateway's Service is exposed on this target. */
export interface GatewayService {
  readonly type: "LoadBalancer" | "NodePort";
  /** Annotations that make the load balancer internal (and pick its kind). */
  readonly annotations: Record<string, string>;
}

/** A UDP service that only trusted peers may reach (the secure-node tier). */
export interface UdpServiceRequest {
  /** The Service's name: a DNS label, also used to name the cloud firewall rules. */
  readonly name: string;
  readonly namespace: string;
  /** The UDP port peers send to (the Service port and the pods' port). */
  readonly udpPort: number;
  /** The pods' TCP port answering HTTP health checks: UDP ports cannot be health-checked. */
  readonly healthPort: number;
  /** The HTTP path on `healthPort` that answers 200 when the node serves. */
  readonly healthPath: string;
  /** The only ranges allowed to reach `udpPort` (IPv4 CIDRs). */
  readonly peers: readonly string[];
  /** True: a load balancer with a private address only; false: internet-facing. */
  readonly internal: boolean;
  /** Fixed public addresses for an internet-facing load balancer (AWS: Elastic IPs the kit allocates). @default false */
  readonly staticAddresses?: boolean;
}

/**
 * How the target exposes a UDP service to its peers, beyond what every target sets
 * (`loadBalancerSourceRanges` = peers and `externalTrafficPolicy: Local`, so the client
 * address survives to the pod and its NetworkPolicy).
 */
export interface UdpServiceExposure {
  readonly type: "LoadBalancer" | "NodePort";
  /**
   * The load balancer's kind and scheme, and its health check where the target sets one
   * (AWS: HTTP on the TCP health port; Azure and GKE check the nodes under the Local policy).
   */
  readonly annotations: Record<string, string>;
  /** `spec.loadBalancerClass`. @default none: the cluster's default load balancer implementation */
  readonly loadBalancerClass?: string;
  /**
   * True when the Service must list the TCP health port too, for a load balancer that
   * probes a port of the Service (none of the kit's targets: Azure and GKE probe the
   * nodes' `healthCheckNodePort` under the Local policy). @default false
   */
  readonly exposeHealthPort?: boolean;
  /**
   * Where the load balancer's health checks reach the pods from: admitted on the health
   * port only. Empty where the checks reach the nodes (`healthCheckNodePort`), not the pods.
   */
  readonly healthCheckSources: readonly string[];
  /** The cloud firewall rules (security group, NSG, VPC firewall) the Service waits for. */
  readonly grants: ITerraformDependable[];
}

/**
 * What the platform add-ons need from a target, beyond the cluster itself. One
 * implementation per target (targets/aws.ts, azure.ts, gcp.ts, onprem.ts); the
 * add-ons never branch on the cloud.
 */
export interface IPlatformTarget {
  readonly cluster: IKubernetesCluster;

  /**
   * The External Secrets store for the target's secret manager: grants `sa` read access
   * to the deployment's secrets and returns the ClusterSecretStore `spec.provider`.
   * Undefined where no store is configured (on-prem without one).
   */
  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined;

  /**
   * An ACME DNS-01 solver for the public zone (cert-manager's `solvers[].dns01`): grants
   * `sa` the right to write challenge records. Undefined without a public zone the
   * target manages.
   */
  dns01Solver(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined;

  /** The deployment's data stores and buckets on this target. @default none (no data layer) */
  readonly data?: IDataLayer;

  /**
   * The External Secrets store tenant namespaces sync the data stores' credentials
   * from: read access to exactly the `credentials` secrets of `data` (and of its object
   * store), nothing else. It authenticates as `sa`, its own identity, never the
   * controller's. Undefined when no store has credentials.
   */
  dataCredentialsStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined;

  /**
   * A cloud identity for a tenant's workloads (pods running as `sa`) with read and write
   * access to `buckets` and nothing else, and a login to the stores that take identity
   * sign-in. Its config holds the tenant's own connection settings for the
   * `data-endpoints` ConfigMap (e.g. `POSTGRES_USER`, the identity's database login).
   * Empty where the object store takes keys instead (on-prem).
   */
  workloadIdentity(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>>;

  /**
   * A cloud identity for pods running as `sa` with read and write access to `buckets`
   * and nothing else (no data-store login): for the platform's own components, such as
   * the metrics and log stores. Its config holds environment variables the pods need
   * (e.g. `AZURE_CLIENT_ID`). Empty where the object store takes keys instead (on-prem).
   */
  bucketAccess(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>>;

  /** How the Envoy gateway's Service is exposed: always internal unless a user says otherwise. */
  readonly gatewayService: GatewayService;

  /**
   * Address ranges the cloud's own load balancers and their health checks reach pods
   * from (the VPC for the AWS LBC's ip targets; Google's front ends and the VPC for GKE
   * Gateway), so tenant NetworkPolicies admit them. Empty where only the Envoy gateway
   * sends traffic in.
   */
  readonly loadBalancerSources: string[];

  /**
   * Where in the network tenant pods may connect (their NetworkPolicies' egress): the
   * subnets of data stores and private endpoints, never a range pods live in (that
   * allow would reach other tenants' pods). `ports` limits a range to a service.
   */
  readonly tenantEgress: TenantEgress[];

  /**
   * Where the Kubernetes API server's calls to admission webhooks and aggregated APIs
   * come from: the add-ons' NetworkPolicies admit these ranges on their webhook ports.
   */
  readonly controlPlaneSources: string[];

  /** Where pods reach the Kubernetes API server (after the Service's address is translated). */
  readonly apiServerEgress: TenantEgress[];

  /**
   * What add-ons calling cloud APIs (secret manager, DNS, object storage, identity) may
   * reach: the node-local identity endpoints and HTTPS, which the clouds serve from
   * addresses no NetworkPolicy can name.
   */
  readonly cloudApiEgress: TenantEgress[];

  /**
   * Exposes a UDP service to trusted peers only: the load balancer's own allowlist
   * (`loadBalancerSourceRanges`, set by the caller from `peers`; on AWS a security group
   * created here), and a cloud firewall layer that admits `udpPort` from `peers` (and
   * the cluster's own ranges) alone, leaving the health checks through: created here,
   * except on Azure, where the nodes subnet's NSG in the infra stack carries it
   * (AzureNetwork's `udpServices`, given the same peers).
   */
  udpService(scope: Construct, request: UdpServiceRequest): UdpServiceExposure;

  /** True when the cluster lacks a metrics API (EKS, plain Kubernetes): metrics-server is installed. */
  readonly needsMetricsServer: boolean;

  /**
   * Target-specific releases every add-on waits for: on AWS, Karpenter (capacity) and
   * the load balancer controller (its Service webhook must run before any Service of
   * type LoadBalancer is created). Empty elsewhere.
   */
  readonly prerequisites: ITerraformDependable[];

  /**
   * True on OpenShift: charts must not pin user ids (the restricted-v2 SCC assigns them)
   * and namespaces keep their Pod Security labels as set here.
   */
  readonly openshift: boolean;
}
