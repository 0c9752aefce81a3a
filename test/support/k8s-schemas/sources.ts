/**
 * Where each custom resource's schema comes from: the upstream Go module, at the version
 * whose CRDs the kit's pinned chart installs, and the CRD files inside it. `chart` and
 * `chartVersion` name the pin in lib/platform/charts.ts the entry follows (a test fails
 * when the pin moves and this table does not).
 */
export interface CrdSource {
  readonly chart: string;
  readonly chartVersion: string;
  readonly module: string;
  readonly version: string;
  /** CRD files, or directories whose *.yaml files are all CRDs, inside the module. */
  readonly crds: readonly string[];
}

export const CRD_SOURCES: readonly CrdSource[] = [
  // The chart's version is the release's (cert-manager Chart.yaml is generated with it).
  { chart: "certManager", chartVersion: "v1.21.1", module: "github.com/cert-manager/cert-manager", version: "v1.21.1", crds: ["deploy/crds"] },
  // Chart 2.9.0 has appVersion v2.9.0, but External Secrets 2.x is not a Go module (its
  // go.mod has no /v2): the newest version the Go module proxy serves is v1.3.2. Against v2.9.0 its v1 kinds only
  // lack fields and enum values 2.x added, except that 2.x requires clientCert/clientKey and
  // bearerToken in the kubernetes provider's cert and token auth (the kit uses serviceAccount).
  { chart: "externalSecrets", chartVersion: "2.9.0", module: "github.com/external-secrets/external-secrets", version: "v1.3.2", crds: ["config/crds/bases"] },
  // argo-helm charts/argo-cd/Chart.yaml 10.1.1: appVersion v3.4.4.
  { chart: "argoCd", chartVersion: "10.1.1", module: "github.com/argoproj/argo-cd/v3", version: "v3.4.4", crds: ["manifests/crds/application-crd.yaml", "manifests/crds/appproject-crd.yaml", "manifests/crds/applicationset-crd.yaml"] },
  // kyverno charts/kyverno/Chart.yaml 3.9.0: appVersion v1.19.0.
  { chart: "kyverno", chartVersion: "3.9.0", module: "github.com/kyverno/kyverno", version: "v1.19.0", crds: ["config/crds/policies.kyverno.io"] },
  // The module's charts/gatekeeper/Chart.yaml: version 3.23.0, appVersion v3.23.0.
  { chart: "gatekeeper", chartVersion: "3.23.0", module: "github.com/open-policy-agent/gatekeeper/v3", version: "v3.23.0", crds: ["config/crd/bases/constrainttemplate-customresourcedefinition.yaml"] },
  // The chart is released with the same tag; its crds/ hold Gateway API v1.6.1 (experimental channel) and Envoy Gateway's own.
  { chart: "envoyGateway", chartVersion: "v1.9.0", module: "github.com/envoyproxy/gateway", version: "v1.9.0", crds: ["charts/gateway-helm/charts/crds/crds/gatewayapi-crds.yaml", "charts/gateway-helm/charts/crds/crds/generated"] },
  // karpenter-crd is released with the same version as Karpenter (NodePool's CRD is copied into the AWS provider's module).
  { chart: "karpenterCrd", chartVersion: "1.14.1", module: "github.com/aws/karpenter-provider-aws", version: "v1.14.1", crds: ["pkg/apis/crds"] },
  // The module's charts/metallb/Chart.yaml: version 0.16.1, appVersion v0.16.1.
  { chart: "metallb", chartVersion: "0.16.1", module: "go.universe.tf/metallb", version: "v0.16.1", crds: ["config/crd/bases"] },
  // cloudnative-pg/charts charts/cloudnative-pg/Chart.yaml 0.29.0: appVersion 1.30.0.
  { chart: "cloudnativePg", chartVersion: "0.29.0", module: "github.com/cloudnative-pg/cloudnative-pg", version: "v1.30.0", crds: ["config/crd/bases"] },
  // cloudnative-pg/charts charts/plugin-barman-cloud/Chart.yaml 0.7.0: appVersion v0.13.0.
  { chart: "pluginBarmanCloud", chartVersion: "0.7.0", module: "github.com/cloudnative-pg/plugin-barman-cloud", version: "v0.13.0", crds: ["config/crd/bases"] },
  // prometheus-community charts/prometheus-operator-crds/Chart.yaml 31.0.1: appVersion v0.93.1.
  { chart: "prometheusOperatorCrds", chartVersion: "31.0.1", module: "github.com/prometheus-operator/prometheus-operator", version: "v0.93.1", crds: ["example/prometheus-operator-crd"] },
  // mongodb-kubernetes 1.9.1 (helm_chart/crds) is not on the Go proxy. Its MongoDBCommunity
  // CRD is the archived community operator's last one (v0.13.0) plus two optional fields
  // (spec.clusterDomain, spec.users[].connectionStringSecretAnnotations), which fail here.
  { chart: "mongodbKubernetes", chartVersion: "1.9.1", module: "github.com/mongodb/mongodb-kubernetes-operator", version: "v0.13.0", crds: ["config/crd/bases"] },
];

/** Gatekeeper's schema of a constraint's spec.match: the `embeddedMatch` of this dummy CRD (pkg/target/match_schema.go). */
export const GATEKEEPER_MATCH = { module: "github.com/open-policy-agent/gatekeeper/v3", version: "v3.23.0", file: "config/crd/bases/match.gatekeeper.sh_matchcrd.yaml" } as const;

/**
 * Built-in kinds and ObjectMeta: the API server's OpenAPI v3 as published in the
 * Kubernetes source, at a patch release of the kit's default minor (DEFAULT_KUBERNETES_VERSION).
 */
export const KUBERNETES = { module: "k8s.io/kubernetes", version: "v1.35.4", dir: "api/openapi-spec/v3" } as const;
