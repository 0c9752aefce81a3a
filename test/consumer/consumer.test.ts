/**
 * The package as a user's project gets it: `npm pack`, installed into a new project laid
 * out as `cdktf init --template=typescript` does (CommonJS tsconfig), with only the AWS
 * provider peer (plus kubernetes and helm for the platform stack); the library examples
 * compiled there and run. Then the GCP provider is added for the GCP example. Packages
 * come from npm's cache when `npm ci` has filled it, else from the registry.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { requireBuild } from "../support/build";
import { StackJson } from "../support/synth";

const ROOT = join(__dirname, "..", "..");
const ours = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const dev = (name: string) => ({ [name]: ours.devDependencies[name] as string });
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const MB = 1024 * 1024;

/** cdktf init's tsconfig.json for TypeScript projects (module CommonJS, node10 resolution). */
const CDKTF_INIT_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true,
    declaration: true,
    experimentalDecorators: true,
    inlineSourceMap: true,
    inlineSources: true,
    lib: ["es2018"],
    module: "CommonJS",
    noEmitOnError: true,
    noFallthroughCasesInSwitch: true,
    noImplicitAny: true,
    noImplicitReturns: true,
    noImplicitThis: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    resolveJsonModule: true,
    strict: true,
    strictNullChecks: true,
    strictPropertyInitialization: true,
    stripInternal: true,
    target: "ES2018",
    incremental: true,
    skipLibCheck: true,
  },
  include: ["**/*.ts"],
  exclude: ["node_modules", "cdktf.out"],
};

const AWS_EXAMPLES = ["library-spec", "library-aws-eks", "library-aws-postgres"];
let project: string;

function npm(...args: string[]): string {
  return execFileSync(NPM, [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function tsc(...args: string[]) {
  return spawnSync(process.execPath, [join(project, "node_modules", "typescript", "bin", "tsc"), ...args], { cwd: project, encoding: "utf8" });
}

/** Copies examples/<name>/main.ts into the project as <name>.ts. */
function addExample(name: string): void {
  cpSync(join(ROOT, "examples", name, "main.ts"), join(project, `${name}.ts`));
}

/** Runs a compiled example as `cdktf synth` runs an app; returns its stacks by name. */
function synthExample(name: string): Record<string, StackJson> {
  const outdir = join(project, "out", name);
  mkdirSync(outdir, { recursive: true });
  const run = spawnSync(process.execPath, [join(project, `${name}.js`)], { cwd: project, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: "utf8" });
  expect(run.stderr, name).toBe("");
  expect(run.status, name).toBe(0);
  const stacks = readdirSync(join(outdir, "stacks"));
  return Object.fromEntries(stacks.map((s) => [s, new StackJson(s, JSON.parse(readFileSync(join(outdir, "stacks", s, "cdk.tf.json"), "utf8")), undefined!)]));
}

function duBytes(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
}

beforeAll(() => {
  requireBuild();
  project = mkdtempSync(join(tmpdir(), "byoc-consumer-"));
  // dist/ is current: the test setup built it.
  const packed = JSON.parse(execFileSync(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", project], { cwd: ROOT, encoding: "utf8" }));
  const tarball = join(project, packed[0].filename);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "byoc-consumer",
      version: "1.0.0",
      private: true,
      dependencies: {
        "cdktf-byoc": `file:${tarball}`,
        ...dev("cdktf"),
        ...dev("constructs"),
        ...dev("@cdktf/provider-aws"),
        ...dev("@cdktf/provider-kubernetes"),
        ...dev("@cdktf/provider-helm"),
      },
      devDependencies: { ...dev("typescript"), ...dev("@types/node") },
    }),
  );
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(CDKTF_INIT_TSCONFIG));
  npm("install");
}, 600_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("a new cdktf project that installs cdktf-byoc with the AWS provider only", () => {
  test("gets one copy of cdktf and constructs, the three providers it asked for, and stays under 600 MB", () => {
    const installed = JSON.parse(npm("ls", "--all", "--json", "cdktf", "constructs"));
    const copies = (name: string, deps: Record<string, { version: string; dependencies?: object }> = installed.dependencies): string[] =>
      Object.entries(deps).flatMap(([n, d]) => [...(n === name ? [d.version] : []), ...copies(name, (d.dependencies ?? {}) as typeof deps)]);
    expect(new Set(copies("constructs")).size).toBe(1);
    expect(new Set(copies("cdktf")).size).toBe(1);
    expect(readdirSync(join(project, "node_modules", "@cdktf")).filter((p) => p.startsWith("provider-")).sort()).toEqual(["provider-aws", "provider-helm", "provider-kubernetes"]);
    const size = duBytes(join(project, "node_modules"));
    console.log(`AWS-only consumer: node_modules is ${(size / MB).toFixed(0)} MB`);
    expect(size).toBeLessThanOrEqual(600 * MB);
  });

  test("the package ships compiled code and declarations, no TypeScript sources or source maps", () => {
    const pkg = join(project, "node_modules", "cdktf-byoc");
    const files = execFileSync("find", [pkg, "-type", "f"], { encoding: "utf8" }).trim().split("\n");
    expect(files.filter((f) => /\.map$|(?<!\.d)\.ts$/.test(f))).toEqual([]);
    expect(files.some((f) => f.endsWith("dist/lib/network/aws.js"))).toBe(true);
    expect(files.some((f) => f.endsWith("charts/manifests/Chart.yaml"))).toBe(true);
  });

  test("the library examples type-check under cdktf init's CommonJS tsconfig and under node16 resolution", () => {
    for (const name of AWS_EXAMPLES) addExample(name);
    const commonjs = tsc("-p", "tsconfig.json");
    expect(commonjs.stdout + commonjs.stderr).toBe("");
    const node16 = tsc("-p", "tsconfig.json", "--noEmit", "--module", "node16", "--moduleResolution", "node16");
    expect(node16.stdout + node16.stderr).toBe("");
  });

  test("the whole-spec example synthesizes both AWS stacks with the spec's network and tags", () => {
    const stacks = synthExample("library-spec");
    expect(Object.keys(stacks).sort()).toEqual(["acme-aws-infra", "acme-aws-platform"]);
    const vpc = stacks["acme-aws-infra"].resource("aws_vpc");
    expect(vpc.cidr_block).toBe("10.40.0.0/16");
    expect(vpc.tags).toMatchObject({ deployment: "acme", environment: "staging", team: "platform", "managed-by": "cdktf-byoc" });
    expect(stacks["acme-aws-infra"].resources("aws_subnet").map((s) => s.availability_zone).sort()).toEqual(["eu-west-1a", "eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1b"]);
  });

  test("network and EKS in the user's own TerraformStack: private nodes, encrypted secrets, the API open to the allowlist only, the user's tags", () => {
    const { "shop-eks": eks } = synthExample("library-aws-eks");
    const cluster = eks.resource("aws_eks_cluster");
    expect(cluster.name).toBe("shop-cluster");
    expect(cluster.vpc_config).toMatchObject({ endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] });
    expect(cluster.encryption_config.provider.key_arn).toBe(eks.ref(eks.resource("aws_kms_key", (k) => k.tags.Name === "shop-eks-secrets"), "arn"));
    expect(cluster.tags).toMatchObject({ deployment: "shop", environment: "staging", "cost-center": "42", "managed-by": "cdktf-byoc" });
    expect(eks.resource("aws_vpc").cidr_block).toBe("10.64.0.0/16");
    expect(Object.keys(eks.json.output)).toContain("cluster_name");
  });

  test("PostgreSQL alone in an existing VPC given by ids: private, the user's key, TLS forced, protected, reachable from the client group only", () => {
    const { "billing-db": db } = synthExample("library-aws-postgres");
    expect(Object.keys(db.json.resource).filter((t) => ["aws_vpc", "aws_subnet", "aws_kms_key"].includes(t))).toEqual([]);
    const instance = db.resource("aws_db_instance");
    expect(instance).toMatchObject({
      publicly_accessible: false,
      storage_encrypted: true,
      kms_key_id: "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      allocated_storage: 200,
      multi_az: true,
      deletion_protection: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(db.resource("aws_db_subnet_group").subnet_ids).toEqual(["subnet-0ddd0000000000001", "subnet-0ddd0000000000002"]);
    const params = db.resource("aws_db_parameter_group").parameter;
    expect(params).toContainEqual(expect.objectContaining({ name: "rds.force_ssl", value: "1" }));
    const ingress = db.resources("aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => [r.referenced_security_group_id, r.from_port, r.to_port])).toEqual([["sg-0c0c0c0c0c0c0c0c0", 5432, 5432]]);
    // The example checks HIPAA's controls at synth: its log groups had to get the user's key.
    const groups = db.resources("aws_cloudwatch_log_group");
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.kms_key_id, g.name).toBe("arn:aws:kms:us-east-2:111122223333:key/9abc0123-12ab-34cd-56ef-1234567890ab");
  });

  test("a target whose provider package is missing is a one-line error naming the package to install", () => {
    const script = [
      'const { App } = require("cdktf");',
      'const { buildStacks, parseSpec } = require("cdktf-byoc");',
      'buildStacks(new App(), parseSpec({ name: "acme", target: { cloud: "azure", region: "westeurope" } }))',
      "  .catch((e) => { console.error(e.message); process.exit(1); });",
    ].join("\n");
    const run = spawnSync(process.execPath, ["-e", script], { cwd: project, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`install @cdktf/provider-azurerm@${ours.devDependencies["@cdktf/provider-azurerm"]} to synthesize an azure target (npm install @cdktf/provider-azurerm@${ours.devDependencies["@cdktf/provider-azurerm"]})`);
  });
});

describe("the same project after adding the GCP provider", () => {
  test("Cloud SQL alone on an existing VPC with the user's key: private IP only, TLS required, IAM login, point-in-time recovery, protected", () => {
    npm("install", `@cdktf/provider-google@${ours.devDependencies["@cdktf/provider-google"]}`);
    addExample("library-gcp-sql");
    const build = tsc("-p", "tsconfig.json");
    expect(build.stdout + build.stderr).toBe("");
    const { "ledger-db": sql } = synthExample("library-gcp-sql");
    const instance = sql.resource("google_sql_database_instance");
    expect(instance.encryption_key_name).toBe("projects/ledger-prod-4711/locations/europe-west4/keyRings/ledger/cryptoKeys/sql");
    expect(instance.deletion_protection).toBe(true);
    expect(instance.lifecycle).toMatchObject({ prevent_destroy: true });
    const settings = instance.settings;
    expect(settings.ip_configuration).toMatchObject({ ipv4_enabled: false, private_network: "projects/ledger-prod-4711/global/networks/shared", ssl_mode: "ENCRYPTED_ONLY" });
    expect(settings.availability_type).toBe("REGIONAL");
    expect(settings.backup_configuration).toMatchObject({ enabled: true, point_in_time_recovery_enabled: true });
    expect(settings.database_flags).toContainEqual({ name: "cloudsql.iam_authentication", value: "on" });
  });

  test("keyless CI trust on AWS and GCP from the package: outputs named after the CI variables, no key anywhere", () => {
    addExample("library-ci-trust");
    const build = tsc("-p", "tsconfig.json");
    expect(build.stdout + build.stderr).toBe("");
    const { "acme-ci-trust": trust } = synthExample("library-ci-trust");
    expect(Object.keys(trust.json.output).sort()).toEqual(
      ["BYOC_AWS_APPLY_ROLE_ARN", "BYOC_AWS_PLAN_ROLE_ARN", "BYOC_GCP_APPLY_SERVICE_ACCOUNT", "BYOC_GCP_PLAN_SERVICE_ACCOUNT", "BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER"],
    );
    expect(trust.resources("aws_iam_role")).toHaveLength(2);
    expect([...trust.resources("aws_iam_access_key"), ...trust.resources("google_service_account_key")]).toEqual([]);
  });
});
