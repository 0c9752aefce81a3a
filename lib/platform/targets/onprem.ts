import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../../config/spec";
import type { ExistingCluster } from "../../cluster/existing";
import { HelmChart, Manifests } from "../../core/helm";
import { CHARTS } from "../charts";
import { PlatformNamespace, platformLabels } from "../namespaces";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress } from "../target";

export interface OnpremPlatformTargetProps {
  readonly spec: DeploymentSpec;
  readonly cluster: ExistingCluster;
}

/**
 * An existing cluster as a platform target: External Secrets reads Vault/OpenBao with
 * the Kubernetes auth method when the spec configures it; certificates come from the
 * internal CA (no DNS provider to answer ACME DNS-01); the gateway is exposed through
 * the cluster's own load balancer, MetalLB (installed here, L2 mode) or node ports.
 * Admins get cluster-admin through a ClusterRoleBinding to their user or group.
 */
export class OnpremPlatformTarget extends Construct implements IPlatformTarget {
  readonly cluster: ExistingCluster;
  readonly gatewayService: GatewayService;
  readonly needsMetricsServer: boolean;
  readonly openshift: boolean;
  readonly prerequisites: ITerraformDependable[] = [];
  readonly loadBalancerSources: string[] = [];
  /** The declared node network: where the cluster's neighbours (databases, services) live; pods use the cluster's own range. */
  readonly tenantEgress: TenantEgress[];
  private readonly spec: DeploymentSpec;

  constructor(scope: Construct, id: string, props: OnpremPlatformTargetProps) {
    super(scope, id);
    const { spec, cluster } = props;
    if (spec.target.cloud !== "onprem") throw new Error(`OnpremPlatformTarget needs an onprem target, got ${spec.target.cloud}`);
    this.spec = spec;
    this.cluster = cluster;
    this.tenantEgress = [{ cidr: spec.network.cidr }];
    this.openshift = cluster.distribution === "openshift";
    // OpenShift and vSphere Kubernetes ship a metrics API; other clusters need metrics-server.
    this.needsMetricsServer = cluster.distribution === "kubernetes";
    const { loadBalancer, loadBalancerAddresses } = spec.target;
    this.gatewayService = { type: loadBalancer === "nodeport" ? "NodePort" : "LoadBalancer", annotations: {} };
    if (loadBalancer === "metallb" && loadBalancerAddresses) this.prerequisites.push(this.metallb(loadBalancerAddresses));

    spec.cluster.admins.forEach((admin, i) => {
      const [kind, name] = admin.split(/:(.*)/s);
      new ClusterRoleBindingV1(this, `Admin-${i}`, {
        metadata: { name: `${spec.name}-admin-${i}`, labels: platformLabels(spec.name, "access") },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subject: [{ kind: kind === "group" ? "Group" : "User", name, apiGroup: "rbac.authorization.k8s.io" }],
      });
    });
  }

  secretStore(_scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const vault = this.spec.platform.secretStore?.vault;
    if (!vault) return undefined;
    return {
      identity: { serviceAccountAnnotations: {}, podLabels: {} },
      grants: [],
      config: {
        vault: {
          server: vault.server,
          path: vault.path,
          version: "v2",
          auth: { kubernetes: { mountPath: vault.authMount, role: vault.role, serviceAccountRef: { name: sa.name, namespace: sa.namespace, audiences: ["vault"] } } },
        },
      },
    };
  }

  dns01Solver(): undefined {
    return undefined;
  }

  /** MetalLB in L2 mode handing out the spec's addresses; its speaker needs host networking. */
  private metallb(addresses: string[]): ITerraformDependable {
    const namespace = new PlatformNamespace(this, "MetallbNamespace", {
      name: "metallb-system",
      deployment: this.spec.name,
      component: "load-balancer",
      podSecurity: "privileged",
      openshift: this.openshift,
    });
    const release = new HelmChart(this, "Metallb", {
      chart: CHARTS.metallb,
      namespace: "metallb-system",
      // L2 only: the FRR-based BGP speaker is not needed.
      values: { frrk8s: { enabled: false }, speaker: { frr: { enabled: false } } },
      dependsOn: [namespace.ready],
    }).release;
    const labels = platformLabels(this.spec.name, "load-balancer");
    return new Manifests(this, "MetallbPool", {
      name: "metallb-pool",
      namespace: "metallb-system",
      objects: [
        { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "default", namespace: "metallb-system", labels }, spec: { addresses } },
        { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: "default", namespace: "metallb-system", labels }, spec: { ipAddressPools: ["default"] } },
      ],
      dependsOn: [release],
    }).release;
  }

  // Interim until the data layer lands on this target.
  dataCredentialsStore(): undefined {
    return undefined;
  }

  workloadIdentity(): Binding<undefined> {
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: undefined };
  }
}
