import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdktf";
import { buildStacks } from "../../stacks";
import { ComplianceAspect } from "../compliance/aspect";
import { FRAMEWORKS, type Framework } from "../compliance/frameworks";
import { complianceReport, type ComplianceReport } from "../compliance/report";
import { reportInputOf, writeComplianceReport } from "../compliance/write";
import { TARGET_CLOUDS, defaultSpec } from "../config/defaults";
import { readSpecFile, SpecFileError } from "../config/load";
import { parseSpec, SpecError, type DeploymentSpec } from "../config/spec";

const USAGE = `Usage: cdktf-byoc compliance-report [--config <byoc.yaml>] [--framework <name>]... [--out <dir>]

Synthesizes the deployment, evaluates the controls of its compliance frameworks over
every stack, and writes per framework <out>/<deployment>-<target>/<framework>.html, .json
and .md: each control's status and the resources and attributes that evidence it.

  --config     the spec (default: BYOC_CONFIG, else ./byoc.yaml, else the embedded
               default deployment of every target)
  --framework  ${FRAMEWORKS.join(", ")}: report these instead of the spec's
               compliance list (repeat for several; they are validated as if the spec
               declared them)
  --out        where to write (default: compliance-report)

Exit codes: 0 no control fails (each passes, is partly evidenced, suppressed or not
evidenced by the infrastructure); 1 a control fails (the reports are written all the same); 2 bad
arguments or a spec the frameworks refuse.`;

/** `cdktf-byoc compliance-report`: returns 0 (no control fails), 1 (a control fails) or 2 (bad input). */
export async function complianceReportCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: "string" }, framework: { type: "string", multiple: true, default: [] }, out: { type: "string", default: "compliance-report" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const unknown = values.framework.filter((f) => !(FRAMEWORKS as readonly string[]).includes(f));
  if (unknown.length) {
    console.error(`--framework ${unknown.join(", ")}: not a framework; use ${FRAMEWORKS.join(", ")}`);
    return 2;
  }
  const frameworks = values.framework as Framework[];
  const path = values.config ?? process.env.BYOC_CONFIG ?? (existsSync("byoc.yaml") ? "byoc.yaml" : undefined);
  let deployments: { spec: DeploymentSpec; source: string; bytes: string | Buffer }[];
  try {
    deployments = path
      ? [{ spec: withFrameworks(specInput(path), frameworks, path), source: path, bytes: readFileSync(path) }]
      : TARGET_CLOUDS.map((cloud) => {
          const source = `the embedded ${cloud} deployment`;
          return { spec: withFrameworks(defaultSpec(cloud), frameworks, source), source, bytes: JSON.stringify(defaultSpec(cloud)) };
        });
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    console.error(e.message);
    return 2;
  }
  const missing = deployments.find((d) => d.spec.compliance.length === 0);
  if (missing) {
    console.error(`${missing.source} declares no compliance frameworks: add compliance: [${FRAMEWORKS.join(", ")}] (any of them) to the spec, or pass --framework`);
    return 2;
  }
  let failed = false;
  for (const { spec, source, bytes } of deployments) {
    const report = await reportOf(spec, source, bytes);
    const files = writeComplianceReport(report, join(values.out, `${spec.name}-${spec.target.cloud}`));
    for (const fw of report.frameworks) {
      const s = fw.summary;
      failed ||= s.fail > 0;
      console.log(`${spec.name}-${spec.target.cloud} ${fw.id.padEnd(8)} ${s.pass} pass, ${s.fail} fail, ${s.partial} partial, ${s.suppressed} suppressed, ${s["not-evidenced"]} not evidenced`);
    }
    console.log(`  wrote ${files.length} files to ${dirname(files[0])}`);
  }
  return failed ? 1 : 0;
}

/** A spec file's contents, its problems reading it as a SpecError (exit 2). */
function specInput(path: string): unknown {
  try {
    return readSpecFile(path).data;
  } catch (e) {
    if (e instanceof SpecFileError) throw new SpecError(e.problems, path);
    throw e;
  }
}

/** The spec as a user wrote it, with `frameworks` (when given) in place of its compliance list, validated. */
function withFrameworks(input: unknown, frameworks: Framework[], source: string): DeploymentSpec {
  const data = frameworks.length && typeof input === "object" && input !== null ? { ...input, compliance: frameworks } : input;
  return parseSpec(data, source);
}

/** Synthesizes the deployment in a scratch directory, with the checks reporting rather than failing. */
export async function reportOf(spec: DeploymentSpec, source: string, specBytes: string | Buffer): Promise<ComplianceReport> {
  const outdir = mkdtempSync(join(tmpdir(), "byoc-compliance-"));
  try {
    const app = new App({ outdir });
    const stacks = await buildStacks(app, spec, { failOnViolation: false });
    app.synth();
    const aspect = ComplianceAspect.of(stacks[0])!;
    return complianceReport(aspect, reportInputOf(spec, source, specBytes));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
