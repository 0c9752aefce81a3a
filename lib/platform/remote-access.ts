import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { CHARTS } from "./charts";
import type { IExternalSecrets } from "./external-secrets";
import { PlatformNamespace } from "./namespaces";

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
}

/** The Secret keys the connector chart reads through envFrom. */
const TOKEN_KEYS = { TWINGATE_ACCESS_TOKEN: "accessToken", TWINGATE_REFRESH_TOKEN: "refreshToken" };

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

  constructor(scope: Construct, id: string, props: RemoteAccessConnectorProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.network) && !NETWORK.test(props.network)) {
      throw new Error(`RemoteAccessConnector ${id}: network must be the Twingate network name, the <network> of <network>.twingate.com (got ${JSON.stringify(props.network)})`);
    }
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: RemoteAccessConnector.NAMESPACE,
      naming: namingOf(this, props.naming),
      component: "remote-access",
      openshift: props.openshift,
    });
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
      },
      dependsOn: [namespace.ready, tokens, ...(props.dependsOn ?? [])],
    }).release;
  }
}
