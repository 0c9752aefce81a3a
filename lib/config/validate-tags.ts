import type { z } from "zod";
import { gcpLabels } from "../core/tags";
import { RESERVED_TAGS } from "./schema";

/**
 * The user's tags against what each cloud accepts once the kit has added its own
 * (lib/core/tags.ts): AWS and Azure take 50 tags a resource, GCP 64 labels. The
 * clouds refuse more at apply time, halfway through a deployment.
 */
export const TAG_LIMITS = {
  // 50 a resource; the most crowded is a node Karpenter launches: the kit's four
  // (deployment, component, environment, managed-by) and Karpenter's six (Name,
  // karpenter.sh/nodepool, karpenter.sh/nodeclaim, karpenter.k8s.aws/ec2nodeclass,
  // kubernetes.io/cluster/<cluster>, eks:eks-cluster-name). `aws:` tags do not count.
  aws: { limit: 50, added: 10, what: "tags" },
  // 50 a resource; the kit adds its four.
  azure: { limit: 50, added: 4, what: "tags" },
  // 64 labels a resource; the kit adds its four.
  gcp: { limit: 64, added: 4, what: "labels" },
} as const;

// Azure refuses these characters in tag names, and names starting with its own prefixes.
const AZURE_FORBIDDEN = /[<>%&\\?/]/;
const AZURE_RESERVED_PREFIX = /^(microsoft|azure|windows)/i;

type Issue = (path: (string | number)[], message: string) => void;

/** Per-cloud rules for `tags`. */
export function validateTags(spec: { target?: { cloud?: string }; tags?: unknown }, addIssue: z.RefinementCtx["addIssue"]): void {
  const issue: Issue = (path, message) => addIssue({ code: "custom", path, message });
  const cloud = spec.target?.cloud;
  if (!spec.tags || typeof spec.tags !== "object" || Array.isArray(spec.tags)) return;
  if (cloud !== "aws" && cloud !== "azure" && cloud !== "gcp") return;
  const keys = Object.keys(spec.tags);
  const reserved = new Set<string>(RESERVED_TAGS);

  // The key each cloud stores: GCP lowercases and replaces characters; Azure compares names without case.
  const stored = (k: string) => (cloud === "gcp" ? Object.keys(gcpLabels({ [k]: "" }))[0] : cloud === "azure" ? k.toLowerCase() : k);
  const seen = new Map<string, string>();
  for (const k of keys) {
    if (cloud === "azure" && AZURE_FORBIDDEN.test(k)) issue(["tags", k], 'azure refuses tag names with < > % & \\ ? or /; use another separator such as "-" or "."');
    else if (cloud === "azure" && AZURE_RESERVED_PREFIX.test(k)) issue(["tags", k], 'azure reserves tag names starting with "microsoft", "azure" or "windows"');
    const key = stored(k);
    if (cloud !== "aws" && reserved.has(key) && !reserved.has(k)) {
      issue(["tags", k], `becomes "${key}" on ${cloud}, which cdktf-byoc sets itself; use the top-level field instead, or another name`);
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      issue(["tags", k], cloud === "gcp" ? `becomes the label "${key}" on gcp, like the tag "${first}"; rename one` : `is the same tag as "${first}" on azure, which compares tag names without case; keep one`);
    } else seen.set(key, k);
  }

  const { limit, added, what } = TAG_LIMITS[cloud];
  if (seen.size + added > limit) {
    issue(["tags"], `${seen.size} ${what} are too many on ${cloud}: a resource takes ${limit}, and the kit adds up to ${added} of its own; keep at most ${limit - added}`);
  }
}
