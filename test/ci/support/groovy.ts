import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * The Groovy compiler (Maven Central, through Maven), to parse the Jenkinsfile as
 * Jenkins's Groovy front end does. Jenkins has no standalone declarative linter (its
 * linter is an endpoint of a running controller), so the tests parse the file and check
 * the declarative structure in its outline. The jar is checked against a pinned hash.
 */
const GROOVY_VERSION = "4.0.33";
const GROOVY_SHA256 = "5240a9151289115e4d447d6b6d4cb9ac8a9fc6374e079714dfeeffda42323be8";
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";
const ROOT = join(__dirname, "..", "..", "..");
const DIR = join(ROOT, ".cache", "groovy");
const JAR = join(DIR, `groovy-${GROOVY_VERSION}.jar`);

export function ensureGroovy(): string {
  if (existsSync(JAR)) return JAR;
  const staging = join(DIR, `staging-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  try {
    execFileSync("mvn", ["-B", "-q", `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=org.apache.groovy:groovy:${GROOVY_VERSION}`, `-DoutputDirectory=${staging}`], { stdio: ["ignore", "pipe", "pipe"] });
    const fetched = join(staging, `groovy-${GROOVY_VERSION}.jar`);
    const hash = createHash("sha256").update(readFileSync(fetched)).digest("hex");
    if (hash !== GROOVY_SHA256) throw new Error(`groovy-${GROOVY_VERSION}.jar has SHA-256 ${hash}, expected ${GROOVY_SHA256}`);
    renameSync(fetched, JAR);
  } catch (e) {
    throw new Error(`the Jenkinsfile test needs Groovy ${GROOVY_VERSION} from Maven Central (mvn and Java 17+): ${(e as Error).message}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return JAR;
}

/** The Jenkinsfile's outline (see jenkinsfile-outline.groovy); throws with the compiler's message on a syntax error. */
export function jenkinsfileOutline(path: string): string {
  const r = spawnSync("java", ["-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", ensureGroovy(), "groovy.ui.GroovyMain", join(__dirname, "jenkinsfile-outline.groovy"), path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${path} does not parse:\n${r.stderr}`);
  return r.stdout;
}
