import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AzureAuditLogins } from "../../lib/audit/sql/azure";
import { AksCluster } from "../../lib/cluster/aks";
import { AzurePostgres } from "../../lib/data/azure-postgres";
import { AzureKeys } from "../../lib/data/keys/azure";
import { AzureNetwork } from "../../lib/network/azure";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { releases } from "../support/helm";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { StackJson } from "../support/synth";
import { naming } from "../support/targets";
import { deployTwice, ledgerOf, runPod } from "./ledger-pods";

const SUB = "/subscriptions/00000000-0000-4000-8000-000000000001";
const VNET = `${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/shared`;
/** A tenant's workload identity's role: on AzurePostgres, its identity's name. */
const APP_LOGIN = "acme-wi-shop-workload";

function synthAzure(): StackJson {
  const s = new TerraformStack(Testing.app(), "test");
  new AzurermProvider(s, "azurerm", { features: [{}] });
  new KubernetesProvider(s, "kubernetes", {});
  new HelmProvider(s, "helm", {});
  const network = AzureNetwork.fromVnetAttributes({
    location: "westeurope",
    resourceGroupName: "acme-app",
    resourceGroupId: `${SUB}/resourceGroups/acme-app`,
    vnetId: VNET,
    cidr: "10.40.0.0/16",
    zones: ["1", "2", "3"],
    nodesSubnetId: `${VNET}/subnets/nodes`,
    privateEndpointsSubnetId: `${VNET}/subnets/endpoints`,
    databaseSubnetId: `${VNET}/subnets/postgres`,
  });
  const key = AzureKeys.fromKeyAttributes({ keyVaultId: `${SUB}/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/acme-keys`, name: "data", version: "0123456789abcdef" });
  const postgres = new AzurePostgres(s, "Postgres", { naming, network, key, logsWorkspaceId: `${SUB}/resourceGroups/acme-app/providers/Microsoft.OperationalInsights/workspaces/logs` });
  const cluster = AksCluster.fromClusterAttributes({
    name: "shared",
    resourceGroupName: "aks-rg",
    location: "westeurope",
    oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
    host: "https://shared.privatelink.westeurope.azmk8s.io:443",
    clusterCaCertificate: "-----BEGIN CERTIFICATE-----",
  });
  const namespace = new PlatformNamespace(s, "Namespace", { name: "audit", naming, component: "audit" });
  const logins = new AzureAuditLogins(s, "Logins", {
    cluster,
    namespace,
    naming,
    server: { host: postgres.connection.host, entra: postgres },
    applicationLogins: [APP_LOGIN],
  });
  ledgerOf(s, logins);
  return new StackJson("test", JSON.parse(Testing.synth(s)), s);
}

/** The user-assigned identity a service account of namespace audit may act as: through the federated credential naming it. */
function identityOf(stack: StackJson, serviceAccount: string) {
  const credential = stack.resource("azurerm_federated_identity_credential", (c) => c.subject === `system:serviceaccount:audit:${serviceAccount}`);
  const address = /azurerm_user_assigned_identity\.([^.]+)\.id/.exec(credential.parent_id)![1];
  return { address, identity: stack.resources("azurerm_user_assigned_identity").find((i) => i.tfAddress === `azurerm_user_assigned_identity.${address}`)! };
}

const env = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
/** Terraform's rendering of a value Helm receives: its template escapes undone. */
const asApplied = (text: string) => text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

describe("the ledger's logins on Azure Database for PostgreSQL", () => {
  const stack = synthAzure();
  const [release] = releases(stack);
  const job = (prefix: string) => release.objects.find((o) => o.kind === "Job" && o.metadata.name.startsWith(prefix))!;
  const setup = job("audit-setup-").spec.template;
  const migrate = job("audit-migrate-").spec.template;
  const retention = release.objects.find((o) => o.kind === "CronJob" && o.metadata.name === "audit-retention")!.spec.jobTemplate.spec.template;

  test("one identity per Job, each federated with its own service account of the audit namespace", () => {
    const credentials = stack.resources("azurerm_federated_identity_credential");
    expect(credentials.map((c) => c.subject).sort()).toEqual(["system:serviceaccount:audit:audit-maintainer", "system:serviceaccount:audit:audit-migrator", "system:serviceaccount:audit:audit-setup"]);
    for (const c of credentials) expect(c.audience).toEqual(["api://AzureADTokenExchange"]);
    expect(new Set(credentials.map((c) => c.parent_id)).size).toBe(3);
    for (const sa of ["audit-setup", "audit-migrator", "audit-maintainer"]) {
      const account = stack.resource("kubernetes_service_account_v1", (a) => a.metadata.name === sa);
      expect(account.metadata.annotations["azure.workload.identity/client-id"]).toBe(`\${azurerm_user_assigned_identity.${identityOf(stack, sa).address}.client_id}`);
      expect(account.automount_service_account_token).toBe(false);
    }
  });

  test("only the setup identity is an Entra administrator, under its own name, which the setup Job signs in as", () => {
    const [admin, ...others] = stack.resources("azurerm_postgresql_flexible_server_active_directory_administrator");
    expect(others).toEqual([]);
    const { address, identity } = identityOf(stack, "audit-setup");
    expect(admin.object_id).toBe(`\${azurerm_user_assigned_identity.${address}.principal_id}`);
    expect(admin.principal_name).toBe(`\${azurerm_user_assigned_identity.${address}.name}`);
    expect(admin.principal_type).toBe("ServicePrincipal");
    // The role Azure creates for the administrator is the identity's name.
    expect(env(setup.spec.containers[0])).toMatchObject({ PGUSER: identity.name, PGDATABASE: "postgres", PGSSLMODE: "verify-full" });
    for (const sa of ["audit-migrator", "audit-maintainer"]) expect(admin.object_id).not.toContain(identityOf(stack, sa).address);
  });

  test("the migration Job signs in as its Entra login and becomes the owner role; each pod runs as its service account under the webhook", () => {
    expect(env(migrate.spec.containers[0])).toMatchObject({ PGUSER: "audit_migrator_login", PGOPTIONS: "-c role=audit_migrator", PGDATABASE: "audit" });
    expect(env(retention.spec.containers[0])).toMatchObject({ PGUSER: "audit_keeper" });
    for (const [pod, sa] of [[setup, "audit-setup"], [migrate, "audit-migrator"], [retention, "audit-maintainer"]]) {
      expect(pod.spec.serviceAccountName).toBe(sa);
      expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
      const [init] = pod.spec.initContainers;
      expect(init.image).toMatch(/^docker\.io\/curlimages\/curl:\d+\.\d+\.\d+$/);
      expect(env(init)).toMatchObject({ PASSWORD_FILE: "/run/audit/login/password" });
    }
    // The shell's variables reach the pod as written: escaped from Terraform's templates.
    const values: string = release.block.values[0];
    expect(values).toContain("$${AZURE_FEDERATED_TOKEN_FILE}");
    expect(values).not.toMatch(/[^$]\$\{AZURE_/);
  });

  test("the server's certificate is verified against Azure's two roots, shipped in a ConfigMap", () => {
    const configMap = stack.resource("kubernetes_config_map_v1", (c) => c.metadata.name === "audit-server-ca");
    const pem: string = configMap.data["ca.crt"];
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map((c) => new X509Certificate(c));
    expect(certs.map((c) => c.subject.split("\n").find((l) => l.startsWith("CN="))).sort()).toEqual(["CN=DigiCert Global Root G2", "CN=Microsoft RSA Root Certificate Authority 2017"]);
    for (const c of certs) {
      expect(c.ca).toBe(true);
      expect(c.checkIssued(c)).toBe(true);
      expect(new Date(c.validTo).getTime()).toBeGreaterThan(Date.now());
    }
    const volume = migrate.spec.volumes.find((v: any) => v.name === "ca");
    expect(volume.projected.sources).toEqual([{ configMap: { name: "audit-server-ca", items: [{ key: "ca.crt", path: "ca.crt" }] } }]);
    expect(env(migrate.spec.containers[0]).PGSSLROOTCERT).toBe("/run/audit/ca/ca.crt");
  });

  test("no credential in the synthesized JSON", () => {
    const json = JSON.stringify(stack.json);
    expect(json).not.toMatch(/"password"\s*:\s*"[^"$]/);
    expect(json).not.toMatch(/client_secret/);
    expect(json).not.toMatch(/PRIVATE KEY/);
  });

  describe("the token container's exchange, against a stand-in Entra token endpoint", () => {
    let server: Server;
    let port = 0;
    const requests: { path: string; form: URLSearchParams }[] = [];
    let status = 200;
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
          requests.push({ path: req.url ?? "", form: new URLSearchParams(body) });
          res.writeHead(status, { "content-type": "application/json" });
          res.end(status === 200 ? '{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJvc3NyZGJtcyJ9.c2ln"}' : '{"error":"invalid_client","error_description":"AADSTS700213: No matching federated identity record found"}');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const exchange = (pod: any) => {
      const dir = mkdtempSync(join(tmpdir(), "byoc-entra-"));
      writeFileSync(join(dir, "sa-token"), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXVkaXQ6YXVkaXQtbWlncmF0b3IifQ.sig");
      const [init] = pod.spec.initContainers;
      // What the workload identity webhook injects into the pod.
      const webhook = { AZURE_AUTHORITY_HOST: `http://127.0.0.1:${port}/`, AZURE_TENANT_ID: "tenant-0001", AZURE_CLIENT_ID: "client-0002", AZURE_FEDERATED_TOKEN_FILE: join(dir, "sa-token") };
      const passwordFile = join(dir, "password");
      return new Promise<{ code: number; password: string; out: string }>((resolve) => {
        execFile("/bin/sh", ["-c", asApplied(init.command[2])], { env: { PATH: process.env.PATH, ...env(init), ...webhook, PASSWORD_FILE: passwordFile, HOME: dir } }, (error, stdout, stderr) => {
          let password = "";
          try {
            password = readFileSync(passwordFile, "utf8");
          } catch {
            // not written
          }
          resolve({ code: error ? Number(error.code ?? 1) : 0, password, out: `${stdout}${stderr}` });
        });
      });
    };

    test("a client-credentials grant with the projected token as assertion, for PostgreSQL's scope; the access token lands in PASSWORD_FILE", async () => {
      status = 200;
      requests.length = 0;
      const r = await exchange(migrate);
      expect(r.code, r.out).toBe(0);
      expect(r.password.trim()).toBe("eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJvc3NyZGJtcyJ9.c2ln");
      const [request] = requests;
      expect(request.path).toBe("/tenant-0001/oauth2/v2.0/token");
      expect(Object.fromEntries(request.form)).toEqual({
        client_id: "client-0002",
        grant_type: "client_credentials",
        scope: "https://ossrdbms-aad.database.windows.net/.default",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXVkaXQ6YXVkaXQtbWlncmF0b3IifQ.sig",
      });
    });

    test("a refused exchange fails the container at once, leaving no password", async () => {
      status = 401;
      requests.length = 0;
      const r = await exchange(setup);
      expect(r.code).not.toBe(0);
      expect(r.password).toBe("");
      expect(requests).toHaveLength(1);
    });
  });
});

/**
 * The Jobs' SQL as Azure runs it. The Entra administrator is a CREATEROLE CREATEDB
 * login that is no superuser, a member of the NOLOGIN azure_pg_admin (what Azure makes
 * of an administrator); the tenant's identity is one too (the kit makes tenants
 * administrators). pgaadauth_create_principal_with_oid is Azure's own: here a stand-in
 * with its signature, created by the superuser and SECURITY DEFINER like the real one,
 * that creates the LOGIN role when it is missing, refuses callers outside
 * azure_pg_admin, and records the object id it was given. Terraform's references to
 * the identities' object ids are replaced with ids as Terraform would fill them in.
 */
describe.each(POSTGRES_MAJORS)("the setup and migration Jobs on PostgreSQL %i as on Azure", (major) => {
  let pg: PostgresServer;
  const stack = synthAzure();
  const [release] = releases(stack);
  const oids = new Map<string, string>();
  const oidOf = (address: string) => {
    if (!oids.has(address)) oids.set(address, `00000000-0000-4000-8000-${String(oids.size + 1).padStart(12, "0")}`);
    return oids.get(address)!;
  };
  // Terraform fills in each identity's principal id at apply: fake GUIDs here, one per identity.
  const resolveOids = (text: string) => text.replace(/\$\{azurerm_user_assigned_identity\.([^.]+)\.principal_id\}/g, (_, address: string) => oidOf(address));
  const configMap = Object.fromEntries(Object.entries(release.objects.find((o) => o.kind === "ConfigMap")!.data as Record<string, string>).map(([file, text]) => [file, resolveOids(text)]));
  const job = (prefix: string) => release.objects.find((o) => o.kind === "Job" && o.metadata.name.startsWith(prefix))!.spec.template;
  const cron = (name: string) => release.objects.find((o) => o.kind === "CronJob" && o.metadata.name === name)!.spec.jobTemplate.spec.template;
  const setupLogin = env(job("audit-setup-").spec.containers[0]).PGUSER as string;

  beforeAll(async () => {
    pg = await startPostgres({ major });
    const su = await pg.connect("postgres");
    await su.query("CREATE ROLE azure_pg_admin NOLOGIN");
    await su.query(`CREATE ROLE "${setupLogin}" LOGIN CREATEROLE CREATEDB IN ROLE azure_pg_admin`);
    await su.query(`CREATE ROLE "${APP_LOGIN}" LOGIN CREATEROLE CREATEDB IN ROLE azure_pg_admin`);
    await su.query("CREATE ROLE stranger LOGIN");
    await su.query("CREATE TABLE entra_principals (role_name text PRIMARY KEY, object_id text, object_type text, is_admin boolean, is_mfa boolean)");
    await su.query(`CREATE FUNCTION pgaadauth_create_principal_with_oid(role_name text, object_id text, object_type text, is_admin boolean, is_mfa boolean) RETURNS text
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      BEGIN
        IF NOT pg_has_role(session_user, 'azure_pg_admin', 'MEMBER') THEN RAISE EXCEPTION 'only an Entra administrator may create principals'; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN EXECUTE format('CREATE ROLE %I LOGIN', role_name); END IF;
        INSERT INTO entra_principals VALUES (role_name, object_id, object_type, is_admin, is_mfa);
        RETURN format('Created role for "%s"', role_name);
      END $$`);
    await su.query("REVOKE EXECUTE ON FUNCTION pgaadauth_create_principal_with_oid(text, text, text, boolean, boolean) FROM PUBLIC");
    await su.query("GRANT EXECUTE ON FUNCTION pgaadauth_create_principal_with_oid(text, text, text, boolean, boolean) TO azure_pg_admin");
    await su.end();
  }, 180_000);
  afterAll(() => pg?.stop());

  test("setup, then migrations, twice; the application appends; the maintainer keeps retention; strangers stay out", async () => {
    deployTwice(pg, release.objects, resolveOids);
    const su = await pg.connect("postgres");
    // Each principal was created once, for its own identity, and is no administrator.
    const principals = await su.query("SELECT role_name, object_id, object_type, is_admin, is_mfa FROM entra_principals ORDER BY 1");
    expect(principals.rows).toEqual([
      { role_name: "audit_keeper", object_id: oidOf(identityOf(stack, "audit-maintainer").address), object_type: "service", is_admin: false, is_mfa: false },
      { role_name: "audit_migrator_login", object_id: oidOf(identityOf(stack, "audit-migrator").address), object_type: "service", is_admin: false, is_mfa: false },
    ]);
    const owner = await su.query("SELECT r.rolname, r.rolcanlogin, r.rolcreaterole FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = 'audit'");
    expect(owner.rows).toEqual([{ rolname: "audit_migrator", rolcanlogin: false, rolcreaterole: true }]);
    const member = await su.query("SELECT pg_has_role('audit_migrator_login', 'audit_migrator', 'MEMBER') AS migrator, pg_has_role('audit_keeper', 'audit_maintainer', 'MEMBER') AS keeper, pg_has_role($1, 'audit_writer', 'MEMBER') AS app", [APP_LOGIN]);
    expect(member.rows[0]).toEqual({ migrator: true, keeper: true, app: true });
    await su.end();

    const app = await pg.connect("audit", APP_LOGIN);
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
