import { z } from "zod";
import { aligned, isNetworkAligned, isPublicAddress, parseIpv4Cidr } from "../core/cidr";
import { REGION_FORMAT } from "./regions";
import { validateSpec } from "./validate";

/**
 * The deployment spec: one zod schema, every field optional that has a sensible
 * default. Field-level rules live here; rules that relate fields to each other
 * (overlaps, zones against the region, what a cloud supports) live in validate.ts.
 * A field enters this schema only when the code behind it works.
 */

const accepted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what?: string) =>
  z.enum(values, { error: () => `${what ? `${what}: ` : ""}expected one of ${accepted(values)}` });

const cidr = (what: string) =>
  z.string().superRefine((value, ctx) => {
    const block = parseIpv4Cidr(value);
    if (!block) ctx.addIssue({ code: "custom", message: `${what} must be an IPv4 CIDR block such as 10.0.0.0/16` });
    else if (!isNetworkAligned(block))
      ctx.addIssue({ code: "custom", message: `${what} has host bits set; did you mean ${aligned(block)}?` });
  });

const regionOf = (cloud: keyof typeof REGION_FORMAT) =>
  z.string().superRefine((value, ctx) => {
    const { pattern, example } = REGION_FORMAT[cloud];
    if (!pattern.test(value))
      ctx.addIssue({ code: "custom", message: `not a valid ${cloud} region name; expected the form "${example}"` });
  });

const uuid = (what: string) =>
  z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, `${what} must be a GUID`);

/** Dash-separated lower-case name that fits every cloud's naming rules once prefixed. */
const dnsLabel = (max: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[a-z][a-z0-9-]{1,${max - 2}}[a-z0-9]$`),
      `must be 3-${max} characters of a-z, 0-9 and "-", starting with a letter and not ending with "-"`,
    );

const hostname = z
  .string()
  .regex(
    /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/,
    "must be a lower-case DNS name such as app.example.com",
  );

/** A reference into the target cloud's secret manager: never the secret itself. */
export const SecretRef = z
  .object({
    secretRef: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,255}$/, "must be a secret name in the cloud's secret manager, e.g. vpn/hq-psk"),
  })
  .strict();

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
        /** Refuse to plan against any other account (provider `allowed_account_ids`). @default - any account */
        accountId: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id").optional(),
      })
      .strict(),
    z
      .object({
        cloud: z.literal("azure"),
        region: regionOf("azure"),
        /** @default - the ARM_SUBSCRIPTION_ID environment variable */
        subscriptionId: uuid("subscriptionId").optional(),
        /** Key Vault (ARM id) holding the secrets the spec references, e.g. VPN pre-shared keys. */
        keyVaultId: z
          .string()
          .regex(
            /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[A-Za-z0-9-]{3,24}$/,
            "must be a Key Vault resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>",
          )
          .optional(),
      })
      .strict(),
    z
      .object({
        cloud: z.literal("gcp"),
        region: regionOf("gcp"),
        /** @default - the GOOGLE_PROJECT environment variable */
        project: z
          .string()
          .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a GCP project id (6-30 characters, a-z, 0-9, -)")
          .optional(),
      })
      .strict(),
    z
      .object({
        cloud: z.literal("onprem"),
        /** Path to the kubeconfig of the existing cluster. @default ~/.kube/config */
        kubeconfig: z.string().min(1).default("~/.kube/config"),
        /** @default - the kubeconfig's current context */
        context: z.string().min(1).optional(),
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
          /** @default - the target region */
          region: regionOf("aws").optional(),
          /** @default - the deployment name */
          keyPrefix: stateKey.optional(),
          /** KMS key for the state objects. @default - the bucket's default encryption */
          kmsKeyId: z.string().min(1).optional(),
        })
        .strict(),
      z
        .object({
          backend: z.literal("azurerm"),
          resourceGroupName: z.string().regex(/^[\w().-]{1,90}$/, "must be a resource group name"),
          storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, "must be 3-24 lower-case letters and digits"),
          containerName: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a container name"),
          /** @default - the deployment name */
          keyPrefix: stateKey.optional(),
        })
        .strict(),
      z
        .object({
          backend: z.literal("gcs"),
          bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "must be a GCS bucket name"),
          /** @default - the deployment name */
          prefix: stateKey.optional(),
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
    /** The peer's address ranges, routed over the tunnels. */
    cidrs: z.array(cidr("a peer range")).min(1, "list at least one range"),
    /** The peer VPN device's public address. */
    gatewayIp: z.string().refine(isPublicAddress, "must be the public IPv4 address of the peer's VPN device"),
    /** The IPsec pre-shared key, as a reference into the cloud's secret manager. */
    psk: SecretRef,
    /** The peer's BGP ASN; without it routes are static. Required on gcp (HA VPN routes by BGP only). */
    bgpAsn: z
      .number()
      .int()
      .refine((n) => (n >= 64512 && n <= 65534) || (n >= 4200000000 && n <= 4294967294) || (n >= 1 && n <= 64495), {
        message: "must be a valid, non-reserved BGP ASN (private: 64512-65534 or 4200000000-4294967294)",
      })
      .optional(),
    /** Link-local /30 per tunnel for BGP sessions. Required with bgpAsn on gcp. @default - chosen by the cloud (aws) */
    tunnelInsideCidrs: z.tuple([cidr("a tunnel inside range"), cidr("a tunnel inside range")]).optional(),
  })
  .strict();

export const Network = z
  .object({
    /** The VPC/VNet range (and on-prem, the cluster's node network, for allowlists). @default 10.0.0.0/16 */
    cidr: cidr("network.cidr").default("10.0.0.0/16"),
    /** A zone count, or the zone names. @default - up to 3 zones of the region */
    zones: z.union([z.number().int().min(1).max(6), z.array(z.string()).min(1).max(6)]).optional(),
    /** AWS only. @default - from the tier: "single" for small, else "one-per-zone" */
    natGateways: oneOf(["single", "one-per-zone"]).optional(),
    /** AWS only: private endpoints for these services. @default - what a private EKS cluster needs */
    endpoints: z.array(oneOf(AWS_ENDPOINTS)).optional(),
    /** Days to keep VPC flow logs. @default 365 */
    flowLogRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
      })
      .default(365),
    /** On-prem and partner networks reached over site-to-site VPN. */
    peers: z.array(Peer).default([]),
  })
  .strict()
  .default({ cidr: "10.0.0.0/16", flowLogRetentionDays: 365, peers: [] });

export const Dns = z
  .object({
    /** The product's public domain (UI/API). A public zone is created for it. @default - no public zone */
    domain: hostname.optional(),
    /** Private zone attached to the network. @default `internal.<domain>`, or `<name>.internal` */
    privateZone: hostname.optional(),
    /** Who issues TLS certificates. @default "acm" on aws when a domain is set, else "cert-manager" */
    certificates: oneOf(["acm", "cert-manager"]).optional(),
  })
  .strict()
  .default({});

export const SpecSchema = z
  .object({
    /** Deployment name: prefixes every resource name. */
    name: dnsLabel(20),
    /** Drives protection and HA defaults. @default production */
    environment: oneOf(["development", "staging", "production"]).default("production"),
    /** Sizing tier. @default small */
    tier: oneOf(["small", "medium", "large"]).default("small"),
    /** Added to every cloud resource. */
    tags: Tags,
    target: Target,
    state: State,
    network: Network,
    dns: Dns,
  })
  .strict()
  .superRefine(validateSpec, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

export type SpecInput = z.input<typeof SpecSchema>;
export type ParsedSpec = z.output<typeof SpecSchema>;
export type PeerSpec = z.output<typeof Peer>;
