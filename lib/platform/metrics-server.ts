import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart } from "../core/helm";
import { CHARTS } from "./charts";

export interface MetricsServerProps {
  /** Two replicas with a disruption budget. @default false */
  readonly highAvailability?: boolean;
  /** What the release waits for (the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * metrics-server, for clusters whose platform does not ship the resource metrics API
 * (EKS, plain Kubernetes): HorizontalPodAutoscalers and `kubectl top` need it.
 */
export class MetricsServer extends Construct {
  readonly release: HelmChart["release"];
  readonly highAvailability: boolean;

  constructor(scope: Construct, id: string, props: MetricsServerProps = {}) {
    super(scope, id);
    this.highAvailability = props.highAvailability ?? false;
    const replicas = this.highAvailability ? 2 : 1;
    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.metricsServer,
      namespace: "kube-system",
      values: {
        replicas,
        podDisruptionBudget: { enabled: replicas > 1, minAvailable: 1 },
      },
      dependsOn: props.dependsOn,
    }).release;
  }
}
