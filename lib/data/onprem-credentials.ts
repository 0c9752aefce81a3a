import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../core/helm";
import { setComponent } from "../core/tags";
import type { IExternalSecrets } from "../platform/external-secrets";
import { platformLabels } from "../platform/namespaces";
import { DATA_NAMESPACE, type ClientBundle } from "./onprem-plan";

const GENERATORS = "generators.external-secrets.io/v1alpha1";

/** The API server as pods reach it, with the CA every namespace carries. */
export const IN_CLUSTER_API = { url: "https://kubernetes.default.svc", caConfigMap: "kube-root-ca.crt" } as const;

export interface GeneratedSecretProps {
  readonly deployment: string;
  /** The Secret's (and its generator's) name in `data`. */
  readonly name: string;
  /** One independent random value per key. */
  readonly keys: string[];
  /**
   * Keys rendered from the generated values with External Secrets' template engine v2
   * (`{{ .<key> }}`); only these keys are written. @default the generated keys as they are
   */
  readonly template?: Record<string, string>;
  /** The Secret's type. @default "Opaque" */
  readonly type?: string;
  /** Labels on the Secret itself (e.g. CloudNativePG's `cnpg.io/reload`). @default none */
  readonly secretLabels?: Record<string, string>;
}

/**
 * A Secret of random values generated in the cluster by External Secrets' Password
 * generator, so no credential passes through Terraform or its state. It is written once
 * (`CreatedOnce`) and immutable, without an owner: re-creating the ExternalSecret cannot
 * replace a password a store already uses (External Secrets reports an error instead),
 * and deleting it leaves the Secret in place. Values are 32 letters and digits: safe in
 * configuration files and connection URLs.
 */
export function generatedSecret(props: GeneratedSecretProps): Record<string, unknown>[] {
  const metadata = { name: props.name, namespace: DATA_NAMESPACE, labels: platformLabels(props.deployment, "data") };
  return [
    {
      apiVersion: GENERATORS,
      kind: "Password",
      metadata,
      spec: { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true, secretKeys: props.keys },
    },
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata,
      spec: {
        refreshPolicy: "CreatedOnce",
        target: {
          name: props.name,
          creationPolicy: "Orphan",
          immutable: true,
          ...(props.template || props.type || props.secretLabels
            ? {
                template: {
                  ...(props.type ? { type: props.type } : {}),
                  ...(props.secretLabels ? { metadata: { labels: props.secretLabels } } : {}),
                  engineVersion: "v2",
                  ...(props.template ? { data: props.template } : {}),
                },
              }
            : {}),
        },
        dataFrom: [{ sourceRef: { generatorRef: { apiVersion: GENERATORS, kind: "Password", name: props.name } } }],
      },
    },
  ];
}

export interface OnpremClientBundlesProps {
  /** The deployment (labels). */
  readonly deployment: string;
  /** The bundles to assemble (OnpremDataPlan's `bundles`). */
  readonly bundles: ClientBundle[];
  /** Runs the SecretStore and ExternalSecrets that assemble them. */
  readonly secrets: IExternalSecrets;
  /** The namespace and the releases that create the bundles' sources. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The Secrets tenants receive, assembled in `data` by External Secrets: each store's
 * credentials with the CA certificate that signed its server certificate, and nothing
 * else. A namespaced SecretStore reads the namespace's own Secrets as the service
 * account `data-bundler`, which may get exactly the bundles' source Secrets.
 */
export class OnpremClientBundles extends Construct {
  static readonly STORE = "data-local";
  static readonly SERVICE_ACCOUNT = "data-bundler";
  readonly release: Manifests["release"];

  constructor(scope: Construct, id: string, props: OnpremClientBundlesProps) {
    super(scope, id);
    setComponent(this, "data");
    const labels = platformLabels(props.deployment, "data");
    const name = OnpremClientBundles.SERVICE_ACCOUNT;
    const metadata = { name, namespace: DATA_NAMESPACE, labels };
    const sources = [...new Set(props.bundles.flatMap((b) => Object.values(b.keys).map((s) => s.secret)))].sort();
    const dependsOn = props.dependsOn ?? [];

    // Never mounted in a pod: External Secrets requests short-lived tokens for it.
    const account = new ServiceAccountV1(this, "ServiceAccount", { metadata, dependsOn });
    const role = new RoleV1(this, "Role", {
      metadata,
      rule: [{ apiGroups: [""], resources: ["secrets"], resourceNames: sources, verbs: ["get"] }],
      dependsOn,
    });
    const binding = new RoleBindingV1(this, "RoleBinding", {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subject: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: DATA_NAMESPACE }],
    });

    this.release = new Manifests(this, "Bundles", {
      name: "data-client-credentials",
      namespace: DATA_NAMESPACE,
      objects: [
        {
          apiVersion: "external-secrets.io/v1",
          kind: "SecretStore",
          metadata: { name: OnpremClientBundles.STORE, namespace: DATA_NAMESPACE, labels },
          spec: {
            provider: {
              kubernetes: {
                remoteNamespace: DATA_NAMESPACE,
                server: { url: IN_CLUSTER_API.url, caProvider: { type: "ConfigMap", name: IN_CLUSTER_API.caConfigMap, key: "ca.crt" } },
                auth: { serviceAccount: { name } },
              },
            },
          },
        },
        ...props.bundles.map((bundle) => ({
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: bundle.name, namespace: DATA_NAMESPACE, labels },
          spec: {
            // Follows a rotated password or a renewed CA within the hour.
            refreshInterval: "1h",
            secretStoreRef: { kind: "SecretStore", name: OnpremClientBundles.STORE },
            target: {
              name: bundle.name,
              creationPolicy: "Owner",
              ...(bundle.literals ? { template: { engineVersion: "v2", mergePolicy: "Merge", data: bundle.literals } } : {}),
            },
            data: Object.entries(bundle.keys).map(([secretKey, source]) => ({ secretKey, remoteRef: { key: source.secret, property: source.key } })),
          },
        })),
      ],
      dependsOn: [props.secrets.release, binding, ...dependsOn],
    }).release;
  }
}
