import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { CHARTS } from "../platform/charts";
import { generatedSecret } from "./onprem-credentials";
import { DATA_NAMESPACE, ONPREM_DATA, VALKEY_AUTH, tlsSecret, type OnpremStoreProps } from "./onprem-plan";
import { serverCertificate, serviceNames } from "./onprem-tls";

/**
 * Each member's volume: fixed, because a StatefulSet's claim templates cannot change in
 * place. Room for the snapshot and the append-only file of the largest tier (8 GiB) while
 * it is rewritten.
 */
const VOLUME = "32Gi";

/**
 * Redis-compatible Valkey (BSD-3-Clause, the official image, no Bitnami): always a
 * StatefulSet, so `ha` only adds two replicas of the same primary and never moves its
 * data. TLS only (port 6379 serves TLS; replication too), with a certificate from the
 * internal CA; ACL authentication with two users whose passwords External Secrets
 * generates in the cluster: `default` for applications and `replication` (replication
 * commands only) for the replicas. Append-only persistence, `maxmemory` at 80 % of the
 * container's memory with volatile-lru eviction (the clouds' default). The chart has no
 * automatic failover: with `ha`, promoting a replica is a manual step.
 */
export class OnpremValkey extends Construct {
  /** The release holding the data. */
  readonly release: HelmChart["release"];

  constructor(scope: Construct, id: string, props: OnpremStoreProps) {
    super(scope, id);
    setComponent(this, "data");
    const { plan } = props;
    const redis = plan.redis;
    if (!redis) throw new Error(`OnpremValkey ${id}: the plan has no Redis (give OnpremDataPlan a redis prop)`);
    const name = ONPREM_DATA.valkey;
    const memory = `${Math.ceil(redis.memoryBytes / 2 ** 20)}Mi`;
    const dependsOn = props.dependsOn ?? [];

    const prerequisites = protect(
      new Manifests(this, "Prerequisites", {
        name: "valkey-prerequisites",
        namespace: DATA_NAMESPACE,
        objects: [
          serverCertificate({
            deployment: plan.deployment,
            store: name,
            dnsNames: [
              ...serviceNames(name),
              ...serviceNames(`${name}-read`),
              `*.${name}-headless.${DATA_NAMESPACE}.svc.cluster.local`,
              `*.${name}-headless.${DATA_NAMESPACE}.svc`,
              "localhost",
            ],
          }),
          ...generatedSecret({ deployment: plan.deployment, name: VALKEY_AUTH, keys: ["default", "replication"] }),
        ],
        dependsOn: [props.certManager.release, props.certManager.issuers, props.secrets.release, ...dependsOn],
      }).release,
      plan.protection,
    );

    this.release = protect(
      new HelmChart(this, "Chart", {
        chart: CHARTS.valkey,
        name,
        namespace: DATA_NAMESPACE,
        values: {
          auth: {
            enabled: true,
            usersExistingSecret: VALKEY_AUTH,
            aclUsers: {
              default: { permissions: "~* &* +@all", passwordKey: "default" },
              replication: { permissions: "+psync +replconf +ping", passwordKey: "replication" },
            },
          },
          replica: {
            enabled: true,
            replicas: redis.ha ? 2 : 0,
            replicationUser: "replication",
            persistence: { size: VOLUME, ...(props.storageClass ? { storageClass: props.storageClass } : {}) },
            // Deleting the StatefulSet keeps its volumes while protection is on.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: plan.protection ? "Retain" : "Delete", whenScaled: "Retain" },
          },
          tls: { enabled: true, existingSecret: tlsSecret(name), serverPublicKey: "tls.crt", serverKey: "tls.key", caPublicKey: "ca.crt" },
          valkeyConfig: [
            `maxmemory ${Math.floor(redis.memoryBytes * 0.8)}`,
            "maxmemory-policy volatile-lru",
            "appendonly yes",
            "appendfsync everysec",
          ].join("\n"),
          resources: { requests: { cpu: "250m", memory }, limits: { memory } },
          podDisruptionBudget: { enabled: redis.ha, maxUnavailable: 1 },
        },
        dependsOn: [prerequisites, ...dependsOn],
      }).release,
      plan.protection,
    );
  }
}
