import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IKubernetesCluster } from "../../cluster/cluster";
import { parseIpv4Cidr } from "../../core/cidr";
import { HelmChart, Manifests } from "../../core/helm";
import { namingOf, type Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { IN_CLUSTER_API } from "../../data/onprem-credentials";
import { DATA_NAMESPACE, type OnpremDataPlan } from "../../data/onprem-plan";
import { CHARTS } from "../charts";
import { PlatformNamespace, platformLabels } from "../namespaces";
import { AddonNetworkPolicy, apiServerAllow, webhookAllow } from "../network-policies";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure, UdpServiceRequest } from "../target";
import { checkUdpServiceRequest, refuseStaticAddresses } from "./udp-service";

/**
 * How Services of type LoadBalancer get an address: the cluster's own implementation
 * (NSX, an OpenShift cloud), MetalLB installed here, or none (the gateway listens on
 * node ports).
 */
export type OnpremLoadBalancer = "provided" | "metallb" | "nodeport";

/** HashiCorp Vault or OpenBao KV v2, read with the Kubernetes auth method. */
export interface VaultSecretStore {
  /** The https:// URL of the Vault server. */
  readonly server: string;
  /** The KV v2 mount. @default "secret" */
  readonly path?: string;
  /** The Vault role bound to External Secrets' service account. */
  readonly role: string;
  /** The Kubernetes auth method's mount path. @default "kubernetes" */
  readonly authMount?: string;
}

export interface OnpremPlatformTargetProps {
  /** The deployment (labels, the admin bindings' names). @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
  /** The existing cluster (ExistingCluster): its distribution decides OpenShift handling and metrics-server. */
  readonly cluster: IKubernetesCluster;
  /** The cluster's node network, where its neighbours (databases, services) live: tenants may connect to it. @default - none */
  readonly networkCidr?: string;
  /** @default "nodeport" */
  readonly loadBalancer?: OnpremLoadBalancer;
  /** The addresses MetalLB hands out (CIDRs or first-last ranges); required with `loadBalancer: "metallb"`. @default - none */
  readonly loadBalancerAddresses?: string[];
  /** Where External Secrets reads the platform's secrets. @default - no store: nothing can be synced from a secret manager */
  readonly vault?: VaultSecretStore;
  /** Cluster administrators, `user:<name>` or `group:<name>`: bound to cluster-admin. @default [] */
  readonly admins?: string[];
  /**
   * The in-cluster data layer's names, published to tenants before OnpremDataLayer
   * (given the same plan) creates the stores. Creates the `data` namespace.
   * @default - no data layer
   */
  readonly data?: OnpremDataPlan;
}

/** The port of an https:// URL (443 unless it names one). */
function urlPort(url: string): number {
  return Number(new URL(url).port || 443);
}

/** A MetalLB address range: a CIDR (192.0.2.0/28) or a first-last range (192.0.2.10-192.0.2.20). */
const ADDRESS_RANGE = /^\d+\.\d+\.\d+\.\d+(\/\d+|-\d+\.\d+\.\d+\.\d+)$/;
/** A Kubernetes subject bound to cluster-admin. */
const ADMIN = /^(user|group):\S+$/;

/**
 * An existing cluster as a platform target: External Secrets reads Vault/OpenBao with
 * the Kubernetes auth method when `vault` is given; certificates come from the
 * internal CA (no DNS provider to answer ACME DNS-01); the gateway is exposed through
 * the cluster's own load balancer, MetalLB (installed here, L2 mode) or node ports.
 * Admins get cluster-admin through a ClusterRoleBinding to their user or group. The data
 * layer runs in the cluster too: its names are known from the plan (`data`), its
 * namespace is created here so the tenants' credential store can be granted access to it
 * before the stores exist, and the stores themselves come from OnpremDataLayer, built
 * after the Platform whose cert-manager and External Secrets they use.
 */
export class OnpremPlatformTarget extends Construct implements IPlatformTarget {
  static readonly DEFAULT_LOAD_BALANCER: OnpremLoadBalancer = "nodeport";
  readonly cluster: IKubernetesCluster;
  readonly gatewayService: GatewayService;
  readonly needsMetricsServer: boolean;
  readonly openshift: boolean;
  readonly loadBalancer: OnpremLoadBalancer;
  readonly prerequisites: ITerraformDependable[] = [];
  readonly loadBalancerSources: string[] = [];
  /** The declared node network: where the cluster's neighbours (databases, services) live; pods use the cluster's own range. */
  readonly tenantEgress: TenantEgress[];
  /** The node network (control-plane nodes host the API server), else any address on the webhook ports. */
  readonly controlPlaneSources: string[];
  readonly apiServerEgress: TenantEgress[];
  /** Vault's port on any address (its URL names a host, which a NetworkPolicy cannot); nothing else is a cloud API here. */
  readonly cloudApiEgress: TenantEgress[];
  /** The data stores' in-cluster names, Secrets and sizes; undefined without a data layer. */
  readonly data?: OnpremDataPlan;
  /** The `data` namespace (Pod Security restricted; `prevent_destroy` with data protection: deleting it deletes every volume). */
  readonly dataNamespace?: PlatformNamespace;
  private readonly naming: Naming;
  private readonly vault?: VaultSecretStore;

  constructor(scope: Construct, id: string, props: OnpremPlatformTargetProps) {
    super(scope, id);
    const fail = (message: string) => {
      throw new Error(`OnpremPlatformTarget ${id}: ${message}`);
    };
    const { cluster, networkCidr, loadBalancerAddresses } = props;
    this.loadBalancer = props.loadBalancer ?? OnpremPlatformTarget.DEFAULT_LOAD_BALANCER;
    if (!["provided", "metallb", "nodeport"].includes(this.loadBalancer)) {
      fail(`loadBalancer must be "provided", "metallb" or "nodeport" (got ${JSON.stringify(this.loadBalancer)})`);
    }
    if (this.loadBalancer === "metallb" && !loadBalancerAddresses?.length) {
      fail('loadBalancer "metallb" needs loadBalancerAddresses: the ranges MetalLB may hand out (got none)');
    }
    if (this.loadBalancer !== "metallb" && loadBalancerAddresses) {
      fail(`loadBalancerAddresses are only used with loadBalancer "metallb" (got loadBalancer ${JSON.stringify(this.loadBalancer)})`);
    }
    loadBalancerAddresses?.forEach((range, i) => {
      if (!ADDRESS_RANGE.test(range)) fail(`loadBalancerAddresses[${i}] must be a CIDR (192.0.2.0/28) or a range (192.0.2.10-192.0.2.20) (got ${JSON.stringify(range)})`);
    });
    if (networkCidr !== undefined && !Token.isUnresolved(networkCidr) && !parseIpv4Cidr(networkCidr)) {
      fail(`networkCidr must be an IPv4 range such as 10.0.0.0/16 (got ${JSON.stringify(networkCidr)})`);
    }
    const admins = props.admins ?? [];
    admins.forEach((admin, i) => {
      if (!ADMIN.test(admin)) fail(`admins[${i}] must be a Kubernetes subject such as group:platform-admins or user:alice (got ${JSON.stringify(admin)})`);
    });
    if (props.vault && !/^https:\/\/\S+$/.test(props.vault.server)) fail(`vault.server must be an https:// URL (got ${JSON.stringify(props.vault.server)})`);

    this.naming = namingOf(this, props.naming);
    this.vault = props.vault;
    this.cluster = cluster;
    this.tenantEgress = networkCidr ? [{ cidr: networkCidr }] : [];
    this.controlPlaneSources = [networkCidr ?? "0.0.0.0/0"];
    // kubeadm and OpenShift serve the API on 6443; some distributions front it on 443.
    this.apiServerEgress = [{ cidr: networkCidr ?? "0.0.0.0/0", ports: [443, 6443].map((port) => ({ port, protocol: "TCP" as const })) }];
    this.cloudApiEgress = props.vault ? [{ cidr: "0.0.0.0/0", ports: [{ port: urlPort(props.vault.server), protocol: "TCP" }] }] : [];
    this.openshift = cluster.distribution === "openshift";
    // OpenShift and vSphere Kubernetes ship a metrics API; other clusters need metrics-server.
    this.needsMetricsServer = cluster.distribution === "kubernetes";
    this.gatewayService = { type: this.loadBalancer === "nodeport" ? "NodePort" : "LoadBalancer", annotations: {} };
    if (this.loadBalancer === "metallb" && loadBalancerAddresses) this.prerequisites.push(this.metallb(loadBalancerAddresses));

    if (props.data) {
      this.data = props.data;
      this.dataNamespace = new PlatformNamespace(this, "DataNamespace", {
        name: DATA_NAMESPACE,
        naming: this.naming,
        component: "data",
        podSecurity: "restricted",
        openshift: this.openshift,
      });
      protect(this.dataNamespace.namespace, props.data.protection);
    }

    admins.forEach((admin, i) => {
      const [kind, name] = admin.split(/:(.*)/s);
      new ClusterRoleBindingV1(this, `Admin-${i}`, {
        metadata: { name: this.naming.name("admin", String(i)), labels: platformLabels(this.naming.deployment, "access") },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subject: [{ kind: kind === "group" ? "Group" : "User", name, apiGroup: "rbac.authorization.k8s.io" }],
      });
    });
  }

  secretStore(_scope: Construct, sa: ServiceAccountRef): Binding<Record<string, unknown>> | undefined {
    const vault = this.vault;
    if (!vault) return undefined;
    return {
      identity: { serviceAccountAnnotations: {}, podLabels: {} },
      grants: [],
      config: {
        vault: {
          server: vault.server,
          path: vault.path ?? "secret",
          version: "v2",
          auth: { kubernetes: { mountPath: vault.authMount ?? "kubernetes", role: vault.role, serviceAccountRef: { name: sa.name, namespace: sa.namespace, audiences: ["vault"] } } },
        },
      },
    };
  }

  dns01Solver(): undefined {
    return undefined;
  }

  /**
   * MetalLB in L2 mode handing out `addresses`; its speaker needs host networking (so
   * NetworkPolicies do not apply to it). The controller, under default-deny, reaches the
   * API server and serves the API server's calls to its webhook.
   */
  private metallb(addresses: string[]): ITerraformDependable {
    const namespace = new PlatformNamespace(this, "MetallbNamespace", {
      name: "metallb-system",
      naming: this.naming,
      component: "load-balancer",
      podSecurity: "privileged",
      openshift: this.openshift,
    });
    const controller = { matchLabels: { "app.kubernetes.io/name": "metallb", "app.kubernetes.io/component": "controller" } };
    const policies = new AddonNetworkPolicy(this, "MetallbNetworkPolicy", {
      namespace,
      naming: this.naming,
      component: "load-balancer",
      allows: [apiServerAllow(this, controller), webhookAllow(this, controller, [9443])],
    });
    const release = new HelmChart(this, "Metallb", {
      chart: CHARTS.metallb,
      namespace: "metallb-system",
      // L2 only: the FRR-based BGP speaker is not needed.
      values: { frrk8s: { enabled: false }, speaker: { frr: { enabled: false } } },
      dependsOn: [namespace.ready, ...policies.policies],
    }).release;
    const labels = platformLabels(this.naming.deployment, "load-balancer");
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
    const names = this.data?.bundleNames ?? [];
    if (!this.dataNamespace || names.length === 0) return undefined;
    const labels = platformLabels(this.naming.deployment, "data");
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

  /** No identity: the object store takes the access keys the data layer publishes. */
  bucketAccess(): Binding<Record<string, string>> {
    return this.workloadIdentity();
  }

  /**
   * A LoadBalancer Service from MetalLB or the cluster's own implementation, where
   * kube-proxy drops traffic to the load balancer's address from outside
   * `loadBalancerSourceRanges`; with `loadBalancer: "nodeport"`, node ports, which no
   * source range guards (the NetworkPolicy still admits the peers only). `internal` has
   * no meaning here: the address comes from the pool the cluster hands out. There is no
   * cloud firewall to write: the operator's own firewall in front of the nodes is the
   * outer layer, and should admit the UDP port from the peers only. MetalLB checks no
   * health: with `externalTrafficPolicy: Local` it announces the address from nodes with
   * a ready pod, so no health-check source either.
   */
  udpService(_scope: Construct, request: UdpServiceRequest): UdpServiceExposure {
    checkUdpServiceRequest("OnpremPlatformTarget", request);
    refuseStaticAddresses("OnpremPlatformTarget", request);
    return { type: this.loadBalancer === "nodeport" ? "NodePort" : "LoadBalancer", annotations: {}, healthCheckSources: [], grants: [] };
  }
}
