import { beforeAll, describe, expect, test } from "vitest";
import { CHARTS } from "../../lib/platform/charts";
import { chart, object, releases } from "../support/helm";
import { synth, type StackJson } from "../support/synth";

/**
 * The generic add-ons, exercised on the on-prem target (no cloud identity in the way);
 * each cloud's bindings are tested with its target.
 */
const tenant = { name: "app", cpu: "40", memory: "160Gi" };
const vault = { server: "https://vault.example.com", role: "byoc" };
const onprem = (extra: Record<string, unknown> = {}, target: Record<string, unknown> = {}) => ({
  name: "initech",
  target: { cloud: "onprem", context: "prod", ...target },
  ...extra,
});

describe("Platform on an existing cluster", () => {
  let platform: StackJson;
  beforeAll(async () => {
    ({ platform } = await synth(
      onprem({
        tier: "medium",
        dns: { domain: "initech.example.com" },
        cluster: { admins: ["group:platform-admins", "user:alice"] },
        platform: {
          tenants: [tenant, { name: "batch", cpu: "8", memory: "32Gi", internetEgress: false }],
          gitops: { repo: "https://git.example.com/initech/deploy.git", path: "envs/prod", credentials: { secretRef: "gitops-deploy" } },
          secretStore: { vault },
        },
        vpn: { remoteAccess: { provider: "twingate", network: "initech", tokens: { secretRef: "twingate-connector" } } },
      }),
    ));
  });

  test("the providers read the spec's kubeconfig and context; nothing else authenticates", () => {
    expect(platform.json.provider.kubernetes[0]).toEqual({ config_path: "~/.kube/config", config_context: "prod" });
    expect(platform.json.provider.helm[0]).toEqual({ kubernetes: { config_path: "~/.kube/config", config_context: "prod" } });
  });

  test("every chart comes from the pinned list at its pinned version, waits for readiness and rolls back on failure", () => {
    const pinned = Object.values(CHARTS);
    const charts = releases(platform).filter((r) => r.block.repository);
    expect(charts.map((r) => r.block.chart).sort()).toEqual(
      ["argo-cd", "cert-manager", "connector", "external-secrets", "gateway-helm", "kyverno", "metrics-server"]
        // The data layer's defaults on-prem: PostgreSQL, Valkey and SeaweedFS (test/data/onprem.test.ts).
        .concat(["cloudnative-pg", "plugin-barman-cloud", "valkey", "seaweedfs"])
        // Observability's defaults: metrics (CRDs apart), Loki with Fluent Bit, the collector with Tempo (test/observability).
        .concat(["prometheus-operator-crds", "kube-prometheus-stack", "loki", "fluent-bit", "opentelemetry-collector", "tempo"])
        .sort(),
    );
    for (const { block } of charts) {
      expect(pinned, block.chart).toContainEqual({ repository: block.repository, chart: block.chart, version: block.version });
      expect(block.atomic, block.chart).toBe(true);
      expect(block.wait, block.chart).toBe(true);
    }
  });

  test("cert-manager installs its CRDs, keeps them on uninstall, and runs two replicas of each controller in the medium tier", () => {
    const { values } = chart(platform, "cert-manager");
    expect(values.crds).toEqual({ enabled: true, keep: true });
    expect([values.replicaCount, values.webhook.replicaCount, values.cainjector.replicaCount]).toEqual([2, 2, 2]);
    // The controller decodes its config strictly: the field is enableGatewayAPI.
    expect(values.config).toEqual({ apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", enableGatewayAPI: true });
    expect(values.dns01RecursiveNameserversOnly).toBe(true);
    expect(values.dns01RecursiveNameservers).toMatch(/^https:\/\//);
  });

  test("the internal CA is a self-signed root whose key rotates; without a DNS provider there is no ACME issuer", () => {
    const ca = object(platform, "Certificate", "internal-ca").object;
    expect(ca.spec).toMatchObject({ isCA: true, secretName: "internal-ca", issuerRef: { name: "selfsigned", kind: "Issuer" } });
    // Self-signing is a namespaced issuer: no tenant can use it.
    expect(object(platform, "Issuer", "selfsigned").object.metadata.namespace).toBe("cert-manager");
    expect(() => object(platform, "ClusterIssuer", "selfsigned")).toThrow(/found 0/);
    expect(ca.spec.privateKey.rotationPolicy).toBe("Always");
    expect(object(platform, "ClusterIssuer", "internal-ca").object.spec).toEqual({ ca: { secretName: "internal-ca" } });
    expect(() => object(platform, "ClusterIssuer", "letsencrypt")).toThrow(/found 0/);
  });

  test("External Secrets reads Vault with the Kubernetes auth method as its own service account, on external-secrets.io/v1", () => {
    const { values } = chart(platform, "external-secrets");
    expect(values.installCRDs).toBe(true);
    expect(values.serviceAccount.name).toBe("external-secrets");
    const store = object(platform, "ClusterSecretStore", "secret-manager").object;
    expect(store.apiVersion).toBe("external-secrets.io/v1");
    // The platform's secrets are for the platform's namespaces, never a tenant's.
    expect(store.spec.conditions).toEqual([
      { namespaceSelector: { matchLabels: { "app.kubernetes.io/managed-by": "cdktf-byoc" }, matchExpressions: [{ key: "cdktf-byoc/tenant", operator: "DoesNotExist" }] } },
    ]);
    expect(store.spec.provider.vault).toEqual({
      server: vault.server,
      path: "secret",
      version: "v2",
      auth: { kubernetes: { mountPath: "kubernetes", role: "byoc", serviceAccountRef: { name: "external-secrets", namespace: "external-secrets", audiences: ["vault"] } } },
    });
  });

  test("the remote-access connector takes its tokens from an ExternalSecret, never from values", () => {
    const { values, block } = chart(platform, "connector");
    expect(values.connector).toEqual({ network: "initech", existingSecret: "twingate-connector-tokens", logLevel: "info" });
    expect(JSON.stringify(values)).not.toMatch(/accessToken|refreshToken/);
    const tokens = object(platform, "ExternalSecret", "twingate-connector-tokens");
    expect(tokens.object.spec.data).toEqual([
      { secretKey: "TWINGATE_ACCESS_TOKEN", remoteRef: { key: "twingate-connector", property: "accessToken" } },
      { secretKey: "TWINGATE_REFRESH_TOKEN", remoteRef: { key: "twingate-connector", property: "refreshToken" } },
    ]);
    expect(block.depends_on).toContain(tokens.release.block.tfAddress);
  });

  test("Argo CD runs without Dex; its project may deploy only the spec's repository into tenant namespaces, nothing cluster-wide", () => {
    const { values } = chart(platform, "argo-cd");
    expect(values.dex.enabled).toBe(false);
    expect(values.crds.install).toBe(true);
    const project = object(platform, "AppProject", "initech").object;
    expect(project.spec.sourceRepos).toEqual(["https://git.example.com/initech/deploy.git"]);
    expect(project.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual(["app", "batch"]);
    expect(project.spec.clusterResourceWhitelist).toEqual([]);
    expect(project.spec.namespaceResourceBlacklist).toEqual(
      expect.arrayContaining([{ group: "networking.k8s.io", kind: "NetworkPolicy" }, { group: "", kind: "ResourceQuota" }, { group: "external-secrets.io", kind: "SecretStore" }]),
    );
    const app = object(platform, "Application", "initech").object;
    expect(app.spec.source).toEqual({ repoURL: "https://git.example.com/initech/deploy.git", path: "envs/prod", targetRevision: "HEAD" });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
  });

  test("the private repository's credentials reach Argo CD as a labelled repository Secret synced from the store", () => {
    const creds = object(platform, "ExternalSecret", "gitops-repository").object;
    expect(creds.metadata.namespace).toBe("argocd");
    expect(creds.spec.dataFrom).toEqual([{ extract: { key: "gitops-deploy" } }]);
    expect(creds.spec.target.template.metadata.labels).toEqual({ "argocd.argoproj.io/secret-type": "repository" });
    expect(creds.spec.target.template.data.url).toBe("https://git.example.com/initech/deploy.git");
  });

  test("Kyverno enforces the baseline as policies.kyverno.io/v1 ValidatingPolicies in tenant namespaces only, with three admission replicas", () => {
    expect(chart(platform, "kyverno").values.admissionController.replicas).toBe(3);
    const policy = object(platform, "ValidatingPolicy", "require-pinned-images").object;
    expect(policy.apiVersion).toBe("policies.kyverno.io/v1");
    expect(policy.spec.validationActions).toEqual(["Deny"]);
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConstraints.namespaceSelector).toEqual({ matchExpressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] });
  });

  test("the Envoy gateway serves the domain over HTTPS with a certificate from the internal CA, and routes only from tenants", () => {
    const gateway = object(platform, "Gateway", "initech").object;
    expect(gateway.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("internal-ca");
    expect(gateway.spec.listeners.map((l: { hostname: string }) => l.hostname)).toEqual(["initech.example.com", "*.initech.example.com"]);
    for (const listener of gateway.spec.listeners) {
      expect(listener).toMatchObject({ port: 443, protocol: "HTTPS", tls: { mode: "Terminate" } });
      expect(listener.allowedRoutes.namespaces.selector).toEqual({ matchExpressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] });
    }
    expect(object(platform, "GatewayClass", "envoy").object.spec.controllerName).toBe("gateway.envoyproxy.io/gatewayclass-controller");
    // Node ports by default on-prem: nothing assumes a load balancer exists.
    expect(object(platform, "EnvoyProxy", "proxy").object.spec.provider.kubernetes.envoyService.type).toBe("NodePort");
  });

  test("admins get cluster-admin through one binding each, to a group or a user", () => {
    const bindings = platform.resources("kubernetes_cluster_role_binding_v1");
    expect(bindings.map((b) => [b.subject[0].kind, b.subject[0].name, b.role_ref.name])).toEqual([
      ["Group", "platform-admins", "cluster-admin"],
      ["User", "alice", "cluster-admin"],
    ]);
  });

  test("metrics-server is installed on a plain Kubernetes cluster", () => {
    expect(chart(platform, "metrics-server").values.replicas).toBe(2);
  });
});

describe("tenant namespaces", () => {
  let platform: StackJson;
  beforeAll(async () => {
    ({ platform } = await synth(onprem({ network: { cidr: "10.100.0.0/16" }, platform: { tenants: [tenant, { name: "batch", cpu: "500m", memory: "2Gi", internetEgress: false }] } })));
  });
  const policies = (ns: string) => Object.fromEntries(platform.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.namespace.includes(ns)).map((p) => [p.metadata.name, p.spec]));

  test("enforce Pod Security restricted and carry the tenant label", () => {
    const ns = platform.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "app");
    expect(ns.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "cdktf-byoc/tenant": "app" });
  });

  test("have a quota from the spec that also forbids LoadBalancer and NodePort Services, and container defaults", () => {
    const quota = platform.resource("kubernetes_resource_quota_v1", (q) => q.metadata.namespace.includes("Tenant-app"));
    expect(quota.spec.hard).toEqual({
      "requests.cpu": "40",
      "limits.cpu": "40",
      "requests.memory": "160Gi",
      "limits.memory": "160Gi",
      pods: "400",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
    });
    const small = platform.resource("kubernetes_resource_quota_v1", (q) => q.metadata.namespace.includes("Tenant-batch"));
    expect(small.spec.hard.pods).toBe("10");
    const limits = platform.resource("kubernetes_limit_range_v1", (l) => l.metadata.namespace.includes("Tenant-app"));
    expect(limits.spec.limit[0]).toMatchObject({ type: "Container", default: { memory: "512Mi" }, default_request: { cpu: "100m" } });
  });

  test("deny all traffic by default, then allow the namespace, DNS, the gateway and the network", () => {
    const app = policies("Tenant-app");
    expect(app["default-deny-all"]).toEqual({ pod_selector: { match_labels: {} }, policy_types: ["Ingress", "Egress"] });
    expect(app["allow-dns"].egress[0].ports).toEqual(expect.arrayContaining([{ port: "53", protocol: "UDP" }, { port: "53", protocol: "TCP" }]));
    expect(app["allow-dns"].egress[0].to).toBeUndefined();
    expect(app["allow-from-gateway"].ingress[0].from).toEqual([{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } } }]);
    expect(app["allow-to-network"].egress[0].to).toEqual([{ ip_block: { cidr: "10.100.0.0/16" } }]);
  });

  test("internet egress is HTTPS only, never to private ranges, and absent when the tenant turns it off", () => {
    const https = policies("Tenant-app")["allow-internet-https"];
    expect(https.egress[0].ports).toEqual([{ port: "443", protocol: "TCP" }]);
    expect(https.egress[0].to[0].ip_block).toEqual({ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] });
    expect(policies("Tenant-batch")["allow-internet-https"]).toBeUndefined();
  });
});

describe("target prerequisites", () => {
  // That every custom resource waits for its CRD's release is an invariant over every example.
  test("with MetalLB, every add-on waits for the address pool so Services get addresses", async () => {
    const { platform } = await synth(onprem({}, { loadBalancer: "metallb", loadBalancerAddresses: ["192.0.2.10-192.0.2.20"] }));
    const pool = object(platform, "IPAddressPool", "default");
    expect(pool.object.spec.addresses).toEqual(["192.0.2.10-192.0.2.20"]);
    expect(platform.resource("kubernetes_namespace_v1", (n) => n.metadata.name === "metallb-system").metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    for (const name of ["cert-manager", "external-secrets", "kyverno", "argo-cd", "gateway-helm"]) {
      expect(chart(platform, name).block.depends_on, name).toContain(pool.release.block.tfAddress);
    }
    expect(object(platform, "EnvoyProxy", "proxy").object.spec.provider.kubernetes.envoyService.type).toBe("LoadBalancer");
  });
});

describe("OpenShift", () => {
  let platform: StackJson;
  beforeAll(async () => {
    ({ platform } = await synth(
      onprem(
        {
          platform: { policy: "gatekeeper", secretStore: { vault }, tenants: [tenant] },
          vpn: { remoteAccess: { provider: "twingate", network: "initech", tokens: { secretRef: "tw" } } },
        },
        { distribution: "openshift", loadBalancer: "provided" },
      ),
    ));
  });

  test("namespaces keep the Pod Security levels set here (the SCC label syncer is off)", () => {
    for (const ns of platform.resources("kubernetes_namespace_v1")) {
      expect(ns.metadata.labels["security.openshift.io/scc.podSecurityLabelSync"], ns.metadata.name).toBe("false");
    }
  });

  test("add-on namespaces admit their charts' fixed non-root user ids through nonroot-v2; tenants keep restricted-v2", () => {
    // The data layer's own RoleBindings (Secret readers) are not SCC grants.
    const bindings = platform.resources("kubernetes_role_binding_v1").filter((b) => b.role_ref.name.startsWith("system:openshift:scc:"));
    const namespaces = platform.resources("kubernetes_namespace_v1").filter((n) => n.metadata.labels["pod-security.kubernetes.io/enforce"] === "restricted");
    const tenants = namespaces.filter((n) => n.metadata.labels["cdktf-byoc/tenant"]);
    expect(tenants.length).toBe(1);
    expect(bindings).toHaveLength(namespaces.length - tenants.length);
    for (const b of bindings) {
      expect(b.role_ref).toEqual({ api_group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:openshift:scc:nonroot-v2" });
      expect(b.subject[0].name).toMatch(/^system:serviceaccounts:[a-z-]+$/);
    }
    // Every chart waits for its namespace's grant, or its pods would be refused.
    for (const name of ["argo-cd", "cert-manager", "external-secrets", "gatekeeper", "connector"]) {
      const release = chart(platform, name);
      expect(bindings.filter((b) => release.block.depends_on.includes(b.tfAddress)), name).toHaveLength(1);
    }
  });

  test("OpenShift's own metrics API is used: no metrics-server", () => {
    expect(releases(platform).map((r) => r.block.chart)).not.toContain("metrics-server");
  });
});

describe("Gatekeeper", () => {
  test("takes the baseline as CEL templates and deny constraints scoped to tenant namespaces", async () => {
    const { platform } = await synth(onprem({ platform: { policy: "gatekeeper" } }));
    const template = object(platform, "ConstraintTemplate", "byocrequirepinnedimages").object;
    expect(template.spec.targets[0].code[0].engine).toBe("K8sNativeValidation");
    const constraint = object(platform, "ByocRequirePinnedImages").object;
    expect(constraint.spec.enforcementAction).toBe("deny");
    expect(constraint.spec.match.namespaceSelector).toEqual({ matchExpressions: [{ key: "cdktf-byoc/tenant", operator: "Exists" }] });
    expect(releases(platform).map((r) => r.block.chart)).not.toContain("kyverno");
  });
});
