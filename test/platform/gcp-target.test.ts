import { evaluate } from "@marcbachmann/cel-js";
import { beforeAll, describe, expect, test } from "vitest";
import { GcpPlatformTarget } from "../../lib/platform/targets/gcp";
import { chart, dependencies, object } from "../support/helm";
import { StackJson, synth, type Block } from "../support/synth";

const gcp = (extra: Record<string, unknown> = {}) => ({
  name: "acme",
  target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" },
  network: { cidr: "10.80.0.0/16" },
  dns: { domain: "acme.example.com" },
  ...extra,
});

/** The infra output a platform expression reads through remote state, and its value there. */
function crossStackValue(infra: StackJson, platform: StackJson, expression: string): string {
  const state = Object.keys(platform.json.data.terraform_remote_state)[0];
  const read = new RegExp(`data\\.terraform_remote_state\\.${state}\\.outputs\\.([\\w-]+)`).exec(expression);
  if (!read) throw new Error(`${expression} does not read the infra stack's state`);
  return infra.json.output[read[1]].value;
}

/** The Google service account bound to a Kubernetes service account (`namespace/name`). */
const gsa = (platform: StackJson, sa: string) => platform.resource("google_service_account", (s) => s.description.endsWith(` ${sa}`));

describe("GcpPlatformTarget", () => {
  let infra: StackJson;
  let platform: StackJson;
  let cluster: Block;
  beforeAll(async () => {
    ({ infra, platform } = await synth(gcp()));
    cluster = infra.resource("google_container_cluster");
  });

  test("kubernetes and helm reach the infra stack's cluster endpoint and CA, with short-lived tokens from the GKE plugin", () => {
    const exec = { api_version: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", args: ["--use_application_default_credentials"] };
    const kubernetes = platform.json.provider.kubernetes[0];
    const helm = platform.json.provider.helm[0].kubernetes;
    expect(kubernetes.exec).toEqual([exec]);
    expect(helm.exec).toEqual(exec);
    for (const config of [kubernetes, helm]) {
      expect(Object.keys(config).sort()).toEqual(["cluster_ca_certificate", "exec", "host"]);
      expect(config.host).toMatch(/^https:\/\/\$\{data\.terraform_remote_state\./);
      expect(crossStackValue(infra, platform, config.host)).toBe(infra.ref(cluster, "endpoint"));
      expect(config.cluster_ca_certificate).toMatch(/^\$\{base64decode\(data\.terraform_remote_state\./);
      expect(crossStackValue(infra, platform, config.cluster_ca_certificate)).toBe(infra.ref(cluster, "master_auth[0].cluster_ca_certificate"));
    }
  });

  test("External Secrets acts as its own Google service account, bound to its Kubernetes service account in the cluster's pool", () => {
    const sa = gsa(platform, "external-secrets/external-secrets");
    expect(sa).toMatchObject({ account_id: "acme-external-secrets", project: "acme-prod" });
    const binding = platform.resource("google_service_account_iam_member", (b) => b.service_account_id === platform.ref(sa, "name"));
    expect(binding.role).toBe("roles/iam.workloadIdentityUser");
    const [, pool] = /^serviceAccount:(.+)\[external-secrets\/external-secrets\]$/.exec(binding.member)!;
    expect(crossStackValue(infra, platform, pool)).toBe(infra.ref(cluster, "workload_identity_config[0].workload_pool"));
    const { values } = chart(platform, "external-secrets");
    expect(values.serviceAccount).toMatchObject({ name: "external-secrets", annotations: { "iam.gke.io/gcp-service-account": platform.ref(sa, "email") } });
  });

  test("External Secrets may read only the deployment's own secrets: an IAM condition on the name prefix", () => {
    const sa = gsa(platform, "external-secrets/external-secrets");
    const access = platform.resource("google_project_iam_member", (m) => m.member === platform.ref(sa, "member"));
    expect(access).toMatchObject({ project: "acme-prod", role: "roles/secretmanager.secretAccessor" });
    const number = platform.ref(platform.data("google_project")[0], "number");
    expect(access.condition.expression).toBe(`resource.name.startsWith("projects/${number}/secrets/acme-")`);
    const allows = (name: string) => evaluate(access.condition.expression.replace(number, "123456789"), { resource: { name } });
    expect(allows("projects/123456789/secrets/acme-gitops")).toBe(true);
    expect(allows("projects/123456789/secrets/acme-gitops/versions/3")).toBe(true);
    expect(allows("projects/123456789/secrets/other-db")).toBe(false);
    expect(allows("projects/987654321/secrets/acme-gitops")).toBe(false);
    // No other grant reaches Secret Manager.
    expect(platform.resources("google_project_iam_member").filter((m) => m.role.startsWith("roles/secretmanager."))).toHaveLength(1);
  });

  test("the store reads Secret Manager of the project with the controller's ambient identity, after the grants", () => {
    const { object: store, release } = object(platform, "ClusterSecretStore", "secret-manager");
    expect(store.spec.provider).toEqual({ gcpsm: { projectID: "acme-prod" } });
    const eso = chart(platform, "external-secrets");
    expect(dependencies(platform, release)).toContainEqual(eso);
    const api = platform.resource("google_project_service", (s) => s.service === "secretmanager.googleapis.com");
    const sa = gsa(platform, "external-secrets/external-secrets");
    const grants = [
      api.tfAddress,
      platform.resource("google_project_iam_member", (m) => m.member === platform.ref(sa, "member")).tfAddress,
      platform.resource("google_service_account_iam_member", (b) => b.service_account_id === platform.ref(sa, "name")).tfAddress,
    ];
    expect(eso.block.depends_on).toEqual(expect.arrayContaining(grants));
  });

  test("cert-manager answers DNS-01 in the public zone with dns.admin on that zone alone", () => {
    const sa = gsa(platform, "cert-manager/cert-manager");
    const zone = infra.resource("google_dns_managed_zone", (z) => z.visibility === "public");
    const access = platform.resource("google_dns_managed_zone_iam_member");
    expect(access).toMatchObject({ project: "acme-prod", role: "roles/dns.admin", member: platform.ref(sa, "member") });
    expect(crossStackValue(infra, platform, access.managed_zone)).toBe(infra.ref(zone, "name"));
    expect(platform.resources("google_project_iam_member").filter((m) => m.role.startsWith("roles/dns."))).toEqual([]);
    const { values } = chart(platform, "cert-manager");
    expect(values.serviceAccount.annotations).toEqual({ "iam.gke.io/gcp-service-account": platform.ref(sa, "email") });
    const { object: issuer } = object(platform, "ClusterIssuer", "letsencrypt");
    const solver = issuer.spec.acme.solvers[0].dns01.cloudDNS;
    expect(solver).toEqual({ project: "acme-prod", hostedZoneName: access.managed_zone });
  });

  test("new persistent volumes default to pd-balanced disks encrypted with the deployment's disk key", () => {
    const sc = platform.resource("kubernetes_storage_class_v1");
    expect(sc.metadata).toMatchObject({ name: "cmek-rwo", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } });
    expect(sc).toMatchObject({ storage_provisioner: "pd.csi.storage.gke.io", volume_binding_mode: "WaitForFirstConsumer", reclaim_policy: "Delete" });
    expect(sc.parameters.type).toBe("pd-balanced");
    const disks = infra.resource("google_kms_crypto_key", (k) => k.name === "disks");
    expect(crossStackValue(infra, platform, sc.parameters["disk-encryption-kms-key"])).toBe(infra.ref(disks, "id"));
  });

  test("an internal load balancer for the gateway; GKE's own metrics API; no prerequisites; GKE Gateway's proxies admitted", () => {
    const target = platform.construct.node.findChild("Target") as GcpPlatformTarget;
    expect(target.gatewayService).toEqual({ type: "LoadBalancer", annotations: { "networking.gke.io/load-balancer-type": "Internal" } });
    expect(target.needsMetricsServer).toBe(false);
    expect(target.openshift).toBe(false);
    expect(target.prerequisites).toEqual([]);
    // Google's front ends and health checks only: the VPC holds the pods' range.
    expect(target.loadBalancerSources).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
    // Tenants reach Cloud SQL and Memorystore in the private service access range, not the VPC.
    expect(target.tenantEgress).toEqual([
      { cidr: "10.80.32.0/20" },
      // Workload Identity's metadata server.
      { cidr: "169.254.169.252/32", ports: [{ port: 988, protocol: "TCP" }] },
      { cidr: "169.254.169.254/32", ports: [{ port: 80, protocol: "TCP" }] },
    ]);
    expect(platform.resources("helm_release").map((r) => r.chart)).not.toContain("metrics-server");
  });

  test("without a domain there is no ACME solver, and cert-manager gets no Google identity", async () => {
    const { platform: bare } = await synth(gcp({ dns: {} }));
    expect(bare.resources("google_dns_managed_zone_iam_member")).toEqual([]);
    expect(bare.resources("google_service_account").filter((s) => s.description.includes("cert-manager"))).toEqual([]);
    expect(chart(bare, "cert-manager").values.serviceAccount.annotations).toEqual({});
  });

  test("with Envoy Gateway, tenants admit the gateway's namespace rather than Google's proxies", async () => {
    const { platform: envoy } = await synth(gcp({ platform: { ingress: "envoy-gateway" } }));
    expect((envoy.construct.node.findChild("Target") as GcpPlatformTarget).loadBalancerSources).toEqual([]);
  });
});
