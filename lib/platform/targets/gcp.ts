import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { DnsManagedZoneIamMember } from "@cdktf/provider-google/lib/dns-managed-zone-iam-member";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IGkeCluster } from "../../cluster/gke";
import { clusterSecretPrefix } from "../../config/validate-cluster";
import { namingOf, type Naming } from "../../core/naming";
import type { BucketRef } from "../../data/data";
import type { IGcpDataLayer } from "../../data/gcp";
import { resolveProject } from "../../network/gcp-context";
import { platformLabels } from "../namespaces";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure, UdpServiceRequest, WorkloadIdentity } from "../target";
import { checkUdpServiceRequest, refuseStaticAddresses } from "./udp-service";

export interface GcpPlatformTargetProps {
  /** The GKE cluster: its project, location, Workload Identity pool and disk key. */
  readonly cluster: IGkeCluster;
  /** The public zone (its name) cert-manager answers ACME DNS-01 challenges in. @default - none: no ACME solver */
  readonly publicZoneName?: string;
  /** The data stores and buckets, which tenants' workloads are granted. @default - none: no data layer */
  readonly data?: IGcpDataLayer;
  /**
   * The private service access range (Cloud SQL, Memorystore): tenant pods may reach it.
   * @default - none: tenants reach no private service range
   */
  readonly privateServiceCidr?: string;
  /** The control plane's private range (the cluster's `controlPlaneCidr`): it calls webhooks from there and serves pods there. */
  readonly controlPlaneCidr: string;
  /** The VPC's range, where a Private Service Connect control plane's endpoint sits. */
  readonly networkCidr: string;
  /** GKE Gateway is the ingress: its Google front ends may reach tenant pods. @default true */
  readonly gkeGateway?: boolean;
  /** The project holding the deployment's secrets. @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** The cluster's VPC (its id), where UDP services' firewall rules go. @default - none: udpService is refused */
  readonly networkId?: string;
  /**
   * The cluster's own ranges (nodes, pods): in-cluster clients of a UDP service, allowed
   * beside its peers ahead of the deny.
   * @default [] - the deny refuses in-cluster clients of a UDP service too
   */
  readonly clusterCidrs?: readonly string[];
  /** Names the add-ons' Google service accounts and the secrets they may read. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** A Google service account that a Kubernetes service account acts as through Workload Identity. */
export interface GkeWorkloadIdentity {
  /** Grant it roles on what the workload needs. */
  readonly serviceAccount: ServiceAccount;
  /** The annotation that binds the Kubernetes service account to it. */
  readonly identity: WorkloadIdentity;
  /** The Workload Identity binding: the workload waits for it. */
  readonly grants: ITerraformDependable[];
}

/** Google's front ends and health checkers: where GKE Gateway load balancers reach pods from. */
const GOOGLE_FRONT_ENDS = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * UDP services' firewall priorities: ahead of every rule GKE creates for a LoadBalancer
 * Service (1000; 999 for mixed-protocol ones) and of the network's own allows (1000).
 */
const UDP_ALLOW_PRIORITY = 900;
const UDP_DENY_PRIORITY = 910;

/**
 * GKE as a platform target. Add-ons act as Google service accounts through Workload
 * Identity: External Secrets reads only the deployment's own Secret Manager secrets (an
 * IAM condition on the name prefix), cert-manager writes only the public zone's records.
 * Tenants' workloads get their own Google service account for the data layer, and a
 * separate store reads the data stores' credential secrets for them. The gateway's
 * Service gets an internal passthrough load balancer. Persistent volumes default to a
 * StorageClass whose disks are encrypted with the cluster's disk key.
 * GKE ships its metrics API, so metrics-server is not installed.
 */
export class GcpPlatformTarget extends Construct implements IPlatformTarget {
  readonly cluster: IGkeCluster;
  readonly gatewayService: GatewayService = {
    type: "LoadBalancer",
    annotations: { "networking.gke.io/load-balancer-type": "Internal" },
  };
  readonly loadBalancerSources: string[];
  readonly tenantEgress: TenantEgress[];
  readonly controlPlaneSources: string[];
  readonly apiServerEgress: TenantEgress[];
  readonly cloudApiEgress: TenantEgress[];
  readonly needsMetricsServer = false;
  readonly prerequisites: ITerraformDependable[] = [];
  readonly openshift = false;
  readonly data?: IGcpDataLayer;
  readonly gkeGateway: boolean;
  readonly project: string;
  private readonly naming: Naming;
  private readonly projectNumber: string;
  private readonly publicZoneName?: string;
  private readonly secretManagerApi: ProjectService;
  private readonly networkId?: string;
  private readonly clusterCidrs: readonly string[];

  constructor(scope: Construct, id: string, props: GcpPlatformTargetProps) {
    super(scope, id);
    const { cluster } = props;
    this.gkeGateway = props.gkeGateway ?? true;
    this.naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    this.cluster = cluster;
    this.publicZoneName = props.publicZoneName;
    this.data = props.data;
    this.networkId = props.networkId;
    this.clusterCidrs = props.clusterCidrs ?? [];
    this.projectNumber = new DataGoogleProject(this, "Project", { projectId: project }).number;
    this.secretManagerApi = new ProjectService(this, "Api-secretmanager", { project, service: "secretmanager.googleapis.com", disableOnDestroy: false });
    // GKE Gateway's external load balancers and health checks come from Google's front
    // ends. Internal classes proxy from a proxy-only subnet, which the network does not
    // create: whoever adds one adds its range here. The VPC itself is not admitted: the
    // pods' range lies inside it.
    this.loadBalancerSources = this.gkeGateway ? [...GOOGLE_FRONT_ENDS] : [];
    this.tenantEgress = [
      // Cloud SQL and Memorystore answer from the private service access range.
      ...(props.privateServiceCidr ? [{ cidr: props.privateServiceCidr }] : []),
      // GKE's metadata server, which exchanges pods' tokens for their Google service account's
      // (Workload Identity); Dataplane V2 applies NetworkPolicies to it.
      { cidr: "169.254.169.252/32", ports: [{ port: 988, protocol: "TCP" as const }] },
      { cidr: "169.254.169.254/32", ports: [{ port: 80, protocol: "TCP" as const }] },
    ];
    this.controlPlaneSources = [props.controlPlaneCidr];
    const https = [{ port: 443, protocol: "TCP" as const }];
    this.apiServerEgress = [props.controlPlaneCidr, props.networkCidr].map((cidr) => ({ cidr, ports: https }));
    // Google APIs answer on public addresses (Private Google Access routes them privately).
    this.cloudApiEgress = [{ cidr: "0.0.0.0/0", ports: https }, ...this.tenantEgress.filter((e) => e.cidr.startsWith("169.254."))];

    // GKE's standard-rwo uses Google-managed keys; the newest default StorageClass wins (Kubernetes 1.26+).
    new StorageClassV1(this, "EncryptedStorageClass", {
      metadata: {
        name: cluster.storageClass,
        labels: platformLabels(this.naming.deployment, "storage"),
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      storageProvisioner: "pd.csi.storage.gke.io",
      parameters: { type: "pd-balanced", "disk-encryption-kms-key": cluster.diskEncryptionKey },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
  }

  /**
   * Secret Manager through the controller's own Workload Identity (no `auth` in the
   * store: the controller's annotated service account is ambient). The accessor role is
   * conditioned on the deployment's secret name prefix, `<deployment>-`.
   */
  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const workload = this.bindServiceAccount(scope, sa);
    const deployment = this.naming.deployment;
    const prefix = clusterSecretPrefix("gcp", deployment);
    const access = new ProjectIamMember(scope, "SecretAccessor", {
      project: this.project,
      role: "roles/secretmanager.secretAccessor",
      member: workload.serviceAccount.member,
      condition: {
        title: `${deployment} secrets only`,
        description: `Secrets whose names start with ${prefix}`,
        expression: `resource.name.startsWith("projects/${this.projectNumber}/secrets/${prefix}")`,
      },
    });
    return {
      identity: workload.identity,
      grants: [...workload.grants, access, this.secretManagerApi],
      config: { gcpsm: { projectID: this.project } },
    };
  }

  /** Cloud DNS on the public zone, with dns.admin on that zone alone. */
  dns01Solver(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const zone = this.publicZoneName;
    if (!zone) return undefined;
    const workload = this.bindServiceAccount(scope, sa);
    const access = new DnsManagedZoneIamMember(scope, "DnsZoneAdmin", {
      project: this.project,
      managedZone: zone,
      role: "roles/dns.admin",
      member: workload.serviceAccount.member,
    });
    return {
      identity: workload.identity,
      grants: [...workload.grants, access],
      config: { cloudDNS: { project: this.project, hostedZoneName: zone } },
    };
  }

  /**
   * Secret Manager as its own Google service account, with secretAccessor on each of the
   * data layer's credential secrets and nothing else. The store names the Kubernetes
   * service account it authenticates as; the cluster's project, location and name are
   * given rather than read from the metadata server.
   */
  dataCredentialsStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const secrets = this.data?.credentialSecrets ?? [];
    if (secrets.length === 0) return undefined;
    const workload = this.bindServiceAccount(scope, sa);
    const access = secrets.map(
      (secretId) =>
        new SecretManagerSecretIamMember(scope, `DataSecretAccessor-${secretId}`, {
          project: this.project,
          secretId,
          role: "roles/secretmanager.secretAccessor",
          member: workload.serviceAccount.member,
        }),
    );
    return {
      identity: workload.identity,
      grants: [...workload.grants, ...access, this.secretManagerApi],
      config: {
        gcpsm: {
          projectID: this.project,
          auth: {
            workloadIdentity: {
              serviceAccountRef: { name: sa.name, namespace: sa.namespace },
              clusterProjectID: this.project,
              clusterLocation: this.cluster.location,
              clusterName: this.cluster.name,
            },
          },
        },
      },
    };
  }

  /**
   * A Google service account for the tenant's workloads: object read/write on exactly the
   * given buckets; with PostgreSQL, a Cloud SQL IAM user and the client and instance-user
   * roles on that instance alone (logins are IAM tokens, no password); with the document
   * store, datastore.user on that database alone.
   */
  workloadIdentity(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>> {
    const { workload, grants } = this.bucketIdentity(scope, sa, buckets);
    const member = workload.serviceAccount.member;
    const instance = this.data?.postgresInstanceName;
    if (instance) {
      const condition = {
        title: `${instance} only`,
        description: `The Cloud SQL instance ${instance}`,
        expression: `resource.name == "projects/${this.project}/instances/${instance}" && resource.type == "sqladmin.googleapis.com/Instance"`,
      };
      for (const role of ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]) {
        grants.push(new ProjectIamMember(scope, `CloudSql-${role.split(".")[1]}`, { project: this.project, role, member, condition }));
      }
      // Cloud SQL names a service account's database user by its email without the domain suffix.
      grants.push(
        new SqlUser(scope, "CloudSqlUser", {
          project: this.project,
          instance,
          name: Fn.trimsuffix(workload.serviceAccount.email, ".gserviceaccount.com"),
          type: "CLOUD_IAM_SERVICE_ACCOUNT",
          // A role that owns tables cannot be dropped: removing a tenant leaves its role (no password) behind.
          deletionPolicy: "ABANDON",
        }),
      );
    }
    const documents = this.data?.documentsDatabaseName;
    if (documents) {
      grants.push(
        new ProjectIamMember(scope, "Firestore", {
          project: this.project,
          role: "roles/datastore.user",
          member,
          condition: {
            title: `${documents} only`,
            description: `The Firestore database ${documents}`,
            expression: `resource.name == "projects/${this.project}/databases/${documents}"`,
          },
        }),
      );
    }
    const config: Record<string, string> = instance ? { POSTGRES_USER: Fn.trimsuffix(workload.serviceAccount.email, ".gserviceaccount.com") } : {};
    return { identity: workload.identity, grants: [...workload.grants, ...grants], config };
  }

  /** A Google service account that `sa` acts as, with object read/write on exactly the given buckets. */
  bucketAccess(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]): Binding<Record<string, string>> {
    const { workload, grants } = this.bucketIdentity(scope, sa, buckets);
    return { identity: workload.identity, grants: [...workload.grants, ...grants], config: {} };
  }

  private bucketIdentity(scope: Construct, sa: ServiceAccountRef, buckets: BucketRef[]) {
    const workload = this.bindServiceAccount(scope, sa);
    const member = workload.serviceAccount.member;
    const grants: ITerraformDependable[] = buckets.map(
      (b) => new StorageBucketIamMember(scope, `BucketAccess-${b.purpose}`, { bucket: b.name, role: "roles/storage.objectAdmin", member }),
    );
    return { workload, grants };
  }

  /**
   * A new Google service account that the Kubernetes service account `sa` acts as, for a
   * workload in `scope` (in the platform stack). Grant it roles on what the workload
   * needs; the returned identity annotates the Kubernetes service account.
   */
  private bindServiceAccount(scope: Construct, sa: ServiceAccountRef): GkeWorkloadIdentity {
    const id = `${sa.namespace}-${sa.name}`;
    const serviceAccount = new ServiceAccount(scope, `ServiceAccount-${id}`, {
      accountId: this.naming.name(sa.namespace === sa.name ? sa.name : id, undefined, 30),
      project: this.cluster.project,
      displayName: `${this.cluster.name} ${sa.namespace}/${sa.name}`,
      description: `Workload Identity of the Kubernetes service account ${sa.namespace}/${sa.name}`,
    });
    // The pool is the cluster's attribute, so the binding follows the cluster that creates it.
    const binding = new ServiceAccountIamMember(scope, `WorkloadIdentityUser-${id}`, {
      serviceAccountId: serviceAccount.name,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${this.cluster.workloadPool}[${sa.namespace}/${sa.name}]`,
    });
    return {
      serviceAccount,
      identity: { serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": serviceAccount.email }, podLabels: {} },
      grants: [binding],
    };
  }

  /**
   * A backend-service-based passthrough Network Load Balancer: external
   * (`cloud.google.com/l4-rbs`) or internal. GKE turns `loadBalancerSourceRanges` into
   * allow rules at priority 1000; the kit's own VPC rules, on the nodes' service account
   * only, come first: the UDP port allowed from the peers and the cluster's ranges (900),
   * then denied from everywhere else (910), GKE's allows and the network's included.
   *
   * Health: with `externalTrafficPolicy: Local` GKE checks each node over HTTP on the
   * Service's `healthCheckNodePort`, which answers 200 only where a pod is ready (and a
   * pod is ready when its health port answers); GKE opens its checkers' ranges to that
   * port itself. The deny is UDP only, so the checks pass; they reach nodes, never
   * pods: no health-check source for the NetworkPolicy.
   */
  udpService(scope: Construct, request: UdpServiceRequest): UdpServiceExposure {
    checkUdpServiceRequest("GcpPlatformTarget", request);
    refuseStaticAddresses("GcpPlatformTarget", request);
    const service = `${request.namespace}/${request.name}`;
    const { networkId } = this;
    if (!networkId) throw new Error(`GcpPlatformTarget udpService ${service}: needs networkId, the VPC the firewall rules go in`);
    const exposure = new Construct(scope, `UdpExposure-${request.name}`);
    const rule = {
      project: this.project,
      network: networkId,
      direction: "INGRESS",
      // The cluster's nodes and no other VM of the network.
      targetServiceAccounts: [this.cluster.nodeServiceAccountEmail],
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    };
    const udp = [{ protocol: "udp", ports: [String(request.udpPort)] }];
    const name = (suffix: string) => this.naming.name(`udp-${request.namespace}-${request.name}`, suffix);
    const allow = new ComputeFirewall(exposure, "AllowPeers", {
      ...rule,
      name: name("allow"),
      description: `${service}: UDP ${request.udpPort} from its trusted peers and the cluster`,
      priority: UDP_ALLOW_PRIORITY,
      sourceRanges: [...request.peers, ...this.clusterCidrs],
      allow: udp,
    });
    const deny = new ComputeFirewall(exposure, "DenyOthers", {
      ...rule,
      name: name("deny"),
      description: `${service}: UDP ${request.udpPort} from anyone else`,
      priority: UDP_DENY_PRIORITY,
      sourceRanges: ["0.0.0.0/0"],
      deny: udp,
    });
    const annotations: Record<string, string> = request.internal ? { "networking.gke.io/load-balancer-type": "Internal" } : { "cloud.google.com/l4-rbs": "enabled" };
    return { type: "LoadBalancer", annotations, healthCheckSources: [], grants: [allow, deny] };
  }
}
