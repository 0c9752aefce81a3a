import type { z } from "zod";
import { REGION_FORMAT, type Cloud } from "./regions";
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
    postgres?: { enabled?: boolean; storageGb?: number; maxStorageGb?: number };
    documents?: { enabled?: boolean; instanceClass?: string };
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
    const tier = (spec.tier && spec.tier in TIERS ? spec.tier : "small") as Tier;
    const storage = typeof pg.storageGb === "number" ? pg.storageGb : TIERS[tier].data.postgres.storageGb;
    if (pg.maxStorageGb < storage) issue(["data", "postgres", "maxStorageGb"], `must be at least storageGb (${storage}): it is the ceiling storage may grow to`);
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
    return;
  }
  if (cloud !== "aws" && cloud !== "gcp") return;
  if (region === undefined) {
    issue(at, `required: the ${cloud} region backups are copied to, e.g. ${cloud === "aws" ? "us-east-1" : "europe-west1"}`);
    return;
  }
  const { pattern, example } = REGION_FORMAT[cloud as Cloud];
  if (!pattern.test(region)) issue(at, `not a valid ${cloud} region name; expected the form "${example}"`);
  else if (region === primary) issue(at, "must differ from target.region: a copy in the same region does not survive the region");
}
