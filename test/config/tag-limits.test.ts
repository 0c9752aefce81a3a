import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { TAG_LIMITS } from "../../lib/config/validate-tags";
import { synth } from "../support/synth";

/**
 * TAG_LIMITS says how many tags the kit adds; this checks it against what the stacks
 * really carry, with as many user tags as the spec accepts.
 */
const regions = { aws: "us-west-2", azure: "westeurope", gcp: "us-central1" } as const;

// Karpenter adds its own to every node it launches, beyond the EC2NodeClass's `tags`.
const KARPENTER_OWN = ["Name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass", "kubernetes.io/cluster/<cluster>", "eks:eks-cluster-name"];

describe.each(["aws", "azure", "gcp"] as const)("%s: the most user tags the spec accepts fit every resource", (cloud) => {
  test("no resource carries more tags or labels than the cloud takes", async () => {
    const { limit, added } = TAG_LIMITS[cloud];
    const tags = Object.fromEntries(Array.from({ length: limit - added }, (_, i) => [`team-${i}`, "v"]));
    const stacks = await synth({ name: "acme", target: { cloud, region: regions[cloud] }, tags });
    const counts: number[] = [];
    const nodeClasses: number[] = [];
    for (const stack of Object.values(stacks)) {
      for (const r of stack.allResources()) {
        const set = cloud === "gcp" ? r.labels : r.tags;
        if (set && typeof set === "object") counts.push(Object.keys(set).length);
        // Karpenter's EC2NodeClass, rendered into a release's values: its tags plus Karpenter's own.
        for (const values of r.values ?? []) {
          for (const o of (parse(values) as { objects?: { kind?: string; spec?: { tags?: object } }[] })?.objects ?? []) {
            if (o.kind === "EC2NodeClass" && o.spec?.tags) nodeClasses.push(new Set([...Object.keys(o.spec.tags), ...KARPENTER_OWN]).size);
          }
        }
      }
    }
    expect(counts.length).toBeGreaterThan(10);
    expect(nodeClasses).toHaveLength(cloud === "aws" ? 1 : 0);
    expect(Math.max(...counts, ...nodeClasses)).toBeLessThanOrEqual(limit);
  }, 180_000);
});
