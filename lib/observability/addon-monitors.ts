import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { label } from "../core/validate";
import { NAMESPACE_NAME, platformLabels, type INamespace } from "../platform/namespaces";
import type { AddonMetrics } from "../platform/network-policies";

export interface AddonMonitorsProps {
  /** The add-ons' metrics endpoints, e.g. a Platform's `metrics`. */
  readonly addons: readonly AddonMetrics[];
  /** The release installing the Prometheus operator's CRDs: the monitors wait for it. */
  readonly crds: ITerraformDependable;
  /** The namespace keeping the release's record (the monitors sit in the add-ons' namespaces). */
  readonly namespace: INamespace;
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** How often each endpoint is scraped. @default "30s" */
  readonly interval?: string;
  /** What else the monitors wait for, e.g. the add-ons' releases. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** A Prometheus duration such as 30s, 1m or 1m30s. */
const DURATION = /^(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

/**
 * A PodMonitor per add-on, in the add-on's namespace, scraping the named container
 * ports its chart declares. PodMonitors need no metrics Service, so no chart has to be
 * changed for them, and, being a separate release, they can follow the operator's CRDs
 * although the add-ons are installed first. Prometheus selects monitors from every
 * namespace; each add-on's NetworkPolicy admits Prometheus on exactly these ports.
 */
export class AddonMonitors extends Construct {
  static readonly DEFAULT_INTERVAL = "30s";
  readonly interval: string;
  readonly release: Manifests["release"];

  constructor(scope: Construct, id: string, props: AddonMonitorsProps) {
    super(scope, id);
    this.interval = props.interval ?? AddonMonitors.DEFAULT_INTERVAL;
    validate(this, props.addons, this.interval);
    const labels = platformLabels(namingOf(this, props.naming).deployment, "observability");
    const namespaces = new Map(props.addons.map((a) => [a.namespace.name, a.namespace.ready]));
    this.release = new Manifests(this, "Monitors", {
      name: "addon-monitors",
      namespace: props.namespace.name,
      objects: props.addons.map((addon) => ({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: addon.name, namespace: addon.namespace.name, labels },
        spec: {
          selector: addon.pods,
          podMetricsEndpoints: addon.endpoints.map((e) => ({ port: e.port, path: e.path ?? "/metrics", interval: this.interval })),
        },
      })),
      dependsOn: [props.crds, props.namespace.ready, ...namespaces.values(), ...(props.dependsOn ?? [])],
    }).release;
  }
}

function validate(scope: Construct, addons: readonly AddonMetrics[], interval: string): void {
  const fail = (message: string): never => {
    throw new Error(`${label(scope)}: ${message}`);
  };
  if (!DURATION.test(interval) || interval === "") fail(`interval must be a Prometheus duration such as "30s" or "1m" (got ${JSON.stringify(interval)})`);
  if (addons.length === 0) fail("addons lists no add-on to monitor (got []): pass a Platform's metrics");
  const seen = new Set<string>();
  addons.forEach((addon, i) => {
    const key = `${addon.namespace.name}/${addon.name}`;
    if (!NAMESPACE_NAME.test(addon.name)) fail(`addons[${i}].name must be a DNS label of a-z, 0-9 and "-" (got ${JSON.stringify(addon.name)})`);
    if (seen.has(key)) fail(`addons[${i}] repeats the monitor ${key}; names must be unique in a namespace`);
    seen.add(key);
    if (addon.endpoints.length === 0) fail(`addons[${i}] (${key}) lists no metrics endpoint`);
  });
}
