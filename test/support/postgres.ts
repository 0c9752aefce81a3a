import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";

/** Where Debian's `postgresql-<major>` packages put the server binaries. */
export const DEBIAN_POSTGRES_ROOT = "/usr/lib/postgresql";
/** The user the server runs as when the tests run as root (initdb refuses root). */
const SERVER_USER = "postgres";

export interface PostgresInstall {
  /** Directory with initdb, pg_ctl, postgres and psql. */
  readonly binDir: string;
  readonly major: number;
}

/** The highest PostgreSQL major version installed from Debian's packages. */
export function findPostgres(root = DEBIAN_POSTGRES_ROOT): PostgresInstall {
  const majors = (existsSync(root) ? readdirSync(root) : [])
    .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, "bin", "initdb")))
    .map(Number)
    .sort((a, b) => b - a);
  if (majors.length === 0) {
    throw new Error(`the SQL tests start a real PostgreSQL server, but none is installed (no ${root}/<version>/bin/initdb): apt-get install postgresql`);
  }
  return { binDir: join(root, String(majors[0]), "bin"), major: majors[0] };
}

export interface StartPostgresOptions {
  /**
   * Flush every commit to disk, as a production server does. Off, commits skip fsync:
   * the tests need speed, not crash safety; a benchmark wants the real cost.
   * @default false
   */
  readonly durable?: boolean;
}

/** A throwaway PostgreSQL server on a free loopback port, its data in a temporary directory. */
export interface PostgresServer extends PostgresInstall {
  readonly host: string;
  readonly port: number;
  /** The bootstrap superuser. */
  readonly superuser: string;
  /** A connected client; the caller ends it. @default user the superuser */
  connect(database: string, user?: string): Promise<Client>;
  /** The environment psql (and scripts that call it) connect with, psql first on PATH. */
  env(database: string, user?: string): NodeJS.ProcessEnv;
  /** Stops the server (fast shutdown) and deletes its directory. */
  stop(): void;
}

/**
 * Starts PostgreSQL: initdb into a new temporary directory (UTF8, trust authentication on
 * loopback and on a socket in that directory only), then pg_ctl start on a free port.
 * As root (CI), the server's commands run as the `postgres` user through runuser.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const install = findPostgres();
  const dir = mkdtempSync(join(tmpdir(), "byoc-postgres-"));
  const asServerUser = serverUser(dir);
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const run = (bin: string, args: string[]) => {
    const [cmd, ...rest] = [...asServerUser, join(install.binDir, bin), ...args];
    const r = spawnSync(cmd, rest, { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, LANG: "C" } });
    return { ok: r.status === 0, output: `${r.error?.message ?? ""}${r.stdout}${r.stderr}` };
  };

  const init = run("initdb", ["-D", data, "-U", SERVER_USER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  if (!init.ok) throw new Error(`initdb failed:\n${init.output}`);

  const settings = [
    "listen_addresses=127.0.0.1",
    `unix_socket_directories=${dir}`,
    ...(options.durable ? [] : ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]),
  ];
  let port = 0;
  let started = { ok: false, output: "" };
  // Another process may take the free port between the probe and the start: try again.
  for (let attempt = 0; attempt < 3 && !started.ok; attempt++) {
    port = await freePort();
    const serverOptions = [`-p ${port}`, ...settings.map((s) => `-c ${s}`)].join(" ");
    started = run("pg_ctl", ["start", "-D", data, "-l", log, "-w", "-t", "60", "-o", serverOptions]);
  }
  if (!started.ok) {
    const serverLog = existsSync(log) ? readFileSync(log, "utf8") : "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_ctl start failed:\n${started.output}\n${serverLog}`);
  }

  const stop = () => {
    process.removeListener("exit", stop);
    run("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w"]);
    rmSync(dir, { recursive: true, force: true });
  };
  // A run that dies before its afterAll still leaves no server behind.
  process.once("exit", stop);

  const host = "127.0.0.1";
  return {
    ...install,
    host,
    port,
    superuser: SERVER_USER,
    async connect(database, user = SERVER_USER) {
      const client = new Client({ host, port, database, user });
      await client.connect();
      return client;
    },
    env(database, user = SERVER_USER) {
      // None of the caller's libpq settings (PGPASSWORD, PGSERVICE, ...) leak in.
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PG")));
      return {
        ...inherited,
        PATH: `${install.binDir}:${process.env.PATH ?? ""}`,
        PGHOST: host,
        PGPORT: String(port),
        PGDATABASE: database,
        PGUSER: user,
        PGSSLMODE: "disable",
      };
    },
    stop,
  };
}

/** The command prefix that runs a server command unprivileged; gives `dir` to that user. */
function serverUser(dir: string): string[] {
  if (process.getuid?.() !== 0) return [];
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", SERVER_USER], { encoding: "utf8" }));
    gid = Number(execFileSync("id", ["-g", SERVER_USER], { encoding: "utf8" }));
  } catch {
    throw new Error(`running as root, the tests start PostgreSQL as the "${SERVER_USER}" user, which does not exist: apt-get install postgresql creates it`);
  }
  chownSync(dir, uid, gid);
  return ["runuser", "-u", SERVER_USER, "--"];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
