import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { HelmChart, Manifests } from "../core/helm";
import { CHARTS } from "./charts";
import type { ExternalSecrets } from "./external-secrets";
import { PlatformNamespace, platformLabels } from "./namespaces";
import type { IPlatformTarget } from "./target";

export interface ArgoCdProps {
  readonly deployment: string;
  readonly target: IPlatformTarget;
  /** The repository to sync, from the spec. @default Argo CD without applications */
  readonly gitops?: NonNullable<DeploymentSpec["platform"]["gitops"]>;
  /** Namespaces the Application may deploy into (the tenants'). */
  readonly tenantNamespaces: string[];
  /** Syncs the repository credentials when the repository is private. */
  readonly secrets: ExternalSecrets;
  /** Two replicas of the API server and repo server. @default false */
  readonly highAvailability?: boolean;
  readonly dependsOn: ITerraformDependable[];
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

  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    super(scope, id);
    const { gitops, target } = props;
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: ArgoCd.NAMESPACE,
      deployment: props.deployment,
      component: "gitops",
      podSecurity: "restricted",
      openshift: target.openshift,
    });
    const replicas = props.highAvailability ? 2 : 1;

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
      dependsOn: [namespace.ready, ...props.dependsOn],
    }).release;

    if (!gitops) return;
    const project = props.deployment;
    const credentials = gitops.credentials
      ? [
          props.secrets.sync(this, "RepositoryCredentials", {
            namespace: ArgoCd.NAMESPACE,
            name: "gitops-repository",
            remoteKey: gitops.credentials.secretRef,
            template: {
              labels: { "argocd.argoproj.io/secret-type": "repository" },
              data: { url: gitops.repo, type: "git", project },
            },
            dependsOn: [this.release],
          }),
        ]
      : [];
    const labels = platformLabels(props.deployment, "gitops");
    new Manifests(this, "Application", {
      name: "gitops-application",
      namespace: ArgoCd.NAMESPACE,
      objects: [
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "AppProject",
          metadata: { name: project, namespace: ArgoCd.NAMESPACE, labels },
          spec: {
            description: `${props.deployment}: the product's workloads, from ${gitops.repo}`,
            sourceRepos: [gitops.repo],
            destinations: props.tenantNamespaces.map((ns) => ({ server: "https://kubernetes.default.svc", namespace: ns })),
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
            source: { repoURL: gitops.repo, path: gitops.path, targetRevision: gitops.revision },
            destination: { server: "https://kubernetes.default.svc", namespace: props.tenantNamespaces[0] },
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
