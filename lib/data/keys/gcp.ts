import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
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
}

/** Rotation every 90 days; old versions stay usable for decryption. */
const KEY_ROTATION = "7776000s";
/** A destroyed key version can be restored for 30 days, as the AWS keys' deletion window. */
const DESTROY_DELAY = "2592000s";
const ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/**
 * Cloud KMS: a key ring in the region and one key per purpose, each rotating every 90
 * days and `prevent_destroy` (Cloud KMS never deletes a key ring or key anyway). Each key
 * is granted to the Google service agent that uses it on the project's behalf, and to
 * nothing else. The APIs of the services named in the grants are enabled first, since a
 * service agent exists only once its API is on.
 */
export class GcpKeys extends Construct {
  /** GKE application-layer secrets encryption (Kubernetes Secrets in etcd). */
  readonly cluster: KmsCryptoKey;
  /** Node boot disks and persistent disks (the PD CSI driver's volumes). */
  readonly disks: KmsCryptoKey;
  /** The project number, which names service agents and IAM condition resources. */
  readonly projectNumber: string;
  /** The grants to the service agents: what a cluster using these keys waits for. */
  readonly grants: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: GcpKeysProps) {
    super(scope, id);
    setComponent(this, "keys");
    const { naming, project, region } = props;
    this.projectNumber = new DataGoogleProject(this, "Project", { projectId: project }).number;

    const api = (service: string) =>
      new ProjectService(this, `Api-${service}`, { project, service: `${service}.googleapis.com`, disableOnDestroy: false });
    const kmsApi = api("cloudkms");
    // GKE's service agent, named in the cluster key's grant, is created with its API.
    const containerApi = api("container");

    // Key rings and keys cannot be deleted in Cloud KMS: a re-created deployment imports them.
    const ring = protect(new KmsKeyRing(this, "Ring", { name: naming.name("keys"), project, location: region, dependsOn: [kmsApi] }));
    const key = (keyId: string, name: string) =>
      protect(new KmsCryptoKey(this, keyId, { name, keyRing: ring.id, rotationPeriod: KEY_ROTATION, destroyScheduledDuration: DESTROY_DELAY, purpose: "ENCRYPT_DECRYPT" }));
    this.cluster = key("ClusterKey", "cluster");
    this.disks = key("DisksKey", "disks");

    const agent = (domain: string) => `serviceAccount:service-${this.projectNumber}@${domain}.iam.gserviceaccount.com`;
    this.grants = [
      new KmsCryptoKeyIamMember(this, "ClusterKeyGkeAgent", {
        cryptoKeyId: this.cluster.id,
        role: ENCRYPTER_DECRYPTER,
        member: agent("container-engine-robot"),
        dependsOn: [containerApi],
      }),
      // Compute Engine's agent creates and attaches the disks, for GKE nodes and the PD CSI driver alike.
      new KmsCryptoKeyIamMember(this, "DisksKeyComputeAgent", {
        cryptoKeyId: this.disks.id,
        role: ENCRYPTER_DECRYPTER,
        member: agent("compute-system"),
        dependsOn: props.computeApi,
      }),
    ];
  }
}
