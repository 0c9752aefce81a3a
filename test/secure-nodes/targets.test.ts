import { DefaultTokenResolver, StringConcat, TerraformStack, Testing, Tokenization } from "cdktf";
import { describe, expect, test } from "vitest";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { SecureNodes } from "../../lib/secure-nodes/secure-nodes";
import { StackJson, type Block } from "../support/synth";
import { cloudTargets, naming } from "../support/targets";
import { IMAGE, PEERS } from "./fixture";

/** The tier on the kit's own cloud targets: the contract of `udpService` as the targets implement it. */
describe.each(Object.entries(cloudTargets([])))("SecureNodes on the %s target", (_, factory) => {
  const stack = new TerraformStack(Testing.app(), "platform");
  const { target } = factory(stack);
  configureClusterProviders(stack, target.cluster.connection);
  const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target });
  const nodes = new SecureNodes(stack, "SecureNodes", { naming, target, secrets, image: IMAGE, peers: PEERS, keys: { remoteKey: "acme/keys" } });
  const json = new StackJson("platform", JSON.parse(Testing.synth(stack)), stack);
  const resolve = (value: unknown) => Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) });
  const service = json.resource("kubernetes_service_v1", (s) => s.metadata.name === "secure-nodes");
  const policy = (name: string) => json.resource("kubernetes_network_policy_v1", (p) => p.metadata.name === name && JSON.stringify(p.metadata.namespace).includes("SecureNodes_Namespace"));

  test("the Service admits the peers only at the load balancer, keeps the client address and carries the target's annotations", () => {
    expect(service.spec.type).toBe(nodes.exposure.type);
    expect(service.spec.load_balancer_source_ranges).toEqual(PEERS);
    expect(service.spec.external_traffic_policy).toBe("Local");
    expect(service.metadata.annotations).toEqual(resolve(nodes.exposure.annotations));
  });

  test("the Service waits for every cloud firewall rule the target created for it", () => {
    const created = json.allResources().filter((r) => r.tfAddress.includes("UdpExposure-secure-nodes"));
    // A resource's fqn resolves to "${type.name}"; depends_on lists "type.name".
    const grants = (resolve(nodes.exposure.grants.map((g) => (g as unknown as { fqn: string }).fqn)) as string[]).map((f) => f.replace(/^\$\{(.*)\}$/, "$1"));
    for (const grant of grants) expect(service.depends_on).toContain(grant);
    expect(created.filter((r) => !service.depends_on.includes(r.tfAddress) && /firewall|security_group_ingress_rule|network_security_rule/.test(r.tfAddress))).toEqual([]);
  });

  test("the pods admit the UDP port from the peers and the health port from the target's health checkers only", () => {
    expect(policy("allow-peers").spec.ingress).toEqual([{ from: PEERS.map((cidr) => ({ ip_block: { cidr } })), ports: [{ port: "4000", protocol: "UDP" }] }]);
    const checkers = resolve(nodes.exposure.healthCheckSources) as string[];
    const health = json.resources("kubernetes_network_policy_v1").find((p: Block) => p.metadata.name === "allow-health-checks");
    if (checkers.length === 0) expect(health).toBeUndefined();
    else expect(health!.spec.ingress).toEqual([{ from: checkers.map((cidr) => ({ ip_block: { cidr } })), ports: [{ port: "8080", protocol: "TCP" }] }]);
  });
});
