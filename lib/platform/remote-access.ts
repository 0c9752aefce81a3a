import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { HelmChart } from "../core/helm";
import { CHARTS } from "./charts";
import type { ExternalSecrets } from "./external-secrets";
import { PlatformNamespace } from "./namespaces";
import type { IPlatformTarget } from "./target";

export interface RemoteAccessConnectorProps {
  readonly deployment: string;
  readonly target: IPlatformTarget;
  readonly remoteAccess: NonNullable<DeploymentSpec["vpn"]["remoteAccess"]>;
  /** Syncs the connector's tokens from the secret manager. */
  readonly secrets: ExternalSecrets;
  readonly dependsOn: ITerraformDependable[];
}

/** The Secret keys the connector chart reads through envFrom. */
const TOKEN_KEYS = { TWINGATE_ACCESS_TOKEN: "accessToken", TWINGATE_REFRESH_TOKEN: "refreshToken" };

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
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: RemoteAccessConnector.NAMESPACE,
      deployment: props.deployment,
      component: "remote-access",
      podSecurity: "restricted",
      openshift: props.target.openshift,
    });
    const tokens = props.secrets.sync(this, "Tokens", {
      namespace: RemoteAccessConnector.NAMESPACE,
      name: "twingate-connector-tokens",
      remoteKey: props.remoteAccess.tokens.secretRef,
      properties: TOKEN_KEYS,
      dependsOn: [namespace.ready],
    });
    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.twingateConnector,
      name: "twingate-connector",
      namespace: RemoteAccessConnector.NAMESPACE,
      values: {
        connector: { network: props.remoteAccess.network, existingSecret: "twingate-connector-tokens", logLevel: "info" },
      },
      dependsOn: [namespace.ready, tokens, ...props.dependsOn],
    }).release;
  }
}
