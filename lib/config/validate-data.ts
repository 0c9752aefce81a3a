import type { z } from "zod";
import { azurePair } from "./azure-pairs";
import { nearest } from "./messages";
import { knownRegions, REGION_FORMAT, type Cloud } from "./regions";
import { TIERS, type Tier } from "./tiers";

type Path = (string | number)[];
type Issue = (path: Path, message: string) => void;

// The spec as the field-level parse left it: every rule checks the shape it relies on.
interface Loose {
  environment?: string;
  tier?: string;
  target?: { cloud?: string; region?: string };
  platform?: { secretStore?: object };
  data?: {
    postgres?: { enabled?: boolean; storageGb?: number; maxStorageGb?: number; instanceClass?: string; ha?: boolean; backupDays?: number };
    documents?: { enabled?: boolean; instanceClass?: string };
    redis?: { nodeType?: string };
    buckets?: string[];
    retentionDays?: Record<string, number>;
    disasterRecovery?: { crossRegionBackups?: boolean; region?: string };
    objectStore?: object;
    protection?: string;
  };
}

/** Cross-field rules of the data section. */
export function validateData(spec: Loose, addIssue: z.RefinementCtx["addIssue"]): void {
  const issue: Issue = (path, message) => addIssue({ code: "custom", path, message });
  const data = spec.data;
  if (!data || typeof data !== "object") return;
  const cloud = spec.target?.cloud;

  if (data.protection === "disabled" && spec.environment === "production") {
    issue(["data", "protection"], 'cannot be "disabled" in a production environment; set environment to development or staging for a throwaway deployment');
  }

  const pg = data.postgres;
  if (pg && typeof pg.maxStorageGb === "number") {
    const storage = typeof pg.storageGb === "number" ? pg.storageGb : TIERS[(spec.tier && spec.tier in TIERS ? spec.tier : "small") as Tier].data.postgres.storageGb;
    if (pg.maxStorageGb < storage) issue(["data", "postgres", "maxStorageGb"], `must be at least storageGb (${storage}): it is the ceiling storage may grow to`);
  }
  const tier = (spec.tier && spec.tier in TIERS ? spec.tier : "small") as Tier;
  const sizes = TIERS[tier].data;
  const pgClass = pg?.instanceClass;
  if (cloud === "azure" && pg?.enabled !== false) {
    const sku = typeof pgClass === "string" ? pgClass : sizes.postgres.instanceClass.azure;
    const ha = typeof pg?.ha === "boolean" ? pg.ha : sizes.postgres.ha;
    if (sku.startsWith("B_") && ha) {
      issue(["data", "postgres", pg?.ha === true ? "ha" : "instanceClass"], `Burstable servers (${sku}) have no high availability on azure; use a GP_ or MO_ SKU for a standby, or ha: false`);
    }
  }
  if (cloud === "onprem") {
    const cpus = (path: Path, value: unknown) => {
      if (typeof value === "string" && !/^([1-9]|[1-5]\d|6[0-4])$/.test(value)) issue(path, 'on onprem is the CPU count of each instance, 1-64, e.g. "4"');
    };
    cpus(["data", "postgres", "instanceClass"], pgClass);
    cpus(["data", "documents", "instanceClass"], data.documents?.instanceClass);
    const memory = data.redis?.nodeType;
    if (typeof memory === "string" && !/^[1-9]\d*(Mi|Gi)$/.test(memory)) issue(["data", "redis", "nodeType"], 'on onprem is the memory of each Valkey instance, e.g. "4Gi" or "512Mi"');
  }
  if (cloud === "gcp" && typeof pgClass === "string" && !/^db-custom-\d+-\d+$/.test(pgClass)) {
    issue(["data", "postgres", "instanceClass"], "must be a Cloud SQL Enterprise machine type db-custom-<vCPUs>-<memory MB>, e.g. db-custom-4-16384");
  }
  const redisType = data.redis?.nodeType;
  if (cloud === "gcp" && typeof redisType === "string" && !(/^\d+$/.test(redisType) && Number(redisType) >= 1 && Number(redisType) <= 300)) {
    issue(["data", "redis", "nodeType"], "on gcp is the Memorystore size in GB, 1-300");
  }
  if (cloud === "onprem" && pg?.enabled !== false) {
    const days = typeof pg?.backupDays === "number" ? pg.backupDays : sizes.postgres.backupDays;
    const kept = data.retentionDays?.backups;
    if (typeof kept === "number" && kept < days + 2) {
      issue(["data", "retentionDays", "backups"], `must be at least data.postgres.backupDays + 2 (${days + 2}): the base backup before the recovery window and its WAL are kept in that bucket`);
    }
  }
  if (cloud === "gcp" && data.documents?.instanceClass !== undefined) {
    issue(["data", "documents", "instanceClass"], "gcp's document store (Firestore with MongoDB compatibility) is serverless and takes no instance class");
  }

  const buckets = Array.isArray(data.buckets) ? data.buckets : [];
  buckets.forEach((b, i) => {
    if (buckets.indexOf(b) !== i) issue(["data", "buckets", i], "is listed twice");
  });
  if (cloud === "aws" && buckets.length > 0 && !buckets.includes("logs")) {
    issue(["data", "buckets"], 'must include "logs" on aws: the other buckets\' access logs are written there');
  }
  for (const name of Object.keys(data.retentionDays ?? {})) {
    if (buckets.length > 0 && !buckets.includes(name)) issue(["data", "retentionDays", name], `no bucket named ${name} in data.buckets (${buckets.join(", ")})`);
  }

  const dr = data.disasterRecovery;
  if (dr && dr.crossRegionBackups !== false) validateDisasterRecovery(cloud, spec.target?.region, dr.region, issue);

  if (data.objectStore !== undefined && cloud !== "onprem") {
    issue(["data", "objectStore"], `applies to onprem only; on ${cloud} the buckets are the cloud's own object storage`);
  }
  if (data.objectStore !== undefined && cloud === "onprem" && spec.platform?.secretStore === undefined) {
    issue(["data", "objectStore", "credentials"], "needs platform.secretStore on onprem: External Secrets has no store to read the credentials from");
  }
}

function validateDisasterRecovery(cloud: string | undefined, primary: string | undefined, region: string | undefined, issue: Issue) {
  const at: Path = ["data", "disasterRecovery", "region"];
  if (cloud === "onprem") {
    issue(["data", "disasterRecovery"], "applies to cloud targets; on-prem backups go to data.objectStore, so replicate that store to another site");
    return;
  }
  if (cloud === "azure") {
    if (region !== undefined) issue(at, "azure copies geo-redundant backups to the region's pair; remove the region");
    else if (typeof primary === "string" && !azurePair(primary)) {
      issue(["data", "disasterRecovery"], `${primary} has no Azure region pair, so neither PostgreSQL geo-redundant backups nor geo-redundant storage exist there; deploy to a paired region (e.g. westeurope, eastus2) or remove data.disasterRecovery`);
    }
    return;
  }
  if (cloud !== "aws" && cloud !== "gcp") return;
  if (region === undefined) {
    issue(at, `required: the ${cloud} region backups are copied to, e.g. ${cloud === "aws" ? "us-east-1" : "europe-west1"}`);
    return;
  }
  const { pattern, example } = REGION_FORMAT[cloud as Cloud];
  const known = knownRegions(cloud as Cloud);
  if (!pattern.test(region)) issue(at, `not a valid ${cloud} region name; expected the form "${example}"`);
  // Unlike the target region (whose zones the spec may list), nothing here names what a new region offers.
  else if (!known.includes(region)) {
    const near = nearest(region, known);
    issue(at, `is not a region this version knows for ${cloud}${near ? `; did you mean "${near}"?` : "; check the name"}`);
  } else if (region === primary) issue(at, "must differ from target.region: a copy in the same region does not survive the region");
}
