import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import type { DnsManagedZone } from "@cdktf/provider-google/lib/dns-managed-zone";
import { DnsManagedZoneIamMember } from "@cdktf/provider-google/lib/dns-managed-zone-iam-member";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { GkeCluster } from "../../cluster/gke";
import type { DeploymentSpec } from "../../config/spec";
import { clusterSecretPrefix } from "../../config/validate-cluster";
import { platformLabels } from "../namespaces";
import { gcpPlan } from "../../network/plan";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress } from "../target";

export interface GcpPlatformTargetProps {
  readonly spec: DeploymentSpec;
  readonly cluster: GkeCluster;
  /** The project holding the deployment's secrets (the platform stack's). */
  readonly project: string;
  /** The public zone cert-manager answers ACME DNS-01 challenges in. @default none: no ACME solver */
  readonly publicZone?: DnsManagedZone;
}

/** Google's front ends and health checkers: where GKE Gateway load balancers reach pods from. */
const GOOGLE_FRONT_ENDS = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * GKE as a platform target. Add-ons act as Google service accounts through Workload
 * Identity: External Secrets reads only the deployment's own Secret Manager secrets (an
 * IAM condition on the name prefix), cert-manager writes only the public zone's records.
 * The gateway's Service gets an internal passthrough load balancer. Persistent volumes
 * default to a StorageClass whose disks are encrypted with the deployment's disk key.
 * GKE ships its metrics API, so metrics-server is not installed.
 */
export class GcpPlatformTarget extends Construct implements IPlatformTarget {
  readonly cluster: GkeCluster;
  readonly gatewayService: GatewayService = {
    type: "LoadBalancer",
    annotations: { "networking.gke.io/load-balancer-type": "Internal" },
  };
  readonly loadBalancerSources: string[];
  readonly tenantEgress: TenantEgress[];
  readonly needsMetricsServer = false;
  readonly prerequisites: ITerraformDependable[] = [];
  readonly openshift = false;
  private readonly spec: DeploymentSpec;
  private readonly project: string;
  private readonly projectNumber: string;
  private readonly publicZone?: DnsManagedZone;
  private readonly secretManagerApi: ProjectService;

  constructor(scope: Construct, id: string, props: GcpPlatformTargetProps) {
    super(scope, id);
    const { spec, cluster, project } = props;
    if (spec.target.cloud !== "gcp") throw new Error(`GcpPlatformTarget needs a gcp target, got ${spec.target.cloud}`);
    this.spec = spec;
    this.cluster = cluster;
    this.project = project;
    this.publicZone = props.publicZone;
    this.projectNumber = new DataGoogleProject(this, "Project", { projectId: project }).number;
    this.secretManagerApi = new ProjectService(this, "Api-secretmanager", { project, service: "secretmanager.googleapis.com", disableOnDestroy: false });
    // GKE Gateway's external load balancers and health checks come from Google's front
    // ends. Internal classes proxy from a proxy-only subnet, which the network does not
    // create: whoever adds one adds its range here. The VPC itself is not admitted: the
    // pods' range lies inside it.
    this.loadBalancerSources = spec.platform.ingress === "gke-gateway" ? [...GOOGLE_FRONT_ENDS] : [];
    // Cloud SQL and Memorystore answer from the private service access range.
    this.tenantEgress = [{ cidr: gcpPlan(spec.network.cidr).privateServices }];

    // GKE's standard-rwo uses Google-managed keys; the newest default StorageClass wins (Kubernetes 1.26+).
    new StorageClassV1(this, "EncryptedStorageClass", {
      metadata: {
        name: cluster.storageClass,
        labels: platformLabels(spec.name, "storage"),
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
   * conditioned on the deployment's secret name prefix, the one the spec enforces.
   */
  secretStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const workload = this.cluster.bindServiceAccount(scope, sa);
    const prefix = clusterSecretPrefix("gcp", this.spec.name);
    const access = new ProjectIamMember(scope, "SecretAccessor", {
      project: this.project,
      role: "roles/secretmanager.secretAccessor",
      member: workload.serviceAccount.member,
      condition: {
        title: `${this.spec.name} secrets only`,
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
    const zone = this.publicZone;
    if (!zone) return undefined;
    const workload = this.cluster.bindServiceAccount(scope, sa);
    const access = new DnsManagedZoneIamMember(scope, "DnsZoneAdmin", {
      project: this.project,
      managedZone: zone.name,
      role: "roles/dns.admin",
      member: workload.serviceAccount.member,
    });
    return {
      identity: workload.identity,
      grants: [...workload.grants, access],
      config: { cloudDNS: { project: this.project, hostedZoneName: zone.name } },
    };
  }

  // Interim until the data layer lands on this target.
  dataCredentialsStore(): undefined {
    return undefined;
  }

  workloadIdentity(): Binding<undefined> {
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: undefined };
  }
}
