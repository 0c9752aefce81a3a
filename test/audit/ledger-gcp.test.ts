import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLOUD_SQL_IAM_SERVICE_ACCOUNTS, GcpAuditLogins } from "../../lib/audit/sql/gcp";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { releases } from "../support/helm";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { StackJson } from "../support/synth";
import { naming } from "../support/targets";
import { deployTwice, ledgerOf, runPod } from "./ledger-pods";

const CLUSTER = {
  name: "main",
  distribution: "gke" as const,
  connection: { configPath: "~/.kube/config" },
  storageClass: "cmek-rwo",
  project: "acme-prod",
  location: "europe-west4",
  workloadPool: "acme-prod.svc.id.goog",
  diskEncryptionKey: "projects/acme-prod/locations/europe-west4/keyRings/acme/cryptoKeys/disks",
  nodeServiceAccountEmail: "gke-nodes@acme-prod.iam.gserviceaccount.com",
};

function synthGcp(): StackJson {
  const app = Testing.app();
  const s = new TerraformStack(app, "test");
  new GoogleProvider(s, "google", { project: "acme-prod", region: "europe-west4" });
  new KubernetesProvider(s, "kubernetes", {});
  new HelmProvider(s, "helm", {});
  const namespace = new PlatformNamespace(s, "Namespace", { name: "audit", naming, component: "audit" });
  const logins = new GcpAuditLogins(s, "Logins", {
    cluster: CLUSTER,
    namespace,
    naming,
    server: { project: "acme-prod", instance: "acme-postgres", host: "10.30.240.3", serverCa: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
  });
  ledgerOf(s, logins);
  return new StackJson("test", JSON.parse(Testing.synth(s)), s);
}

/** A Google service account's database user, by the construct id of its account (SetupServiceAccount...). */
const LOGIN_OF: Record<string, string> = { Setup: "audit-setup@acme-prod.iam", Migrator: "audit-migrator@acme-prod.iam", Maintainer: "audit-maintainer@acme-prod.iam" };
const resolveLogins = (text: string) =>
  text.replace(/\$\{trimsuffix\(google_service_account\.Logins_(Setup|Migrator|Maintainer)ServiceAccount_[0-9A-F]+\.email, "\.gserviceaccount\.com"\)\}/g, (_, key: string) => LOGIN_OF[key]);

describe("the ledger's logins on Cloud SQL", () => {
  const stack = synthGcp();
  const [release] = releases(stack);
  const job = (prefix: string) => release.objects.find((o) => o.kind === "Job" && o.metadata.name.startsWith(prefix))!;

  test("three IAM database users, each Job's account signing in to this instance only; only setup may update the instance's users", () => {
    const users = stack.resources("google_sql_user");
    expect(users.map((u) => u.type)).toEqual(["CLOUD_IAM_SERVICE_ACCOUNT", "CLOUD_IAM_SERVICE_ACCOUNT", "CLOUD_IAM_SERVICE_ACCOUNT"]);
    const bindings = stack.resources("google_project_iam_member");
    for (const b of bindings) expect(b.condition.expression).toBe('resource.name == "projects/acme-prod/instances/acme-postgres" && resource.type == "sqladmin.googleapis.com/Instance"');
    const admins = bindings.filter((b) => b.role === "roles/cloudsql.admin");
    expect(admins).toHaveLength(1);
    expect(admins[0].member).toContain("Logins_SetupServiceAccount");
    const wi = stack.resources("google_service_account_iam_member").map((b) => b.member).sort();
    expect(wi).toEqual(["audit-maintainer", "audit-migrator", "audit-setup"].map((sa) => `serviceAccount:acme-prod.svc.id.goog[audit/${sa}]`));
  });

  test("TLS against the instance's own CA; tokens from the metadata server; setup acts as cloudsqlsuperuser", () => {
    const env = (j: any) => Object.fromEntries(j.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env(job("audit-setup-"))).toMatchObject({ PGSSLMODE: "verify-ca", PGOPTIONS: "-c role=cloudsqlsuperuser", PGDATABASE: "postgres", PGHOST: "10.30.240.3" });
    expect(env(job("audit-migrate-"))).toMatchObject({ PGSSLMODE: "verify-ca", PGOPTIONS: "-c role=audit_migrator", PGDATABASE: "audit" });
    const init = job("audit-setup-").spec.template.spec.initContainers[0].command[2];
    expect(init).toContain("computeMetadata/v1/instance/service-accounts/default/token");
    expect(init).toContain("/instances/acme-postgres/users?name=$PGUSER&databaseRoles=cloudsqlsuperuser");
    expect(job("audit-migrate-").spec.template.spec.initContainers[0].command[2]).not.toContain("databaseRoles");
    expect(stack.resource("kubernetes_config_map_v1").data["ca.crt"]).toContain("BEGIN CERTIFICATE");
  });
});

/**
 * The Jobs' SQL as Cloud SQL runs it: IAM users are LOGIN roles in
 * cloudsqliamserviceaccount; cloudsqlsuperuser a NOLOGIN CREATEROLE CREATEDB role the
 * setup user was made a member of (what its init container does through the Admin API).
 */
describe.each(POSTGRES_MAJORS)("the Jobs on PostgreSQL %i as on Cloud SQL", (major) => {
  let pg: PostgresServer;
  const [release] = releases(synthGcp());
  const configMap = release.objects.find((o) => o.kind === "ConfigMap")!.data as Record<string, string>;
  const pod = (kind: string, prefix: string) => {
    const o = release.objects.find((x) => x.kind === kind && x.metadata.name.startsWith(prefix))!;
    return kind === "Job" ? o.spec.template : o.spec.jobTemplate.spec.template;
  };
  const run = (p: Record<string, any>) => runPod(pg, p, configMap, resolveLogins);

  beforeAll(async () => {
    pg = await startPostgres({ major });
    const su = await pg.connect("postgres");
    await su.query("CREATE ROLE cloudsqlsuperuser NOLOGIN CREATEROLE CREATEDB");
    await su.query(`CREATE ROLE ${CLOUD_SQL_IAM_SERVICE_ACCOUNTS} NOLOGIN`);
    for (const login of [...Object.values(LOGIN_OF), "tenant-app@acme-prod.iam"]) await su.query(`CREATE ROLE "${login}" LOGIN IN ROLE ${CLOUD_SQL_IAM_SERVICE_ACCOUNTS}`);
    await su.query(`GRANT cloudsqlsuperuser TO "${LOGIN_OF.Setup}"`);
    await su.query("CREATE ROLE stranger LOGIN");
    await su.end();
  }, 180_000);
  afterAll(() => pg?.stop());

  test("setup, then migrations, twice; a tenant's IAM user appends; retention and verification run; others stay out", async () => {
    deployTwice(pg, release.objects, resolveLogins);
    const tenant = await pg.connect("audit", "tenant-app@acme-prod.iam");
    expect(Number((await tenant.query("SELECT seq FROM audit.append('data_access', 'alice', '{}')")).rows[0].seq)).toBe(1);
    await expect(tenant.query("UPDATE audit.events SET actor = 'x'")).rejects.toThrow();
    await tenant.end();
    for (const name of ["audit-retention", "audit-verify"]) {
      const r = run(pod("CronJob", name));
      expect(r.status, `${name}: ${r.out}`).toBe(0);
    }
    await expect(pg.connect("audit", "stranger")).rejects.toThrow(/permission denied for database "audit"/);
  }, 180_000);
});
