import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import { CHARTS } from "./charts";
import { PlatformNamespace, platformLabels } from "./namespaces";
import { AddonNetworkPolicy, apiServerAllow, egressRules, scrapeAllows, webhookAllow, type AddonMetrics, type ClusterNetwork } from "./network-policies";
import type { IPlatformTarget } from "./target";
import { TENANT_LABEL } from "./tenants";

export interface ExternalSecretsProps {
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The target's secret manager and data-credentials store, and whether it is OpenShift. */
  readonly target: IPlatformTarget;
  /** Two replicas of the controller and webhook. @default false */
  readonly highAvailability?: boolean;
  /** What the release waits for besides its namespace (the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** The NetworkPolicies' sources and destinations. @default - the target's; Prometheus in `observability` scrapes */
  readonly clusterNetwork?: ClusterNetwork;
}

/** Syncs secrets into namespaces: what a consumer of External Secrets needs. */
export interface IExternalSecrets {
  /** The operator's release: its CRDs (ExternalSecret, the generators) exist once it is ready. */
  readonly release: ITerraformDependable;
  /** Keeps a Kubernetes Secret in sync with one secret of a store; fails at synth when there is no such store. */
  sync(scope: Construct, id: string, props: SyncedSecretProps): ITerraformDependable;
}

/** Namespaces the kit creates for its add-ons (tenant namespaces carry the tenant label). */
const PLATFORM_NAMESPACES = {
  matchLabels: { "app.kubernetes.io/managed-by": "cdktf-byoc" },
  matchExpressions: [{ key: TENANT_LABEL, operator: "DoesNotExist" }],
};

/** Tenant namespaces: the data-credentials store serves them only. */
const TENANT_NAMESPACES = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };

/** A Kubernetes Secret kept in sync with one secret of the target's secret manager. */
export interface SyncedSecretProps {
  readonly namespace: string;
  /** The Kubernetes Secret's name. */
  readonly name: string;
  /** The secret's name in the secret manager (a spec `secretRef`). */
  readonly remoteKey: string;
  /**
   * Secret keys from JSON properties of the remote value, e.g.
   * `{ TWINGATE_ACCESS_TOKEN: "accessToken" }`. @default every property, under its own name
   */
  readonly properties?: Record<string, string>;
  /** Literal (non-secret) keys and labels added to the Secret, e.g. a repository URL. @default none */
  readonly template?: { readonly data?: Record<string, string>; readonly labels?: Record<string, string> };
  /** The namespace or release the Secret's namespace comes from. @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** Which store: the platform's or the tenants' data-credentials store. @default the platform's */
  readonly store?: "platform" | "data";
}

/**
 * External Secrets Operator with its CRDs and a ClusterSecretStore named
 * `secret-manager` bound to the target's secret manager through workload identity, for
 * the platform's own namespaces. Add-ons get secrets as Kubernetes Secrets synced from
 * there; nothing secret passes through Terraform. On a target without a store (on-prem
 * without Vault) the operator runs without one.
 */
export class ExternalSecrets extends Construct implements IExternalSecrets {
  static readonly NAMESPACE = "external-secrets";
  static readonly SERVICE_ACCOUNT = "external-secrets";
  static readonly STORE = "secret-manager";
  /** The tenants' store: the data stores' credentials only, with its own identity. */
  static readonly DATA_STORE = "data-credentials";
  /** The webhook's port (the chart's `webhook.port`). */
  static readonly WEBHOOK_PORT = 10250;
  readonly release: HelmChart["release"];
  /** The store's release; undefined when the target has no secret manager. */
  readonly store?: Manifests["release"];
  /** The tenants' data-credentials store; undefined when no data store has credentials. */
  readonly dataStore?: Manifests["release"];
  readonly highAvailability: boolean;
  /** The controller's, webhook's and certificate controller's metrics. */
  readonly metrics: AddonMetrics[];
  private readonly deployment: string;

  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    // The cloud identity the target creates here is tagged with this component.
    setComponent(this, "external-secrets");
    const naming = namingOf(this, props.naming);
    this.deployment = naming.deployment;
    this.highAvailability = props.highAvailability ?? false;
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: ExternalSecrets.NAMESPACE,
      naming,
      component: "external-secrets",
      openshift: props.target.openshift,
    });
    const sa = { namespace: ExternalSecrets.NAMESPACE, name: ExternalSecrets.SERVICE_ACCOUNT };
    const binding = props.target.secretStore(this, sa);
    const replicaCount = this.highAvailability ? 2 : 1;
    const network = props.clusterNetwork ?? props.target;
    const instance = { "app.kubernetes.io/instance": "external-secrets" };
    const app = (name: string) => ({ matchLabels: { ...instance, "app.kubernetes.io/name": name } });
    this.metrics = [{ name: "external-secrets", namespace, pods: { matchLabels: instance }, endpoints: [{ port: "metrics", number: 8080 }] }];
    const policy = new AddonNetworkPolicy(this, "NetworkPolicy", {
      namespace,
      naming,
      component: "external-secrets",
      allows: [
        apiServerAllow(network),
        webhookAllow(network, app("external-secrets-webhook"), [ExternalSecrets.WEBHOOK_PORT]),
        ...scrapeAllows(this.metrics, network),
        // The controller reads the secret manager (and takes its cloud identity) there.
        ...(network.cloudApiEgress.length > 0 ? [{ name: "allow-cloud-apis", pods: app("external-secrets"), egress: egressRules(network.cloudApiEgress) }] : []),
      ],
    });

    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.externalSecrets,
      namespace: ExternalSecrets.NAMESPACE,
      values: {
        installCRDs: true,
        replicaCount,
        // Leader election keeps one active controller; the second takes over on failure.
        leaderElect: replicaCount > 1,
        serviceAccount: { create: true, name: sa.name, annotations: binding?.identity.serviceAccountAnnotations ?? {} },
        podLabels: binding?.identity.podLabels ?? {},
        podDisruptionBudget: { enabled: replicaCount > 1, minAvailable: 1 },
        // The port pinned: the NetworkPolicy opens it to the control plane.
        webhook: { replicaCount, port: ExternalSecrets.WEBHOOK_PORT, podDisruptionBudget: { enabled: replicaCount > 1, minAvailable: 1 } },
      },
      dependsOn: [namespace.ready, ...policy.policies, ...(props.dependsOn ?? []), ...(binding?.grants ?? [])],
    }).release;

    const dataSa = { namespace: ExternalSecrets.NAMESPACE, name: ExternalSecrets.DATA_STORE };
    const data = props.target.dataCredentialsStore(this, dataSa);
    if (data) {
      // The service account the store authenticates as: its own identity, not the controller's.
      const account = new ServiceAccountV1(this, "DataCredentialsServiceAccount", {
        metadata: {
          name: dataSa.name,
          namespace: ExternalSecrets.NAMESPACE,
          labels: platformLabels(this.deployment, "external-secrets"),
          annotations: data.identity.serviceAccountAnnotations,
        },
        automountServiceAccountToken: false,
        dependsOn: [namespace.ready],
      });
      this.dataStore = new Manifests(this, "DataStore", {
        name: "data-credentials-store",
        namespace: ExternalSecrets.NAMESPACE,
        objects: [
          {
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterSecretStore",
            metadata: { name: ExternalSecrets.DATA_STORE, labels: platformLabels(this.deployment, "external-secrets") },
            spec: { provider: data.config, conditions: [{ namespaceSelector: TENANT_NAMESPACES }] },
          },
        ],
        dependsOn: [this.release, account, ...data.grants],
      }).release;
    }

    if (binding) {
      this.store = new Manifests(this, "Store", {
        name: "cluster-secret-store",
        namespace: ExternalSecrets.NAMESPACE,
        objects: [
          {
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterSecretStore",
            metadata: { name: ExternalSecrets.STORE, labels: platformLabels(this.deployment, "external-secrets") },
            spec: {
              provider: binding.config,
              // The platform's own namespaces only: the store holds the platform's secrets
              // (Git and connector credentials), which tenants must not read.
              conditions: [{ namespaceSelector: PLATFORM_NAMESPACES }],
            },
          },
        ],
        dependsOn: [this.release],
      }).release;
    }
  }

  /** Syncs one secret into a namespace; fails at synth when the target has no such store. */
  sync(scope: Construct, id: string, props: SyncedSecretProps): Manifests["release"] {
    const data = props.store === "data";
    const store = data ? this.dataStore : this.store;
    if (!store) throw new Error(`${props.namespace}/${props.name}: the target has no secret store to sync ${props.remoteKey} from`);
    const { properties } = props;
    return new Manifests(scope, id, {
      name: `secret-${props.name}`,
      namespace: props.namespace,
      objects: [
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: props.name, namespace: props.namespace, labels: platformLabels(this.deployment, "external-secrets") },
          spec: {
            // Data credentials rotate (RDS and DocumentDB every 7 days): follow them within minutes.
            refreshInterval: data ? "5m" : "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: data ? ExternalSecrets.DATA_STORE : ExternalSecrets.STORE },
            target: {
              name: props.name,
              creationPolicy: "Owner",
              ...(props.template
                ? { template: { engineVersion: "v2", mergePolicy: "Merge", metadata: { labels: props.template.labels ?? {} }, data: props.template.data ?? {} } }
                : {}),
            },
            ...(properties
              ? {
                  data: Object.entries(properties).map(([secretKey, property]) => ({
                    secretKey,
                    // An empty property takes the whole value (a plain, non-JSON secret).
                    remoteRef: property ? { key: props.remoteKey, property } : { key: props.remoteKey },
                  })),
                }
              : { dataFrom: [{ extract: { key: props.remoteKey } }] }),
          },
        },
      ],
      dependsOn: [this.release, store, ...(props.dependsOn ?? [])],
    }).release;
  }
}
