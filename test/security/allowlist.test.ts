import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { categoryOf, glob, loadAllowlist, review, type AllowlistEntry, type Finding } from "./allowlist";

const dir = mkdtempSync(join(tmpdir(), "byoc-allowlist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(yaml: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

const finding = (checkId: string, stack: string, address: string): Finding => ({ checkId, checkName: "a check", stack, address });

describe("checkov allowlist", () => {
  test("a glob's * matches any characters and nothing else is special", () => {
    expect(glob("aws_s3_bucket.Data_Buckets_Bucket-*").test("aws_s3_bucket.Data_Buckets_Bucket-logs_EC9B9955")).toBe(true);
    expect(glob("aws_s3_bucket.Data_*").test("aws_s3_bucketXData_x")).toBe(false);
    expect(glob("a*b").test("a-c")).toBe(false);
  });

  test("an entry accepts its check on matching resources, within its stacks only", () => {
    // GIVEN one entry limited to the default AWS stack
    const entries: AllowlistEntry[] = [{ check: "CKV_AWS_157", resource: "aws_db_instance.Data_Postgres_*", stacks: ["byoc-aws-*"], reason: "trade-off: single-AZ" }];
    // WHEN the same failure shows up in two stacks, and another check on the same resource
    const findings = [
      finding("CKV_AWS_157", "byoc-aws-infra", "aws_db_instance.Data_Postgres_Instance_1"),
      finding("CKV_AWS_157", "acme-aws-infra", "aws_db_instance.Data_Postgres_Instance_1"),
      finding("CKV_AWS_293", "byoc-aws-infra", "aws_db_instance.Data_Postgres_Instance_1"),
    ];
    // THEN only the listed stack's failure of the listed check is accepted
    expect(review(entries, findings).unlisted).toEqual([findings[1], findings[2]]);
  });

  test("an entry that accepts no failure is stale", () => {
    const entries: AllowlistEntry[] = [
      { check: "CKV_AWS_18", resource: "aws_s3_bucket.*", reason: "gap: access logging, issue 12" },
      { check: "CKV_AWS_144", resource: "aws_s3_bucket.*", reason: "trade-off: one region" },
    ];
    expect(review(entries, [finding("CKV_AWS_144", "s", "aws_s3_bucket.b")]).stale).toEqual([entries[0]]);
  });

  test("reads entries and their category from the reason", () => {
    const entries = loadAllowlist(file(`- check: CKV_GCP_6\n  resource: google_sql_database_instance.*\n  reason: "false positive: TLS is enforced"\n`));
    expect(entries.map(categoryOf)).toEqual(["false positive"]);
  });

  test("refuses an entry without a categorized one-line reason, a gap without its issue, or an unknown key", () => {
    const path = file(
      [
        "- check: CKV_AWS_18",
        "  resource: aws_s3_bucket.*",
        "  reason: fine as it is",
        "- check: CKV_AWS_19",
        "  resource: aws_eip.*",
        "  reason: 'gap: attach the address'",
        "- check: AWS_1",
        "  resource: aws_eip.*",
        "  reason: 'trade-off: x'",
        "  stack: byoc-aws-infra",
      ].join("\n"),
    );
    expect(() => loadAllowlist(path)).toThrow(
      new RegExp(
        [
          String.raw`\[0\.reason\] starts with "trade-off: ", "false positive: " or "gap: "`,
          String.raw`\[1\.reason\] a gap names its issue: "gap: <what>, issue N"`,
          String.raw`\[2\.check\] a checkov check id such as CKV_AWS_18`,
          String.raw`\[2\] Unrecognized key: "stack"`,
        ].join("\n  "),
      ),
    );
  });
});
