import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { CHARTS } from "./charts";
import type { IExternalSecrets } from "./external-secrets";
import { PlatformNamespace, platformLabels } from "./namespaces";
import { AddonNetworkPolicy, apiServerAllow, sameNamespaceAllow, scrapeAllows, tcp, type AddonMetrics, type ClusterNetwork } from "./network-policies";

/** The Git repository Argo CD syncs into the tenant namespaces. */
export interface GitOpsRepository {
  /** An https:// or ssh Git URL, without credentials. */
  readonly repo: string;
  /** Directory in the repository. @default "." */
  readonly path?: string;
  /** Branch, tag or commit. @default "HEAD" */
  readonly revision?: string;
  /**
   * For a private repository: the secret-manager key of a JSON secret with username and
   * password, or sshPrivateKey, synced by External Secrets. @default - a public repository
   */
  readonly credentialsSecret?: string;
}

export interface ArgoCdProps {
  /** The deployment (labels, the AppProject's and Application's names). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The cluster is OpenShift (see PlatformNamespace). @default false */
  readonly openshift?: boolean;
  /** The repository to sync. @default - Argo CD without applications */
  readonly gitops?: GitOpsRepository;
  /** Namespaces the Application may deploy into (the tenants'); the first is its default. Needed with `gitops`. @default [] */
  readonly tenantNamespaces?: string[];
  /** Syncs the repository's credentials. Needed with `gitops.credentialsSecret`. @default - none */
  readonly secrets?: IExternalSecrets;
  /** Two replicas of the API server and repo server. @default false */
  readonly highAvailability?: boolean;
  /** What the release waits for besides its namespace (the tenants' namespaces and policies). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** Where the API server is and who scrapes: the namespace gets default-deny NetworkPolicies. @default - no NetworkPolicies */
  readonly clusterNetwork?: ClusterNetwork;
}

/** Argo CD's components and the ports their metrics are served on (the chart's `*.containerPorts.metrics`). */
const COMPONENTS = {
  "application-controller": 8082,
  server: 8083,
  "repo-server": 8084,
  "applicationset-controller": 8080,
  "notifications-controller": 9001,
} as const;

/** The ports other components call: the repo server's and Redis'. */
const INTERNAL_PORTS = [8081, 6379];

/** Default ports of the Git URL schemes Argo CD takes. */
const GIT_SCHEMES: Record<string, number> = { "https:": 443, "http:": 80, "ssh:": 22, "git+ssh:": 22, "git:": 9418 };

/**
 * The ports the repo server reaches Git hosts on: HTTPS always (Helm repositories too)
 * and the repository URL's port; scp-like `git@host:path` is SSH.
 */
function gitPorts(repo?: string): number[] {
  if (!repo) return [443];
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return [443, 22];
  const url = new URL(repo);
  return [...new Set([443, url.port ? Number(url.port) : (GIT_SCHEMES[url.protocol] ?? 443)])];
}

/**
 * Argo CD with its CRDs, without Dex (no identity provider is configured here) and with
 * its UI reachable only through the API (port-forward or a route a user adds). With a
 * GitOps repository: an AppProject that may deploy only from that repository, only
 * into the tenant namespaces and no cluster-scoped objects, and an Application that
 * syncs it automatically (prune and self-heal).
 */
export class ArgoCd extends Construct {
  static readonly NAMESPACE = "argocd";
  readonly release: HelmChart["release"];
  readonly highAvailability: boolean;
  /** Each component's metrics. */
  readonly metrics: AddonMetrics[];

  constructor(scope: Construct, id: string, props: ArgoCdProps = {}) {
    super(scope, id);
    const { gitops } = props;
    const tenantNamespaces = props.tenantNamespaces ?? [];
    if (gitops && tenantNamespaces.length === 0) {
      throw new Error(`ArgoCd ${id}: gitops needs at least one namespace in tenantNamespaces to deploy ${gitops.repo} into (got none)`);
    }
    if (gitops?.credentialsSecret && !props.secrets) {
      throw new Error(`ArgoCd ${id}: gitops.credentialsSecret needs secrets (External Secrets) to sync ${gitops.credentialsSecret} from`);
    }
    const naming = namingOf(this, props.naming);
    const deployment = naming.deployment;
    this.highAvailability = props.highAvailability ?? false;
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: ArgoCd.NAMESPACE,
      naming,
      component: "gitops",
      openshift: props.openshift,
    });
    const replicas = this.highAvailability ? 2 : 1;
    const app = (component: string) => ({ matchLabels: { "app.kubernetes.io/instance": "argo-cd", "app.kubernetes.io/name": `argocd-${component}` } });
    this.metrics = Object.entries(COMPONENTS).map(([component, number]) => ({
      name: `argocd-${component}`,
      namespace,
      pods: app(component),
      endpoints: [{ port: "metrics", number }],
    }));
    const network = props.clusterNetwork;
    const policies = network
      ? new AddonNetworkPolicy(this, "NetworkPolicy", {
          namespace,
          naming,
          component: "gitops",
          allows: [
            apiServerAllow(network),
            sameNamespaceAllow(INTERNAL_PORTS),
            ...scrapeAllows(this.metrics, network),
            // Git hosts may be private (a site-to-site peer) as well as public.
            { name: "allow-git", pods: app("repo-server"), egress: [{ peers: [{ cidr: "0.0.0.0/0" }], ports: tcp(...gitPorts(gitops?.repo)) }] },
          ],
        }).policies
      : [];

    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.argoCd,
      namespace: ArgoCd.NAMESPACE,
      values: {
        crds: { install: true, keep: true },
        dex: { enabled: false },
        configs: {
          params: { "server.insecure": false },
          cm: { "exec.enabled": false, "admin.enabled": true, "timeout.reconciliation": "180s" },
        },
        server: { replicas, service: { type: "ClusterIP" } },
        repoServer: { replicas },
        applicationSet: { replicas },
      },
      dependsOn: [namespace.ready, ...policies, ...(props.dependsOn ?? [])],
    }).release;

    if (!gitops) return;
    const project = deployment;
    const { secrets } = props;
    // Checked above: a repository with credentials comes with `secrets`.
    const credentials = gitops.credentialsSecret && secrets
      ? [
          secrets.sync(this, "RepositoryCredentials", {
            namespace: ArgoCd.NAMESPACE,
            name: "gitops-repository",
            remoteKey: gitops.credentialsSecret,
            template: {
              labels: { "argocd.argoproj.io/secret-type": "repository" },
              data: { url: gitops.repo, type: "git", project },
            },
            dependsOn: [this.release],
          }),
        ]
      : [];
    const labels = platformLabels(deployment, "gitops");
    new Manifests(this, "Application", {
      name: "gitops-application",
      namespace: ArgoCd.NAMESPACE,
      objects: [
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "AppProject",
          metadata: { name: project, namespace: ArgoCd.NAMESPACE, labels },
          spec: {
            description: `${deployment}: the product's workloads, from ${gitops.repo}`,
            sourceRepos: [gitops.repo],
            destinations: tenantNamespaces.map((ns) => ({ server: "https://kubernetes.default.svc", namespace: ns })),
            clusterResourceWhitelist: [],
            namespaceResourceBlacklist: [
              { group: "", kind: "ResourceQuota" },
              { group: "", kind: "LimitRange" },
              { group: "networking.k8s.io", kind: "NetworkPolicy" },
              { group: "external-secrets.io", kind: "SecretStore" },
            ],
          },
        },
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "Application",
          metadata: { name: project, namespace: ArgoCd.NAMESPACE, labels, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
          spec: {
            project,
            source: { repoURL: gitops.repo, path: gitops.path ?? ".", targetRevision: gitops.revision ?? "HEAD" },
            destination: { server: "https://kubernetes.default.svc", namespace: tenantNamespaces[0] },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              syncOptions: ["ServerSideApply=true"],
              retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
            },
          },
        },
      ],
      dependsOn: [this.release, ...credentials],
    });
  }
}
