import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import type { DnsManagedZone } from "@cdktf/provider-google/lib/dns-managed-zone";
import { DnsManagedZoneIamMember } from "@cdktf/provider-google/lib/dns-managed-zone-iam-member";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { GkeCluster } from "../../cluster/gke";
import type { DeploymentSpec } from "../../config/spec";
import { clusterSecretPrefix } from "../../config/validate-cluster";
import type { BucketRef } from "../../data/data";
import type { GcpDataLayer } from "../../data/gcp";
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
  /** The infra stack's data stores and buckets, which tenants' workloads are granted. @default none: no data layer */
  readonly data?: GcpDataLayer;
}

/** Google's front ends and health checkers: where GKE Gateway load balancers reach pods from. */
const GOOGLE_FRONT_ENDS = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * GKE as a platform target. Add-ons act as Google service accounts through Workload
 * Identity: External Secrets reads only the deployment's own Secret Manager secrets (an
 * IAM condition on the name prefix), cert-manager writes only the public zone's records.
 * Tenants' workloads get their own Google service account for the data layer, and a
 * separate store reads the data stores' credential secrets for them. The gateway's Service gets an internal passthrough load balancer. Persistent volumes
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
  readonly data?: GcpDataLayer;
  private readonly spec: DeploymentSpec;
  private readonly project: string;
  private readonly region: string;
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
    this.region = spec.target.region;
    this.publicZone = props.publicZone;
    this.data = props.data;
    this.projectNumber = new DataGoogleProject(this, "Project", { projectId: project }).number;
    this.secretManagerApi = new ProjectService(this, "Api-secretmanager", { project, service: "secretmanager.googleapis.com", disableOnDestroy: false });
    // GKE Gateway's external load balancers and health checks come from Google's front
    // ends. Internal classes proxy from a proxy-only subnet, which the network does not
    // create: whoever adds one adds its range here. The VPC itself is not admitted: the
    // pods' range lies inside it.
    this.loadBalancerSources = spec.platform.ingress === "gke-gateway" ? [...GOOGLE_FRONT_ENDS] : [];
    // Cloud SQL and Memorystore answer from the private service access range.
    this.tenantEgress = [
      { cidr: gcpPlan(spec.network.cidr).privateServices },
      // GKE's metadata server, which exchanges pods' tokens for their Google service account's
      // (Workload Identity); Dataplane V2 applies NetworkPolicies to it.
      { cidr: "169.254.169.252/32", ports: [{ port: 988, protocol: "TCP" as const }] },
      { cidr: "169.254.169.254/32", ports: [{ port: 80, protocol: "TCP" as const }] },
    ];

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

  /**
   * Secret Manager as its own Google service account, with secretAccessor on each of the
   * data layer's credential secrets and nothing else. The store names the Kubernetes
   * service account it authenticates as; the cluster's project, location and name are
   * given rather than read from the metadata server.
   */
  dataCredentialsStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const secrets = this.data?.credentialSecrets ?? [];
    if (secrets.length === 0) return undefined;
    const workload = this.cluster.bindServiceAccount(scope, sa);
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
              clusterLocation: this.region,
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
    const workload = this.cluster.bindServiceAccount(scope, sa);
    const member = workload.serviceAccount.member;
    const grants: ITerraformDependable[] = buckets.map(
      (b) => new StorageBucketIamMember(scope, `BucketAccess-${b.purpose}`, { bucket: b.name, role: "roles/storage.objectAdmin", member }),
    );
    const postgres = this.data?.postgres;
    if (postgres) {
      const instance = postgres.instanceName;
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
    const documents = this.data?.documents;
    if (documents) {
      grants.push(
        new ProjectIamMember(scope, "Firestore", {
          project: this.project,
          role: "roles/datastore.user",
          member,
          condition: {
            title: `${documents.databaseName} only`,
            description: `The Firestore database ${documents.databaseName}`,
            expression: `resource.name == "projects/${this.project}/databases/${documents.databaseName}"`,
          },
        }),
      );
    }
    const config: Record<string, string> = postgres ? { POSTGRES_USER: Fn.trimsuffix(workload.serviceAccount.email, ".gserviceaccount.com") } : {};
    return { identity: workload.identity, grants: [...workload.grants, ...grants], config };
  }
}
