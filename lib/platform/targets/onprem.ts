import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../../config/spec";
import type { ExistingCluster } from "../../cluster/existing";
import { HelmChart, Manifests } from "../../core/helm";
import { protect } from "../../core/protect";
import { IN_CLUSTER_API } from "../../data/onprem-credentials";
import { DATA_NAMESPACE, OnpremDataPlan } from "../../data/onprem-plan";
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
 * Admins get cluster-admin through a ClusterRoleBinding to their user or group. The data
 * layer runs in the cluster too: its names are known from the spec (`data`), its
 * namespace is created here so the tenants' credential store can be granted access to it
 * before the stores exist, and the stores themselves come from OnpremDataLayer, built
 * after the Platform whose cert-manager and External Secrets they use.
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
  /** The data stores' in-cluster names, Secrets and sizes. */
  readonly data: OnpremDataPlan;
  /** The `data` namespace (Pod Security restricted; `prevent_destroy` with data protection: deleting it deletes every volume). */
  readonly dataNamespace: PlatformNamespace;
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

    this.data = new OnpremDataPlan(spec);
    this.dataNamespace = new PlatformNamespace(this, "DataNamespace", {
      name: DATA_NAMESPACE,
      deployment: spec.name,
      component: "data",
      podSecurity: "restricted",
      openshift: this.openshift,
    });
    protect(this.dataNamespace.namespace, spec.data.protection);

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

  /**
   * External Secrets' kubernetes provider reading the `data` namespace as `sa`, whose
   * Role there may get exactly the client bundles (each store's credentials and CA) and
   * nothing else in the namespace. Creating SelfSubjectRulesReviews, which the provider
   * validates its access with, is granted to every authenticated subject by Kubernetes'
   * `system:basic-user` role; a Role could not grant it (the resource is cluster-scoped).
   */
  dataCredentialsStore(scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const names = this.data.bundleNames;
    if (names.length === 0) return undefined;
    const labels = platformLabels(this.spec.name, "data");
    const metadata = { name: `${sa.namespace}-${sa.name}`, namespace: DATA_NAMESPACE, labels };
    const role = new RoleV1(scope, "DataCredentialsRole", {
      metadata,
      // External Secrets reads a Secret by name (get); list or watch could not be limited to names.
      rule: [{ apiGroups: [""], resources: ["secrets"], resourceNames: names, verbs: ["get"] }],
      dependsOn: [this.dataNamespace.ready],
    });
    const binding = new RoleBindingV1(scope, "DataCredentialsRoleBinding", {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subject: [{ kind: "ServiceAccount", name: sa.name, namespace: sa.namespace }],
    });
    return {
      identity: { serviceAccountAnnotations: {}, podLabels: {} },
      grants: [binding],
      config: {
        kubernetes: {
          remoteNamespace: DATA_NAMESPACE,
          server: { url: IN_CLUSTER_API.url, caProvider: { type: "ConfigMap", name: IN_CLUSTER_API.caConfigMap, key: "ca.crt", namespace: DATA_NAMESPACE } },
          auth: { serviceAccount: { name: sa.name, namespace: sa.namespace } },
        },
      },
    };
  }

  /** No cloud identity on-prem: workloads reach the object store with the keys of their `object-store-credentials` Secret. */
  workloadIdentity(): Binding<Record<string, string>> {
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: {} };
  }
}
