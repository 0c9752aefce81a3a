import type { StatefulSetV1SpecTemplate } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { METRICS_PORT, PATHS, RPC_PORT } from "./config";
import { P2P_PORT } from "./genesis";
import { NODE_KEY_PROPERTY, type NodeRole } from "./keys";

/**
 * Besu (docker.io/hyperledger/besu, Apache-2.0): 26.9.0 is the newest release in the
 * project's changelog (github.com/besu-eth/besu, CHANGELOG.md); the image is published
 * on Docker Hub under the hyperledger organisation (besu.hyperledger.org, "Run Besu from
 * a Docker image").
 */
export const BESU_VERSION = "26.9.0";
export const BESU_IMAGE = `docker.io/hyperledger/besu:${BESU_VERSION}`;
/** The image's own non-root user (`besu`, uid and gid 1000). */
const BESU_UID = "1000";

/** Every Besu pod of a network. */
export const BESU_PODS = { "app.kubernetes.io/name": "besu" };
/** validator or rpc. */
export const ROLE_LABEL = "cdktf-byoc/besu-role";

/** A container's CPU and memory: requests, and the memory limit (the OOM bound). */
export interface NodeResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}

/** What one node's pod is made of: names of the objects it mounts, and how it runs. */
export interface NodePod {
  readonly name: string;
  readonly role: NodeRole;
  /** The pod's labels, the StatefulSet's selector among them. */
  readonly labels: Record<string, string>;
  readonly image: string;
  readonly resources: NodeResources;
  readonly serviceAccount: string;
  /** Host header values besides the pod's own address (the RPC Service's names). */
  readonly allowedHosts: readonly string[];
  /** ConfigMaps: config.toml per role, the genesis, the static-node lists per node. */
  readonly configMap: string;
  readonly genesisConfigMap: string;
  readonly staticNodesConfigMap: string;
  /** The Secret holding the node's key (synced by External Secrets). */
  readonly keySecret: string;
  /** The node's volume. */
  readonly claim: string;
}

const probe = (path: string, period: number, failures: number) => ({ httpGet: { path, port: "rpc" }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: failures });

/**
 * A node's pod: Besu as its image's non-root user with a read-only root filesystem and no
 * capabilities, no Kubernetes API token, its key mounted read-only from the synced
 * Secret, its chain on its own volume, spread from the other nodes of its role.
 */
export function nodePodTemplate(o: NodePod): StatefulSetV1SpecTemplate {
  return {
    metadata: { labels: o.labels },
    spec: {
      serviceAccountName: o.serviceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Besu flushes RocksDB on SIGTERM.
      terminationGracePeriodSeconds: 60,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: BESU_UID,
        runAsGroup: BESU_UID,
        fsGroup: BESU_UID,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      // Nodes of a role on different machines and zones where the cluster allows.
      topologySpreadConstraint: ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: [{ matchLabels: { ...BESU_PODS, [ROLE_LABEL]: o.role } }],
      })),
      container: [
        {
          name: "besu",
          image: o.image,
          // Besu itself, not the image's entrypoint script (which, run as root, chowns the data).
          command: ["/opt/besu/bin/besu"],
          // Static nodes by DNS name need Besu's DNS support, and re-resolving when a pod moves.
          args: [`--config-file=${PATHS.config}/config.toml`, "--Xdns-enabled=true", "--Xdns-update-enabled=true"],
          env: [
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            { name: "BESU_P2P_HOST", value: "$(POD_IP)" },
            // Host header values JSON-RPC and metrics accept (Besu's defence against DNS
            // rebinding): the RPC Service's names, and the pod's own address, which the
            // kubelet's probes and Prometheus' scrapes use (metrics share this allowlist).
            { name: "BESU_HOST_ALLOWLIST", value: ["$(POD_IP)", ...o.allowedHosts].join(",") },
            // The JVM's heap at half the memory limit; RocksDB and the JVM's own memory use the rest.
            { name: "BESU_OPTS", value: "-XX:MaxRAMPercentage=50" },
          ],
          port: [
            { name: "rpc", containerPort: RPC_PORT, protocol: "TCP" },
            { name: "p2p", containerPort: P2P_PORT, protocol: "TCP" },
            { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
          ],
          resources: o.resources,
          // /liveness: the RPC server is up. /readiness: at least one peer and at most two blocks behind.
          startupProbe: probe("/liveness", 10, 60),
          livenessProbe: probe("/liveness", 30, 3),
          readinessProbe: probe("/readiness", 10, 3),
          securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          volumeMount: [
            { name: "config", mountPath: PATHS.config, readOnly: true },
            { name: "genesis", mountPath: PATHS.genesis, readOnly: true },
            { name: "static-nodes", mountPath: PATHS.staticNodes, readOnly: true },
            { name: "nodekey", mountPath: PATHS.key, readOnly: true },
            { name: "data", mountPath: PATHS.data },
            // The PID file, the native libraries Besu unpacks and Vert.x's file cache.
            { name: "tmp", mountPath: PATHS.tmp },
          ],
        },
      ],
      volume: [
        { name: "config", configMap: { name: o.configMap, items: [{ key: `${o.role}.toml`, path: "config.toml" }] } },
        { name: "genesis", configMap: { name: o.genesisConfigMap } },
        { name: "static-nodes", configMap: { name: o.staticNodesConfigMap, items: [{ key: `${o.name}.json`, path: "static-nodes.json" }] } },
        // Readable by Besu's group (fsGroup); never written.
        { name: "nodekey", secret: { secretName: o.keySecret, defaultMode: "0440", items: [{ key: NODE_KEY_PROPERTY, path: "nodekey" }] } },
        { name: "data", persistentVolumeClaim: { claimName: o.claim } },
        { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
      ],
    },
  };
}
