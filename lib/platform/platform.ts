import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { setComponent } from "../core/tags";
import { ArgoCd } from "./argocd";
import { CertManager } from "./cert-manager";
import { DataAccess } from "./data-access";
import { ExternalSecrets } from "./external-secrets";
import { EnvoyGateway } from "./gateway";
import { MetricsServer } from "./metrics-server";
import { PolicyEngine } from "./policy";
import { RemoteAccessConnector } from "./remote-access";
import type { IPlatformTarget } from "./target";
import { Tenant } from "./tenants";

export interface PlatformProps {
  readonly spec: DeploymentSpec;
  /** The target's cluster and cloud bindings. */
  readonly target: IPlatformTarget;
}

/**
 * The add-ons every target gets, installed the same way on any cluster: cert-manager
 * with issuers, External Secrets with the target's store, the policy engine and its
 * baseline, tenant namespaces with the data layer's endpoints, credentials and bucket
 * identity, Argo CD, the Envoy gateway (where chosen), metrics-server (where missing)
 * and the remote-access connector (where configured). Each release
 * depends on the releases whose CRDs or webhooks it uses, and on the target's
 * prerequisites; nothing is ordered by position. Medium and large tiers run two or
 * more replicas of each controller.
 */
export class Platform extends Construct {
  readonly certManager: CertManager;
  readonly secrets: ExternalSecrets;
  readonly policy: PolicyEngine;
  readonly argoCd: ArgoCd;
  readonly tenants: Tenant[];
  readonly gateway?: EnvoyGateway;

  constructor(scope: Construct, id: string, props: PlatformProps) {
    super(scope, id);
    setComponent(this, "platform");
    const { spec, target } = props;
    const deployment = spec.name;
    const highAvailability = spec.tier !== "small";
    const dependsOn = target.prerequisites;
    const common = { deployment, target, highAvailability, dependsOn };

    this.gateway = spec.platform.ingress === "envoy-gateway" ? new EnvoyGateway(this, "Gateway", common) : undefined;
    this.certManager = new CertManager(this, "CertManager", { ...common, gatewayApi: this.gateway?.release });
    this.secrets = new ExternalSecrets(this, "ExternalSecrets", common);
    this.policy = new PolicyEngine(this, "Policy", {
      ...common,
      engine: spec.platform.policy,
      ruleCrds: [this.certManager.release, this.secrets.release],
    });

    this.tenants = spec.platform.tenants.map(
      (tenant) =>
        new Tenant(this, `Tenant-${tenant.name}`, {
          tenant,
          deployment,
          openshift: target.openshift,
          egress: [...target.tenantEgress, ...spec.network.peers.flatMap((p) => p.cidrs.map((cidr) => ({ cidr })))],
          ingressFrom: this.gateway
            ? { namespaces: [EnvoyGateway.NAMESPACE], cidrs: [] }
            : { namespaces: [], cidrs: target.loadBalancerSources },
        }),
    );
    const data = target.data;
    if (data) {
      for (const tenant of this.tenants) {
        new DataAccess(this, `Data-${tenant.namespace.name}`, { deployment, target, data, tenant, secrets: this.secrets });
      }
    }
    this.argoCd = new ArgoCd(this, "ArgoCd", {
      ...common,
      gitops: spec.platform.gitops,
      tenantNamespaces: this.tenants.map((t) => t.namespace.name),
      secrets: this.secrets,
      // Tenants' namespaces and policies exist before anything syncs into them.
      dependsOn: [...dependsOn, ...this.tenants.map((t) => t.namespace.namespace), this.policy.policies],
    });

    this.gateway?.addGateway({
      hostnames: spec.dns.domain ? [spec.dns.domain, `*.${spec.dns.domain}`] : [`*.${spec.dns.privateZone}`],
      issuer: this.certManager.defaultIssuer,
      issuers: this.certManager.issuers,
    });
    if (target.needsMetricsServer) new MetricsServer(this, "MetricsServer", { highAvailability, dependsOn });
    if (spec.vpn.remoteAccess) {
      new RemoteAccessConnector(this, "RemoteAccess", { ...common, remoteAccess: spec.vpn.remoteAccess, secrets: this.secrets });
    }
  }
}
