import { describe, expect, test } from "vitest";
import { parseSpec } from "../../lib/config/spec";
import { TIERS } from "../../lib/config/tiers";
import { problems } from "../support/problems";

const aws = { name: "acme", target: { cloud: "aws", region: "us-west-2" } };
const azure = { name: "acme", target: { cloud: "azure", region: "westeurope" } };
const gcp = { name: "acme", target: { cloud: "gcp", region: "europe-west4" } };
const onprem = { name: "acme", target: { cloud: "onprem" } };

describe("data defaults", () => {
  test("PostgreSQL and Redis on, documents off, the four buckets, logs and metrics kept a week past observability, protection on", () => {
    const { data } = parseSpec(aws);
    expect(data.postgres).toEqual({ version: "17", ...TIERS.small.data.postgres, instanceClass: TIERS.small.data.postgres.instanceClass.aws });
    expect(data.redis).toEqual({ nodeType: TIERS.small.data.redis.nodeType.aws, ha: false });
    expect(data.documents).toBeUndefined();
    expect(data.buckets).toEqual(["metrics", "logs", "config", "backups"]);
    // Loki keeps logs 30 days and Thanos metrics 395: each bucket's lifecycle runs a week behind.
    expect(data.retentionDays).toEqual({ logs: 37, metrics: 402 });
    expect(data.disasterRecovery).toBeUndefined();
    expect(data.protection).toBe(true);
  });

  test("the tier sizes the stores: multi-zone and longer backups from medium up", () => {
    const small = parseSpec(gcp).data;
    const medium = parseSpec({ ...gcp, tier: "medium" }).data;
    expect(small.postgres?.ha).toBe(false);
    expect(medium.postgres?.ha).toBe(true);
    expect(medium.redis?.ha).toBe(true);
    expect(medium.postgres!.backupDays).toBeGreaterThan(small.postgres!.backupDays);
    expect(small.postgres!.backupDays).toBeGreaterThanOrEqual(7);
  });

  test("fields the spec sets win over the tier; a store turned off is undefined", () => {
    const { data } = parseSpec({ ...aws, tier: "large", data: { postgres: { ha: false, backupDays: 10, instanceClass: "db.m7g.2xlarge" }, redis: { enabled: false }, documents: { enabled: true } } });
    expect(data.postgres).toMatchObject({ ha: false, backupDays: 10, instanceClass: "db.m7g.2xlarge", storageGb: TIERS.large.data.postgres.storageGb });
    expect(data.redis).toBeUndefined();
    expect(data.documents).toEqual({ instanceClass: TIERS.large.data.documents.instanceClass.aws, instances: 3 });
  });

  test("disaster recovery: on with a region; off when crossRegionBackups is false", () => {
    expect(parseSpec({ ...aws, data: { disasterRecovery: { region: "us-east-1" } } }).data.disasterRecovery).toEqual({ region: "us-east-1" });
    expect(parseSpec({ ...aws, data: { disasterRecovery: { crossRegionBackups: false } } }).data.disasterRecovery).toBeUndefined();
    expect(parseSpec({ ...azure, data: { disasterRecovery: {} } }).data.disasterRecovery).toEqual({ region: undefined });
  });

  test("protection can be turned off outside production", () => {
    expect(parseSpec({ ...aws, environment: "development", data: { protection: "disabled" } }).data.protection).toBe(false);
  });
});

describe("a bad data section is rejected with the path, the value and what is accepted", () => {
  const s3 = { endpoint: "https://s3.example.com", credentials: { secretRef: "s3" } };
  test.each<[string, unknown, string]>([
    ["an unsupported PostgreSQL version", { ...aws, data: { postgres: { version: "12" } } }, 'data.postgres.version: expected one of "15", "16", "17" (got "12")'],
    ["backups shorter than a week", { ...aws, data: { postgres: { backupDays: 3 } } }, "data.postgres.backupDays: at least 7 (got 3)"],
    ["a storage ceiling below the storage", { ...aws, data: { postgres: { storageGb: 500, maxStorageGb: 200 } } }, "data.postgres.maxStorageGb: must be at least storageGb (500): it is the ceiling storage may grow to (got 200)"],
    ["protection off in production", { ...aws, data: { protection: "disabled" } }, 'data.protection: cannot be "disabled" in a production environment; set environment to development or staging for a throwaway deployment (got "disabled")'],
    ["an unknown protection mode", { ...aws, data: { protection: "off" } }, 'data.protection: expected one of "enabled", "disabled" (got "off")'],
    ["a bucket listed twice", { ...aws, data: { buckets: ["logs", "config", "config"] } }, 'data.buckets[2]: is listed twice (got "config")'],
    ["no logs bucket on aws", { ...aws, data: { buckets: ["config"] } }, 'data.buckets: must include "logs" on aws: the other buckets\' access logs are written there (got ["config"])'],
    ["an upper-case bucket name", { ...aws, data: { buckets: ["logs", "Config"] } }, 'data.buckets[1]: must be 3-22 characters of a-z, 0-9 and "-", e.g. backups (got "Config")'],
    ["retention for a bucket that does not exist", { ...aws, data: { retentionDays: { audit: 30 } } }, "data.retentionDays.audit: no bucket named audit in data.buckets (metrics, logs, config, backups) (got 30)"],
    ["a DR copy without a region", { ...aws, data: { disasterRecovery: {} } }, "data.disasterRecovery.region: required: the aws region backups are copied to, e.g. us-east-1 (missing)"],
    ["a DR copy in the same region", { ...gcp, data: { disasterRecovery: { region: "europe-west4" } } }, 'data.disasterRecovery.region: must differ from target.region: a copy in the same region does not survive the region (got "europe-west4")'],
    ["a DR region of another cloud", { ...aws, data: { disasterRecovery: { region: "westeurope" } } }, 'data.disasterRecovery.region: not a valid aws region name; expected the form "us-west-2" (got "westeurope")'],
    ["a DR region on azure", { ...azure, data: { disasterRecovery: { region: "northeurope" } } }, 'data.disasterRecovery.region: azure copies geo-redundant backups to the region\'s pair; remove the region (got "northeurope")'],
    ["DR on-prem", { ...onprem, data: { disasterRecovery: {} } }, "data.disasterRecovery: applies to cloud targets; on-prem backups go to data.objectStore, so replicate that store to another site (got {})"],
    ["an object store on a cloud", { ...aws, data: { objectStore: s3 } }, 'data.objectStore: applies to onprem only; on aws the buckets are the cloud\'s own object storage (got {"endpoint":"https://s3.example.com","credentials":{"secretRef":"<not shown>"}})'],
    ["an object store without a secret store", { ...onprem, data: { objectStore: s3 } }, 'data.objectStore.credentials: needs platform.secretStore on onprem: External Secrets has no store to read the credentials from (value not shown)'],
    ["a plain-http object store", { ...onprem, data: { objectStore: { ...s3, endpoint: "http://s3.example.com" } } }, 'data.objectStore.endpoint: must be an https:// URL of an S3-compatible endpoint (got "http://s3.example.com")'],
    ["a Firestore instance class", { ...gcp, data: { documents: { enabled: true, instanceClass: "large" } } }, 'data.documents.instanceClass: gcp\'s document store (Firestore with MongoDB compatibility) is serverless and takes no instance class (got "large")'],
    ["a standby on an Azure Burstable server", { ...azure, data: { postgres: { ha: true } } }, "data.postgres.ha: Burstable servers (B_Standard_B2ms) have no high availability on azure; use a GP_ or MO_ SKU for a standby, or ha: false (got true)"],
    ["DR in an Azure region without a pair", { name: "acme", target: { cloud: "azure", region: "polandcentral" }, data: { disasterRecovery: {} } }, "data.disasterRecovery: polandcentral has no Azure region pair, so neither PostgreSQL geo-redundant backups nor geo-redundant storage exist there; deploy to a paired region (e.g. westeurope, eastus2) or remove data.disasterRecovery (got {})"],
    ["a Cloud SQL tier that is not a custom machine", { ...gcp, data: { postgres: { instanceClass: "db-perf-optimized-N-4" } } }, 'data.postgres.instanceClass: must be a Cloud SQL Enterprise machine type db-custom-<vCPUs>-<memory MB>, e.g. db-custom-4-16384 (got "db-perf-optimized-N-4")'],
    ["a Memorystore size that is not GB", { ...gcp, data: { redis: { nodeType: "cache.m7g.large" } } }, 'data.redis.nodeType: on gcp is the Memorystore size in GB, 1-300 (got "cache.m7g.large")'],
    ["an on-prem instance class that is not a CPU count", { ...onprem, data: { postgres: { instanceClass: "db.m7g.large" } } }, 'data.postgres.instanceClass: on onprem is the CPU count of each instance, 1-64, e.g. "4" (got "db.m7g.large")'],
    ["an on-prem Valkey size that is not memory", { ...onprem, data: { redis: { nodeType: "4" } } }, 'data.redis.nodeType: on onprem is the memory of each Valkey instance, e.g. "4Gi" or "512Mi" (got "4")'],
    ["on-prem backups expiring before PITR needs them", { ...onprem, data: { retentionDays: { backups: 3 } } }, "data.retentionDays.backups: must be at least data.postgres.backupDays + 2 (9): the base backup before the recovery window and its WAL are kept in that bucket (got 3)"],
  ])("%s", (_, input, message) => {
    expect(problems(input)).toContain(message);
  });

  test("an on-prem instance class may be a single digit", () => {
    expect(parseSpec({ ...onprem, data: { postgres: { instanceClass: "4" } } }).data.postgres?.instanceClass).toBe("4");
  });
});
