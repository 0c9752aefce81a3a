import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../core/helm";
import { IN_CLUSTER_API } from "../data/onprem-credentials";
import type { BucketRef, ObjectStoreAccess } from "../data/data";

type PlatformCredentials = NonNullable<ObjectStoreAccess["platformCredentials"]>;
import type { IExternalSecrets } from "../platform/external-secrets";
import type { IPlatformTarget, ServiceAccountRef, WorkloadIdentity } from "../platform/target";

/** Where a component keeps its objects, and how its pods authenticate. */
export interface ObjectStorage {
  /** The bucket (S3, GCS) or container (Azure). */
  readonly bucket: string;
  /** The component's key prefix in the bucket, without a trailing slash: components sharing a bucket keep apart. */
  readonly prefix: string;
  /** The object store's API, endpoint, region and (Azure) account. */
  readonly access: ObjectStoreAccess;
  /** What the component's service account and pods carry to act as the cloud identity. */
  readonly identity: WorkloadIdentity;
  /** Cloud grants the component's release waits for. */
  readonly grants: ITerraformDependable[];
  /** Environment variables the pods need, e.g. `AZURE_CLIENT_ID`. */
  readonly env: Record<string, string>;
  /**
   * Where the store takes keys instead of an identity (on-prem): a Secret in the
   * component's namespace with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, and
   * `ca.crt` when `caCertKey` is set. @default - none: the pods use their identity
   */
  readonly credentialsSecret?: string;
  /** The key of `credentialsSecret` holding the CA that signs the endpoint's certificate (the in-cluster store's internal CA). @default - the system's trust store */
  readonly caCertKey?: string;
}

export interface ObjectStorageBindingProps {
  /** The target whose data layer holds the bucket. */
  readonly target: IPlatformTarget;
  /** Copies the store's platform keys where it takes keys (on-prem). */
  readonly secrets: IExternalSecrets;
  /** The service account the component's pods run as. */
  readonly serviceAccount: ServiceAccountRef;
  /** The data layer's bucket, by purpose (e.g. `metrics`, `logs`). */
  readonly bucket: string;
  /** The component's key prefix in the bucket. */
  readonly prefix: string;
  /** What the synced Secret's namespace waits for. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A component's access to one of the data layer's buckets: read and write on that
 * bucket only, through the target's workload identity, or (on-prem) the store's
 * platform keys copied into the component's namespace. Fails at synth when the data
 * layer has no such bucket.
 */
export class ObjectStorageBinding extends Construct {
  readonly storage: ObjectStorage;

  constructor(scope: Construct, id: string, props: ObjectStorageBindingProps) {
    super(scope, id);
    const { target, serviceAccount: sa } = props;
    const data = target.data;
    const bucket: BucketRef | undefined = data?.buckets.find((b) => b.purpose === props.bucket);
    if (!data || !bucket) {
      const have = data ? data.buckets.map((b) => b.purpose).join(", ") || "none" : "no data layer";
      throw new Error(`${sa.namespace}/${sa.name}: needs the data layer's "${props.bucket}" bucket (the target has ${have}); add it to the data layer's buckets`);
    }
    const binding = target.bucketAccess(this, sa, [bucket]);
    const keys = data.objectStore.platformCredentials;
    const credentialsSecret = keys ? `${sa.name}-object-store` : undefined;
    const caCertKey = keys?.caCert ? "ca.crt" : undefined;
    const grants = [...binding.grants];
    if (keys && credentialsSecret) grants.push(copyKeys(this, props, keys, credentialsSecret));
    this.storage = {
      bucket: bucket.name,
      prefix: props.prefix,
      access: data.objectStore,
      identity: binding.identity,
      grants,
      env: binding.config,
      credentialsSecret,
      caCertKey,
    };
  }
}

/**
 * Copies the platform's object-store keys into the component's namespace with External
 * Secrets: a SecretStore of its own reads exactly that one Secret in the data layer's
 * namespace, as a service account that may get nothing else. Tenants' stores never
 * reach it.
 */
function copyKeys(scope: Construct, props: ObjectStorageBindingProps, keys: PlatformCredentials, target: string): ITerraformDependable {
  const { namespace } = props.serviceAccount;
  const reader = `${target}-reader`;
  const labels = { "app.kubernetes.io/managed-by": "cdktf-byoc", "app.kubernetes.io/component": "observability" };
  const dependsOn = props.dependsOn ?? [];
  const account = new ServiceAccountV1(scope, "KeysReader", { metadata: { name: reader, namespace, labels }, automountServiceAccountToken: false, dependsOn });
  const role = new RoleV1(scope, "KeysRole", {
    metadata: { name: reader, namespace: keys.namespace, labels },
    rule: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [keys.secret], verbs: ["get"] }],
  });
  const binding = new RoleBindingV1(scope, "KeysRoleBinding", {
    metadata: { name: reader, namespace: keys.namespace, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
    subject: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
  });
  const env = { AWS_ACCESS_KEY_ID: "accessKeyId", AWS_SECRET_ACCESS_KEY: "secretAccessKey", ...(keys.caCert ? { "ca.crt": "ca.crt" } : {}) };
  return new Manifests(scope, "Keys", {
    name: target,
    namespace,
    objects: [
      {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: reader, namespace, labels },
        spec: {
          provider: {
            kubernetes: {
              remoteNamespace: keys.namespace,
              server: { url: IN_CLUSTER_API.url, caProvider: { type: "ConfigMap", name: IN_CLUSTER_API.caConfigMap, key: "ca.crt" } },
              auth: { serviceAccount: { name: reader } },
            },
          },
        },
      },
      {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: target, namespace, labels },
        spec: {
          refreshInterval: "1h",
          secretStoreRef: { kind: "SecretStore", name: reader },
          target: { name: target, creationPolicy: "Owner" },
          data: Object.entries(env).map(([secretKey, property]) => ({ secretKey, remoteRef: { key: keys.secret, property } })),
        },
      },
    ],
    dependsOn: [props.secrets.release, binding, ...dependsOn],
  }).release;
}
