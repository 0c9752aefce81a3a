import type { Client } from "pg";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployAnchorContract } from "../../lib/audit/anchor/anchor";
import { auditAnchor } from "../../lib/cli/audit-anchor";
import { startEvmNode, type EvmNode } from "../support/evm-node";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { createLedger, createLogin, createMigrator } from "./ledger-fixture";

/**
 * Anchoring end to end: the shipped ledger on a real PostgreSQL, the anchor contract on
 * a local EVM node, and the command a CronJob runs. The case anchoring exists for: a
 * superuser who rewrites history consistently (every later hash recomputed) passes the
 * database's own verify, and only the anchors catch it.
 */

const DATABASE = "ledger";

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let out = "";
  let err = "";
  const status = await auditAnchor(argv, env, { out: (t) => (out += t), err: (t) => (err += t) });
  return { status, out, err };
}

describe("anchoring the SQL ledger", () => {
  let pg: PostgresServer;
  let node: EvmNode;
  let admin: Client;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [pg, node] = await Promise.all([startPostgres(), startEvmNode()]);
    admin = await pg.connect("postgres");
    await createMigrator(admin);
    await createLedger(pg, admin, DATABASE);
    // The anchoring job reads the head with a reader's login, nothing more.
    await createLogin(admin, "anchorer", "audit_reader");
    await createLogin(admin, "app", "audit_writer");
    const key = generatePrivateKey();
    const { address } = await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: key, fees: "free" });
    env = {
      AUDIT_ANCHOR_RPC_URL: node.rpcUrl,
      AUDIT_ANCHOR_FEES: "free",
      AUDIT_ANCHOR_CONTRACT: address,
      AUDIT_ANCHOR_PRIVATE_KEY: key,
      DATABASE_URL: `postgresql://anchorer@${pg.host}:${pg.port}/${DATABASE}?sslmode=disable`,
    };
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await Promise.all([pg?.stop(), node?.stop()]);
  });

  test("an empty ledger has nothing to anchor", async () => {
    expect(await run(["anchor"], env)).toMatchObject({ status: 0, out: "the ledger is empty: nothing to anchor\n" });
  });

  test("the head is anchored, and the ledger verifies against its anchors", async () => {
    const app = await pg.connect(DATABASE, "app");
    for (let i = 1; i <= 6; i++) await app.query("select * from audit.append($1, $2, $3)", ["auth.login", `user-${i}`, { ip: `192.0.2.${i}` }]);
    const head = (await app.query("select seq::text, encode(row_hash, 'hex') as hash from audit.head()")).rows[0];
    await app.end();

    const anchored = await run(["anchor"], env);
    expect(anchored.status, anchored.err).toBe(0);
    expect(anchored.out).toContain(`anchored seq ${head.seq} `);
    expect(anchored.out).toContain(`head 0x${head.hash} `);
    const verified = await run(["verify"], env);
    expect(verified.status, verified.err).toBe(0);
  });

  test("history rewritten consistently by a superuser passes the database's verify, and fails against the anchor at the anchored row", async () => {
    // A superuser edits row 3 and recomputes every later hash with the ledger's own function.
    await admin.end();
    admin = await pg.connect(DATABASE);
    await admin.query("begin");
    await admin.query("set local session_replication_role = replica");
    // In SQL: timestamps keep their microseconds, which a JavaScript Date would drop.
    await admin.query(`do $$
      declare r record; prev bytea; h bytea;
      begin
        select prev_hash into prev from audit.events where seq = 1;
        for r in select * from audit.events order by seq loop
          if r.seq = 3 then r.payload := '{"ip": "203.0.113.66"}'; end if;
          h := audit.row_hash(r.seq, r.recorded_at, r.event_type, r.actor, r.payload, prev);
          update audit.events set payload = r.payload, prev_hash = prev, row_hash = h where seq = r.seq;
          prev := h;
        end loop;
      end $$`);
    await admin.query("commit");

    expect((await admin.query("select payload from audit.events where seq = 3")).rows[0].payload).toEqual({ ip: "203.0.113.66" });
    // The database's own check sees an unbroken chain...
    const check = (await admin.query("select * from audit.verify()")).rows;
    expect(check).toEqual([]);
    // ...the anchor does not: the anchored head (seq 6) no longer matches.
    const verified = await run(["verify"], env);
    expect(verified.status).toBe(1);
    expect(verified.err).toMatch(/^audit-anchor verify: ledger seq 6 does not match its anchor: /);
    expect(verified.err).toContain("1 of 1 anchors differ");
  });
});
