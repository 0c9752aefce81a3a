import { z } from "zod";
import { isPublicAddress } from "../core/cidr";
import { Cluster, Platform, Vpn } from "./cluster";
import { Data } from "./data";
import { Observability } from "./observability";
import { Audit } from "./audit";
import { Compliance } from "./compliance";
import { SecureNodes } from "./secure-nodes";
import { accepted, addressRange, cidr, dnsLabel, hostname, oneOf, regionOf, SecretRef, uuid } from "./fields";
import { validateSpec } from "./validate";

/**
 * The deployment spec: one zod schema, every field optional that has a sensible
 * default. Field-level rules live here; rules that relate fields to each other
 * (overlaps, zones against the region, what a cloud supports) live in validate.ts.
 * A field enters this schema only when the code behind it works.
 */

export const RESERVED_TAGS = ["deployment", "component", "environment", "managed-by"] as const;

const Tags = z
  .record(
    z
      .string()
      .regex(/^[\p{L}\p{N} _.:/=+@-]{1,128}$/u, "tag keys are 1-128 letters, digits, spaces and _.:/=+@-")
      .refine((k) => !k.toLowerCase().startsWith("aws:"), 'tag keys may not start with "aws:"')
      .refine(
        (k) => !(RESERVED_TAGS as readonly string[]).includes(k),
        `is set by cdktf-byoc itself (${RESERVED_TAGS.join(", ")}); use the top-level field instead`,
      ),
    z.string().regex(/^[\p{L}\p{N} _.:/=+@-]{0,256}$/u, "tag values are up to 256 letters, digits, spaces and _.:/=+@-"),
  )
  .default({});

export const Target = z.discriminatedUnion(
  "cloud",
  [
    z
      .object({
        cloud: z.literal("aws"),
        region: regionOf("aws"),
        accountId: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id").optional().describe("Refuse to plan against any other account (provider `allowed_account_ids`). Default: any account"),
      })
      .strict(),
    z
      .object({
        cloud: z.literal("azure"),
        region: regionOf("azure"),
        subscriptionId: uuid("subscriptionId").optional().describe("Default: the ARM_SUBSCRIPTION_ID environment variable"),
        keyVaultId: z
          .string()
          .regex(
            /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[A-Za-z0-9-]{3,24}$/,
            "must be a Key Vault resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>",
          )
          .optional().describe("Key Vault (ARM id) holding the secrets the spec references, e.g. VPN pre-shared keys."),
      })
      .strict(),
    z
      .object({
        cloud: z.literal("gcp"),
        region: regionOf("gcp"),
        project: z
          .string()
          .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a GCP project id (6-30 characters, a-z, 0-9, -)")
          .optional().describe("Default: the GOOGLE_PROJECT environment variable"),
      })
      .strict(),
    z
      .object({
        cloud: z.literal("onprem"),
        kubeconfig: z.string().min(1).default("~/.kube/config").describe("Path to the kubeconfig of the existing cluster. Default: ~/.kube/config"),
        context: z.string().min(1).optional().describe("Default: the kubeconfig's current context"),
        distribution: oneOf(["kubernetes", "openshift", "vmware"])
          .default("kubernetes")
          .describe("The cluster's distribution: kubernetes (any conformant cluster, e.g. bare metal), openshift, or vmware (vSphere Kubernetes Service / Tanzu). Default: kubernetes"),
        storageClass: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, "must be a StorageClass name")
          .optional()
          .describe("StorageClass for persistent volumes, e.g. ceph-rbd. Default: the cluster's default StorageClass"),
        loadBalancer: oneOf(["provided", "metallb", "nodeport"])
          .default("nodeport")
          .describe("How Services of type LoadBalancer get an address: provided (the cluster has an implementation, e.g. NSX or an OpenShift cloud), metallb (installed here, with loadBalancerAddresses), nodeport (the gateway listens on node ports). Default: nodeport"),
        loadBalancerAddresses: z
          .array(addressRange)
          .min(1, "list at least one range")
          .optional()
          .describe("With loadBalancer metallb: the addresses MetalLB hands out (L2 mode)."),
      })
      .strict(),
  ],
  { error: () => `expected one of ${accepted(["aws", "azure", "gcp", "onprem"])}` },
);

const stateKey = z.string().regex(/^[A-Za-z0-9/_.-]{1,200}$/, "must be a path of letters, digits and /_.-");

/** Where Terraform state lives. Each stack gets its own key under the prefix. */
export const State = z
  .discriminatedUnion(
    "backend",
    [
      z.object({ backend: z.literal("local") }).strict(),
      z
        .object({
          backend: z.literal("s3"),
          bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"),
          region: regionOf("aws").optional().describe("Default: the target region"),
          keyPrefix: stateKey.optional().describe("Default: the deployment name"),
          kmsKeyId: z.string().min(1).optional().describe("KMS key for the state objects. Default: the bucket's default encryption"),
        })
        .strict(),
      z
        .object({
          backend: z.literal("azurerm"),
          resourceGroupName: z.string().regex(/^[\w().-]{1,90}$/, "must be a resource group name"),
          storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, "must be 3-24 lower-case letters and digits"),
          containerName: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a container name"),
          keyPrefix: stateKey.optional().describe("Default: the deployment name"),
        })
        .strict(),
      z
        .object({
          backend: z.literal("gcs"),
          bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "must be a GCS bucket name"),
          prefix: stateKey.optional().describe("Default: the deployment name"),
        })
        .strict(),
    ],
    { error: () => `expected one of ${accepted(["local", "s3", "azurerm", "gcs"])}` },
  )
  .default({ backend: "local" });

/** AWS PrivateLink services a private cluster and its workloads reach without NAT. */
export const AWS_ENDPOINTS = [
  "s3", "ecr", "sts", "logs", "ec2", "eks", "eks-auth", "elasticloadbalancing", "autoscaling",
  "secretsmanager", "kms", "ssm", "sqs", "ebs", "monitoring",
] as const;
export const DEFAULT_AWS_ENDPOINTS: (typeof AWS_ENDPOINTS)[number][] = [
  "s3", "ecr", "sts", "logs", "ec2", "eks", "eks-auth", "elasticloadbalancing", "secretsmanager", "kms", "ssm", "sqs",
];

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const Peer = z
  .object({
    name: z.string().regex(/^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/, 'must be 1-24 characters of a-z, 0-9 and "-", starting with a letter'),
    cidrs: z.array(cidr("a peer range")).min(1, "list at least one range").describe("The peer's address ranges, routed over the tunnels."),
    gatewayIp: z.string().refine(isPublicAddress, "must be the public IPv4 address of the peer's VPN device").describe("The peer VPN device's public address."),
    psk: SecretRef.describe("The IPsec pre-shared key, as a reference into the cloud's secret manager."),
    bgpAsn: z
      .number()
      .int()
      .refine((n) => (n >= 64512 && n <= 65534) || (n >= 4200000000 && n <= 4294967294) || (n >= 1 && n <= 64495), {
        message: "must be a valid, non-reserved BGP ASN (private: 64512-65534 or 4200000000-4294967294)",
      })
      .optional().describe("The peer's BGP ASN; without it routes are static. Required on gcp (HA VPN routes by BGP only)."),
    tunnelInsideCidrs: z.tuple([cidr("a tunnel inside range"), cidr("a tunnel inside range")]).optional().describe("Link-local /30 per tunnel for BGP sessions. Required with bgpAsn on gcp. Default: chosen by the cloud (aws)"),
  })
  .strict();

export const Network = z
  .object({
    cidr: cidr("network.cidr").default("10.0.0.0/16").describe("The VPC/VNet range (and on-prem, the cluster's node network, for allowlists). Default: 10.0.0.0/16"),
    zones: z
      .union([z.number().int().min(1).max(6), z.array(z.string()).min(1).max(6)], { error: () => "expected a zone count 1-6 or a list of zone names" })
      .optional().describe("A zone count, or the zone names. Default: up to 3 zones of the region"),
    natGateways: oneOf(["single", "one-per-zone"]).optional().describe("AWS only. Default: from the tier: \"single\" for small, else \"one-per-zone\""),
    endpoints: z.array(oneOf(AWS_ENDPOINTS)).optional().describe("AWS only: private endpoints for these services. Default: what a private EKS cluster needs"),
    flowLogRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
      })
      .default(365).describe("Days to keep VPC flow logs. Default: 365"),
    peers: z.array(Peer).default([]).describe("On-prem and partner networks reached over site-to-site VPN."),
  })
  .strict()
  .default({ cidr: "10.0.0.0/16", flowLogRetentionDays: 365, peers: [] });

export const Dns = z
  .object({
    domain: hostname.optional().describe("The product's public domain (UI/API). A public zone is created for it. Default: no public zone"),
    privateZone: hostname.optional().describe("Private zone attached to the network. Default: `internal.<domain>`, or `<name>.internal`"),
    certificates: oneOf(["acm", "cert-manager"]).optional().describe("Who issues TLS certificates. Default: \"acm\" on aws when a domain is set, else \"cert-manager\""),
    queryLogs: z
      .boolean()
      .default(true)
      .describe("aws with a domain: log the public zone's queries (Route 53 writes them to us-east-1 only). Default: true"),
    dnssec: z
      .boolean()
      .default(false)
      .describe("aws with a domain: sign the public zone with DNSSEC; then add the DS record (output `dns_public_zone_ds_record`) at the parent zone. Default: false"),
  })
  .strict()
  .default({ queryLogs: true, dnssec: false });

export const SpecSchema = z
  .object({
    name: dnsLabel(20).describe("Deployment name: prefixes every resource name."),
    environment: oneOf(["development", "staging", "production"]).default("production").describe("Drives protection and HA defaults. Default: production"),
    tier: oneOf(["small", "medium", "large"]).default("small").describe("Sizing tier. Default: small"),
    tags: Tags.describe("Added to every cloud resource."),
    target: Target,
    state: State,
    network: Network,
    dns: Dns,
    vpn: Vpn,
    cluster: Cluster,
    platform: Platform,
    data: Data,
    observability: Observability,
    secureNodes: SecureNodes,
    audit: Audit.optional().describe("The audit backend (the seed's auditProvider). Default: none"),
    compliance: Compliance,
  })
  .strict()
  .superRefine(validateSpec, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

export type SpecInput = z.input<typeof SpecSchema>;
export type ParsedSpec = z.output<typeof SpecSchema>;
export type PeerSpec = z.output<typeof Peer>;
