import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { HelmChart, Manifests } from "../core/helm";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import { CHARTS } from "./charts";
import { PlatformNamespace } from "./namespaces";
import {
  AddonNetworkPolicy,
  INTERNET,
  apiServerAllow,
  egressRules,
  scrapeAllows,
  tcp,
  webhookAllow,
  type AddonMetrics,
  type ClusterNetwork,
} from "./network-policies";
import type { IPlatformTarget } from "./target";

export interface CertManagerProps {
  /** The deployment (labels, the internal CA's name). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The target's DNS-01 solver (none: no ACME issuer), and whether it is OpenShift. */
  readonly target: IPlatformTarget;
  /** Two replicas of each controller with a disruption budget. @default false */
  readonly highAvailability?: boolean;
  /**
   * The release installing the Gateway API CRDs: with it, cert-manager issues
   * certificates for Gateway listeners. @default no Gateway API support
   */
  readonly gatewayApi?: ITerraformDependable;
  /** What every release waits for (the target's prerequisites). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** The NetworkPolicies' sources and destinations. @default - the target's; Prometheus in `observability` scrapes */
  readonly clusterNetwork?: ClusterNetwork;
}

/** What a certificate's consumer waits for. */
export interface ICertManager {
  /** cert-manager's release: its CRDs and webhook. */
  readonly release: ITerraformDependable;
  /** The ClusterIssuers' release, `internal-ca` among them. */
  readonly issuers: ITerraformDependable;
}

/** Public DNS-over-HTTPS resolvers for the DNS-01 self-check. */
const DNS_OVER_HTTPS = ["https://1.1.1.1/dns-query", "https://8.8.8.8/dns-query"];

/** ACME directory of Let's Encrypt's production CA. */
const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";

/**
 * cert-manager with its CRDs, and the ClusterIssuers the platform uses:
 * `internal-ca`, a private CA for names inside the cluster and the private zone (always),
 * and `letsencrypt`, ACME DNS-01 on the public zone through workload identity (where the
 * target manages the product's public zone).
 */
export class CertManager extends Construct implements ICertManager {
  static readonly NAMESPACE = "cert-manager";
  static readonly SERVICE_ACCOUNT = "cert-manager";
  /** The webhook's port (the chart's `webhook.securePort`): GKE's control plane reaches nodes on 443 and 10250 by default. */
  static readonly WEBHOOK_PORT = 10250;
  readonly release: HelmChart["release"];
  readonly issuers: Manifests["release"];
  /** The issuer for public names when there is one, else the private CA. */
  readonly defaultIssuer: string;
  readonly highAvailability: boolean;
  /** The controller's, webhook's and CA injector's metrics. */
  readonly metrics: AddonMetrics[];

  constructor(scope: Construct, id: string, props: CertManagerProps) {
    super(scope, id);
    // The cloud identity the target creates here is tagged with this component.
    setComponent(this, "cert-manager");
    const naming = namingOf(this, props.naming);
    this.highAvailability = props.highAvailability ?? false;
    const namespace = new PlatformNamespace(this, "Namespace", {
      name: CertManager.NAMESPACE,
      naming,
      component: "cert-manager",
      openshift: props.target.openshift,
    });
    const dns01 = props.target.dns01Solver(this, { namespace: CertManager.NAMESPACE, name: CertManager.SERVICE_ACCOUNT });
    const replicas = this.highAvailability ? 2 : 1;
    const ha = { replicaCount: replicas, podDisruptionBudget: { enabled: replicas > 1, minAvailable: 1 } };
    const network = props.clusterNetwork ?? props.target;
    // The release's pods: controller, webhook, cainjector and the startupapicheck job.
    const release = { "app.kubernetes.io/instance": "cert-manager" };
    const component = (name: string) => ({ matchLabels: { ...release, "app.kubernetes.io/component": name } });
    this.metrics = [{ name: "cert-manager", namespace, pods: { matchLabels: release }, endpoints: [{ port: "http-metrics", number: 9402 }] }];
    const policy = new AddonNetworkPolicy(this, "NetworkPolicy", {
      namespace,
      naming,
      component: "cert-manager",
      allows: [
        apiServerAllow(network),
        webhookAllow(network, component("webhook"), [CertManager.WEBHOOK_PORT]),
        ...scrapeAllows(this.metrics, network),
        // ACME: Let's Encrypt, the DNS-over-HTTPS self-check and the DNS API, all on
        // HTTPS; the cloud's identity and private endpoints come from the target.
        ...(dns01
          ? [{ name: "allow-acme", pods: component("controller"), egress: [{ peers: [INTERNET], ports: tcp(443) }, ...egressRules(network.cloudApiEgress)] }]
          : []),
      ],
    });

    this.release = new HelmChart(this, "Chart", {
      chart: CHARTS.certManager,
      namespace: CertManager.NAMESPACE,
      values: {
        crds: { enabled: true, keep: true },
        ...ha,
        // Pinned: the NetworkPolicy opens this port to the control plane.
        webhook: { ...ha, securePort: CertManager.WEBHOOK_PORT },
        cainjector: ha,
        serviceAccount: { name: CertManager.SERVICE_ACCOUNT, annotations: dns01?.identity.serviceAccountAnnotations ?? {} },
        podLabels: dns01?.identity.podLabels ?? {},
        // The DNS-01 self-check asks public resolvers over HTTPS: nodes may not reach the
        // zone's name servers on port 53 (EKS nodes send only HTTPS out of the VPC).
        dns01RecursiveNameservers: DNS_OVER_HTTPS.join(","),
        dns01RecursiveNameserversOnly: true,
        ...(props.gatewayApi
          ? { config: { apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", enableGatewayAPI: true } }
          : {}),
        prometheus: { enabled: true },
      },
      dependsOn: [
        namespace.ready,
        ...policy.policies,
        ...(props.dependsOn ?? []),
        ...(dns01?.grants ?? []),
        ...(props.gatewayApi ? [props.gatewayApi] : []),
      ],
    }).release;

    const clusterIssuer = (name: string, spec: Record<string, unknown>) => ({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name },
      spec,
    });
    const objects: Record<string, unknown>[] = [
      // Namespaced: only the CA's own certificate may use the self-signing issuer.
      { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name: "selfsigned", namespace: CertManager.NAMESPACE }, spec: { selfSigned: {} } },
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: "internal-ca", namespace: CertManager.NAMESPACE },
        spec: {
          isCA: true,
          commonName: `${naming.deployment} internal CA`,
          secretName: "internal-ca",
          duration: "87600h",
          renewBefore: "720h",
          privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
          issuerRef: { name: "selfsigned", kind: "Issuer", group: "cert-manager.io" },
        },
      },
      clusterIssuer("internal-ca", { ca: { secretName: "internal-ca" } }),
    ];
    if (dns01) {
      objects.push(
        clusterIssuer("letsencrypt", {
          acme: {
            server: LETS_ENCRYPT,
            privateKeySecretRef: { name: "letsencrypt-account" },
            solvers: [{ dns01: dns01.config }],
          },
        }),
      );
    }
    this.defaultIssuer = dns01 ? "letsencrypt" : "internal-ca";
    this.issuers = new Manifests(this, "Issuers", {
      name: "cluster-issuers",
      namespace: CertManager.NAMESPACE,
      objects,
      dependsOn: [this.release],
    }).release;
  }
}
