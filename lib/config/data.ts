import { z } from "zod";
import { oneOf, SecretRef } from "./fields";

/**
 * The spec's data section: which stores the product gets and how they are kept.
 * Sizes a section leaves out come from the tier (data-tiers.ts); per-cloud rules live in
 * validate-data.ts.
 */

/** PostgreSQL major versions every target offers (RDS, Azure flexible server, Cloud SQL, CloudNativePG). */
export const POSTGRES_VERSIONS = ["15", "16", "17"] as const;

const instanceClass = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be an instance class or SKU such as db.m7g.large, GP_Standard_D4ds_v5 or db-custom-4-16384 (on-prem: a CPU count)")
  .optional();

const bucketName = z.string().regex(/^[a-z][a-z0-9-]{1,20}[a-z0-9]$/, 'must be 3-22 characters of a-z, 0-9 and "-", e.g. backups');

export const Data = z
  .object({
    postgres: z
      .object({
        enabled: z.boolean().default(true).describe("Default: true"),
        version: oneOf(POSTGRES_VERSIONS).default("17").describe("PostgreSQL major version. Default: 17"),
        instanceClass: instanceClass.describe("The cloud's instance class (aws db.*, azure SKU, gcp db-custom-*). Default: from the tier"),
        storageGb: z.number().int().min(20).max(16384).optional().describe("Allocated storage. Default: from the tier (small: 100)"),
        maxStorageGb: z.number().int().min(20).max(65536).optional().describe("Storage autoscaling ceiling. Default: from the tier (small: 1000)"),
        ha: z.boolean().optional().describe("A standby in another zone. Default: from the tier (medium and large)"),
        backupDays: z.number().int().min(7).max(35).optional().describe("Days of backups and point-in-time recovery, 7-35. Default: from the tier"),
      })
      .strict()
      .default({ enabled: true, version: "17" }),
    documents: z
      .object({
        enabled: z.boolean().default(false).describe("Default: false"),
        instanceClass: instanceClass.describe("DocumentDB instance class (aws). Default: from the tier"),
      })
      .strict()
      .default({ enabled: false })
      .describe("A MongoDB-compatible document database: DocumentDB, Cosmos DB for MongoDB, Firestore (MongoDB compatibility), or an operator on-prem."),
    redis: z
      .object({
        enabled: z.boolean().default(true).describe("Default: true"),
        ha: z.boolean().optional().describe("A replica in another zone with automatic failover. Default: from the tier"),
        nodeType: instanceClass.describe("The cloud's cache node type or SKU. Default: from the tier"),
      })
      .strict()
      .default({ enabled: true }),
    buckets: z
      .array(bucketName)
      .min(1, "list at least one bucket")
      .default(["metrics", "logs", "config", "backups"])
      .describe("Object storage buckets. `logs` also receives the other buckets' access logs. Default: metrics, logs, config, backups"),
    retentionDays: z
      .record(bucketName, z.number().int().min(1).max(3650))
      .default({})
      .describe(
        "Days a bucket keeps objects (and noncurrent versions) before they expire. Default: logs and metrics a week longer than observability keeps them (else 30), the rest kept",
      ),
    disasterRecovery: z
      .object({
        crossRegionBackups: z.boolean().default(true).describe("Copy backups to another region. Default: true"),
        region: z.string().optional().describe("The region backups are copied to (aws, gcp). Azure uses the region's pair"),
      })
      .strict()
      .optional()
      .describe("Backups copied to a second region (seed: RPO < 1 h, RTO < 4 h). Default: none"),
    objectStore: z
      .object({
        endpoint: z.string().regex(/^https:\/\/[^\s/]+(:\d+)?\/?$/, "must be an https:// URL of an S3-compatible endpoint"),
        region: z.string().regex(/^[\w-]{1,40}$/, "must be a region name such as us-east-1").default("us-east-1"),
        credentials: SecretRef.describe("A secret whose value is JSON with accessKeyId and secretAccessKey."),
      })
      .strict()
      .optional()
      .describe("onprem only: an existing S3-compatible object store for the buckets and database backups. Default: none (SeaweedFS in the cluster)"),
    protection: oneOf(["enabled", "disabled"])
      .default("enabled")
      .describe('Deletion protection, prevent_destroy and final snapshots on every stateful resource. "disabled" only for throwaway environments. Default: enabled'),
  })
  .strict()
  .default({
    postgres: { enabled: true, version: "17" },
    documents: { enabled: false },
    redis: { enabled: true },
    buckets: ["metrics", "logs", "config", "backups"],
    retentionDays: {},
    protection: "enabled",
  });
