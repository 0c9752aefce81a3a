import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Release } from "@cdktf/provider-helm/lib/release";
import { AssetType, TerraformAsset, TerraformStack, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";

/** A chart at a pinned version: where it comes from and which version is installed. */
export interface ChartRef {
  /** An https chart repository, or an `oci://` registry path without the chart name. */
  readonly repository: string;
  readonly chart: string;
  /** Exact version; never a range. */
  readonly version: string;
}

export interface HelmChartProps {
  readonly chart: ChartRef;
  /** Release name. @default the chart's name */
  readonly name?: string;
  readonly namespace: string;
  /** Chart values, rendered as one YAML document (tokens may appear in strings). */
  readonly values: Record<string, unknown>;
  /**
   * What must exist first: the release that installs a CRD or webhook this one uses,
   * the namespace, the identity. Typed references, never ordering by position.
   * @default none
   */
  readonly dependsOn?: ITerraformDependable[];
  /** Seconds to wait for the release's resources to be ready. @default 600 */
  readonly timeout?: number;
  /**
   * Leave out the chart's `crds/` directory, when a separate release installs the CRDs
   * (Helm never upgrades `crds/`, so CRD charts are how they stay current). @default false
   */
  readonly skipCrds?: boolean;
}

/**
 * A Helm release of a pinned chart. Waits until its workloads are ready (so webhooks
 * answer before anything that needs them is applied), rolls back a failed upgrade
 * (`atomic`), and keeps the history short. Values are readable YAML in the plan.
 */
export class HelmChart extends Construct {
  readonly release: Release;

  constructor(scope: Construct, id: string, props: HelmChartProps) {
    super(scope, id);
    this.release = new Release(this, "Release", {
      name: props.name ?? props.chart.chart,
      namespace: props.namespace,
      repository: props.chart.repository,
      chart: props.chart.chart,
      version: props.chart.version,
      values: [helmYaml(props.values)],
      wait: true,
      atomic: true,
      cleanupOnFail: true,
      maxHistory: 5,
      timeout: props.timeout ?? 600,
      skipCrds: props.skipCrds,
      dependsOn: props.dependsOn,
    });
  }
}

export interface ManifestsProps {
  /** Release name; unique in the namespace. */
  readonly name: string;
  /** Namespace that holds the release record (cluster-scoped objects ignore it). */
  readonly namespace: string;
  /** Complete Kubernetes objects: apiVersion, kind, metadata, spec. */
  readonly objects: Record<string, unknown>[];
  /** The releases installing the CRDs and webhooks these objects need. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Custom resources (a NodePool, a ClusterIssuer, a ClusterSecretStore...) applied as a
 * release of the kit's own one-template chart. `kubernetes_manifest` cannot be used for
 * them: it reads the CRD's schema at plan time, so a plan fails before the release that
 * installs the CRD has been applied. Helm resolves kinds only at apply time, after its
 * `dependsOn` releases are ready. The objects are the release's values, so the plan
 * shows them and changing one is an in-place upgrade.
 */
export class Manifests extends Construct {
  readonly release: Release;

  constructor(scope: Construct, id: string, props: ManifestsProps) {
    super(scope, id);
    this.release = new Release(this, "Release", {
      name: props.name,
      namespace: props.namespace,
      chart: manifestsChart(this).path,
      values: [helmYaml({ objects: props.objects })],
      wait: true,
      atomic: true,
      cleanupOnFail: true,
      maxHistory: 5,
      dependsOn: props.dependsOn,
    });
  }
}

/**
 * Values as YAML that Helm reads back unchanged. Helm parses YAML 1.1, where `on`, `y`,
 * `no` and `0755` are booleans and numbers: writing YAML 1.1 quotes such strings.
 * Terraform reads `${…}` and `%{…}` in any string as a template: literal ones (a
 * config's `${env:VAR}`) are escaped, cdktf's own tokens are left to resolve.
 */
export function helmYaml(values: Record<string, unknown>): string {
  return stringify(values, { version: "1.1", lineWidth: 0 })
    .replace(/\$\{(?!TfToken\[)/g, "$$$${")
    .replace(/%\{/g, "%%{");
}

/** The stack's one copy of the manifests chart. */
function manifestsChart(scope: Construct): TerraformAsset {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild("ManifestsChart");
  return existing instanceof TerraformAsset
    ? existing
    : new TerraformAsset(stack, "ManifestsChart", { path: MANIFESTS_CHART, type: AssetType.DIRECTORY });
}

/** charts/manifests, found from this file in the source tree and in the built package. */
const MANIFESTS_CHART = (() => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "charts", "manifests");
    if (existsSync(join(candidate, "Chart.yaml"))) return candidate;
  }
  throw new Error(`charts/manifests not found above ${__dirname}`);
})();
