import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { CHARTS } from "./charts";
import { PlatformNamespace, platformLabels } from "./namespaces";
import { AddonNetworkPolicy, apiServerAllow, sameNamespaceAllow, scrapeAllows, webhookAllow, type AddonMetrics, type ClusterNetwork, type NetworkAllow } from "./network-policies";
import { BASELINE_RULES, constraintKind } from "./policy-rules";
import { TENANT_LABEL } from "./tenants";

/** The admission controllers the baseline can run on. */
export type PolicyEngineKind = "kyverno" | "gatekeeper";

export interface PolicyEngineProps {
  /** @default "kyverno" */
  readonly engine?: PolicyEngineKind;
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The cluster is OpenShift (see PlatformNamespace). @default false */
  readonly openshift?: boolean;
  /** Three admission replicas (the engines' HA minimum). @default false */
  readonly highAvailability?: boolean;
  /** What the engine's release waits for besides its namespace (the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The releases installing the CRDs some rules match (cert-manager's, External
   * Secrets'): the policies wait for them. @default []
   */
  readonly ruleCrds?: ITerraformDependable[];
  /** Where the API server and its webhook calls are, and who scrapes: the namespace gets default-deny NetworkPolicies. @default - no NetworkPolicies */
  readonly clusterNetwork?: ClusterNetwork;
}

/** The engines' pods (the release names are the charts'). */
const KYVERNO = { "app.kubernetes.io/instance": "kyverno" };
const GATEKEEPER = { "gatekeeper.sh/system": "yes", release: "gatekeeper" };

/** Tenant namespaces carry the tenant label; the baseline applies there only. */
const TENANT_NAMESPACES = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };

/**
 * The policy engine (Kyverno or OPA Gatekeeper) and the baseline rules of
 * policy-rules.ts, enforced (deny) in tenant namespaces. Kyverno takes them as
 * `policies.kyverno.io/v1` ValidatingPolicies (the legacy ClusterPolicy is deprecated);
 * Gatekeeper as CEL ConstraintTemplates, then Constraints once the templates' CRDs exist.
 */
export class PolicyEngine extends Construct {
  static readonly DEFAULT_ENGINE: PolicyEngineKind = "kyverno";
  readonly engine: PolicyEngineKind;
  readonly highAvailability: boolean;
  readonly release: HelmChart["release"];
  /** The release holding the enforced policies. */
  readonly policies: Manifests["release"];
  /** The engine's controllers' metrics. */
  readonly metrics: AddonMetrics[];

  constructor(scope: Construct, id: string, props: PolicyEngineProps = {}) {
    super(scope, id);
    if (props.engine !== undefined && props.engine !== "kyverno" && props.engine !== "gatekeeper") {
      throw new Error(`PolicyEngine ${id}: engine must be "kyverno" or "gatekeeper" (got ${JSON.stringify(props.engine)})`);
    }
    this.engine = props.engine ?? PolicyEngine.DEFAULT_ENGINE;
    const engine = this.engine;
    this.highAvailability = props.highAvailability ?? false;
    const naming = namingOf(this, props.naming);
    const labels = platformLabels(naming.deployment, "policy");
    const ruleCrds = props.ruleCrds ?? [];
    const namespaceName = engine === "kyverno" ? "kyverno" : "gatekeeper-system";
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: namespaceName,
      naming,
      component: "policy",
      openshift: props.openshift,
      // Gatekeeper's webhook skips its own namespace by this label (its post-install job
      // would otherwise add it, and every plan would take it away again).
      labels: engine === "gatekeeper" ? { "admission.gatekeeper.sh/ignore": "no-self-managing" } : undefined,
    });
    const ha = this.highAvailability;
    // Kyverno serves metrics on 8000 (the admission controller names the port differently);
    // Gatekeeper's controller and audit on 8888.
    this.metrics = [
      engine === "kyverno"
        ? { name: "kyverno", namespace, pods: { matchLabels: KYVERNO }, endpoints: [{ port: "metrics-port", number: 8000 }, { port: "metrics", number: 8000 }] }
        : { name: "gatekeeper", namespace, pods: { matchLabels: GATEKEEPER }, endpoints: [{ port: "metrics", number: 8888 }] },
    ];
    const network = props.clusterNetwork;
    const networkPolicies = network
      ? new AddonNetworkPolicy(this, "NetworkPolicy", {
          namespace,
          naming,
          component: "policy",
          allows: [apiServerAllow(network), ...webhookAllows(engine, network), ...scrapeAllows(this.metrics, network)],
        }).policies
      : [];
    const dependsOn = [namespace.ready, ...networkPolicies, ...(props.dependsOn ?? [])];

    if (engine === "kyverno") {
      this.release = new HelmChart(this, "Chart", {
        chart: CHARTS.kyverno,
        namespace: namespaceName,
        values: {
          admissionController: { replicas: ha ? 3 : 1 },
          backgroundController: { replicas: ha ? 2 : 1 },
          cleanupController: { replicas: ha ? 2 : 1 },
          reportsController: { replicas: ha ? 2 : 1 },
        },
        dependsOn,
      }).release;
      this.policies = new Manifests(this, "Baseline", {
        name: "baseline-policies",
        namespace: namespaceName,
        objects: BASELINE_RULES.map((rule) => ({
          apiVersion: "policies.kyverno.io/v1",
          kind: "ValidatingPolicy",
          metadata: { name: rule.name, labels, annotations: { "policies.kyverno.io/description": rule.description } },
          spec: {
            validationActions: ["Deny"],
            failurePolicy: "Fail",
            matchConstraints: {
              resourceRules: [{ ...pick(rule.match), operations: ["CREATE", "UPDATE"] }],
              namespaceSelector: TENANT_NAMESPACES,
            },
            validations: [{ expression: rule.expression, message: rule.message }],
          },
        })),
        dependsOn: [this.release, ...ruleCrds],
      }).release;
      return;
    }

    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.gatekeeper,
      namespace: namespaceName,
      values: { replicas: ha ? 3 : 1, auditInterval: 60, constraintViolationsLimit: 50, postInstall: { labelNamespace: { enabled: false } } },
      dependsOn,
    }).release;
    const templates = new Manifests(this, "Templates", {
      name: "baseline-templates",
      namespace: namespaceName,
      objects: BASELINE_RULES.map((rule) => ({
        apiVersion: "templates.gatekeeper.sh/v1",
        kind: "ConstraintTemplate",
        metadata: { name: constraintKind(rule).toLowerCase(), labels, annotations: { description: rule.description } },
        spec: {
          crd: { spec: { names: { kind: constraintKind(rule) } } },
          targets: [
            {
              target: "admission.k8s.gatekeeper.sh",
              code: [{ engine: "K8sNativeValidation", source: { validations: [{ expression: rule.expression, message: rule.message }] } }],
            },
          ],
        },
      })),
      dependsOn: [this.release],
    }).release;
    // A constraint's kind exists only once Gatekeeper has processed its template.
    this.policies = new Manifests(this, "Baseline", {
      name: "baseline-constraints",
      namespace: namespaceName,
      objects: BASELINE_RULES.map((rule) => ({
        apiVersion: "constraints.gatekeeper.sh/v1beta1",
        kind: constraintKind(rule),
        metadata: { name: rule.name, labels },
        spec: {
          enforcementAction: "deny",
          match: { kinds: [{ apiGroups: rule.match.apiGroups, kinds: rule.match.kinds }], namespaceSelector: TENANT_NAMESPACES },
        },
      })),
      dependsOn: [templates, ...ruleCrds],
    }).release;
  }
}

/**
 * The API server calls Kyverno's admission and cleanup controllers on 9443 and
 * Gatekeeper's controller manager on 8443; Gatekeeper's post-install job probes its
 * webhook from inside the namespace.
 */
function webhookAllows(engine: PolicyEngineKind, network: ClusterNetwork): NetworkAllow[] {
  if (engine === "kyverno") {
    const controllers = { key: "app.kubernetes.io/component", operator: "In" as const, values: ["admission-controller", "cleanup-controller"] };
    return [webhookAllow(network, { matchLabels: KYVERNO, matchExpressions: [controllers] }, [9443])];
  }
  return [webhookAllow(network, { matchLabels: { ...GATEKEEPER, "control-plane": "controller-manager" } }, [8443]), sameNamespaceAllow([8443])];
}

function pick(match: (typeof BASELINE_RULES)[number]["match"]) {
  return { apiGroups: match.apiGroups, apiVersions: match.apiVersions, resources: match.resources };
}
