import { CHARTS } from "../platform/charts";
import { storagePodAccess } from "./pods";
import type { ObjectStorage } from "./storage";

/**
 * Fluent Bit 5.1.1 from the Fluent project's own chart (grafana/helm-charts' fluent-bit
 * chart is end-of-life). A DaemonSet: one collector per node reading the node's files.
 */
export const FLUENT_BIT_CHART = CHARTS.fluentBit;
export const FLUENT_BIT_IMAGE = { repository: "cr.fluentbit.io/fluent/fluent-bit", tag: "5.1.1" } as const;

/** The node's name, which Fluent Bit reads from the pod's env (helmYaml escapes it from Terraform). */
const NODE_NAME = "${NODE_NAME}";

/** Where Fluent Bit finds the CA of an on-prem store's certificate. */
const CA_DIR = "/fluent-bit/object-store-ca";

/** On the node, outside the container: tail offsets, the filesystem buffer and the archive's staging area survive restarts. */
const STATE = "/var/lib/fluent-bit";

export interface FluentBitValuesOptions {
  /** Where Loki takes pushes inside the cluster (plain HTTP on the pod network). */
  readonly loki: { readonly host: string; readonly port: number };
  /** The cluster's name: a label on every stream and the archive's key prefix. */
  readonly cluster: string;
  /** The logs bucket (S3 or an S3-compatible store). @default - Loki only */
  readonly archive?: ObjectStorage;
  readonly serviceAccount: string;
  readonly openshift: boolean;
  readonly serviceMonitor: boolean;
}

/** A classic-format section; keys are written in order, those without a value left out. */
function section(kind: "SERVICE" | "INPUT" | "FILTER" | "OUTPUT", entries: [string, string | number | undefined][]): string {
  return [`[${kind}]`, ...entries.filter(([, v]) => v !== undefined).map(([k, v]) => `    ${k} ${v}`)].join("\n");
}

/** Loki's labels: few, bounded values, so streams stay few; everything else stays in the JSON line. */
const CONTAINER_LABELS = [
  "namespace=$kubernetes['namespace_name']",
  "pod=$kubernetes['pod_name']",
  "container=$kubernetes['container_name']",
  "node=$kubernetes['host']",
  "app=$kubernetes['labels']['app.kubernetes.io/name']",
];

/**
 * The archive: JSON lines, gzipped, under `<prefix>/<cluster>/<date>/`. Fluent Bit's AWS
 * credential chain reads environment keys (on-prem, from the synced Secret) and EKS Pod
 * Identity's container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI at 169.254.170.23
 * with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE), so no key is ever written here.
 */
function archiveOutput(archive: ObjectStorage, cluster: string): string {
  const { access } = archive;
  return section("OUTPUT", [
    ["Name", "s3"],
    ["Match", "*"],
    ["bucket", archive.bucket],
    ["region", access.region ?? "us-east-1"],
    ["endpoint", access.endpoint],
    ["tls.ca_file", archive.caCertKey && `${CA_DIR}/ca.crt`],
    ["format", "json_lines"],
    ["json_date_key", "time"],
    ["json_date_format", "iso8601"],
    ["compression", "gzip"],
    ["s3_key_format", `/${[archive.prefix, cluster].filter(Boolean).join("/")}/%Y/%m/%d/%H/$TAG[0]-%M%S-$UUID.jsonl.gz`],
    ["total_file_size", "50M"],
    ["upload_timeout", "10m"],
    // The S3 output buffers in its own directory (the engine's limits do not apply) and
    // retries at most five times; then the chunk waits in quarantine, capped too.
    ["store_dir", `${STATE}/s3`],
    ["store_dir_limit_size", "2G"],
    ["retry_limit", 5],
    ["quarantine_dir_limit_size", "1G"],
  ]);
}

/** Fluent Bit's configuration: container and node logs, Kubernetes metadata, Loki and the archive. */
function config(o: FluentBitValuesOptions): Record<string, string> {
  const lokiOutput = (match: string, labels: string[]) =>
    section("OUTPUT", [
      ["Name", "loki"],
      ["Match", match],
      ["Host", o.loki.host],
      ["Port", o.loki.port],
      ["Labels", [`cluster=${o.cluster}`, ...labels].join(", ")],
      ["Line_Format", "json"],
      ["Compress", "gzip"],
      // Retry until the node's buffer is full, then drop the oldest chunks.
      ["Retry_Limit", "no_limits"],
      ["storage.total_limit_size", "2G"],
    ]);
  return {
    service: section("SERVICE", [
      ["Daemon", "Off"],
      ["Flush", 1],
      ["Log_Level", "info"],
      ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
      ["HTTP_Server", "On"],
      ["HTTP_Listen", "0.0.0.0"],
      ["HTTP_Port", 2020],
      ["Health_Check", "On"],
      // Chunks wait on the node's disk, not in memory, while Loki or the bucket is away.
      ["storage.path", `${STATE}/buffer`],
      ["storage.sync", "normal"],
      ["storage.max_chunks_up", 64],
      ["storage.backlog.mem_limit", "16M"],
    ]),
    inputs: [
      section("INPUT", [
        ["Name", "tail"],
        ["Tag", "kube.*"],
        ["Path", "/var/log/containers/*.log"],
        // The container runtime's line format, re-joining lines it split at 16 KiB.
        ["multiline.parser", "cri, docker"],
        ["DB", `${STATE}/containers.db`],
        ["DB.locking", "true"],
        ["Skip_Long_Lines", "On"],
        ["Refresh_Interval", 10],
        ["storage.type", "filesystem"],
      ]),
      // The node's own services, from the journal where the node keeps one (sd_journal
      // finds /var/log/journal for the host's /etc/machine-id; none on nodes without systemd).
      section("INPUT", [
        ["Name", "systemd"],
        ["Tag", "node.*"],
        ["Systemd_Filter", "_SYSTEMD_UNIT=kubelet.service"],
        ["Systemd_Filter", "_SYSTEMD_UNIT=containerd.service"],
        ["DB", `${STATE}/journal.db`],
        ["Read_From_Tail", "On"],
        ["Strip_Underscores", "On"],
        ["Lowercase", "On"],
        ["storage.type", "filesystem"],
      ]),
    ].join("\n\n"),
    filters: [
      // Stack traces (Go, Java, Python) become one record instead of one per line.
      section("FILTER", [
        ["Name", "multiline"],
        ["Match", "kube.*"],
        ["multiline.key_content", "log"],
        ["multiline.parser", "go, java, python"],
      ]),
      // Pod metadata, and JSON log lines merged into the record as fields.
      section("FILTER", [
        ["Name", "kubernetes"],
        ["Match", "kube.*"],
        ["Merge_Log", "On"],
        ["Keep_Log", "Off"],
        ["K8S-Logging.Parser", "On"],
        ["K8S-Logging.Exclude", "On"],
        ["Labels", "On"],
        ["Annotations", "Off"],
        ["Buffer_Size", 0],
      ]),
      section("FILTER", [
        ["Name", "modify"],
        ["Match", "*"],
        ["Add", `cluster ${o.cluster}`],
      ]),
      section("FILTER", [
        ["Name", "modify"],
        ["Match", "node.*"],
        ["Add", `node ${NODE_NAME}`],
      ]),
    ].join("\n\n"),
    outputs: [
      lokiOutput("kube.*", ["job=containers", ...CONTAINER_LABELS]),
      lokiOutput("node.*", ["job=node", `node=${NODE_NAME}`, "unit=$systemd_unit"]),
      ...(o.archive ? [archiveOutput(o.archive, o.cluster)] : []),
    ].join("\n\n"),
    customParsers: "",
  };
}

/**
 * The fluent-bit chart's values. The collector runs as root because container and
 * journal log files are root's (mode 0640) and its offsets live in a root-owned host
 * directory; root without any capability reads and writes only what root owns, and
 * the root filesystem stays read-only.
 */
export function fluentBitValues(o: FluentBitValuesOptions): Record<string, unknown> {
  const { archive } = o;
  const pod = archive && storagePodAccess(archive, CA_DIR);
  const hostPath = (name: string, path: string, type: string) => ({ name, hostPath: { path, type } });
  return {
    kind: "DaemonSet",
    image: { ...FLUENT_BIT_IMAGE, pullPolicy: "IfNotPresent" },
    // The connection test pulls busybox:latest.
    testFramework: { enabled: false },
    serviceAccount: {
      create: true,
      name: o.serviceAccount,
      annotations: archive?.identity.serviceAccountAnnotations ?? {},
      // The kubernetes filter reads pod metadata from the API server.
      automountServiceAccountToken: true,
    },
    rbac: { create: true, nodeAccess: false, eventsAccess: false },
    podLabels: archive?.identity.podLabels ?? {},
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
      // OpenShift's SELinux policy keeps container_t out of the host's /var/log.
      ...(o.openshift ? { seLinuxOptions: { type: "spc_t" } } : {}),
    },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    // Every node ships its logs, whatever its taints.
    tolerations: [{ operator: "Exists" }],
    env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }, ...(pod?.env ?? [])],
    envFrom: pod?.envFrom ?? [],
    config: config(o),
    daemonSetVolumes: [
      hostPath("varlog", "/var/log", "Directory"),
      hostPath("state", STATE, "DirectoryOrCreate"),
      hostPath("machine-id", "/etc/machine-id", "File"),
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "state", mountPath: STATE },
      { name: "machine-id", mountPath: "/etc/machine-id", readOnly: true },
    ],
    ...(pod?.volumes.length ? { extraVolumes: pod.volumes, extraVolumeMounts: pod.volumeMounts } : {}),
    serviceMonitor: { enabled: o.serviceMonitor },
  };
}
