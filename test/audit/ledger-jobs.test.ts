import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuditLedger } from "../../lib/audit/sql/ledger";
import { releases } from "../support/helm";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { StackJson } from "../support/synth";
import { runPod } from "./ledger-pods";

const LOGINS = { migrator: "audit_migrator", maintainer: "audit_keeper", app: "audit_app" };

function synthLedger(retentionMonths = 84): Record<string, any>[] {
  const app = Testing.app();
  const s = new TerraformStack(app, "test");
  new HelmProvider(s, "helm", {});
  new AuditLedger(s, "Ledger", {
    deployment: "acme",
    namespace: "data",
    database: { host: "postgres-rw.data.svc.cluster.local", ca: { secret: { name: "postgres-tls", key: "ca.crt" } } },
    migrator: { user: LOGINS.migrator, password: { secret: { name: "postgres-audit-migrator", key: "password" } } },
    maintainer: { user: LOGINS.maintainer, password: { secret: { name: "postgres-audit-keeper", key: "password" } } },
    clients: [LOGINS.app],
    retentionMonths,
    image: "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie",
    runAsUser: 26,
    dependsOn: [],
  });
  const [release] = releases(new StackJson("test", JSON.parse(Testing.synth(s)), s));
  return release.objects;
}

const kind = (objects: Record<string, any>[], k: string) => objects.find((o) => o.kind === k)!;

describe("the ledger's Jobs as rendered", () => {
  const objects = synthLedger();
  const job = kind(objects, "Job");
  const cron = objects.find((o) => o.kind === "CronJob" && o.metadata.name === "audit-retention")!;

  test("the migration Job is a Helm hook Helm waits for after every install and upgrade, named by the migrations' digest", () => {
    expect(job.metadata.annotations["helm.sh/hook"]).toBe("post-install,post-upgrade");
    expect(job.metadata.name).toMatch(/^audit-migrate-[0-9a-f]{10}$/);
    // Another set of migrations is another Job: a kit upgrade re-runs it.
    expect(kind(objects, "ConfigMap").data).toHaveProperty("migrate.sh");
    expect(Object.keys(kind(objects, "ConfigMap").data).filter((f) => f.endsWith(".sql")).length).toBeGreaterThanOrEqual(6);
  });

  test("both connect over TLS verifying the server's name, with the password read from a mounted file, never an env value", () => {
    for (const pod of [job.spec.template, cron.spec.jobTemplate.spec.template]) {
      const [c] = pod.spec.containers;
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      expect(env.PGSSLMODE).toBe("verify-full");
      expect(env.PGSSLROOTCERT).toMatch(/ca\.crt$/);
      expect(c.env.some((e: any) => e.name === "PGPASSWORD" || e.valueFrom)).toBe(false);
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
  });

  test("retention runs once at a time as the maintainer login", () => {
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    const env = Object.fromEntries(cron.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.PGUSER).toBe(LOGINS.maintainer);
  });

  test("a retention of less than a month is refused", () => {
    expect(() => synthLedger(0)).toThrow("AuditLedger Ledger: retentionMonths must be a whole number of months, at least 1 (got 0)");
  });
});

/**
 * The Jobs' own scripts, run by a shell against a real PostgreSQL set up the way
 * CloudNativePG's managed roles leave it (group roles, logins with their memberships, the
 * database owned by the migrator); see runPod for what is replaced.
 */
describe("the ledger's Jobs against PostgreSQL", () => {
  let pg: PostgresServer;
  const objects = synthLedger(2);

  const configMap = kind(objects, "ConfigMap").data as Record<string, string>;
  const run = (pod: Record<string, any>) => runPod(pg, pod, configMap);

  beforeAll(async () => {
    pg = await startPostgres();
    const su = await pg.connect("postgres");
    for (const group of ["audit_owner", "audit_writer", "audit_reader", "audit_maintainer"]) await su.query(`CREATE ROLE ${group} NOLOGIN`);
    await su.query(`CREATE ROLE ${LOGINS.migrator} LOGIN IN ROLE audit_owner`);
    await su.query(`CREATE ROLE ${LOGINS.maintainer} LOGIN IN ROLE audit_maintainer`);
    await su.query(`CREATE ROLE ${LOGINS.app} LOGIN IN ROLE audit_writer`);
    await su.query("CREATE ROLE stranger LOGIN");
    await su.query(`CREATE DATABASE audit OWNER ${LOGINS.migrator}`);
    await su.end();
  }, 120_000);
  afterAll(() => pg?.stop());

  test("the migration Job applies the ledger, twice without harm, and closes the database to all but its clients", async () => {
    const job = kind(objects, "Job").spec.template;
    const first = run(job);
    expect(first.out).toMatch(/applying V001/);
    expect(first.status).toBe(0);
    const second = run(job);
    expect(second.status).toBe(0);
    expect(second.out).not.toMatch(/applying/);

    const app = await pg.connect("audit", LOGINS.app);
    const { rows } = await app.query("SELECT seq FROM audit.append('data_access', 'alice', '{}')");
    expect(Number(rows[0].seq)).toBe(1);
    await app.end();
    await expect(pg.connect("audit", "stranger")).rejects.toThrow(/permission denied for database "audit"/);
  }, 120_000);

  test("the verification CronJob passes an intact chain and fails, naming the row, when one was edited", async () => {
    const verify = objects.find((o) => o.kind === "CronJob" && o.metadata.name === "audit-verify")!.spec.jobTemplate.spec.template;
    const app = await pg.connect("audit", LOGINS.app);
    for (const actor of ["bob", "carol"]) await app.query("SELECT audit.append('admin_actions', $1, '{}')", [actor]);
    await app.end();
    const intact = run(verify);
    expect(intact.status, intact.out).toBe(0);
    expect(intact.out).toContain("audit ledger verified");

    // As a superuser with triggers off: what no role of the ledger can do.
    const su = await pg.connect("audit");
    await su.query("SET session_replication_role = replica");
    const { rows } = await su.query("UPDATE audit.events SET actor = 'mallory' WHERE actor = 'bob' RETURNING seq");
    await su.end();
    const broken = run(verify);
    expect(broken.status).toBe(1);
    expect(broken.out).toContain(`audit ledger broken at ${rows[0].seq} `);
  }, 120_000);

  test("the retention CronJob keeps partitions ahead and drops only what is past retention", async () => {
    const su = await pg.connect("audit");
    // A partition from three years ago, with nothing in it: past a two-month retention.
    await su.query("SELECT audit.create_partitions(date_trunc('month', now() - interval '3 years'), 1)");
    const old = (await su.query("SELECT count(*)::int AS n FROM audit.partitions() WHERE range_to < now() - interval '2 months'")).rows[0].n;
    expect(old).toBe(1);
    const r = run(objects.find((o) => o.kind === "CronJob" && o.metadata.name === "audit-retention")!.spec.jobTemplate.spec.template);
    expect(r.status, r.out).toBe(0);
    const after = await su.query(
      "SELECT count(*) FILTER (WHERE range_to < now() - interval '2 months')::int AS expired, bool_or(now() + interval '3 months' >= range_from AND now() + interval '3 months' < range_to) AS ahead, bool_or(now() >= range_from AND now() < range_to) AS current FROM audit.partitions()",
    );
    await su.end();
    expect(after.rows[0]).toEqual({ expired: 0, ahead: true, current: true });
  }, 120_000);
});
