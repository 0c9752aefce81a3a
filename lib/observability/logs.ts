import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { HelmChart } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { platformLabels, type INamespace } from "../platform/namespaces";
import { FLUENT_BIT_CHART, fluentBitValues } from "./fluent-bit";
import { LOKI_CHART, LOKI_PORT, LOKI_RELEASE, lokiHosts, lokiValues, type LokiMode } from "./loki";
import type { ObjectStorage } from "./storage";

export interface LogsProps {
  /** The deployment (labels, the default cluster name). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** Loki's namespace (the observability namespace, Pod Security restricted). */
  readonly namespace: INamespace;
  /** Fluent Bit's namespace: it reads the nodes' /var/log through hostPath (Pod Security privileged). */
  readonly nodeAgentsNamespace: INamespace;
  /** Loki's chunks and index, bound to `Logs.LOKI_SERVICE_ACCOUNT` in `namespace`. */
  readonly storage: ObjectStorage;
  /**
   * A second copy of every record, as gzipped JSON lines under `<prefix>/<cluster>/<date>/`,
   * written by Fluent Bit as `Logs.FLUENT_BIT_SERVICE_ACCOUNT` in `nodeAgentsNamespace`.
   * S3 and S3-compatible stores only: Fluent Bit 5.1's azure_blob output signs in with a
   * shared key or SAS token only and its gcs output with a service-account key file only,
   * and no static key is ever configured; on Azure and GCP, Loki's bucket is the store.
   * @default - none: the logs are kept in Loki's bucket only
   */
  readonly archive?: ObjectStorage;
  /** Days Loki keeps logs; the compactor deletes older chunks. @default 30 */
  readonly retentionDays?: number;
  /**
   * Loki's deployment mode: one binary (up to a few tens of GB a day) or its
   * microservices. SimpleScalable is deprecated (removed in Loki 4) and not offered.
   * @default "monolithic"
   */
  readonly mode?: LokiMode;
  /** Three Loki replicas (or three of each component that scales) with three copies of each stream. @default false */
  readonly highAvailability?: boolean;
  /** The StorageClass of Loki's volumes (write-ahead log, index cache, compactor). @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Each Loki volume's size. @default "10Gi" */
  readonly volumeSize?: string;
  /** The `cluster` label on every stream and the archive's key prefix. @default - the naming's cluster name */
  readonly clusterName?: string;
  /** OpenShift: Fluent Bit runs with the SELinux type that may read the host's logs (spc_t). @default false */
  readonly openshift?: boolean;
  /** The release installing the Prometheus operator's CRDs: with it, Loki and Fluent Bit get ServiceMonitors. @default - no ServiceMonitors */
  readonly monitoringCrds?: ITerraformDependable;
  /** What the releases wait for besides the namespaces and the storage grants. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/;
/** A label value and key segment Fluent Bit's config, Loki and the bucket all take as is. */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** An https (or http) URL without a path: where an S3-compatible store answers. */
const ENDPOINT = /^https?:\/\/[^/\s]+\/?$/;

/**
 * Logs of every container and node: Fluent Bit on each node tails the container
 * runtime's files and the kubelet's and containerd's journal, adds pod metadata, and
 * ships JSON records to Loki (searchable, `retentionDays`) and, with `archive`, to the
 * logs bucket. Loki stores its chunks and TSDB index in `storage` through the pods'
 * workload identity (on-prem: the store's keys from `credentialsSecret`); nothing in
 * the values is a credential. Grafana finds Loki through a datasource ConfigMap (uid
 * `logs`) whose trace ids link to the traces datasource (uid `traces`).
 */
export class Logs extends Construct {
  static readonly LOKI_SERVICE_ACCOUNT = "loki";
  static readonly FLUENT_BIT_SERVICE_ACCOUNT = "fluent-bit";
  static readonly DATASOURCE_UID = "logs";
  /** The traces datasource's uid, which trace ids in log lines link to. */
  static readonly TRACES_DATASOURCE_UID = "traces";
  static readonly DEFAULT_RETENTION_DAYS = 30;
  static readonly DEFAULT_VOLUME_SIZE = "10Gi";

  readonly loki: HelmChart["release"];
  readonly fluentBit: HelmChart["release"];
  /** The Grafana datasource ConfigMap. */
  readonly datasource: ConfigMapV1;
  /** Loki's push API inside the cluster (`/loki/api/v1/push` on it). */
  readonly lokiPushUrl: string;
  /** Loki's query API inside the cluster: Grafana's datasource URL. */
  readonly lokiQueryUrl: string;
  readonly retentionDays: number;
  readonly mode: LokiMode;
  readonly highAvailability: boolean;
  readonly clusterName: string;

  constructor(scope: Construct, id: string, props: LogsProps) {
    super(scope, id);
    const fail = (message: string): never => {
      throw new Error(`Logs ${id}: ${message}`);
    };
    const retentionDays = props.retentionDays ?? Logs.DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) fail(`retentionDays must be a whole number of days, at least 1 (got ${retentionDays})`);
    const mode = props.mode ?? "monolithic";
    if (mode !== "monolithic" && mode !== "distributed") fail(`mode must be "monolithic" or "distributed" (got ${JSON.stringify(mode)})`);
    const volumeSize = props.volumeSize ?? Logs.DEFAULT_VOLUME_SIZE;
    if (!QUANTITY.test(volumeSize)) fail(`volumeSize must be a size such as "10Gi" or "500Mi" (got ${JSON.stringify(volumeSize)})`);
    const clusterName = props.clusterName;
    if (clusterName !== undefined && !Token.isUnresolved(clusterName) && !CLUSTER_NAME.test(clusterName)) {
      fail(`clusterName must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (got ${JSON.stringify(clusterName)})`);
    }
    checkStorage("storage", props.storage, fail);
    if (props.archive) {
      const { api } = props.archive.access;
      if (api !== "s3") {
        fail(
          `archive must be an S3 or S3-compatible bucket (got ${api}): Fluent Bit 5.1 writes Azure Blob only with a shared key or SAS token ` +
            "and GCS only with a service-account key file, and no static key is configured; leave archive unset, and Loki's bucket holds the logs",
        );
      }
      checkStorage("archive", props.archive, fail);
    }

    const naming = namingOf(this, props.naming);
    this.retentionDays = retentionDays;
    this.mode = mode;
    this.highAvailability = props.highAvailability ?? false;
    this.clusterName = clusterName ?? naming.cluster;
    const { namespace, nodeAgentsNamespace, storage, archive } = props;
    const hosts = lokiHosts(namespace.name, mode);
    this.lokiPushUrl = `http://${hosts.push}:${LOKI_PORT}`;
    this.lokiQueryUrl = `http://${hosts.query}:${LOKI_PORT}`;
    const dependsOn = props.dependsOn ?? [];
    const monitoring = props.monitoringCrds ? [props.monitoringCrds] : [];

    this.loki = new HelmChart(this, "Loki", {
      chart: LOKI_CHART,
      name: LOKI_RELEASE,
      namespace: namespace.name,
      values: lokiValues({
        storage,
        mode,
        highAvailability: this.highAvailability,
        retentionDays,
        storageClass: props.storageClass,
        volumeSize,
        serviceAccount: Logs.LOKI_SERVICE_ACCOUNT,
        serviceMonitors: monitoring.length > 0,
      }),
      dependsOn: [namespace.ready, ...storage.grants, ...monitoring, ...dependsOn],
    }).release;

    // Fluent Bit buffers on the node while Loki starts, so it need not wait for Loki.
    this.fluentBit = new HelmChart(this, "FluentBit", {
      chart: FLUENT_BIT_CHART,
      name: "fluent-bit",
      namespace: nodeAgentsNamespace.name,
      values: fluentBitValues({
        loki: { host: hosts.push, port: LOKI_PORT },
        cluster: this.clusterName,
        archive,
        serviceAccount: Logs.FLUENT_BIT_SERVICE_ACCOUNT,
        openshift: props.openshift ?? false,
        serviceMonitor: monitoring.length > 0,
      }),
      dependsOn: [nodeAgentsNamespace.ready, ...(archive?.grants ?? []), ...monitoring, ...dependsOn],
    }).release;

    this.datasource = new ConfigMapV1(this, "Datasource", {
      metadata: {
        name: "loki-datasource",
        namespace: namespace.reference,
        labels: { ...platformLabels(naming.deployment, "logs"), grafana_datasource: "1" },
      },
      data: { "loki-datasource.yaml": datasourceYaml(this.lokiQueryUrl) },
    });
  }
}

/** Checks what Loki or Fluent Bit needs of an object store before a pod finds out. */
function checkStorage(prop: string, storage: ObjectStorage, fail: (message: string) => never): void {
  const { access } = storage;
  if (access.api === "s3") {
    if (access.endpoint === undefined) {
      if (!access.region) fail(`${prop}: an S3 bucket needs access.region, or access.endpoint for an S3-compatible store`);
      return;
    }
    if (!Token.isUnresolved(access.endpoint) && !ENDPOINT.test(access.endpoint)) {
      fail(`${prop}.access.endpoint must be an http(s) URL without a path such as https://s3.example.com:9000 (got ${JSON.stringify(access.endpoint)})`);
    }
    // An S3-compatible store has no workload identity: its keys come from a Secret.
    if (!storage.credentialsSecret) fail(`${prop}: the S3-compatible store at ${access.endpoint} needs credentialsSecret, the Secret with its access keys`);
  } else if (access.api === "azure-blob" && !access.account) {
    fail(`${prop}: an Azure Blob container needs access.account, the storage account's name`);
  }
}

/**
 * Grafana's provisioning file for Loki. A derived field turns a trace id in a log line
 * (`trace_id`, `traceId`, `traceID` as JSON or key=value) into a link to the trace.
 * Grafana must read `$${__value.raw}` (its escape: not an environment variable), and
 * Terraform turns `$${` into `${`, hence three dollars here.
 */
function datasourceYaml(url: string): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: "Loki",
        uid: Logs.DATASOURCE_UID,
        type: "loki",
        access: "proxy",
        url,
        editable: false,
        jsonData: {
          maxLines: 1000,
          derivedFields: [
            {
              name: "TraceID",
              matcherType: "regex",
              matcherRegex: '[Tt]race_?[Ii][Dd]"?\\s*[:=]\\s*"?([0-9a-fA-F]{16,32})',
              datasourceUid: Logs.TRACES_DATASOURCE_UID,
              url: "$$${__value.raw}",
              urlDisplayLabel: "View trace",
            },
          ],
        },
      },
    ],
  });
}
