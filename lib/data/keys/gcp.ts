import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { DataGoogleStorageProjectServiceAccount } from "@cdktf/provider-google/lib/data-google-storage-project-service-account";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { resolveRegion } from "../../core/region";
import { setComponent } from "../../core/tags";
import { resolveProject } from "../../network/gcp-context";

/** A Cloud KMS crypto key for one purpose: one of GcpKeys' (GcpKeys.keyFor) or an existing key. */
export interface IGcpKey {
  /** The crypto key's id, `projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`. */
  readonly id: string;
  /**
   * What a service must wait for before it encrypts with the key: the key's grant to the
   * service's Google service agent (after the service's API).
   * @default - nothing to wait for (the grant exists)
   */
  readonly grants?: ITerraformDependable[];
}

/** The data stores whose service agents may use the data key. */
export type GcpDataStore = "postgres" | "redis" | "documents" | "buckets";

/** What a key is used for: GcpKeys.keyFor gives each use its key and the grants it waits for. */
export type GcpKeyUse = "cluster" | "disks" | GcpDataStore | "secrets" | "recovery";

export interface GcpKeysProps {
  /** Create the GKE keys: `cluster` (Kubernetes Secrets in etcd) and `disks` (boot and persistent disks). @default true */
  readonly clusterKeys?: boolean;
  /**
   * What enables the Compute Engine API, whose service agent the disks key is granted to
   * (the agent exists only once the API is on): the network's APIs.
   * @default - nothing to wait for (the API is already enabled)
   */
  readonly computeApi?: ITerraformDependable[];
  /**
   * The data stores whose Google service agents get encrypt/decrypt on the `data` key,
   * each after its API is enabled. The data key exists when any is named.
   * @default [] - no data key
   */
  readonly dataStores?: readonly GcpDataStore[];
  /**
   * Create the `secrets` key, for the Secret Manager secrets the stores write
   * (Memorystore's AUTH string); Secret Manager's agent is granted it with "redis".
   * @default - when dataStores include "redis"
   */
  readonly secretsKey?: boolean;
  /**
   * The disaster-recovery region: a key ring there with a data key for the backups
   * bucket's copy and for a Cloud SQL instance restored there.
   * @default - none: no second key ring
   */
  readonly recoveryRegion?: string;
  /**
   * The stores whose agents get the recovery region's data key (with a recoveryRegion).
   * @default - the data stores among "postgres" and "buckets"
   */
  readonly recoveryStores?: readonly ("postgres" | "buckets")[];
  /**
   * `prevent_destroy` on every key ring and key. Turning it off is for throwaway
   * environments only.
   * @default true
   */
  readonly protection?: boolean;
  /** The key ring's location: the region of the cluster, disks and stores its keys encrypt. @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** Rotation every 90 days; old versions stay usable for decryption. */
const KEY_ROTATION = "7776000s";
/** A destroyed key version can be restored for 30 days, as the AWS keys' deletion window. */
const DESTROY_DELAY = "2592000s";
const ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/**
 * Cloud KMS: a key ring in the region and one key per purpose, each rotating every 90
 * days and `prevent_destroy` unless `protection` is off (Cloud KMS never deletes a key
 * ring, and destroying a key only schedules its versions' destruction 30 days out). Each
 * key is granted to the Google service agent that uses it on the project's behalf, and
 * to nothing else. The APIs of the services named in the grants are enabled first, since
 * a service agent exists only once its API is on. `keyFor(use)` gives a user its key.
 */
export class GcpKeys extends Construct {
  readonly clusterKeys: boolean;
  readonly dataStores: readonly GcpDataStore[];
  readonly secretsKey: boolean;
  readonly recoveryRegion?: string;
  readonly recoveryStores: readonly ("postgres" | "buckets")[];
  readonly protection: boolean;
  readonly region: string;
  readonly project: string;
  /** The project number, which names service agents and IAM condition resources. */
  readonly projectNumber: string;
  private readonly keys: Partial<Record<GcpKeyUse, IGcpKey>> = {};

  constructor(scope: Construct, id: string, props: GcpKeysProps = {}) {
    super(scope, id);
    this.clusterKeys = props.clusterKeys ?? true;
    this.dataStores = props.dataStores ?? [];
    this.secretsKey = props.secretsKey ?? this.dataStores.includes("redis");
    this.recoveryRegion = props.recoveryRegion;
    this.recoveryStores =
      props.recoveryStores ?? (this.recoveryRegion === undefined ? [] : this.dataStores.flatMap((s) => (s === "postgres" || s === "buckets" ? [s] : [])));
    this.protection = props.protection ?? true;
    const label = `GcpKeys ${this.node.path}`;
    for (const store of this.recoveryStores) {
      if (!this.dataStores.includes(store)) throw new Error(`${label}: recoveryStores names ${JSON.stringify(store)}, which dataStores does not (${JSON.stringify(this.dataStores)}); its agent needs the data key first`);
    }
    if (this.recoveryStores.length > 0 && this.recoveryRegion === undefined) throw new Error(`${label}: recoveryStores needs a recoveryRegion`);
    setComponent(this, "keys");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    const region = (this.region = resolveRegion(this, "google", props.region));
    if (this.recoveryRegion !== undefined && !Token.isUnresolved(this.recoveryRegion) && this.recoveryRegion === region) {
      throw new Error(`${label}: recoveryRegion must differ from the region ${JSON.stringify(region)} (got ${JSON.stringify(this.recoveryRegion)})`);
    }
    const protection = this.protection;
    this.projectNumber = new DataGoogleProject(this, "Project", { projectId: project }).number;

    const api = (service: string) =>
      new ProjectService(this, `Api-${service}`, { project, service: `${service}.googleapis.com`, disableOnDestroy: false });
    const kmsApi = api("cloudkms");

    // Key rings and keys cannot be deleted in Cloud KMS: a re-created deployment imports them.
    const keyRing = (ringId: string, name: string, location: string) =>
      protect(new KmsKeyRing(this, ringId, { name, project, location, dependsOn: [kmsApi] }), protection);
    const key = (ring: KmsKeyRing, keyId: string, name: string) =>
      protect(
        new KmsCryptoKey(this, keyId, { name, keyRing: ring.id, rotationPeriod: KEY_ROTATION, destroyScheduledDuration: DESTROY_DELAY, purpose: "ENCRYPT_DECRYPT" }),
        protection,
      );
    const ring = keyRing("Ring", naming.name("keys"), region);
    if (this.clusterKeys) {
      // GKE's service agent, named in the cluster key's grant, is created with its API.
      const containerApi = api("container");
      const cluster = key(ring, "ClusterKey", "cluster");
      const disks = key(ring, "DisksKey", "disks");
      this.keys.cluster = { id: cluster.id, grants: [this.grant("ClusterKeyGkeAgent", cluster, this.agent("container-engine-robot"), [containerApi])] };
      // Compute Engine's agent creates and attaches the disks, for GKE nodes and the PD CSI driver alike.
      this.keys.disks = { id: disks.id, grants: [this.grant("DisksKeyComputeAgent", disks, this.agent("compute-system"), props.computeApi)] };
    }
    if (this.secretsKey) {
      const secrets = key(ring, "SecretsKey", "secrets");
      this.keys.secrets = {
        id: secrets.id,
        grants: this.dataStores.includes("redis") ? [this.grant("SecretsKeySecretManagerAgent", secrets, this.agent("gcp-sa-secretmanager"), [api("secretmanager")])] : [],
      };
    }
    if (this.dataStores.length === 0) return;

    const data = key(ring, "DataKey", "data");
    // Cloud Storage's agent is created on first request: the data source asks for it.
    const storageAgent = this.dataStores.includes("buckets")
      ? new DataGoogleStorageProjectServiceAccount(this, "StorageAgent", { project, dependsOn: [api("storage")] })
      : undefined;
    // Some service agents (the gcp-sa-* ones) appear only on the service's first use, which
    // here comes after the grant. In a project that never used the service, a grant fails
    // with "service account does not exist": run `gcloud beta services identity create
    // --service=<api>` once, then apply again (google_project_service_identity, which does
    // that, is in the google-beta provider only).
    const stores: [GcpDataStore, string, string, string][] = [
      ["postgres", "sqladmin", "CloudSql", "gcp-sa-cloud-sql"],
      ["redis", "redis", "Memorystore", "cloud-redis"],
      ["documents", "firestore", "Firestore", "gcp-sa-firestore"],
    ];
    for (const [store, apiName, agentId, domain] of stores) {
      if (this.dataStores.includes(store)) this.keys[store] = { id: data.id, grants: [this.grant(`DataKey${agentId}Agent`, data, this.agent(domain), [api(apiName)])] };
    }
    if (storageAgent) this.keys.buckets = { id: data.id, grants: [this.grant("DataKeyStorageAgent", data, storageAgent.member)] };

    if (this.recoveryRegion === undefined) return;
    const recoveryRing = keyRing("RecoveryRing", naming.name("keys-dr"), this.recoveryRegion);
    const recovery = key(recoveryRing, "RecoveryDataKey", "data");
    this.keys.recovery = {
      id: recovery.id,
      grants: [
        ...(storageAgent && this.recoveryStores.includes("buckets") ? [this.grant("RecoveryDataKeyStorageAgent", recovery, storageAgent.member)] : []),
        // Ready before it is needed: restoring a backup into the recovery region creates a CMEK instance there.
        ...(this.recoveryStores.includes("postgres") ? [this.grant("RecoveryDataKeyCloudSqlAgent", recovery, this.agent("gcp-sa-cloud-sql"), this.keys.postgres?.grants)] : []),
      ],
    };
  }

  /**
   * The key for one use, with the grants its user waits for: `cluster` and `disks` (with
   * clusterKeys), the data key for each of `dataStores`, `secrets` (with secretsKey)
   * and `recovery`, the recovery region's data key (with a recoveryRegion).
   */
  keyFor(use: GcpKeyUse): IGcpKey {
    const key = this.keys[use];
    if (!key) throw new Error(`GcpKeys ${this.node.path}: no ${use} key; ${KEY_SOURCE[use]}`);
    return key;
  }

  private agent(domain: string): string {
    return `serviceAccount:service-${this.projectNumber}@${domain}.iam.gserviceaccount.com`;
  }

  private grant(id: string, key: KmsCryptoKey, member: string, dependsOn?: ITerraformDependable[]): KmsCryptoKeyIamMember {
    return new KmsCryptoKeyIamMember(this, id, { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER, member, dependsOn });
  }
}

/** What creates each key, for the error when a use asks for one that is not there. */
const KEY_SOURCE: Record<GcpKeyUse, string> = {
  cluster: "clusterKeys is false",
  disks: "clusterKeys is false",
  postgres: 'add "postgres" to dataStores',
  redis: 'add "redis" to dataStores',
  documents: 'add "documents" to dataStores',
  buckets: 'add "buckets" to dataStores',
  secrets: "set secretsKey, or add \"redis\" to dataStores",
  recovery: "set recoveryRegion, with a data store",
};
