import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Construct } from "constructs";
import { expect } from "vitest";
import type { ICloudAuditLogins } from "../../lib/audit/sql/cloud";
import { AuditLedger } from "../../lib/audit/sql/ledger";
import type { PostgresServer } from "../support/postgres";

/**
 * Runs a ledger pod's main container script with /bin/sh against a test PostgreSQL: the
 * ConfigMap's files written to a temporary directory in place of their mount, a password
 * file in place of the Secret or the token volume (the test server trusts loopback), and
 * libpq pointed at the server without TLS (it speaks none). Everything else, the script,
 * the login, the role and the database, is the rendered pod's own, as Terraform hands it
 * to Helm: with its template escapes (`$${`, `%%{`) undone.
 */
const asApplied = (text: string) => text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

export function runPod(
  pg: PostgresServer,
  pod: Record<string, any>,
  configMap: Record<string, string>,
  /** Stands in for what Terraform fills in at apply (a cloud identity's login name). @default none */
  resolve: (text: string) => string = (text) => text,
): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "byoc-ledger-pod-"));
  const [c] = pod.spec.containers;
  const locals = new Map<string, string>();
  for (const mount of c.volumeMounts as { name: string; mountPath: string }[]) {
    const local = join(dir, mount.name);
    mkdirSync(local, { recursive: true });
    if (mount.name.startsWith("config-")) for (const [file, text] of Object.entries(configMap)) writeFileSync(join(local, file), asApplied(resolve(text)));
    if (mount.name === "secret" || mount.name === "login") writeFileSync(join(local, "password"), "unused-under-trust-auth");
    locals.set(mount.mountPath, local);
  }
  // One pass, longest path first: a local path (under /tmp) is never rewritten again.
  const paths = [...locals.keys()].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const script = asApplied(resolve(c.command[2] as string)).replace(new RegExp(paths.join("|"), "g"), (m) => locals.get(m)!);
  const env = Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, resolve(e.value)]));
  const r = spawnSync("/bin/sh", ["-c", script], {
    env: { ...pg.env(env.PGDATABASE, env.PGUSER), ...env, PGHOST: pg.host, PGPORT: String(pg.port), PGSSLMODE: "disable", PGSSLROOTCERT: "" },
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** An AuditLedger from a cloud's logins, as CloudAuditLedger wires it (without its NetworkPolicies). */
export function ledgerOf(scope: Construct, logins: ICloudAuditLogins): AuditLedger {
  return new AuditLedger(scope, "Ledger", {
    deployment: "acme",
    namespace: "audit",
    database: logins.database,
    admin: logins.admin,
    migrator: logins.migrator,
    maintainer: logins.maintainer,
    memberships: logins.memberships,
    clients: logins.clients,
    retentionMonths: 84,
    image: "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie",
    runAsUser: 26,
    dependsOn: logins.grants,
  });
}

/** Runs the setup Job (when rendered) and the migration Job, twice, as two deploys would: each run must succeed. */
export function deployTwice(pg: PostgresServer, objects: Record<string, any>[], resolve?: (text: string) => string): void {
  const configMap = objects.find((o) => o.kind === "ConfigMap")!.data as Record<string, string>;
  const jobs = ["audit-setup-", "audit-migrate-"].flatMap((prefix) => objects.filter((o) => o.kind === "Job" && o.metadata.name.startsWith(prefix)));
  for (const round of [1, 2]) {
    for (const job of jobs) {
      const r = runPod(pg, job.spec.template, configMap, resolve);
      expect(r.status, `${job.metadata.name} round ${round}: ${r.out}`).toBe(0);
    }
  }
}
