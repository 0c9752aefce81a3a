import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AwsAuditLogins } from "../../lib/audit/sql/aws";
import { LEDGER_CA_FILE } from "../../lib/audit/sql/ledger";
import { EksCluster } from "../../lib/cluster/eks";
import { AwsNetwork } from "../../lib/network/aws";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { releases } from "../support/helm";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { StackJson } from "../support/synth";
import { naming } from "../support/targets";
import { deployTwice, ledgerOf, runPod } from "./ledger-pods";

const RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0";
const MASTER_SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-0123-AbCdEf";

function synthAws(): StackJson {
  const app = Testing.app();
  const s = new TerraformStack(app, "test");
  new AwsProvider(s, "aws", { region: "us-east-1" });
  new KubernetesProvider(s, "kubernetes", {});
  new HelmProvider(s, "helm", {});
  const network = AwsNetwork.fromVpcAttributes({ vpcId: "vpc-0123456789abcdef0", cidr: "10.20.0.0/16", privateSubnetIds: ["subnet-a", "subnet-b"], privateRouteTableIds: ["rtb-a", "rtb-b"], zones: ["us-east-1a", "us-east-1b"] });
  const key = (name: string) => ({ arn: `arn:aws:kms:us-east-1:111122223333:key/${name}` });
  const cluster = new EksCluster(s, "Cluster", { naming, network, secretsKey: key("secrets"), volumesKey: key("volumes"), accountId: "111122223333" });
  const namespace = new PlatformNamespace(s, "Namespace", { name: "audit", naming, component: "audit" });
  const logins = new AwsAuditLogins(s, "Logins", {
    cluster,
    namespace,
    server: { host: "acme-postgres.abc.us-east-1.rds.amazonaws.com", resourceId: RESOURCE_ID, masterUser: "byoc_admin", masterSecretArn: MASTER_SECRET, masterSecretKeyArn: key("secrets").arn },
  });
  ledgerOf(s, logins);
  return new StackJson("test", JSON.parse(Testing.synth(s)), s);
}

const policyOf = (stack: StackJson, serviceAccount: string) => {
  const association = stack.resource("aws_eks_pod_identity_association", (a) => a.service_account === serviceAccount);
  const roleRef = /aws_iam_role\.([^.]+)\.arn/.exec(association.role_arn)![1];
  const policy = stack.resources("aws_iam_role_policy").find((p) => p.role.includes(`aws_iam_role.${roleRef}.`))!;
  const doc = stack.data("aws_iam_policy_document").find((d) => policy.policy.includes(`${d.tfAddress}.json`))!;
  return doc.statement as { actions: string[]; resources: string[]; condition?: unknown[] }[];
};

describe("the ledger's logins on RDS", () => {
  const stack = synthAws();
  const [release] = releases(stack);
  const jobs = release.objects.filter((o) => o.kind === "Job");
  const setup = jobs.find((j) => j.metadata.name.startsWith("audit-setup-"))!;
  const migrate = jobs.find((j) => j.metadata.name.startsWith("audit-migrate-"))!;

  test("each Job's role may do one thing: read the master secret (setup) or sign in as its own login", () => {
    expect(policyOf(stack, "audit-setup").flatMap((s) => s.actions).sort()).toEqual(["kms:Decrypt", "secretsmanager:GetSecretValue"]);
    expect(policyOf(stack, "audit-setup").find((s) => s.actions.includes("secretsmanager:GetSecretValue"))!.resources).toEqual([MASTER_SECRET]);
    for (const [sa, login] of [["audit-migrator", "audit_migrator"], ["audit-maintainer", "audit_keeper"]]) {
      const [statement, ...others] = policyOf(stack, sa);
      expect(others).toEqual([]);
      expect(statement.actions).toEqual(["rds-db:connect"]);
      expect(statement.resources).toHaveLength(1);
      expect(statement.resources[0]).toMatch(new RegExp(`:rds-db:us-east-1:111122223333:dbuser:${RESOURCE_ID}/${login}$`));
    }
  });

  test("the setup Job runs first, as the master user, with the password read in the pod; the others sign in with IAM tokens", () => {
    expect(Number(setup.metadata.annotations["helm.sh/hook-weight"])).toBeLessThan(Number(migrate.metadata.annotations["helm.sh/hook-weight"]));
    const env = (job: any) => Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env(setup)).toMatchObject({ PGUSER: "byoc_admin", PGDATABASE: "postgres", PGSSLMODE: "verify-full", PGSSLROOTCERT: LEDGER_CA_FILE });
    expect(env(migrate)).toMatchObject({ PGUSER: "audit_migrator", PGDATABASE: "audit", PGSSLMODE: "verify-full" });
    expect(setup.spec.template.spec.initContainers[0].command[2]).toContain("secretsmanager get-secret-value");
    expect(migrate.spec.template.spec.initContainers[0].command[2]).toContain("rds generate-db-auth-token");
    expect(migrate.spec.template.spec.serviceAccountName).toBe("audit-migrator");
    // No password in the synthesized JSON: only the secret's ARN.
    expect(JSON.stringify(stack.json)).not.toMatch(/"password"\s*:\s*"[^"$]/);
  });
});

/**
 * The setup and migration Jobs' SQL as RDS runs it: the admin is a CREATEROLE CREATEDB
 * login that is no superuser (RDS's master user, a member of rds_superuser), `rds_iam` a
 * NOLOGIN role rds_superuser may grant (RDS's predefined roles). On
 * each PostgreSQL major the kit supports, from PostgreSQL 16's stricter CREATEROLE on.
 */
describe.each(POSTGRES_MAJORS)("the setup and migration Jobs on PostgreSQL %i as on RDS", (major) => {
  let pg: PostgresServer;
  const stack = synthAws();
  const [release] = releases(stack);
  const configMap = release.objects.find((o) => o.kind === "ConfigMap")!.data as Record<string, string>;
  const cron = (name: string) => release.objects.find((o) => o.kind === "CronJob" && o.metadata.name === name)!.spec.jobTemplate.spec.template;

  beforeAll(async () => {
    pg = await startPostgres({ major });
    const su = await pg.connect("postgres");
    // RDS's predefined roles: the master user is a member of rds_superuser, which may grant rds_iam.
    await su.query("CREATE ROLE rds_iam NOLOGIN");
    await su.query("CREATE ROLE rds_superuser NOLOGIN CREATEROLE CREATEDB");
    await su.query("GRANT rds_iam TO rds_superuser WITH ADMIN OPTION");
    await su.query("CREATE ROLE byoc_admin LOGIN CREATEROLE CREATEDB IN ROLE rds_superuser");
    await su.query("CREATE ROLE stranger LOGIN");
    await su.end();
  }, 180_000);
  afterAll(() => pg?.stop());

  test("setup, then migrations, twice; the application appends; the maintainer keeps retention; strangers stay out", async () => {
    deployTwice(pg, release.objects);
    const su = await pg.connect("postgres");
    const roles = await su.query("SELECT r.rolname, pg_has_role(r.rolname, 'rds_iam', 'MEMBER') AS iam FROM pg_roles r WHERE r.rolname LIKE 'audit\\_%' AND r.rolcanlogin ORDER BY 1");
    expect(roles.rows).toEqual([
      { rolname: "audit_app", iam: true },
      { rolname: "audit_keeper", iam: true },
      { rolname: "audit_migrator", iam: true },
    ]);
    const owner = await su.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'audit'");
    expect(owner.rows[0].owner).toBe("audit_migrator");
    await su.end();

    const app = await pg.connect("audit", "audit_app");
    expect(Number((await app.query("SELECT seq FROM audit.append('admin_actions', 'alice', '{}')")).rows[0].seq)).toBe(1);
    await expect(app.query("DELETE FROM audit.events")).rejects.toThrow();
    await app.end();
    const retention = runPod(pg, cron("audit-retention"), configMap);
    expect(retention.status, retention.out).toBe(0);
    const verify = runPod(pg, cron("audit-verify"), configMap);
    expect(verify.status, verify.out).toBe(0);
    await expect(pg.connect("audit", "stranger")).rejects.toThrow(/permission denied for database "audit"/);
  }, 180_000);
});
