import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { HelmChart, Manifests } from "../../lib/core/helm";
import { Naming } from "../../lib/core/naming";
import { ByocStack } from "../../lib/core/stack";
import { OnpremDataLayer } from "../../lib/data/onprem";
import { OnpremDataPlan } from "../../lib/data/onprem-plan";
import { DeclaredNetwork } from "../../lib/network/onprem";
import { CHARTS } from "../../lib/platform/charts";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { Platform, type PlatformProps } from "../../lib/platform/platform";
import { BASELINE_RULES, constraintKind } from "../../lib/platform/policy-rules";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure } from "../../lib/platform/target";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { Tenant } from "../../lib/platform/tenants";
import { chart, manifests, object, releases } from "../support/helm";
import { StackJson } from "../support/synth";

/**
 * The platform add-ons and the on-prem pieces as a library user composes them: in a
 * plain TerraformStack, with only their own props, no spec and no cloud.
 */

/** The smallest target: an existing cluster reached by kubeconfig, a Vault-like store, nothing cloud-side. */
class KubeconfigTarget implements IPlatformTarget {
  readonly cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab", context: "lab" });
  readonly gatewayService: GatewayService = { type: "NodePort", annotations: {} };
  readonly loadBalancerSources: string[] = [];
  readonly tenantEgress: TenantEgress[] = [{ cidr: "10.20.0.0/16" }];
  readonly needsMetricsServer = true;
  readonly prerequisites = [];
  readonly openshift = false;

  secretStore(_scope: unknown, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const auth = { kubernetes: { role: "byoc", serviceAccountRef: { name: sa.name, namespace: sa.namespace } } };
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: { vault: { server: "https://vault.lab", auth } } };
  }
  dns01Solver(): undefined {
    return undefined;
  }
  dataCredentialsStore(): undefined {
    return undefined;
  }
  readonly controlPlaneSources = ["10.20.0.0/16"];
  readonly apiServerEgress: TenantEgress[] = [{ cidr: "10.20.0.0/16", ports: [{ port: 6443, protocol: "TCP" }] }];
  readonly cloudApiEgress: TenantEgress[] = [];

  workloadIdentity(): Binding<Record<string, string>> {
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: {} };
  }
  bucketAccess(): Binding<Record<string, string>> {
    return this.workloadIdentity();
  }
  /** Node ports behind the lab's own firewall: nothing cloud-side. */
  udpService(): UdpServiceExposure {
    return { type: "NodePort", annotations: {}, healthCheckSources: [], grants: [] };
  }
}

/** A plain TerraformStack with the kubernetes and helm providers of `cluster`, synthesized. */
function synthStack(build: (stack: TerraformStack, cluster: ExistingCluster) => void, cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab", context: "lab" })): StackJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, "mine");
  configureClusterProviders(stack, cluster.connection);
  build(stack, cluster);
  return new StackJson("mine", JSON.parse(Testing.synth(stack)), stack);
}

const naming = new Naming("lab");
const tenants = [
  { name: "app", cpu: "8", memory: "32Gi" },
  { name: "jobs", cpu: "2", memory: "4Gi", internetEgress: false },
];
const platformAlone = (props: Partial<PlatformProps> = {}) =>
  synthStack((stack) => new Platform(stack, "Platform", { naming, target: new KubeconfigTarget(), tenants, ...props }));

describe("Platform alone in a TerraformStack", () => {
  const stack = platformAlone();

  test("reaches the cluster through the kubeconfig only", () => {
    expect(stack.json.provider.kubernetes[0]).toEqual({ config_path: "~/.kube/lab", config_context: "lab" });
  });

  test("every namespace enforces Pod Security restricted, warns and audits at restricted, and carries the deployment", () => {
    const namespaces = stack.resources("kubernetes_namespace_v1");
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(
      ["app", "argocd", "cert-manager", "envoy-gateway-system", "external-secrets", "jobs", "kyverno"].sort(),
    );
    for (const ns of namespaces) {
      expect(ns.metadata.labels, ns.metadata.name).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "app.kubernetes.io/part-of": "lab",
        "app.kubernetes.io/managed-by": "cdktf-byoc",
      });
    }
  });

  test("every chart is one of the pinned charts at its pinned version, atomic and waited for", () => {
    const charts = releases(stack).filter((r) => r.block.repository);
    expect(charts.map((r) => r.block.chart).sort()).toEqual(["argo-cd", "cert-manager", "external-secrets", "gateway-helm", "kyverno", "metrics-server"]);
    for (const { block } of charts) {
      expect(Object.values(CHARTS), block.chart).toContainEqual({ repository: block.repository, chart: block.chart, version: block.version });
      expect([block.atomic, block.wait], block.chart).toEqual([true, true]);
    }
  });

  test("Kyverno denies the baseline's violations in tenant namespaces, after the CRDs its rules match", () => {
    const kyverno = chart(stack, "kyverno");
    const policies = manifests(stack).filter((m) => m.object.kind === "ValidatingPolicy");
    expect(policies.map((p) => p.object.metadata.name).sort()).toEqual(BASELINE_RULES.map((r) => r.name).sort());
    for (const { object: policy, release } of policies) {
      expect(policy.spec.validationActions).toEqual(["Deny"]);
      expect(policy.spec.failurePolicy).toBe("Fail");
      expect(policy.spec.matchConstraints.namespaceSelector).toEqual({ matchExpressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] });
      expect(release.block.depends_on).toEqual(
        expect.arrayContaining([kyverno.block.tfAddress, chart(stack, "cert-manager").block.tfAddress, chart(stack, "external-secrets").block.tfAddress]),
      );
    }
  });

  test("Gatekeeper, when chosen, enforces the same rules as deny constraints", () => {
    const gatekeeper = platformAlone({ policy: "gatekeeper" });
    expect(() => chart(gatekeeper, "kyverno")).toThrow();
    expect(chart(gatekeeper, "gatekeeper").block.version).toBe(CHARTS.gatekeeper.version);
    for (const rule of BASELINE_RULES) {
      const constraint = object(gatekeeper, constraintKind(rule), rule.name).object;
      expect(constraint.spec.enforcementAction).toBe("deny");
    }
  });

  test.each(["app", "jobs"])("tenant %s: default-deny both ways, no LoadBalancer or NodePort Services, ingress only from the gateway", (name) => {
    const inTenant = (type: string) => stack.resources(type).filter((r) => r.metadata.namespace.includes("kubernetes_namespace_v1") && r.tfAddress.includes(`Tenant-${name}`));
    const deny = inTenant("kubernetes_network_policy_v1").find((p) => p.metadata.name === "default-deny-all");
    expect(deny?.spec).toEqual({ pod_selector: { match_labels: {} }, policy_types: ["Ingress", "Egress"] });
    const gateway = inTenant("kubernetes_network_policy_v1").find((p) => p.metadata.name === "allow-from-gateway");
    expect(gateway?.spec.ingress).toEqual([{ from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } } }] }]);
    const [quota] = inTenant("kubernetes_resource_quota_v1");
    expect(quota.spec.hard).toMatchObject({ "services.loadbalancers": "0", "services.nodeports": "0" });
  });

  test("HTTPS to the internet only for tenants that keep it", () => {
    const internet = stack.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.name === "allow-internet-https");
    expect(internet.map((p) => p.tfAddress)).toEqual([expect.stringContaining("Tenant-app")]);
  });

  test("defaults: one replica each, Envoy Gateway serving *.<deployment>.internal from the internal CA", () => {
    expect(chart(stack, "cert-manager").values.replicaCount).toBe(1);
    const gw = object(stack, "Gateway").object;
    expect(gw.metadata.name).toBe("lab");
    expect(gw.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("internal-ca");
    expect(gw.spec.listeners.map((l: { hostname: string }) => l.hostname)).toEqual(["*.lab.internal"]);
  });

  test("inside a ByocStack, the naming is the stack's", () => {
    const app = Testing.app();
    const byoc = new ByocStack(app, "acme-platform", { deployment: "acme" });
    configureClusterProviders(byoc, new KubeconfigTarget().cluster.connection);
    new Platform(byoc, "Platform", { target: new KubeconfigTarget() });
    const json = new StackJson("acme-platform", JSON.parse(Testing.synth(byoc)), byoc);
    expect(json.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "kyverno").metadata.labels["app.kubernetes.io/part-of"]).toBe("acme");
  });

  test("in a plain TerraformStack without a naming, it says what to pass", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "mine");
    expect(() => new Platform(stack, "Platform", { target: new KubeconfigTarget() })).toThrow(
      'Platform mine/Platform: no naming: pass props.naming (new Naming("<deployment>")), or create it inside a ByocStack',
    );
  });
});

describe("bad props name the prop, the value and what is allowed", () => {
  const target = new KubeconfigTarget();
  const attempt = (build: (stack: TerraformStack) => void) => () => build(new TerraformStack(Testing.app(), "mine"));

  test.each<[string, Partial<PlatformProps>, string]>([
    ["a reserved tenant name", { tenants: [{ name: "kyverno", cpu: "1", memory: "1Gi" }] }, 'Platform Platform: tenants[0].name "kyverno" is a namespace the platform or Kubernetes uses; pick another name'],
    ["two tenants with one name", { tenants: [...tenants, { name: "app", cpu: "1", memory: "1Gi" }] }, 'Platform Platform: tenants[2].name "app" is used by another tenant; tenant names must be unique'],
    ["GitOps without tenants", { tenants: [], gitops: { repo: "https://git.lab/deploy.git" } }, "Platform Platform: gitops needs at least one entry in tenants: Argo CD deploys only into tenant namespaces"],
    ["a peer range that is not one", { peerCidrs: ["10.0.0.0/33"] }, 'Platform Platform: peerCidrs[0] must be an IPv4 range such as 192.168.0.0/16 (got "10.0.0.0/33")'],
    ["no hostnames", { hostnames: [] }, "Platform Platform: hostnames must list at least one name (got none)"],
  ])("Platform: %s", (_, props, message) => {
    expect(attempt((stack) => new Platform(stack, "Platform", { naming, target, tenants, ...props }))).toThrow(message);
  });

  test("Tenant: a CPU quantity that is not one", () => {
    expect(attempt((stack) => new Tenant(stack, "T", { naming, name: "app", cpu: "eight", memory: "1Gi" }))).toThrow(
      'Tenant app: cpu must be a CPU quantity such as "40" or "500m" (got "eight")',
    );
  });

  test("OnpremPlatformTarget: MetalLB without addresses, and an admin that is no Kubernetes subject", () => {
    const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
    expect(attempt((stack) => new OnpremPlatformTarget(stack, "Target", { naming, cluster, loadBalancer: "metallb" }))).toThrow(
      'OnpremPlatformTarget Target: loadBalancer "metallb" needs loadBalancerAddresses: the ranges MetalLB may hand out (got none)',
    );
    expect(attempt((stack) => new OnpremPlatformTarget(stack, "Target", { naming, cluster, admins: ["alice"] }))).toThrow(
      'OnpremPlatformTarget Target: admins[0] must be a Kubernetes subject such as group:platform-admins or user:alice (got "alice")',
    );
  });

  test("ExistingCluster, DeclaredNetwork and OnpremDataPlan", () => {
    expect(() => new ExistingCluster({ kubeconfig: "" })).toThrow('ExistingCluster: kubeconfig must be the path to a kubeconfig file (got "")');
    expect(() => new DeclaredNetwork({ cidr: "10.0.0.0" })).toThrow('DeclaredNetwork: cidr must be an IPv4 range such as 10.0.0.0/16 (got "10.0.0.0")');
    expect(() => new OnpremDataPlan({ deployment: "lab", redis: { memory: "1GB" } })).toThrow(
      'OnpremDataPlan: redis.memory must be a memory size such as "1Gi" or "512Mi" (got "1GB")',
    );
    expect(() => new OnpremDataPlan({ deployment: "lab", postgres: { cpus: 0 } })).toThrow("OnpremDataPlan: postgres.cpus must be a positive number of CPUs such as 2 or 4 (got 0)");
  });
});

describe("ExistingCluster and OnpremDataLayer alone", () => {
  test("the cluster's name, distribution and connection from its own props", () => {
    const cluster = new ExistingCluster({ kubeconfig: "/etc/kube/config", distribution: "openshift", storageClass: "ceph-rbd" });
    expect([cluster.name, cluster.distribution, cluster.storageClass]).toEqual(["kubernetes", "openshift", "ceph-rbd"]);
    expect(cluster.connection).toEqual({ configPath: "/etc/kube/config", configContext: undefined });
  });

  /**
   * PostgreSQL and Valkey on an existing cluster, with the user's own cert-manager (its
   * release and issuers given as dependables) and the kit's External Secrets operator.
   */
  const dataAlone = (plan: OnpremDataPlan, id = "Data") =>
    synthStack(
      (stack, cluster) => {
        const namespace = new PlatformNamespace(stack, "DataNamespace", { name: "data", naming, component: "data" });
        const certManager = new HelmChart(stack, "MyCertManager", { chart: CHARTS.certManager, namespace: "cert-manager", values: { crds: { enabled: true } } }).release;
        const issuers = new Manifests(stack, "MyIssuers", {
          name: "issuers",
          namespace: "cert-manager",
          objects: [{ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "internal-ca" }, spec: { ca: { secretName: "my-ca" } } }],
          dependsOn: [certManager],
        }).release;
        const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target: new KubeconfigTarget() });
        new OnpremDataLayer(stack, id, { plan, namespace, certManager: { release: certManager, issuers }, secrets, storageClass: cluster.storageClass });
      },
      new ExistingCluster({ kubeconfig: "~/.kube/lab", storageClass: "ceph-rbd" }),
    );

  const plan = new OnpremDataPlan({ deployment: "lab", postgres: {}, redis: {} });
  const stack = dataAlone(plan);

  test("only the stores asked for, sized as the small tier, on the cluster's storage class", () => {
    const charts = releases(stack).map((r) => r.block.chart);
    expect(charts).toEqual(expect.arrayContaining(["cloudnative-pg", "plugin-barman-cloud", "valkey", "seaweedfs"]));
    expect(charts).not.toContain("mongodb-kubernetes");
    const cluster = object(stack, "Cluster", "postgres").object;
    expect(cluster.spec.instances).toBe(1);
    expect(cluster.spec.resources).toEqual({ requests: { cpu: "2", memory: "8Gi" }, limits: { cpu: "2", memory: "8Gi" } });
    expect(cluster.spec.storage).toEqual({ size: "100Gi", storageClass: "ceph-rbd" });
    expect(chart(stack, "valkey").values.replica.persistence.storageClass).toBe("ceph-rbd");
  });

  test("TLS only, no superuser, and every store's certificate from the internal CA after the user's cert-manager", () => {
    const { object: cluster, release } = object(stack, "Cluster", "postgres");
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    expect(cluster.spec.postgresql.pg_hba[0]).toBe("hostnossl all all all reject");
    expect(cluster.spec.postgresql.parameters.ssl_min_protocol_version).toBe("TLSv1.3");
    expect(chart(stack, "valkey").values.tls.enabled).toBe(true);
    const mine = stack.resources("helm_release").filter((r) => r.name === "cert-manager" || r.name === "issuers").map((r) => r.tfAddress);
    expect(release.block.depends_on).toEqual(expect.arrayContaining(mine));
    for (const { object: cert } of manifests(stack).filter((m) => m.object.kind === "Certificate")) {
      expect(cert.spec.issuerRef, cert.metadata.name).toEqual({ name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
    }
  });

  test("protected by default: prevent_destroy on every release that holds data", () => {
    for (const name of ["postgres", "valkey", "seaweedfs"]) {
      expect(stack.resource("helm_release", (r) => r.name === name).lifecycle, name).toEqual({ prevent_destroy: true });
    }
  });

  test("everything inbound to data is denied but the namespace itself, the webhooks and tenants on the stores' ports", () => {
    const policies = stack.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.namespace === "data");
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(["allow-from-observability", "allow-from-tenants", "allow-same-namespace", "allow-webhooks", "default-deny-ingress"]);
    const tenantsIn = policies.find((p) => p.metadata.name === "allow-from-tenants");
    expect(tenantsIn?.spec.ingress[0].ports.map((p: { port: string }) => p.port)).toEqual(["5432", "6379", "8333"]);
  });

  test("an external object store's buckets are an output named after the layer's path", () => {
    const external = new OnpremDataPlan({
      deployment: "lab",
      postgres: {},
      buckets: ["config"],
      objectStore: { endpoint: "https://s3.lab", credentialsSecret: "lab/s3" },
    });
    const a = dataAlone(external, "Warehouse");
    expect(a.json.output.warehouse_object_store_buckets.value).toEqual(["lab-config", "lab-backups"]);
    expect(() => chart(a, "seaweedfs")).toThrow();
  });

  test("the data namespace is required to be `data`", () => {
    const app = Testing.app();
    const s = new TerraformStack(app, "mine");
    const wrong = new PlatformNamespace(s, "Ns", { name: "stores", naming, component: "data" });
    const secrets = new ExternalSecrets(s, "ExternalSecrets", { naming, target: new KubeconfigTarget() });
    expect(() => new OnpremDataLayer(s, "Data", { plan, namespace: wrong, certManager: { release: wrong.namespace, issuers: wrong.namespace }, secrets })).toThrow(
      'OnpremDataLayer Data: namespace must be the "data" namespace, where every store is placed (got "stores")',
    );
  });
});
