import type { ChartRef } from "../core/helm";

/**
 * Every chart the kit installs, pinned. Each upstream was checked to be maintained
 * (late 2026): no retired ingress-nginx, no Bitnami images, no archived MinIO; Grafana's
 * charts come from grafana-community. Bump versions here only, after reading the
 * chart's upgrade notes.
 */
export const CHARTS = {
  argoCd: { repository: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1" },
  externalSecrets: { repository: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0" },
  certManager: { repository: "oci://quay.io/jetstack/charts", chart: "cert-manager", version: "v1.21.1" },
  kyverno: { repository: "https://kyverno.github.io/kyverno/", chart: "kyverno", version: "3.9.0" },
  gatekeeper: { repository: "https://open-policy-agent.github.io/gatekeeper/charts", chart: "gatekeeper", version: "3.23.0" },
  envoyGateway: { repository: "oci://docker.io/envoyproxy", chart: "gateway-helm", version: "v1.9.0" },
  metricsServer: { repository: "https://kubernetes-sigs.github.io/metrics-server/", chart: "metrics-server", version: "3.13.1" },
  twingateConnector: { repository: "https://twingate.github.io/helm-charts", chart: "connector", version: "0.1.35" },
  metallb: { repository: "https://metallb.github.io/metallb", chart: "metallb", version: "0.16.1" },
  karpenter: { repository: "oci://public.ecr.aws/karpenter", chart: "karpenter", version: "1.14.1" },
  // The CRDs as templates, so a chart upgrade upgrades them (the main chart's crds/ never is).
  karpenterCrd: { repository: "oci://public.ecr.aws/karpenter", chart: "karpenter-crd", version: "1.14.1" },
  awsLoadBalancerController: { repository: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "3.5.0" },
  // The on-prem data layer. CloudNativePG 1.30.0; its CRDs are templates kept on uninstall.
  cloudnativePg: { repository: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.29.0" },
  // The barman-cloud backup plugin v0.13.0 (CNPG 1.31 drops in-tree barmanObjectStore); needs cert-manager.
  pluginBarmanCloud: { repository: "https://cloudnative-pg.github.io/charts", chart: "plugin-barman-cloud", version: "0.7.0" },
  // Valkey 9.1.1 (BSD-3-Clause), the maintained Redis fork: standalone or primary with replicas.
  valkey: { repository: "https://valkey.io/valkey-helm/", chart: "valkey", version: "0.11.0" },
  // MongoDB Controllers for Kubernetes (Apache-2.0), successor of the archived community operator.
  mongodbKubernetes: { repository: "https://mongodb.github.io/helm-charts", chart: "mongodb-kubernetes", version: "1.9.1" },
  // SeaweedFS 4.44 (Apache-2.0): the in-cluster S3-compatible store when the spec names none.
  seaweedfs: { repository: "https://seaweedfs.github.io/seaweedfs/helm", chart: "seaweedfs", version: "4.44.0" },
  // Observability. The Prometheus operator v0.93.1 with its CRDs as a release of their own
  // (Helm never upgrades a chart's crds/); Grafana inside comes from grafana-community.
  kubePrometheusStack: { repository: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3" },
  prometheusOperatorCrds: { repository: "https://prometheus-community.github.io/helm-charts", chart: "prometheus-operator-crds", version: "31.0.1" },
  // Loki 3.7 (Monolithic or Distributed; SimpleScalable is deprecated) and Tempo 2.10 from
  // grafana-community, where Grafana's charts moved in 2026.
  loki: { repository: "https://grafana-community.github.io/helm-charts", chart: "loki", version: "18.11.0" },
  tempo: { repository: "https://grafana-community.github.io/helm-charts", chart: "tempo", version: "2.2.4" },
  // Fluent Bit 5.1 from the fluent chart (the grafana/fluent-bit chart is end-of-life).
  fluentBit: { repository: "https://fluent.github.io/helm-charts", chart: "fluent-bit", version: "0.58.1" },
  // The collector 0.158; the chart sets no image of its own.
  otelCollector: { repository: "https://open-telemetry.github.io/opentelemetry-helm-charts", chart: "opentelemetry-collector", version: "0.170.0" },
  // Jaeger v2 (2.19): chart 4.x deploys v2 only; v1 reached end-of-life in December 2025.
  jaeger: { repository: "https://jaegertracing.github.io/helm-charts", chart: "jaeger", version: "4.11.1" },
} as const satisfies Record<string, ChartRef>;

/** Upstreams that are retired or unmaintained: the invariants refuse them. */
export const RETIRED_CHARTS = [
  { pattern: /ingress-nginx/, why: "ingress-nginx is retired (March 2026)" },
  { pattern: /charts\.bitnami\.com|registry-1\.docker\.io\/bitnamicharts/, why: "Bitnami charts and images are no longer maintained for free" },
  { pattern: /charts\.min\.io|\bminio\b/, why: "MinIO's community edition is archived" },
  { pattern: /grafana\.github\.io\/helm-charts/, why: "Grafana's charts moved to grafana-community" },
] as const;
