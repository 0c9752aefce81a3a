import { Testing, TerraformResource, type TerraformStack } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { ComplianceAspect, ComplianceError } from "../../lib/compliance/aspect";
import { CONTROLS, FRAMEWORKS, type CheckId } from "../../lib/compliance/frameworks";
import { parseSpec, type DeploymentSpec } from "../../lib/config/spec";
import { buildStacks } from "../../stacks";

/** Per target, a deployment every framework accepts (EU regions; on-prem has none). */
const SPECS: Record<string, Record<string, unknown>> = {
  aws: {
    target: { cloud: "aws", region: "eu-west-1" },
    // DNSSEC keeps its signing key in us-east-1 (Route 53's rule); query logs are off for GDPR.
    dns: { domain: "acme.example.com", queryLogs: false, dnssec: true },
    data: { postgres: { enabled: true }, documents: { enabled: true }, redis: { enabled: true }, disasterRecovery: { region: "eu-central-1" } },
  },
  azure: { target: { cloud: "azure", region: "westeurope" }, data: { postgres: { enabled: true }, documents: { enabled: true }, redis: { enabled: true } } },
  gcp: { target: { cloud: "gcp", region: "europe-west4", project: "acme-prod-1" }, data: { postgres: { enabled: true }, documents: { enabled: true }, redis: { enabled: true } } },
  onprem: { target: { cloud: "onprem" }, data: { postgres: { enabled: true } } },
};

function specOf(cloud: string): DeploymentSpec {
  return parseSpec({ name: "acme", ...SPECS[cloud], audit: { type: "database" }, compliance: [...FRAMEWORKS], platform: { tenants: [{ name: "app", cpu: "4", memory: "8Gi" }] } });
}

/** Builds the deployment's stacks; `hold` changes them before synth (a protection held back). */
async function synthWith(cloud: string, hold?: (resources: TerraformResource[]) => void): Promise<{ stacks: TerraformStack[]; aspect: ComplianceAspect; error?: unknown }> {
  const app = Testing.app();
  const stacks = await buildStacks(app, specOf(cloud));
  hold?.(stacks.flatMap((s) => s.node.findAll().filter((n): n is TerraformResource => n instanceof TerraformResource)));
  let error: unknown;
  try {
    app.synth();
  } catch (e) {
    error = e;
  }
  return { stacks, aspect: ComplianceAspect.of(stacks[0])!, error };
}

const resourceOf = (resources: TerraformResource[], type: string, where: (r: TerraformResource) => boolean = () => true) => {
  const found = resources.filter((r) => r.terraformResourceType === type && where(r));
  expect(found.length, type).toBeGreaterThan(0);
  return found[0];
};

/** The controls (of every framework) that a check evidences. */
const controlsOf = (check: CheckId) => CONTROLS.filter((c) => c.checks.includes(check)).map((c) => c.id).sort();

describe.each(Object.keys(SPECS))("%s with every framework", (cloud) => {
  let result: Awaited<ReturnType<typeof synthWith>>;
  beforeAll(async () => {
    result = await synthWith(cloud);
  });

  test("synthesizes: no control fails", () => {
    expect(result.error).toBeUndefined();
    expect(result.aspect.controlResults().filter((r) => r.status === "fail")).toEqual([]);
  });

  test("every finding that fails carries the reason it is accepted", () => {
    const failing = result.aspect.stackFindings().flatMap((s) => s.findings.filter((f) => !f.pass));
    for (const f of failing) expect(f.suppressed, `${f.check} ${f.address}`).toMatch(/.{10,}/);
  });

  test("each stack's resources were all looked at: every KMS key, database and namespace has its findings", () => {
    const byType: Record<string, CheckId> = { aws_kms_key: "key-rotation", google_kms_crypto_key: "key-rotation", azurerm_key_vault_key: "key-rotation", aws_db_instance: "backups", google_sql_database_instance: "backups", azurerm_postgresql_flexible_server: "backups", kubernetes_namespace_v1: "network-policies", kubernetes_storage_class_v1: "encryption-at-rest" };
    const findings = result.aspect.stackFindings().flatMap((s) => s.findings);
    for (const stack of result.stacks) {
      for (const r of stack.node.findAll().filter((n): n is TerraformResource => n instanceof TerraformResource && n.terraformResourceType in byType)) {
        const address = `${r.terraformResourceType}.${r.friendlyUniqueId}`;
        expect(findings.filter((f) => f.address === address && f.check === byType[r.terraformResourceType]), address).toHaveLength(1);
      }
    }
  });
});

describe("what the findings say", () => {
  test("aws: keys rotate yearly, the access-log buckets' SSE-S3 and the DNSSEC key's region are exempt with their reasons", async () => {
    const { aspect } = await synthWith("aws");
    const findings = aspect.stackFindings().flatMap((s) => s.findings);
    const rotation = findings.filter((f) => f.check === "key-rotation" && f.pass);
    expect(rotation.length).toBeGreaterThanOrEqual(5);
    for (const f of rotation) expect(f.evidence).toBe("enable_key_rotation=true, rotation_period_in_days=365");
    const nodeClass = findings.filter((f) => f.address.includes("/EC2NodeClass/"));
    expect(nodeClass.map((f) => [f.check, f.pass])).toEqual([["encryption-at-rest", true]]);
    expect(nodeClass[0].evidence).toMatch(/^ebs encrypted=true, kmsKeyID=\$\{.+\}$/);
    const exempt = findings.filter((f) => !f.pass).map((f) => [f.check, f.address.replace(/_[0-9A-F]{8}$/, ""), f.suppressed?.slice(0, 40)]);
    expect(exempt).toEqual(
      expect.arrayContaining([
        ["encryption-at-rest", "aws_s3_bucket.Data_Buckets_Bucket-logs", "receives S3 server access logs, which S3"],
        ["encryption-at-rest", "aws_s3_bucket.Data_Buckets_Bucket-logs-dr", "receives S3 server access logs, which S3"],
        ["key-rotation", "aws_kms_key.Dns_DnssecKey", "AWS KMS rotates symmetric keys only; an "],
        ["data-residency", "provider.aws.us_east_1", expect.stringMatching(/^used only for aws_kms_key\.Dns_DnssecKey/)],
      ]),
    );
    expect(exempt).toHaveLength(4);
  });

  test("onprem: encryption at rest is the storage's, not evidenced by the kit; the CloudNativePG cluster is TLS-only and backed up", async () => {
    const { aspect } = await synthWith("onprem");
    const status = Object.fromEntries(aspect.controlResults().map((r) => [r.control.id, r.status]));
    expect(status["hipaa-164.312(a)(2)(iv)"]).toBe("not-evidenced");
    expect(status["hipaa-164.308(a)(7)(ii)(A)"]).toBe("pass");
    // The audit ledger evidences CC7.2; the site's flow and control-plane logs are not the kit's on-prem.
    expect(status["soc2-CC7.2"]).toBe("partial");
    const pg = aspect.stackFindings().flatMap((s) => s.findings).filter((f) => f.address.includes("/Cluster/data/postgres"));
    expect(pg.map((f) => [f.check, f.pass])).toEqual([["encryption-in-transit", true], ["backups", true], ["deletion-protection", true]]);
    expect(pg[1].evidence).toMatch(/^WAL archiver barman-cloud\.cloudnative-pg\.io, ObjectStore retentionPolicy=\d+d, ScheduledBackup postgres-daily schedule=0 0 2 \* \* \*$/);
  });
});

describe("a protection held back fails the controls that need it, on every target", () => {
  test("aws: flow logs that capture only rejected traffic", async () => {
    let vpc = "";
    const { error } = await synthWith("aws", (resources) => {
      resourceOf(resources, "aws_flow_log").addOverride("traffic_type", "REJECT");
      const v = resourceOf(resources, "aws_vpc");
      vpc = `aws_vpc.${v.friendlyUniqueId}`;
    });
    expect(error).toBeInstanceOf(ComplianceError);
    const e = error as ComplianceError;
    expect(e.stack).toBe("acme-aws-infra");
    expect(e.failing.map((r) => r.control.id).sort()).toEqual(controlsOf("flow-logs"));
    expect(e.message).toContain(`\n      flow-logs: ${vpc}: no aws_flow_log with traffic_type=ALL for this VPC\n`);
    expect(e.message).toMatch(/^acme-aws-infra fails 3 compliance controls:\n {2}- soc2 CC7\.2 \(System components are monitored/);
  });

  test("azure: a key that rotates every two years", async () => {
    const { error } = await synthWith("azure", (resources) => {
      resourceOf(resources, "azurerm_key_vault_key", (r) => r.friendlyUniqueId.startsWith("Keys_DataKey")).addOverride("rotation_policy.automatic.time_after_creation", "P730D");
    });
    expect(error).toBeInstanceOf(ComplianceError);
    expect((error as ComplianceError).failing.map((r) => r.control.id).sort()).toEqual(controlsOf("key-rotation"));
    expect((error as ComplianceError).message).toMatch(/key-rotation: azurerm_key_vault_key\.Keys_DataKey_[0-9A-F]{8}: rotation_policy\.automatic\.time_after_creation=P730D/);
  });

  test("gcp: Cloud SQL backups off", async () => {
    const { error } = await synthWith("gcp", (resources) => {
      resourceOf(resources, "google_sql_database_instance").addOverride("settings.backup_configuration.enabled", false);
    });
    expect(error).toBeInstanceOf(ComplianceError);
    expect((error as ComplianceError).failing.map((r) => r.control.id).sort()).toEqual(controlsOf("backups"));
  });

  test("onprem: a tenant namespace whose default-deny selects only some pods", async () => {
    const { error } = await synthWith("onprem", (resources) => {
      resourceOf(resources, "kubernetes_network_policy_v1", (r) => r.friendlyUniqueId.startsWith("Platform_Tenant-app_DenyAll")).addOverride("spec.pod_selector.match_labels", { tier: "batch" });
    });
    expect(error).toBeInstanceOf(ComplianceError);
    expect((error as ComplianceError).failing.map((r) => r.control.id).sort()).toEqual(controlsOf("network-policies"));
    expect((error as ComplianceError).message).toMatch(/network-policies: kubernetes_namespace_v1\.Platform_Tenant-app_Namespace_[0-9A-F]{8}: namespace app: no NetworkPolicy denies ingress to every pod/);
  });

  test("a suppression with a reason lets the deployment synthesize, and the finding keeps the reason", async () => {
    const { error, aspect } = await synthWith("aws", (resources) => {
      resourceOf(resources, "aws_flow_log").addOverride("traffic_type", "REJECT");
      ComplianceAspect.suppress(resourceOf(resources, "aws_vpc"), "flow-logs", "accepted flows are logged by the customer's firewall appliance");
    });
    expect(error).toBeUndefined();
    const finding = aspect.stackFindings().flatMap((s) => s.findings).find((f) => f.check === "flow-logs")!;
    expect(finding.pass).toBe(false);
    expect(finding.suppressed).toMatch(/^accepted flows are logged by the customer's firewall appliance \(suppressed at acme-aws-infra\/Network\/Vpc\)$/);
    expect(aspect.controlResults().find((r) => r.control.id === "soc2-CC7.2")?.status).toBe("suppressed");
  });

  test("a suppression needs a known check and a reason", () => {
    const app = Testing.app();
    expect(() => ComplianceAspect.suppress(app, "flowlogs" as CheckId, "some reason here")).toThrow('ComplianceAspect.suppress: "flowlogs" is not a check; use one of encryption-at-rest,');
    expect(() => ComplianceAspect.suppress(app, "flow-logs", "n/a")).toThrow("give the reason an auditor will read (at least 10 characters)");
  });
});
