import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformOutput, Testing } from "cdktf";
import { Construct } from "constructs";
import { beforeAll, describe, expect, test } from "vitest";
import { parseSpec } from "../../lib/config/spec";
import type { ByocStack } from "../../lib/core/stack";
import { AzurePlatformTarget } from "../../lib/platform/targets/azure";
import { buildStacks } from "../../stacks";
import { StackJson, type Block } from "../support/synth";

const SUBSCRIPTION = "00000000-0000-4000-8000-000000000001";
const VAULT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/contoso-secrets/providers/Microsoft.KeyVault/vaults/contoso-secrets`;
const base = { name: "acme", target: { cloud: "azure", region: "westeurope", subscriptionId: SUBSCRIPTION }, dns: { domain: "acme.example.com" } };

/**
 * Synthesizes through app.synth(), which turns references between the stacks into
 * outputs and remote state. `probe` runs before synthesis, to render values into outputs.
 */
async function synthApp(input: unknown, probe?: (target: AzurePlatformTarget, platform: ByocStack) => void) {
  const app = Testing.app();
  const stacks = await buildStacks(app, parseSpec(input));
  probe?.(stacks[1].node.findChild("Target") as AzurePlatformTarget, stacks[1]);
  app.synth();
  const read = (s: ByocStack) => new StackJson(s.node.id, JSON.parse(readFileSync(join(app.outdir, "stacks", s.node.id, "cdk.tf.json"), "utf8")), s);
  return { infra: read(stacks[0]), platform: read(stacks[1]), stacks };
}

/** `${data.terraform_remote_state.<infra>.outputs.<name>}` for the infra output that exposes `attribute` of `block`. */
function fromInfra(infra: StackJson, block: Block, attribute: string, wrap = (s: string) => s): string {
  const outputs = Object.entries<{ value: string; sensitive?: boolean }>(infra.json.output);
  const found = outputs.filter(([name, o]) => name.startsWith("cross-stack-output-") && o.value === `\${${block.tfAddress}.${attribute}}`);
  expect(found, `${block.tfAddress}.${attribute} is exported`).toHaveLength(1);
  expect(found[0][1].sensitive).toBe(true);
  return `\${${wrap(`data.terraform_remote_state.cross-stack-reference-input-${infra.name}.outputs.${found[0][0]}`)}}`;
}

const roleIn = (stack: StackJson, name: string) => stack.resource("azurerm_role_assignment", (r) => r.role_definition_name === name);

describe("AzurePlatformTarget", () => {
  let infra: StackJson;
  let platform: StackJson;
  let target: AzurePlatformTarget;
  beforeAll(async () => {
    const built = await synthApp(base);
    ({ infra, platform } = built);
    target = built.stacks[1].node.findChild("Target") as AzurePlatformTarget;
  });

  test("the platform's providers reach the infra stack's cluster with a kubelogin token per session, never a stored credential", () => {
    const aks = infra.resource("azurerm_kubernetes_cluster");
    const host = fromInfra(infra, aks, "kube_config[0].host");
    const ca = fromInfra(infra, aks, "kube_config[0].cluster_ca_certificate", (s) => `base64decode(${s})`);
    const exec = {
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
    };
    const [kubernetes] = platform.json.provider.kubernetes;
    expect(kubernetes).toEqual({ host, cluster_ca_certificate: ca, exec: [exec] });
    const [helm] = platform.json.provider.helm;
    expect(helm).toEqual({ kubernetes: { host, cluster_ca_certificate: ca, exec } });
  });

  test("External Secrets runs as its own identity, federated with the cluster for its service account", () => {
    const identity = platform.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-wi-external-secrets-external-secrets");
    expect(identity.resource_group_name).toBe(fromInfra(infra, infra.resource("azurerm_resource_group"), "name"));
    const credential = platform.resource("azurerm_federated_identity_credential", (c) => c.parent_id === platform.ref(identity, "id"));
    expect(credential).toMatchObject({
      issuer: fromInfra(infra, infra.resource("azurerm_kubernetes_cluster"), "oidc_issuer_url"),
      subject: "system:serviceaccount:external-secrets:external-secrets",
      audience: ["api://AzureADTokenExchange"],
    });
  });

  test("External Secrets may read secrets of the deployment's vault only (Key Vault Secrets User on it)", () => {
    const reader = roleIn(platform, "Key Vault Secrets User");
    expect(reader.scope).toBe(fromInfra(infra, infra.resource("azurerm_key_vault"), "id"));
    const identity = platform.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-wi-external-secrets-external-secrets");
    expect(reader.principal_id).toBe(platform.ref(identity, "principal_id"));
  });

  test("the store's provider: Key Vault by workload identity with the service account, and the grants to wait for", async () => {
    const sa = { namespace: "probe", name: "reader" };
    let grants = 0;
    const { infra: i, platform: p } = await synthApp(base, (t, stack) => {
      const binding = t.secretStore(new Construct(stack, "Probe"), sa);
      grants = binding.grants.length;
      new TerraformOutput(stack, "probe_config", { value: binding.config });
      new TerraformOutput(stack, "probe_identity", { value: binding.identity });
    });
    expect(p.json.output.probe_config.value).toEqual({
      azurekv: {
        authType: "WorkloadIdentity",
        vaultUrl: fromInfra(i, i.resource("azurerm_key_vault"), "vault_uri"),
        serviceAccountRef: { name: "reader", namespace: "probe" },
      },
    });
    const identity = p.resource("azurerm_user_assigned_identity", (x) => x.name === "acme-wi-probe-reader");
    expect(p.json.output.probe_identity.value).toEqual({
      serviceAccountAnnotations: { "azure.workload.identity/client-id": p.ref(identity, "client_id") },
      podLabels: { "azure.workload.identity/use": "true" },
    });
    expect(grants).toBe(2);
  });

  test("with target.keyVaultId, External Secrets reads that vault instead", async () => {
    let vaultUrl = "";
    const { platform: p } = await synthApp({ ...base, target: { ...base.target, keyVaultId: VAULT_ID } }, (t, stack) => {
      vaultUrl = (t.secretStore(new Construct(stack, "Probe"), { namespace: "probe", name: "reader" }).config.azurekv as { vaultUrl: string }).vaultUrl;
    });
    expect(vaultUrl).toBe("https://contoso-secrets.vault.azure.net/");
    expect(p.resources("azurerm_role_assignment").filter((r) => r.role_definition_name === "Key Vault Secrets User").map((r) => r.scope)).toEqual([VAULT_ID, VAULT_ID]);
  });

  test("cert-manager may write records in the public zone only (DNS Zone Contributor on it), as its own identity", () => {
    const writer = roleIn(platform, "DNS Zone Contributor");
    expect(writer.scope).toBe(fromInfra(infra, infra.resource("azurerm_dns_zone"), "id"));
    const identity = platform.resource("azurerm_user_assigned_identity", (i) => i.name === "acme-wi-cert-manager-cert-manager");
    expect(writer.principal_id).toBe(platform.ref(identity, "principal_id"));
    expect(platform.resource("azurerm_federated_identity_credential", (c) => c.parent_id === platform.ref(identity, "id")).subject).toBe(
      "system:serviceaccount:cert-manager:cert-manager",
    );
  });

  test("the DNS-01 solver: Azure DNS in the public cloud with the identity's client id", async () => {
    const { infra: i, platform: p } = await synthApp(base, (t, stack) => {
      const binding = t.dns01Solver(new Construct(stack, "Probe"), { namespace: "probe", name: "solver" })!;
      new TerraformOutput(stack, "probe_solver", { value: binding.config });
    });
    const zone = i.resource("azurerm_dns_zone");
    const identity = p.resource("azurerm_user_assigned_identity", (x) => x.name === "acme-wi-probe-solver");
    expect(p.json.output.probe_solver.value).toEqual({
      azureDNS: {
        subscriptionID: SUBSCRIPTION,
        resourceGroupName: fromInfra(i, zone, "resource_group_name"),
        hostedZoneName: fromInfra(i, zone, "name"),
        environment: "AzurePublicCloud",
        managedIdentity: { clientID: p.ref(identity, "client_id") },
      },
    });
  });

  test("without a subscription in the spec, the solver takes the provider's", async () => {
    const { platform: p } = await synthApp({ ...base, target: { cloud: "azure", region: "westeurope" } }, (t, stack) => {
      new TerraformOutput(stack, "probe_solver", { value: t.dns01Solver(new Construct(stack, "Probe"), { namespace: "probe", name: "solver" })!.config });
    });
    expect(p.json.output.probe_solver.value.azureDNS.subscriptionID).toBe(p.ref(p.data("azurerm_client_config")[0], "subscription_id"));
  });

  test("without a domain there is no solver and no DNS grant", async () => {
    let solver: unknown = "unset";
    const { platform: p } = await synthApp({ ...base, dns: {} }, (t, stack) => {
      solver = t.dns01Solver(new Construct(stack, "Probe"), { namespace: "probe", name: "solver" });
    });
    expect(solver).toBeUndefined();
    expect(p.resources("azurerm_role_assignment").filter((r) => r.role_definition_name === "DNS Zone Contributor")).toEqual([]);
  });

  test("new persistent volumes default to managed disks encrypted with the cluster's disk encryption set (AKS's managed-csi uses platform keys)", () => {
    const sc = platform.resource("kubernetes_storage_class_v1");
    expect(sc.metadata).toMatchObject({ name: "managed-csi-cmk", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } });
    expect(sc).toMatchObject({ storage_provisioner: "disk.csi.azure.com", volume_binding_mode: "WaitForFirstConsumer", reclaim_policy: "Delete", allow_volume_expansion: true });
    expect(sc.parameters).toEqual({ skuname: "StandardSSD_LRS", kind: "managed", diskEncryptionSetID: fromInfra(infra, infra.resource("azurerm_disk_encryption_set"), "id") });
    // The cluster's identity may use the set (the nodes' OS disks need it already).
    expect(infra.resource("azurerm_role_assignment", (r) => r.role_definition_name === "Reader" && r.scope === infra.ref(infra.resource("azurerm_disk_encryption_set"), "id"))).toBeDefined();
    expect(target.cluster.storageClass).toBe("managed-csi-cmk");
  });

  test("the gateway gets an internal load balancer; AKS serves metrics itself; volumes wait for the encrypted StorageClass", () => {
    expect(target.gatewayService).toEqual({ type: "LoadBalancer", annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" } });
    expect(target.needsMetricsServer).toBe(false);
    expect(target.openshift).toBe(false);
    expect(target.prerequisites).toHaveLength(1);
    expect(target.loadBalancerSources).toEqual([]);
    expect(target.cluster.distribution).toBe("aks");
  });
});
