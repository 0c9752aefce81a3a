import { z } from "zod";
import { cidr, oneOf, SecretRef } from "./fields";

/**
 * The spec's cluster, platform and remote-access sections. Per-cloud rules (which
 * autoscaling modes and admin formats a cloud accepts) live in validate-cluster.ts;
 * sizes a section leaves out come from the tier (tiers.ts) when the spec is resolved.
 */

/** Kubernetes minor versions this release is tested with; the clouds' standard-support window in late 2026. */
export const KUBERNETES_VERSIONS = ["1.33", "1.34", "1.35", "1.36"] as const;
export const DEFAULT_KUBERNETES_VERSION = "1.35";

const NodePool = z
  .object({
    instanceType: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{2,64}$/, "must be an instance type or VM size such as m6i.xlarge, Standard_D4s_v5 or n2-standard-4")
      .optional()
      .describe("Instance type (aws), VM size (azure) or machine type (gcp). Default: from the tier"),
    min: z.number().int().min(0).max(1000).optional().describe("Fewest nodes. Default: from the tier"),
    max: z.number().int().min(1).max(1000).optional().describe("Most nodes (on aws with Karpenter: the vCPU budget is max x the type's vCPUs). Default: from the tier"),
    diskGb: z.number().int().min(30).max(2048).optional().describe("Root/OS disk size in GB, encrypted. Default: 100 (large tier: 200)"),
  })
  .strict();

export const Cluster = z
  .object({
    version: oneOf(KUBERNETES_VERSIONS).optional().describe(`Kubernetes minor version. Default: ${DEFAULT_KUBERNETES_VERSION}`),
    endpoint: oneOf(["private", "public-restricted"])
      .optional()
      .describe("API server access: private (from the network and site-to-site peers only) or public-restricted (also from allowedCidrs). Default: private"),
    allowedCidrs: z
      .array(cidr("an allowed range"))
      .optional()
      .describe("Public ranges allowed to reach the API server with endpoint public-restricted, e.g. an office or CI egress range."),
    nodePools: z
      .object({
        system: NodePool.optional().describe("Nodes for cluster add-ons (AKS: critical add-ons only)."),
        workloads: NodePool.optional().describe("Nodes for the product's workloads (aws: the Karpenter NodePool)."),
      })
      .strict()
      .optional(),
    autoscaling: oneOf(["karpenter", "cluster-autoscaler", "node-auto-provisioning"])
      .optional()
      .describe('aws: "karpenter"; azure: "cluster-autoscaler"; gcp: "cluster-autoscaler" or "node-auto-provisioning". Default: the first for the cloud'),
    admins: z
      .array(z.string().min(1))
      .default([])
      .describe("Cluster administrators: IAM role/user ARNs (aws), Entra group object ids (azure), IAM members such as group:ops@example.com (gcp), user:<name> or group:<name> (onprem)."),
  })
  .strict()
  .default({ admins: [] });

const k8sName = (max: number) =>
  z
    .string()
    .regex(new RegExp(`^[a-z]([a-z0-9-]{0,${max - 2}}[a-z0-9])?$`), `must be 1-${max} characters of a-z, 0-9 and "-", starting with a letter`);

const CPU_EXAMPLE = 'a CPU quantity such as "40" or "500m"';
// "0" passes Kubernetes' quantity syntax, but a quota of no CPU admits no pod at all.
const cpuQuantity = z
  .union(
    [
      z.number().positive(`must be ${CPU_EXAMPLE}, more than 0`),
      z
        .string()
        .regex(/^\d+(\.\d+)?m?$/, `must be ${CPU_EXAMPLE}`)
        .refine((q) => !/^\d+(\.\d+)?m?$/.test(q) || Number.parseFloat(q) > 0, "must be more than 0: a namespace with no CPU cannot run a pod"),
    ],
    { error: () => `expected ${CPU_EXAMPLE}` },
  )
  .transform(String);
const bytesQuantity = (example: string) =>
  z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, `must be a quantity such as "${example}" (Ki, Mi, Gi or Ti)`);

/** Namespaces the platform itself uses: a tenant may not take one. */
export const RESERVED_NAMESPACES = [
  "default", "argocd", "cert-manager", "external-secrets", "kyverno", "gatekeeper-system", "envoy-gateway-system",
  "karpenter", "metallb-system", "twingate", "monitoring",
] as const;

export const Tenant = z
  .object({
    name: k8sName(40).describe("The namespace's name."),
    cpu: cpuQuantity.describe("Total CPU requests and limits the namespace may claim, e.g. \"40\"."),
    memory: bytesQuantity("160Gi").describe("Total memory requests and limits, e.g. 160Gi."),
    pods: z.number().int().min(1).max(10000).optional().describe("Most pods. Default: 10 per requested CPU"),
    storage: bytesQuantity("500Gi").optional().describe("Total persistent volume claims. Default: no limit beyond the cluster's"),
    internetEgress: z.boolean().default(true).describe("Allow HTTPS (443) to the internet, e.g. cloud APIs. Default: true; DNS, the namespace itself and the network are always allowed"),
  })
  .strict();

const gitUrl = z
  .string()
  .regex(/^(https:\/\/[^\s@]+|ssh:\/\/[^\s]+|git@[\w.-]+:[^\s]+)$/, "must be an https:// or ssh Git URL without credentials, e.g. https://git.example.com/acme/deploy.git");

export const Platform = z
  .object({
    gitops: z
      .object({
        repo: gitUrl.describe("The Git repository Argo CD syncs into the tenant namespaces."),
        path: z.string().regex(/^[\w./-]{1,200}$/, "must be a path inside the repository").default(".").describe("Directory in the repository. Default: the root"),
        revision: z.string().regex(/^[\w./-]{1,200}$/, "must be a branch, tag or commit").default("HEAD").describe("Branch, tag or commit. Default: HEAD"),
        credentials: SecretRef.optional().describe("For a private repository: a secret whose value is JSON with username and password, or sshPrivateKey."),
      })
      .strict()
      .optional()
      .describe("GitOps: an Argo CD Application for this repository. Default: Argo CD without applications"),
    ingress: oneOf(["envoy-gateway", "aws-load-balancer-controller", "gke-gateway"])
      .optional()
      .describe('Ingress/Gateway: "envoy-gateway" (any target), "aws-load-balancer-controller" (aws), "gke-gateway" (gcp). Default: gke-gateway on gcp, else envoy-gateway (on aws behind an NLB of the load balancer controller)'),
    policy: oneOf(["kyverno", "gatekeeper"]).default("kyverno").describe("Policy engine enforcing the baseline in tenant namespaces. Default: kyverno"),
    tenants: z.array(Tenant).default([]).describe("Namespaces for the product, each with quotas, limits and default-deny network policies."),
    secretStore: z
      .object({
        vault: z
          .object({
            server: z.string().regex(/^https:\/\/[^\s]+$/, "must be an https:// URL"),
            path: z.string().regex(/^[\w-]+$/, "must be a KV mount such as secret").default("secret"),
            role: z.string().regex(/^[\w.-]+$/, "must be a Vault role name"),
            authMount: z.string().regex(/^[\w/-]+$/, "must be an auth mount path such as kubernetes").default("kubernetes"),
          })
          .strict()
          .describe("HashiCorp Vault or OpenBao KV v2, authenticated with the Kubernetes auth method."),
      })
      .strict()
      .optional()
      .describe("onprem only: where External Secrets reads secrets. Clouds use their own secret manager. Default: none (no ClusterSecretStore)"),
  })
  .strict()
  .default({ policy: "kyverno", tenants: [] });

export const Vpn = z
  .object({
    remoteAccess: z
      .object({
        provider: oneOf(["twingate"]),
        network: z.string().regex(/^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/, "must be the Twingate network name (the <network> of <network>.twingate.com)"),
        tokens: SecretRef.describe("A secret whose value is JSON with accessToken and refreshToken for one connector."),
      })
      .strict()
      .optional()
      .describe("A remote-access connector inside the cluster, so operators reach private endpoints."),
  })
  .strict()
  .default({});

export type TenantSpec = z.output<typeof Tenant>;
