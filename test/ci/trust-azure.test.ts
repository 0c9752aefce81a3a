import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { AzureCiTrust, type AzureCiTrustProps } from "../../lib/ci/trust-azure";
import { CiTrustStack } from "../../lib/ci/trust-stack";
import { StackJson } from "../support/synth";

/** AzureCiTrust in a plain stack with the azurerm provider. */

/** Terraform JSON lists resources sorted by address, not in creation order: compare as sets. */
const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const STATE = { resourceGroupName: "tfstate", storageAccountName: "acmetfstate", containerName: "state" };
const BASE: AzureCiTrustProps = { ci: "github", repository: "acme/infra", deployments: ["shop", "billing"], resourceGroupName: "ci", location: "westeurope", state: STATE };

function synth(props: Partial<AzureCiTrustProps> = {}, s: TerraformStack = new TerraformStack(Testing.app(), "test")): StackJson {
  new AzurermProvider(s, "azurerm", { features: [{}] });
  new AzureCiTrust(s, "Ci", { ...BASE, ...props } as AzureCiTrustProps);
  return new StackJson(s.node.id, JSON.parse(Testing.synth(s)), s);
}

describe("AzureCiTrust for GitHub Actions", () => {
  const json = synth();
  const identity = (kind: string) => json.resource("azurerm_user_assigned_identity", (i) => i.name === `byoc-ci-${kind}`);
  const credentials = (kind: string) => json.resources("azurerm_federated_identity_credential").filter((c) => c.parent_id === json.ref(identity(kind), "id"));
  const subscription = `/subscriptions/\${${json.data("azurerm_client_config")[0]?.tfAddress}.subscription_id}`;
  const container = `${subscription}/resourceGroups/tfstate/providers/Microsoft.Storage/storageAccounts/acmetfstate/blobServices/default/containers/state`;

  test("two user-assigned identities in the given group; no app registration, no password or certificate", () => {
    expect(sorted(json.resources("azurerm_user_assigned_identity").map((i) => [i.name, i.resource_group_name, i.location]))).toEqual([
      ["byoc-ci-apply", "ci", "westeurope"],
      ["byoc-ci-plan", "ci", "westeurope"],
    ]);
    expect(Object.keys(json.json.resource).filter((t) => /azuread|password|certificate|secret/.test(t))).toEqual([]);
  });

  test("every federated credential: GitHub's issuer, the token-exchange audience, the repository's subjects", () => {
    for (const c of json.resources("azurerm_federated_identity_credential")) {
      expect(c.issuer).toBe("https://token.actions.githubusercontent.com");
      expect(c.audience).toEqual(["api://AzureADTokenExchange"]);
      expect(c.subject.startsWith("repo:acme/infra:")).toBe(true);
      expect(c.resource_group_name).toBe("ci");
    }
  });

  test("plan trusts pull requests and the main branch (exact subjects); apply trusts the deployments' environments only", () => {
    expect(sorted(credentials("plan").map((c) => c.subject))).toEqual(["repo:acme/infra:pull_request", "repo:acme/infra:ref:refs/heads/main"]);
    expect(sorted(credentials("apply").map((c) => c.subject))).toEqual(["repo:acme/infra:environment:byoc-billing", "repo:acme/infra:environment:byoc-shop"]);
  });

  test("credentials of one identity are written one after another (Azure refuses concurrent writes)", () => {
    const bySubject = (env: string) => credentials("apply").find((c) => c.subject === `repo:acme/infra:environment:${env}`)!;
    expect(bySubject("byoc-shop").depends_on).toBeUndefined();
    expect(bySubject("byoc-billing").depends_on).toEqual([bySubject("byoc-shop").tfAddress]);
  });

  test("roles: Reader for plan, Owner for apply, at the subscription; the state container read-and-lock for plan, Blob Data Contributor for apply", () => {
    const assignments = json.resources("azurerm_role_assignment");
    const of = (kind: string) => assignments.filter((a) => a.principal_id === json.ref(identity(kind), "principal_id"));
    const lock = json.resource("azurerm_role_definition");
    expect(sorted(of("plan").map((a) => [a.scope, a.role_definition_name ?? a.role_definition_id]))).toEqual(
      sorted([
        [subscription, "Reader"],
        [container, json.ref(lock, "role_definition_resource_id")],
      ]),
    );
    expect(sorted(of("apply").map((a) => [a.scope, a.role_definition_name]))).toEqual(
      sorted([
        [subscription, "Owner"],
        [container, "Storage Blob Data Contributor"],
      ]),
    );
    for (const a of assignments) expect(a.principal_type).toBe("ServicePrincipal");
    // The lock role: read and the blob write a lease needs; no delete, no control-plane action, only on the container.
    expect(lock.scope).toBe(container);
    expect(lock.assignable_scopes).toEqual([container]);
    expect(lock.permissions).toEqual([
      { actions: [], data_actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"] },
    ]);
  });

  test("outputs: tenant, subscription and the two client ids, per instance in a plain stack", () => {
    const client = json.data("azurerm_client_config")[0];
    expect(Object.fromEntries(Object.entries(json.json.output).map(([k, v]) => [k, (v as { value: string }).value]))).toEqual({
      ci_tenant_id: json.ref(client, "tenant_id"),
      ci_subscription_id: json.ref(client, "subscription_id"),
      ci_plan_client_id: json.ref(identity("plan"), "client_id"),
      ci_apply_client_id: json.ref(identity("apply"), "client_id"),
    });
  });
});

describe("AzureCiTrust options", () => {
  test("GitLab on a self-managed instance: plan for the listed branches, apply for the protected branch", () => {
    const json = synth({ ci: "gitlab", repository: "acme/infra", issuerUrl: "https://gitlab.example.com", planBranches: ["main", "develop"], applyBranches: ["main"] });
    const subjects = (name: string) =>
      json.resources("azurerm_federated_identity_credential").filter((c) => c.parent_id === json.ref(json.resource("azurerm_user_assigned_identity", (i) => i.name === name), "id")).map((c) => [c.issuer, c.subject]);
    expect(sorted(subjects("byoc-ci-plan"))).toEqual([
      ["https://gitlab.example.com", "project_path:acme/infra:ref_type:branch:ref:develop"],
      ["https://gitlab.example.com", "project_path:acme/infra:ref_type:branch:ref:main"],
    ]);
    expect(subjects("byoc-ci-apply")).toEqual([["https://gitlab.example.com", "project_path:acme/infra:ref_type:branch:ref:main"]]);
  });

  test("narrowed apply: the user's roles at resource-group scopes, a given subscription", () => {
    const rg = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/shop";
    const json = synth({ subscriptionId: "00000000-0000-0000-0000-000000000001", applyRoles: ["Contributor", "User Access Administrator"], applyScopes: [rg] });
    const apply = json.resource("azurerm_user_assigned_identity", (i) => i.name === "byoc-ci-apply");
    const roles = json.resources("azurerm_role_assignment").filter((a) => a.principal_id === json.ref(apply, "principal_id") && a.role_definition_name !== "Storage Blob Data Contributor");
    expect(sorted(roles.map((a) => [a.scope, a.role_definition_name]))).toEqual([
      [rg, "Contributor"],
      [rg, "User Access Administrator"],
    ]);
    expect(json.json.output.ci_subscription_id.value).toBe("00000000-0000-0000-0000-000000000001");
  });

  test("in a CiTrustStack the outputs are named exactly after the CI variables", () => {
    const json = synth({}, new CiTrustStack(Testing.app(), "ci-trust"));
    expect(Object.keys(json.json.output).sort()).toEqual(["BYOC_AZURE_APPLY_CLIENT_ID", "BYOC_AZURE_PLAN_CLIENT_ID", "BYOC_AZURE_SUBSCRIPTION_ID", "BYOC_AZURE_TENANT_ID"]);
  });

  test("more subjects than an identity's 20 federated credentials is a clear error", () => {
    const deployments = Array.from({ length: 21 }, (_, i) => `shop${i}`);
    expect(() => synth({ deployments })).toThrow("AzureCiTrust test/Ci: the apply identity would need 21 federated credentials; an identity holds 1 to 20 (fewer environments or applyBranches)");
  });
});
