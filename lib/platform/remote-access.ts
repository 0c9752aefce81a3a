import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PRIVATE_RANGES } from "../core/cidr";
import { HelmChart } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { CHARTS } from "./charts";
import type { IExternalSecrets } from "./external-secrets";
import { PlatformNamespace } from "./namespaces";
import { AddonNetworkPolicy, INTERNET, apiServerAllow, scrapeAllows, tcp, type AddonMetrics, type ClusterNetwork } from "./network-policies";

/** A Twingate connector: the remote network it joins and where its tokens are kept. */
export interface RemoteAccessOptions {
  /** The Twingate network's name: the `<network>` of `<network>.twingate.com`. */
  readonly network: string;
  /** The secret-manager key of a JSON secret with accessToken and refreshToken for one connector. */
  readonly tokensSecret: string;
}

export interface RemoteAccessConnectorProps extends RemoteAccessOptions {
  /** The deployment (labels). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The cluster is OpenShift (see PlatformNamespace). @default false */
  readonly openshift?: boolean;
  /** Syncs the connector's tokens from the secret manager. */
  readonly secrets: IExternalSecrets;
  /** What the release waits for besides its namespace and tokens (the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** Where the API server is and who scrapes: the namespace gets default-deny NetworkPolicies. @default - no NetworkPolicies */
  readonly clusterNetwork?: ClusterNetwork;
}

/** The Secret keys the connector chart reads through envFrom. */
const TOKEN_KEYS = { TWINGATE_ACCESS_TOKEN: "accessToken", TWINGATE_REFRESH_TOKEN: "refreshToken" };

/** The port the connector serves Prometheus metrics on (the chart's `metrics.port`). */
const METRICS_PORT = 9999;

/** A Twingate network name. */
const NETWORK = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;

/**
 * A Twingate connector inside the cluster, so operators reach the private API server,
 * data stores and services without a public endpoint. Its tokens are synced by External
 * Secrets from the secret manager (a JSON secret with accessToken and refreshToken);
 * they never pass through Terraform. One connector per token pair: Twingate
 * recommends a second connector, with its own tokens, for redundancy.
 */
export class RemoteAccessConnector extends Construct {
  static readonly NAMESPACE = "twingate";
  readonly release: HelmChart["release"];
  /** The connector's metrics (enabled in the chart). */
  readonly metrics: AddonMetrics[];

  constructor(scope: Construct, id: string, props: RemoteAccessConnectorProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.network) && !NETWORK.test(props.network)) {
      throw new Error(`RemoteAccessConnector ${id}: network must be the Twingate network name, the <network> of <network>.twingate.com (got ${JSON.stringify(props.network)})`);
    }
    const naming = namingOf(this, props.naming);
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: RemoteAccessConnector.NAMESPACE,
      naming,
      component: "remote-access",
      openshift: props.openshift,
    });
    const pods = { matchLabels: { "app.kubernetes.io/name": "connector", "app.kubernetes.io/instance": "twingate-connector" } };
    this.metrics = [{ name: "twingate-connector", namespace, pods, endpoints: [{ port: "metrics", number: METRICS_PORT }] }];
    const network = props.clusterNetwork;
    const policies = network
      ? new AddonNetworkPolicy(this, "NetworkPolicy", {
          namespace,
          naming,
          component: "remote-access",
          allows: [
            // Operators' traffic to the API server and the private network is what the connector is for.
            apiServerAllow(network),
            { name: "allow-private-network", egress: [{ peers: PRIVATE_RANGES.map((cidr) => ({ cidr })) }] },
            // Twingate's controller and relays (TCP 443, 30000-31000) and peer-to-peer QUIC (UDP, any port).
            {
              name: "allow-twingate",
              egress: [
                { peers: [INTERNET], ports: [...tcp(443), { port: 30000, endPort: 31000 }] },
                { peers: [INTERNET], ports: [{ port: 1, endPort: 65535, protocol: "UDP" }] },
              ],
            },
            ...scrapeAllows(this.metrics, network),
          ],
        }).policies
      : [];
    const tokens = props.secrets.sync(this, "Tokens", {
      namespace: RemoteAccessConnector.NAMESPACE,
      name: "twingate-connector-tokens",
      remoteKey: props.tokensSecret,
      properties: TOKEN_KEYS,
      dependsOn: [namespace.ready],
    });
    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.twingateConnector,
      name: "twingate-connector",
      namespace: RemoteAccessConnector.NAMESPACE,
      values: {
        connector: { network: props.network, existingSecret: "twingate-connector-tokens", logLevel: "info" },
        // Scraped through a PodMonitor, not annotations.
        metrics: { enabled: true, port: METRICS_PORT, prometheusAnnotations: false },
      },
      dependsOn: [namespace.ready, ...policies, tokens, ...(props.dependsOn ?? [])],
    }).release;
  }
}
