import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { parse } from "yaml";
import { Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { platformLabels, type INamespace } from "../platform/namespaces";

/** The severities Alertmanager routes on; every shipped alert carries one. */
export const SEVERITIES = ["critical", "warning", "info"] as const;

/** A Prometheus rule group, as written in a rule file (and in a PrometheusRule's spec.groups). */
export interface RuleGroup {
  readonly name: string;
  readonly rules: Record<string, unknown>[];
  readonly [key: string]: unknown;
}

/** One shipped rule file: `observability/rules/<area>.yaml`, plain Prometheus format. */
export interface RuleFile {
  readonly area: string;
  readonly path: string;
  readonly groups: RuleGroup[];
}

/** One shipped Grafana dashboard: `observability/dashboards/<area>.json`. */
export interface DashboardFile {
  readonly area: string;
  readonly path: string;
  /** The file's text, as the ConfigMap carries it. */
  readonly json: string;
  readonly uid: string;
  readonly title: string;
}

/** observability/, found from this file in the source tree and in the built package. */
export const OBSERVABILITY_DIR = (() => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "observability");
    if (existsSync(join(candidate, "rules")) && existsSync(join(candidate, "dashboards"))) return candidate;
  }
  throw new Error(`observability/rules and observability/dashboards not found above ${__dirname}`);
})();

/** Area names are file names and Kubernetes object names. */
const AREA = /^[a-z][a-z0-9-]*$/;

/** Terraform reads `${` and `%{` in any string as a template; a rule or dashboard must not contain them. */
const TERRAFORM_TEMPLATE = /[$%]\{/;

function areaFiles(dir: string, extension: string): { area: string; path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(extension))
    .map((e) => e.name)
    .sort()
    .map((file) => {
      const area = file.slice(0, -extension.length);
      const path = join(dir, file);
      if (!AREA.test(area)) throw new Error(`${path}: the file name must be a lower-case area name (a-z, 0-9, "-")`);
      const text = readFileSync(path, "utf8");
      if (TERRAFORM_TEMPLATE.test(text)) throw new Error(`${path}: contains "\${" or "%{", which Terraform would read as a template (write $var, not \${var})`);
      return { area, path, text };
    });
}

/**
 * The shipped rule files, checked: every group named and holding rules; every alert with
 * an expression, a severity of SEVERITIES and `summary` and `description` annotations.
 */
export function loadRuleFiles(dir = join(OBSERVABILITY_DIR, "rules")): RuleFile[] {
  return areaFiles(dir, ".yaml").map(({ area, path, text }) => {
    const doc = parse(text) as { groups?: unknown } | null;
    if (!doc || !Array.isArray(doc.groups) || doc.groups.length === 0) throw new Error(`${path}: expected a "groups" list`);
    const groups = doc.groups as RuleGroup[];
    const names = new Set<string>();
    for (const group of groups) {
      if (typeof group?.name !== "string" || !Array.isArray(group.rules) || group.rules.length === 0) {
        throw new Error(`${path}: every group needs a name and a non-empty "rules" list`);
      }
      if (names.has(group.name)) throw new Error(`${path}: group ${group.name} appears twice`);
      names.add(group.name);
      for (const rule of group.rules) checkRule(path, rule);
    }
    return { area, path, groups };
  });
}

function checkRule(path: string, rule: Record<string, unknown>): void {
  if (typeof rule.expr !== "string" || rule.expr.trim() === "") throw new Error(`${path}: every rule needs an "expr"`);
  if (rule.alert === undefined) return;
  const labels = (rule.labels ?? {}) as Record<string, unknown>;
  const annotations = (rule.annotations ?? {}) as Record<string, unknown>;
  if (!SEVERITIES.includes(labels.severity as (typeof SEVERITIES)[number])) {
    throw new Error(`${path}: alert ${String(rule.alert)} has severity ${JSON.stringify(labels.severity)}; it must be one of ${SEVERITIES.join(", ")}`);
  }
  for (const key of ["summary", "description"]) {
    if (typeof annotations[key] !== "string" || annotations[key] === "") throw new Error(`${path}: alert ${String(rule.alert)} needs a "${key}" annotation`);
  }
}

/** The shipped Grafana dashboards, each valid JSON with a uid of its own and a title. */
export function loadDashboards(dir = join(OBSERVABILITY_DIR, "dashboards")): DashboardFile[] {
  const uids = new Set<string>();
  return areaFiles(dir, ".json").map(({ area, path, text }) => {
    const dashboard = JSON.parse(text) as { uid?: unknown; title?: unknown };
    if (typeof dashboard.uid !== "string" || typeof dashboard.title !== "string") throw new Error(`${path}: a dashboard needs a "uid" and a "title"`);
    if (uids.has(dashboard.uid)) throw new Error(`${path}: uid ${dashboard.uid} is used by another dashboard`);
    uids.add(dashboard.uid);
    return { area, path, json: text, uid: dashboard.uid, title: dashboard.title };
  });
}

let shipped: { ruleFiles: RuleFile[]; dashboardFiles: DashboardFile[] } | undefined;

/** The shipped files, read and checked once per process: every platform stack includes them (read-only). */
function shippedFiles(): { ruleFiles: RuleFile[]; dashboardFiles: DashboardFile[] } {
  return (shipped ??= { ruleFiles: loadRuleFiles(), dashboardFiles: loadDashboards() });
}

export interface RulesAndDashboardsProps {
  /** Where the PrometheusRules and the dashboard ConfigMaps go (the observability namespace). */
  readonly namespace: INamespace;
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The release installing the Prometheus operator's CRDs: the PrometheusRules wait for it. */
  readonly crds: ITerraformDependable;
  /**
   * What the PrometheusRules wait for besides the CRDs, e.g. the kube-prometheus-stack
   * release (its admission webhook validates PrometheusRules). @default []
   */
  readonly dependsOn?: ITerraformDependable[];
  /** The areas to ship, by file name (`cluster`, `data`, `certificates`, ...). @default every shipped area */
  readonly include?: string[];
}

/**
 * The kit's alert rules and Grafana dashboards, one area per file under observability/:
 * a PrometheusRule per rule file (its groups unchanged, so promtool's checks and unit
 * tests hold for what ships), and a ConfigMap per dashboard labelled for Grafana's
 * dashboard sidecar. The rules complement kube-prometheus-stack's default rules.
 */
export class RulesAndDashboards extends Construct {
  /** The label (value "1") Grafana's sidecar collects dashboards by. */
  static readonly DASHBOARD_LABEL = "grafana_dashboard";
  /** The areas shipped, in file-name order. */
  readonly areas: string[];
  /** The release holding the PrometheusRules; undefined when no included area has rules. */
  readonly rules?: Manifests["release"];
  readonly dashboards: ConfigMapV1[];

  constructor(scope: Construct, id: string, props: RulesAndDashboardsProps) {
    super(scope, id);
    const { ruleFiles, dashboardFiles } = shippedFiles();
    const shipped = [...new Set([...ruleFiles, ...dashboardFiles].map((f) => f.area))].sort();
    const unknown = (props.include ?? []).filter((a) => !shipped.includes(a));
    if (unknown.length > 0) {
      throw new Error(`RulesAndDashboards ${id}: include has ${unknown.map((a) => JSON.stringify(a)).join(", ")}; the shipped areas are ${shipped.map((a) => `"${a}"`).join(", ")}`);
    }
    this.areas = props.include ? shipped.filter((a) => props.include!.includes(a)) : shipped;
    const labels = platformLabels(namingOf(this, props.naming).deployment, "observability");
    const namespace = props.namespace;

    const objects = ruleFiles
      .filter((f) => this.areas.includes(f.area))
      .map((f) => ({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: `rules-${f.area}`, namespace: namespace.name, labels: { ...labels } },
        spec: { groups: f.groups },
      }));
    if (objects.length > 0) {
      this.rules = new Manifests(this, "Rules", {
        name: "alert-rules",
        namespace: namespace.name,
        objects,
        dependsOn: [namespace.ready, props.crds, ...(props.dependsOn ?? [])],
      }).release;
    }

    this.dashboards = dashboardFiles
      .filter((d) => this.areas.includes(d.area))
      .map(
        (d) =>
          new ConfigMapV1(this, `Dashboard${d.area.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}`, {
            metadata: {
              name: `dashboard-${d.area}`,
              namespace: namespace.reference,
              labels: { ...labels, [RulesAndDashboards.DASHBOARD_LABEL]: "1" },
            },
            data: { [`${d.area}.json`]: d.json },
            dependsOn: [namespace.ready],
          }),
      );
  }
}
