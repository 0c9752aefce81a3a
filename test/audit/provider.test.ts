import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { AuditProviderConfig, type AuditProviderConfigProps } from "../../lib/audit/provider";
import { StackJson } from "../support/synth";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function synthConfig(props: Partial<AuditProviderConfigProps> = {}): StackJson {
  const stack = new TerraformStack(Testing.app(), "provider");
  configureClusterProviders(stack, new ExistingCluster({ kubeconfig: "~/.kube/lab" }).connection);
  new AuditProviderConfig(stack, "AuditProvider", {
    namespaces: ["product", "reports"],
    type: "database",
    database: { host: "audit-db.example.com", retention: "7-years", credentialsSecret: "audit-app-login" },
    blockchain: { type: "besu", network: "private", endpoint: "http://besu-rpc.besu.svc:8545", contractAddress: CONTRACT },
    events: ["authentication", "data_access"],
    ...props,
  });
  return new StackJson("provider", JSON.parse(Testing.synth(stack)), stack);
}

/** The ConfigMaps as the application reads them: the key audit.yml parsed as YAML. */
function documents(stack: StackJson): Record<string, any> {
  return Object.fromEntries(stack.resources("kubernetes_config_map_v1").map((c) => [c.metadata.namespace, { name: c.metadata.name, keys: Object.keys(c.data), doc: parse(c.data["audit.yml"]) }]));
}

describe("AuditProviderConfig", () => {
  test("each namespace gets a ConfigMap audit-provider whose audit.yml is the seed's auditProvider document", () => {
    const docs = documents(synthConfig());
    expect(Object.keys(docs).sort()).toEqual(["product", "reports"]);
    for (const { name, keys, doc } of Object.values(docs)) {
      expect(name).toBe("audit-provider");
      expect(keys).toEqual(["audit.yml"]);
      expect(doc).toEqual({
        auditProvider: {
          type: "database",
          database: { type: "postgresql", endpoint: "audit-db.example.com:5432", database: "audit", retention: "7-years", credentialsSecret: "audit-app-login" },
          blockchain: { type: "besu", network: "private", endpoint: "http://besu-rpc.besu.svc:8545", contractAddress: CONTRACT },
          events: ["authentication", "data_access"],
        },
      });
    }
  });

  test("a blockchain backend without a database, a contract not deployed yet: those keys are absent, not empty", () => {
    const { doc } = documents(synthConfig({ type: "blockchain", database: undefined, blockchain: { type: "polygon", network: "mainnet", endpoint: "https://polygon-rpc.example.com" } })).product;
    expect(doc.auditProvider).toEqual({ type: "blockchain", blockchain: { type: "polygon", network: "mainnet", endpoint: "https://polygon-rpc.example.com" }, events: ["authentication", "data_access"] });
  });

  test("a managed server's host given as another resource's attribute stays a Terraform reference; a literal ${ does not become one", () => {
    const stack = new TerraformStack(Testing.app(), "tokens");
    configureClusterProviders(stack, new ExistingCluster({ kubeconfig: "~/.kube/lab" }).connection);
    const other = new AuditProviderConfig(stack, "Other", { namespaces: ["a"], type: "blockchain", blockchain: { type: "besu", network: "private", endpoint: "http://besu-rpc.besu.svc:8545" }, events: ["data_access"] });
    new AuditProviderConfig(stack, "AuditProvider", {
      namespaces: ["b"],
      type: "database",
      database: { host: other.configMaps.a.metadata.uid, retention: "90-days" },
      blockchain: { type: "ethereum", network: "private", endpoint: "https://rpc.example.com/${notatemplate}" },
      events: ["data_access"],
    });
    const json = new StackJson("tokens", JSON.parse(Testing.synth(stack)), stack);
    const text: string = json.resource("kubernetes_config_map_v1", (c) => c.metadata.namespace === "b").data["audit.yml"];
    expect(text).toContain("${kubernetes_config_map_v1.Other_ConfigMap-a_");
    expect(text).toContain("https://rpc.example.com/$${notatemplate}");
  });

  test("no credential: nothing secret-shaped in any ConfigMap", () => {
    for (const c of synthConfig().resources("kubernetes_config_map_v1")) {
      expect(c.data["audit.yml"]).not.toMatch(/password|private_?key|0x[0-9a-f]{64}/i);
    }
  });

  test("a backend without its section, no namespace, a namespace twice, a credential where a Secret's name belongs", () => {
    expect(() => synthConfig({ type: "blockchain", blockchain: undefined })).toThrow(
      "AuditProviderConfig provider/AuditProvider: blockchain is required with type blockchain: the chain's type, network and endpoint",
    );
    expect(() => synthConfig({ database: undefined })).toThrow("AuditProviderConfig provider/AuditProvider: database is required with type database: the ledger's host and retention");
    expect(() => synthConfig({ namespaces: [] })).toThrow("AuditProviderConfig provider/AuditProvider: namespaces must name at least one namespace: the applications' that record audit events");
    expect(() => synthConfig({ namespaces: ["product", "product"] })).toThrow('AuditProviderConfig provider/AuditProvider: namespaces[1] "product" is listed twice');
    expect(() => synthConfig({ database: { host: "db.example.com", retention: "7-years", credentialsSecret: "user=app password=hunter2" } })).toThrow(
      "AuditProviderConfig provider/AuditProvider: database.credentialsSecret must be a Kubernetes Secret's name (a DNS label), never the credential",
    );
    expect(() => synthConfig({ blockchain: { type: "besu", network: "private", endpoint: "http://besu-rpc.besu.svc:8545", contractAddress: "0x12" } })).toThrow(
      'AuditProviderConfig provider/AuditProvider: blockchain.contractAddress must be a 20-byte address, 0x and 40 hex digits (got "0x12")',
    );
  });
});
