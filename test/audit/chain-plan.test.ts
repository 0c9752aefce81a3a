import { TerraformStack, Testing } from "cdktf";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { describe, expect, test } from "vitest";
import { BesuNetwork } from "../../lib/audit/besu/besu";
import { besuNetworkPlan, derivedChainId } from "../../lib/audit/besu-plan";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { parseSpec } from "../../lib/config/spec";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { manifests } from "../support/helm";
import { StackJson } from "../support/synth";
import { naming } from "../support/targets";

/** Nodes as besu-keys prints them (keys made here with viem), for an on-prem deployment `acme` reading Vault. */
function printedNodes(role: "validator" | "rpc", count: number) {
  return Array.from({ length: count }, (_, i) => {
    const account = privateKeyToAccount(generatePrivateKey());
    return { name: `${role}-${i}`, publicKey: `0x${account.publicKey.slice(4)}`, address: account.address, secretRef: `acme/besu-${role}-${i}` };
  });
}

const onprem = { name: "acme", target: { cloud: "onprem" }, platform: { secretStore: { vault: { server: "https://vault.lab:8200", role: "byoc" } } } };

describe("besuNetworkPlan", () => {
  test("the spec's besu nodes become BesuNetwork's, and the network synthesizes with them: one synced key per node, the genesis of the validators' addresses", () => {
    const validators = printedNodes("validator", 4);
    const rpcNodes = printedNodes("rpc", 1);
    const spec = parseSpec({ ...onprem, audit: { type: "blockchain", blockchain: { nodes: { validators, rpcNodes } } } });
    const plan = besuNetworkPlan(spec.audit, spec.name)!;
    expect(plan.validators.map((v) => v.secretRef)).toEqual(validators.map((v) => v.secretRef));
    expect(plan.rpcNodes?.map((v) => v.name)).toEqual(["rpc-0"]);

    const stack = new TerraformStack(Testing.app(), "besu");
    const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
    configureClusterProviders(stack, cluster.connection);
    const target = new OnpremPlatformTarget(stack, "Target", { naming, cluster, vault: { server: "https://vault.lab:8200", role: "byoc" } });
    const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target });
    const metricsCrds = new PlatformNamespace(stack, "Crds", { name: "crds-stand-in", naming, component: "metrics" }).namespace;
    const besu = new BesuNetwork(stack, "Besu", { naming, secrets, metricsCrds, ...plan });
    const json = new StackJson("besu", JSON.parse(Testing.synth(stack)), stack);

    expect(besu.validatorAddresses).toEqual(validators.map((v) => v.address.toLowerCase()).sort());
    const synced = manifests(json).filter((m) => m.object.kind === "ExternalSecret" && m.object.metadata.namespace === "besu");
    expect(synced.map((m) => m.object.spec.data[0].remoteRef.key).sort()).toEqual([...validators, ...rpcNodes].map((n) => n.secretRef).sort());
    expect(besu.chainId).toBe(derivedChainId("acme"));
  });

  test("a chain id given in the spec is kept; without one each deployment gets its own, the same at every synth, clear of well-known ids", () => {
    const validators = printedNodes("validator", 4);
    const withId = parseSpec({ ...onprem, audit: { type: "blockchain", blockchain: { chainId: 4242, nodes: { validators } } } });
    expect(besuNetworkPlan(withId.audit, "acme")?.chainId).toBe(4242);
    expect(derivedChainId("acme")).toBe(derivedChainId("acme"));
    expect(derivedChainId("acme")).not.toBe(derivedChainId("acme-eu"));
    for (const name of ["acme", "acme-eu", "byoc", "lab"]) {
      expect(derivedChainId(name)).toBeGreaterThanOrEqual(1_000_000);
      expect(derivedChainId(name)).toBeLessThan(2 ** 31);
    }
  });

  test("no Besu network without a besu chain: the SQL ledger alone, or an existing chain", () => {
    expect(besuNetworkPlan(parseSpec({ ...onprem, data: { postgres: { enabled: true } }, audit: {} }).audit, "acme")).toBeUndefined();
    const polygon = parseSpec({ ...onprem, audit: { type: "blockchain", blockchain: { type: "polygon", endpoint: "https://polygon-rpc.example.com" } } });
    expect(besuNetworkPlan(polygon.audit, "acme")).toBeUndefined();
    expect(besuNetworkPlan(undefined, "acme")).toBeUndefined();
  });

  test("a besu network kept for anchoring while the SQL ledger is the store is still provisioned", () => {
    const spec = parseSpec({ ...onprem, data: { postgres: { enabled: true } }, audit: { blockchain: { nodes: { validators: printedNodes("validator", 4) } }, anchor: { enabled: false } } });
    expect(spec.audit?.type).toBe("database");
    expect(besuNetworkPlan(spec.audit, "acme")?.validators).toHaveLength(4);
  });
});
