import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { DataGoogleStorageProjectServiceAccount } from "@cdktf/provider-google/lib/data-google-storage-project-service-account";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DataSpec } from "../../config/spec";
import type { Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { setComponent } from "../../core/tags";

export interface GcpKeysProps {
  readonly naming: Naming;
  readonly project: string;
  /** The key ring's location: the region of the cluster and disks its keys encrypt. */
  readonly region: string;
  /**
   * What enables the Compute Engine API, whose service agent the disks key is granted to
   * (the agent exists only once the API is on): the network's APIs.
   * @default nothing to wait for (the API is already enabled)
   */
  readonly computeApi?: ITerraformDependable[];
  /**
   * The data layer: adds the `data` key (Cloud SQL, Memorystore, Firestore, Cloud
   * Storage) and the `secrets` key (Secret Manager), granted to the service agents of
   * the stores that are on, and a key ring in the disaster-recovery region when it is
   * set. Its `protection` decides `prevent_destroy` on every key.
   * @default no data layer: the cluster and disks keys only, always protected
   */
  readonly data?: DataSpec;
}

/** The users of the data keys, each waiting for its own API and service-agent grant. */
export type GcpDataService = "postgres" | "redis" | "documents" | "buckets" | "secrets" | "recovery";

/** Rotation every 90 days; old versions stay usable for decryption. */
const KEY_ROTATION = "7776000s";
/** A destroyed key version can be restored for 30 days, as the AWS keys' deletion window. */
const DESTROY_DELAY = "2592000s";
const ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/**
 * Cloud KMS: a key ring in the region and one key per purpose, each rotating every 90
 * days and `prevent_destroy` unless the spec turns data protection off (Cloud KMS never
 * deletes a key ring, and destroying a key only schedules its versions' destruction
 * 30 days out). Each key
 * is granted to the Google service agent that uses it on the project's behalf, and to
 * nothing else. The APIs of the services named in the grants are enabled first, since a
 * service agent exists only once its API is on.
 */
export class GcpKeys extends Construct {
  /** GKE application-layer secrets encryption (Kubernetes Secrets in etcd). */
  readonly cluster: KmsCryptoKey;
  /** Node boot disks and persistent disks (the PD CSI driver's volumes). */
  readonly disks: KmsCryptoKey;
  /** Data at rest: Cloud SQL, Memorystore, Firestore and the buckets. Undefined without a data layer. */
  readonly data?: KmsCryptoKey;
  /** Secret Manager secrets the data layer writes (the Memorystore AUTH string). Undefined without a data layer. */
  readonly secrets?: KmsCryptoKey;
  /**
   * The data key of the disaster-recovery region: the backups bucket's copy, and a
   * database restored there (a CMEK resource takes a key of its own region).
   * Undefined without disaster recovery.
   */
  readonly recoveryData?: KmsCryptoKey;
  /** The project number, which names service agents and IAM condition resources. */
  readonly projectNumber: string;
  /** The grants to the service agents: what a cluster using these keys waits for. */
  readonly grants: ITerraformDependable[];
  private readonly dataGrants: Partial<Record<GcpDataService, ITerraformDependable[]>> = {};

  constructor(scope: Construct, id: string, props: GcpKeysProps) {
    super(scope, id);
    setComponent(this, "keys");
    const { naming, project, region, data } = props;
    const protection = data?.protection ?? true;
    this.projectNumber = new DataGoogleProject(this, "Project", { projectId: project }).number;

    const api = (service: string) =>
      new ProjectService(this, `Api-${service}`, { project, service: `${service}.googleapis.com`, disableOnDestroy: false });
    const kmsApi = api("cloudkms");
    // GKE's service agent, named in the cluster key's grant, is created with its API.
    const containerApi = api("container");

    // Key rings and keys cannot be deleted in Cloud KMS: a re-created deployment imports them.
    const keyRing = (ringId: string, name: string, location: string) =>
      protect(new KmsKeyRing(this, ringId, { name, project, location, dependsOn: [kmsApi] }), protection);
    const key = (ring: KmsKeyRing, keyId: string, name: string) =>
      protect(
        new KmsCryptoKey(this, keyId, { name, keyRing: ring.id, rotationPeriod: KEY_ROTATION, destroyScheduledDuration: DESTROY_DELAY, purpose: "ENCRYPT_DECRYPT" }),
        protection,
      );
    const ring = keyRing("Ring", naming.name("keys"), region);
    this.cluster = key(ring, "ClusterKey", "cluster");
    this.disks = key(ring, "DisksKey", "disks");

    this.grants = [
      this.grant("ClusterKeyGkeAgent", this.cluster, this.agent("container-engine-robot"), [containerApi]),
      // Compute Engine's agent creates and attaches the disks, for GKE nodes and the PD CSI driver alike.
      this.grant("DisksKeyComputeAgent", this.disks, this.agent("compute-system"), props.computeApi),
    ];
    if (!data) return;

    this.data = key(ring, "DataKey", "data");
    this.secrets = key(ring, "SecretsKey", "secrets");
    // Cloud Storage's agent is created on first request: the data source asks for it.
    const storageAgent = new DataGoogleStorageProjectServiceAccount(this, "StorageAgent", { project, dependsOn: [api("storage")] });
    // Some service agents (the gcp-sa-* ones) appear only on the service's first use, which
    // here comes after the grant. In a project that never used the service, a grant fails
    // with "service account does not exist": run `gcloud beta services identity create
    // --service=<api>` once, then apply again (google_project_service_identity, which does
    // that, is in the google-beta provider only).
    const stores: [GcpDataService, boolean, string, string, string][] = [
      ["postgres", data.postgres !== undefined, "sqladmin", "CloudSql", "gcp-sa-cloud-sql"],
      ["redis", data.redis !== undefined, "redis", "Memorystore", "cloud-redis"],
      ["documents", data.documents !== undefined, "firestore", "Firestore", "gcp-sa-firestore"],
    ];
    for (const [service, on, apiName, agentId, domain] of stores) {
      if (on) this.dataGrants[service] = [this.grant(`DataKey${agentId}Agent`, this.data, this.agent(domain), [api(apiName)])];
    }
    this.dataGrants.buckets = [this.grant("DataKeyStorageAgent", this.data, storageAgent.member)];
    // The only secret the data layer writes is Memorystore's AUTH string.
    if (data.redis) {
      this.dataGrants.secrets = [this.grant("SecretsKeySecretManagerAgent", this.secrets, this.agent("gcp-sa-secretmanager"), [api("secretmanager")])];
    }

    const recoveryRegion = data.disasterRecovery?.region;
    if (!recoveryRegion) return;
    const recoveryRing = keyRing("RecoveryRing", naming.name("keys-dr"), recoveryRegion);
    const recovery = (this.recoveryData = key(recoveryRing, "RecoveryDataKey", "data"));
    this.dataGrants.recovery = [
      ...(data.buckets.includes("backups") ? [this.grant("RecoveryDataKeyStorageAgent", recovery, storageAgent.member)] : []),
      // Ready before it is needed: restoring a backup into the recovery region creates a CMEK instance there.
      ...(data.postgres ? [this.grant("RecoveryDataKeyCloudSqlAgent", recovery, this.agent("gcp-sa-cloud-sql"), this.dataGrants.postgres)] : []),
    ];
  }

  /** The API and key grant a data service waits for before it encrypts with its key. */
  grantsFor(service: GcpDataService): ITerraformDependable[] {
    return this.dataGrants[service] ?? [];
  }

  private agent(domain: string): string {
    return `serviceAccount:service-${this.projectNumber}@${domain}.iam.gserviceaccount.com`;
  }

  private grant(id: string, key: KmsCryptoKey, member: string, dependsOn?: ITerraformDependable[]): KmsCryptoKeyIamMember {
    return new KmsCryptoKeyIamMember(this, id, { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER, member, dependsOn });
  }
}
