import { posix } from "node:path";
import { DeploymentV1, type DeploymentV1SpecTemplate } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { HorizontalPodAutoscalerV2 } from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AUDIT_CA_FILE, AUDIT_CA_KEY, CONFIG_KEY, HSM_CONFIG_KEY, HSM_DIR, configDir, nodeEnv } from "./config";
import type { SecureNodesSettings } from "./settings";

/** The node's container name: the restart alert selects it. */
export const CONTAINER = "node";
/** The container ports' names: Services and the PodMonitor refer to them. */
export const PORT_NAMES = { udp: "udp", health: "health", metrics: "metrics" } as const;

export interface NodeWorkloadProps {
  readonly settings: SecureNodesSettings;
  /** Where the objects go (a reference to the namespace resource). */
  readonly namespace: string;
  /** Labels of every object. */
  readonly labels: Record<string, string>;
  /** The pods' selector labels. */
  readonly selector: Record<string, string>;
  /** More pod labels (workload identity opt-ins). */
  readonly podLabels: Record<string, string>;
  /** The nodes' own service account (no token mounted). */
  readonly serviceAccount: string;
  readonly configMap: string;
  /** Changes whenever the ConfigMap does, so the pods restart on a new config. */
  readonly configChecksum: string;
  /** The synced Secrets: keys, HSM PIN, audit CA. */
  readonly secrets: { readonly keys?: string; readonly hsmPin?: string; readonly auditCa?: string };
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The nodes: a StatefulSet with a headless governing Service (`single`, `hub`: a stable
 * name and DNS record per pod) or a Deployment scaled on CPU by an HPA (`gateway`), a
 * PodDisruptionBudget when more than one pod serves, and pods spread over zones and
 * hosts. Every pod is hardened as Pod Security `restricted` asks, with a read-only root
 * filesystem and no Kubernetes API token; /tmp is its only writable path.
 */
export class NodeWorkload extends Construct {
  readonly statefulSet?: StatefulSetV1;
  readonly deployment?: DeploymentV1;
  readonly autoscaler?: HorizontalPodAutoscalerV2;
  readonly disruptionBudget?: PodDisruptionBudgetV1;
  /** The StatefulSet's governing Service: `<pod>.<name>-headless.<namespace>.svc` per node. */
  readonly headlessService?: ServiceV1;

  constructor(scope: Construct, id: string, props: NodeWorkloadProps) {
    super(scope, id);
    const { settings, labels, selector, dependsOn } = props;
    const metadata = (name: string) => ({ name, namespace: props.namespace, labels: { ...labels, ...selector } });
    const template = podTemplate(props);

    if (settings.topology === "gateway") {
      const scaling = settings.autoscaling!;
      this.deployment = new DeploymentV1(this, "Deployment", {
        metadata: metadata(settings.name),
        spec: {
          // No replicas: the HPA owns the count, and Terraform would reset it on every apply.
          selector: { matchLabels: selector },
          // A new pod serves before an old one goes.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "1", maxUnavailable: "0" } },
          template,
        },
        dependsOn,
      });
      this.autoscaler = new HorizontalPodAutoscalerV2(this, "Autoscaler", {
        metadata: metadata(settings.name),
        spec: {
          minReplicas: scaling.min,
          maxReplicas: scaling.max,
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
          metric: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: scaling.targetCpuPercent } } }],
        },
      });
    } else {
      const headless = `${settings.name}-headless`;
      this.headlessService = new ServiceV1(this, "Headless", {
        metadata: metadata(headless),
        spec: {
          clusterIp: "None",
          selector,
          // Nodes find each other by name while they start, before they are ready.
          publishNotReadyAddresses: true,
          port: [{ name: PORT_NAMES.udp, port: settings.udpPort, targetPort: PORT_NAMES.udp, protocol: "UDP" }],
        },
        dependsOn,
      });
      this.statefulSet = new StatefulSetV1(this, "StatefulSet", {
        metadata: metadata(settings.name),
        spec: {
          replicas: String(settings.replicas),
          serviceName: this.headlessService.metadata.name,
          // Nodes do not depend on each other's start: all start at once.
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selector },
          template,
        },
        dependsOn,
      });
    }

    const serving = settings.autoscaling?.min ?? settings.replicas;
    if (serving > 1) {
      this.disruptionBudget = new PodDisruptionBudgetV1(this, "DisruptionBudget", {
        metadata: metadata(settings.name),
        spec: { maxUnavailable: "1", selector: { matchLabels: selector } },
        dependsOn,
      });
    }
  }
}

function podTemplate(props: NodeWorkloadProps): DeploymentV1SpecTemplate {
  const { settings, selector, secrets } = props;
  const uid = String(settings.runAsUser);
  // Zones always, then hosts: required with high availability, preferred otherwise.
  const spread = (topologyKey: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: settings.highAvailability ? "DoNotSchedule" : "ScheduleAnyway",
    labelSelector: [{ matchLabels: selector }],
  });
  const hsmFile = settings.hsm?.configFile;
  return {
    metadata: {
      labels: { ...props.labels, ...props.podLabels, ...selector },
      annotations: { "checksum/config": props.configChecksum },
    },
    spec: {
      serviceAccountName: props.serviceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        // The mounted Secrets are group-readable by this group only.
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
      },
      topologySpreadConstraint: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
      container: [
        {
          name: CONTAINER,
          image: settings.image,
          args: settings.args && [...settings.args],
          port: [
            { name: PORT_NAMES.udp, containerPort: settings.udpPort, protocol: "UDP" },
            { name: PORT_NAMES.health, containerPort: settings.healthPort, protocol: "TCP" },
            { name: PORT_NAMES.metrics, containerPort: settings.metricsPort, protocol: "TCP" },
          ],
          env: nodeEnv(settings, secrets.hsmPin),
          resources: { requests: { ...settings.resources.requests }, limits: { ...settings.resources.limits } },
          readinessProbe: { httpGet: { path: settings.readinessPath, port: PORT_NAMES.health }, periodSeconds: 10, failureThreshold: 3 },
          livenessProbe: { httpGet: { path: settings.livenessPath, port: PORT_NAMES.health }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 3 },
          securityContext: {
            runAsNonRoot: true,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumeMount: [
            { name: "tmp", mountPath: "/tmp" },
            { name: "config", mountPath: configDir(settings), readOnly: true },
            ...(secrets.keys && settings.keys ? [{ name: "keys", mountPath: settings.keys.mountPath, readOnly: true }] : []),
          ],
        },
      ],
      volume: [
        { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        {
          name: "config",
          projected: [
            {
              defaultMode: "0440",
              sources: [
              { configMap: [{ name: props.configMap, items: [{ key: CONFIG_KEY, path: posix.basename(settings.configPath) }, ...(hsmFile ? [{ key: HSM_CONFIG_KEY, path: `${HSM_DIR}/${hsmFile.name}` }] : [])] }] },
              ...(secrets.auditCa ? [{ secret: [{ name: secrets.auditCa, items: [{ key: AUDIT_CA_KEY, path: AUDIT_CA_FILE }] }] }] : []),
              ],
            },
          ],
        },
        ...(secrets.keys ? [{ name: "keys", secret: { secretName: secrets.keys, defaultMode: "0440" } }] : []),
      ],
    },
  };
}
