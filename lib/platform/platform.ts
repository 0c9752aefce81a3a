import { Token } from "cdktf";
import { Construct } from "constructs";
import { RESERVED_NAMESPACES } from "../config/cluster";
import { parseIpv4Cidr } from "../core/cidr";
import { namingOf, type Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import { ArgoCd, type GitOpsRepository } from "./argocd";
import { CertManager } from "./cert-manager";
import { DataAccess } from "./data-access";
import { ExternalSecrets } from "./external-secrets";
import { EnvoyGateway } from "./gateway";
import { MetricsServer } from "./metrics-server";
import type { AddonMetrics } from "./network-policies";
import { PolicyEngine, type PolicyEngineKind } from "./policy";
import { RemoteAccessConnector, type RemoteAccessOptions } from "./remote-access";
import type { IPlatformTarget } from "./target";
import { Tenant, type TenantOptions } from "./tenants";

/**
 * How traffic enters the cluster: `envoy-gateway` is installed here; the others are the
 * cloud's own controllers, which the target provides (the Platform installs no gateway).
 */
export type PlatformIngress = "envoy-gateway" | "aws-load-balancer-controller" | "gke-gateway";

export interface PlatformProps {
  /** The deployment: labels, the Gateway's and Argo CD project's names, the internal CA's name. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The target's cluster and cloud bindings. */
  readonly target: IPlatformTarget;
  /** Two or more replicas of each controller, with disruption budgets. @default false */
  readonly highAvailability?: boolean;
  /** @default "envoy-gateway" */
  readonly ingress?: PlatformIngress;
  /** The engine enforcing the baseline (policy-rules.ts) in tenant namespaces. @default "kyverno" */
  readonly policy?: PolicyEngineKind;
  /** Namespaces for the product: quotas, limits, default-deny NetworkPolicies, data access. @default [] */
  readonly tenants?: TenantOptions[];
  /** A Git repository Argo CD syncs into the tenant namespaces. @default - Argo CD without applications */
  readonly gitops?: GitOpsRepository;
  /** Site-to-site peers' ranges: tenants may connect to them. @default [] */
  readonly peerCidrs?: string[];
  /** Names the Envoy gateway serves over HTTPS, e.g. a domain and its wildcard. @default - `*.<deployment>.internal` */
  readonly hostnames?: string[];
  /** A Twingate connector in the cluster, for operators. @default - none */
  readonly remoteAccess?: RemoteAccessOptions;
}

/**
 * The add-ons every target gets, installed the same way on any cluster: cert-manager
 * with issuers, External Secrets with the target's store, the policy engine and its
 * baseline, tenant namespaces with the data layer's endpoints, credentials and bucket
 * identity, Argo CD, the Envoy gateway (where chosen), metrics-server (where missing)
 * and the remote-access connector (where configured). Each add-on namespace denies all
 * traffic but what its add-on needs (DNS, the API server, webhook calls from the
 * control plane, Prometheus' scrapes, its cloud APIs); metrics-server runs in
 * kube-system, which the cloud manages and the kit leaves open. Each release
 * depends on the releases whose CRDs or webhooks it uses, and on the target's
 * prerequisites; nothing is ordered by position. With `highAvailability` each
 * controller runs two or more replicas.
 */
export class Platform extends Construct {
  static readonly DEFAULT_INGRESS: PlatformIngress = "envoy-gateway";
  readonly naming: Naming;
  readonly highAvailability: boolean;
  readonly ingress: PlatformIngress;
  readonly hostnames: string[];
  readonly certManager: CertManager;
  readonly secrets: ExternalSecrets;
  readonly policy: PolicyEngine;
  readonly argoCd: ArgoCd;
  readonly tenants: Tenant[];
  /** Each tenant's data access (endpoints, credentials, its workloads' identity); empty without a data layer. */
  readonly dataAccess: DataAccess[] = [];
  readonly gateway?: EnvoyGateway;
  readonly remoteAccess?: RemoteAccessConnector;
  /** Every add-on's metrics endpoints: what AddonMonitors scrapes. */
  readonly metrics: AddonMetrics[];

  constructor(scope: Construct, id: string, props: PlatformProps) {
    super(scope, id);
    setComponent(this, "platform");
    validate(id, props);
    const { target } = props;
    this.naming = namingOf(this, props.naming);
    const naming = this.naming;
    this.highAvailability = props.highAvailability ?? false;
    this.ingress = props.ingress ?? Platform.DEFAULT_INGRESS;
    this.hostnames = props.hostnames ?? [`*.${naming.deployment}.internal`];
    const highAvailability = this.highAvailability;
    const dependsOn = target.prerequisites;
    const common = { naming, target, highAvailability, dependsOn };

    this.gateway = this.ingress === "envoy-gateway" ? new EnvoyGateway(this, "Gateway", common) : undefined;
    this.certManager = new CertManager(this, "CertManager", { ...common, gatewayApi: this.gateway?.release });
    this.secrets = new ExternalSecrets(this, "ExternalSecrets", common);
    this.policy = new PolicyEngine(this, "Policy", {
      naming,
      openshift: target.openshift,
      highAvailability,
      dependsOn,
      engine: props.policy,
      ruleCrds: [this.certManager.release, this.secrets.release],
      clusterNetwork: target,
    });

    const peers = (props.peerCidrs ?? []).map((cidr) => ({ cidr }));
    this.tenants = (props.tenants ?? []).map(
      (tenant) =>
        new Tenant(this, `Tenant-${tenant.name}`, {
          ...tenant,
          naming,
          openshift: target.openshift,
          egress: [...target.tenantEgress, ...peers],
          ingressFrom: this.gateway
            ? { namespaces: [EnvoyGateway.NAMESPACE], cidrs: [] }
            : { namespaces: [], cidrs: target.loadBalancerSources },
        }),
    );
    const data = target.data;
    if (data) {
      for (const tenant of this.tenants) {
        this.dataAccess.push(new DataAccess(this, `Data-${tenant.namespace.name}`, { naming, target, data, namespace: tenant.namespace, secrets: this.secrets }));
      }
    }
    this.argoCd = new ArgoCd(this, "ArgoCd", {
      naming,
      openshift: target.openshift,
      highAvailability,
      gitops: props.gitops,
      tenantNamespaces: this.tenants.map((t) => t.namespace.name),
      secrets: this.secrets,
      clusterNetwork: target,
      // Tenants' namespaces and policies exist before anything syncs into them.
      dependsOn: [...dependsOn, ...this.tenants.map((t) => t.namespace.namespace), this.policy.policies],
    });

    this.gateway?.addGateway({
      hostnames: this.hostnames,
      issuer: this.certManager.defaultIssuer,
      issuers: this.certManager.issuers,
    });
    if (target.needsMetricsServer) new MetricsServer(this, "MetricsServer", { highAvailability, dependsOn });
    this.remoteAccess = props.remoteAccess
      ? new RemoteAccessConnector(this, "RemoteAccess", {
          ...props.remoteAccess,
          naming,
          openshift: target.openshift,
          secrets: this.secrets,
          clusterNetwork: target,
          dependsOn,
        })
      : undefined;
    this.metrics = [this.certManager, this.secrets, this.policy, this.argoCd, this.gateway, this.remoteAccess].flatMap((addon) => addon?.metrics ?? []);
  }
}

const INGRESSES: readonly PlatformIngress[] = ["envoy-gateway", "aws-load-balancer-controller", "gke-gateway"];

/** Checks what the add-ons would otherwise reject late, or at apply time. */
function validate(id: string, props: PlatformProps): void {
  const fail = (message: string) => {
    throw new Error(`Platform ${id}: ${message}`);
  };
  if (props.ingress !== undefined && !INGRESSES.includes(props.ingress)) {
    fail(`ingress must be one of ${INGRESSES.map((i) => `"${i}"`).join(", ")} (got ${JSON.stringify(props.ingress)})`);
  }
  const reserved: readonly string[] = RESERVED_NAMESPACES;
  const seen = new Set<string>();
  (props.tenants ?? []).forEach(({ name }, i) => {
    if (reserved.includes(name)) fail(`tenants[${i}].name "${name}" is a namespace the platform or Kubernetes uses; pick another name`);
    if (seen.has(name)) fail(`tenants[${i}].name "${name}" is used by another tenant; tenant names must be unique`);
    seen.add(name);
  });
  if (props.gitops && seen.size === 0) fail("gitops needs at least one entry in tenants: Argo CD deploys only into tenant namespaces");
  (props.peerCidrs ?? []).forEach((cidr, i) => {
    if (!Token.isUnresolved(cidr) && !parseIpv4Cidr(cidr)) fail(`peerCidrs[${i}] must be an IPv4 range such as 192.168.0.0/16 (got ${JSON.stringify(cidr)})`);
  });
  if (props.hostnames?.length === 0) fail("hostnames must list at least one name (got none)");
}
