import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { guard, parsePlan, PlanFormatError, summarize } from "../../lib/ci/plan-guard";
import { STATEFUL_RESOURCE_TYPES } from "../../lib/ci/stateful-types";
import { planGuard } from "../../lib/cli/plan-guard";

const FIXTURES = join(__dirname, "fixtures");
const fixture = (name: string) => join(FIXTURES, name);

/** Runs the command, capturing what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await planGuard(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("plan-guard", () => {
  test("a plan that only adds passes, with a line per resource type (data-source reads counted apart)", async () => {
    const { code, out } = await run([fixture("create-only.json")]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "Plan: 3 to add, 1 to read",
        "  aws_caller_identity      read 1",
        "  aws_s3_bucket            add 1",
        "  aws_security_group       add 1",
        "  aws_security_group_rule  add 1",
        "Plan guard: passed",
        "",
      ].join("\n"),
    );
  });

  test("an in-place update of a database passes; no-ops are not counted", async () => {
    const { code, out } = await run([fixture("update.json")]);
    expect(code).toBe(0);
    expect(out).toBe("Plan: 1 to change\n  aws_db_instance  change 1\nPlan guard: passed\n");
  });

  test("replacing a bucket is blocked, with the reason Terraform gives; replacing a launch template is not", async () => {
    const { code, out } = await run([fixture("replace-bucket.json")]);
    expect(code).toBe(1);
    expect(out).toContain("Plan: 2 to replace\n");
    expect(out).toContain("BLOCKED: 1 stateful resource would be destroyed or replaced:\n  aws_s3_bucket.Data_Buckets_Bucket-logs_EC9B9955: replace (an attribute cannot change in place)\n");
    expect(out).not.toContain("aws_launch_template.Cluster_System_7C8D9E0F:");
    expect(out).toContain("run again with --allow <address> for each one.");
  });

  test("destroying a database removed from the configuration is blocked; the security group rule beside it is not", async () => {
    const { code, out } = await run([fixture("destroy-db.json")]);
    expect(code).toBe(1);
    expect(out).toContain("  aws_db_instance          destroy 1\n  aws_security_group_rule  destroy 1\n");
    expect(out).toContain("BLOCKED: 1 stateful resource would be destroyed or replaced:\n  aws_db_instance.Data_Postgres_Instance_13686EA5: destroy (removed from the configuration)\n");
  });

  test("--allow with the exact address lets that destroy through and says so", async () => {
    const { code, out } = await run([fixture("destroy-db.json"), "--allow", "aws_db_instance.Data_Postgres_Instance_13686EA5"]);
    expect(code).toBe(0);
    expect(out).toContain("Allowed by --allow: aws_db_instance.Data_Postgres_Instance_13686EA5: destroy (removed from the configuration)\n");
    expect(out).toContain("Plan guard: passed\n");
  });

  test("--allow of another address does not, and is reported as matching nothing", async () => {
    const { code, out } = await run([fixture("destroy-db.json"), "--allow", "aws_db_instance.Other"]);
    expect(code).toBe(1);
    expect(out).toContain("Note: --allow aws_db_instance.Other matches no destroy or replace in this plan\n");
  });

  test("the issue's cases: replacing an RDS instance, a storage account and a KMS key is blocked, each named, until each is allowed", async () => {
    const blocked = await run([fixture("replace-stateful.json")]);
    expect(blocked.code).toBe(1);
    expect(blocked.out).toContain(
      [
        "BLOCKED: 3 stateful resources would be destroyed or replaced:",
        "  aws_db_instance.Data_Postgres_Instance_13686EA5: replace (an attribute cannot change in place)",
        "  azurerm_storage_account.Data_Buckets_Account_9A7A0527: replace (an attribute cannot change in place)",
        "  aws_kms_key.Keys_Data_BAF9E35E: replace (-replace requested)",
      ].join("\n"),
    );
    const twoAllowed = await run([fixture("replace-stateful.json"), "--allow", "aws_db_instance.Data_Postgres_Instance_13686EA5", "--allow", "aws_kms_key.Keys_Data_BAF9E35E"]);
    expect(twoAllowed.code).toBe(1);
    expect(twoAllowed.out).toContain("BLOCKED: 1 stateful resource would be destroyed or replaced:\n  azurerm_storage_account.");
    const allAllowed = await run([
      fixture("replace-stateful.json"),
      "--allow",
      "aws_db_instance.Data_Postgres_Instance_13686EA5",
      "--allow",
      "aws_kms_key.Keys_Data_BAF9E35E",
      "--allow",
      "azurerm_storage_account.Data_Buckets_Account_9A7A0527",
    ]);
    expect(allAllowed.code).toBe(0);
  });

  test("destroying resources that hold nothing passes", async () => {
    const { code, out } = await run([fixture("destroy-non-stateful.json")]);
    expect(code).toBe(0);
    expect(out).toBe("Plan: 2 to destroy\n  aws_iam_role_policy_attachment  destroy 1\n  aws_security_group_rule         destroy 1\nPlan guard: passed\n");
  });

  test("forgetting a bucket (a removed block: the bucket stays) passes and is shown", async () => {
    const { code, out } = await run([fixture("forget.json")]);
    expect(code).toBe(0);
    expect(out).toBe("Plan: 1 to forget\n  aws_s3_bucket  forget 1\nPlan guard: passed\n");
  });

  test("a plan without changes says so", async () => {
    const { code, out } = await run([fixture("no-changes.json")]);
    expect(code).toBe(0);
    expect(out).toBe("Plan: no changes\nPlan guard: passed\n");
  });

  test("with --stack, a resource the stack marks prevent_destroy is protected though its type is not stateful", async () => {
    expect(STATEFUL_RESOURCE_TYPES).not.toContain("aws_iam_role");
    const without = await run([fixture("destroy-marked-role.json")]);
    expect(without.code).toBe(0);
    const { code, out } = await run([fixture("destroy-marked-role.json"), "--stack", fixture("stack-prevent-destroy.json")]);
    expect(code).toBe(1);
    expect(out).toContain("BLOCKED: 1 stateful resource would be destroyed or replaced:\n  aws_iam_role.Ci_ApplyRole_11AA22BB: destroy (removed from the configuration)\nIts data");
  });

  test("--allow-file takes addresses one per line, with comments", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-guard-"));
    writeFileSync(join(dir, "allow.txt"), "# the old database: its data moved to the new cluster (ticket 42)\naws_db_instance.Data_Postgres_Instance_13686EA5\n\n");
    const { code } = await run([fixture("destroy-db.json"), "--allow-file", join(dir, "allow.txt")]);
    expect(code).toBe(0);
  });

  test("an unknown format_version is refused with exit 2 and a message, not a stack trace", async () => {
    const { code, out, err } = await run([fixture("bad-version.json")]);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toBe(`plan-guard: ${fixture("bad-version.json")} has format_version "2.0"; the plan guard reads format 1.x (Terraform >= 1.0, OpenTofu)\n`);
  });

  test("a malformed file is refused with exit 2 and a message, not a stack trace", async () => {
    const { code, err } = await run([fixture("malformed.json")]);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^plan-guard: ${fixture("malformed.json")} is not JSON \\(.+\\); give the output of \`terraform show -json <planfile>\`\\n$`));
    expect(err).not.toMatch(/\n\s+at /);
  });

  test("a missing file, a state instead of a plan, and bad arguments are refused with exit 2", async () => {
    expect((await run([fixture("nope.json")])).err).toBe(`plan-guard: cannot read the plan ${fixture("nope.json")}: ENOENT\n`);
    const state = join(mkdtempSync(join(tmpdir(), "plan-guard-")), "state.json");
    writeFileSync(state, JSON.stringify({ format_version: "1.0", terraform_version: "1.10.5", values: { root_module: {} } }));
    const notPlan = await run([state]);
    expect(notPlan.code).toBe(2);
    expect(notPlan.err).toContain("is not a plan: it has no resource_changes or planned_values");
    expect((await run([])).code).toBe(2);
    expect((await run([fixture("create-only.json"), "--bogus"])).code).toBe(2);
  });
});

describe("the plan guard's functions", () => {
  test("an action list it does not know is refused rather than guessed", () => {
    const text = JSON.stringify({ format_version: "1.2", resource_changes: [{ address: "aws_s3_bucket.a", type: "aws_s3_bucket", mode: "managed", change: { actions: ["delete", "archive"] } }] });
    expect(() => parsePlan(text, "p.json")).toThrow(PlanFormatError);
    expect(() => parsePlan(text, "p.json")).toThrow('p.json: resource_changes[0] (aws_s3_bucket.a) has actions ["delete","archive"], which the plan guard does not know; update cdktf-byoc');
  });

  test("summarize counts per type and kind", () => {
    const plan = parsePlan(readFileSync(fixture("replace-stateful.json"), "utf8"), "p");
    expect(Object.fromEntries(summarize(plan))).toEqual({ aws_db_instance: { replace: 1 }, aws_kms_key: { replace: 1 }, azurerm_storage_account: { replace: 1 } });
  });

  test("a deposed object's destroy is named as such", () => {
    const text = JSON.stringify({
      format_version: "1.2",
      resource_changes: [{ address: "aws_db_instance.a", type: "aws_db_instance", mode: "managed", deposed: "00000001", change: { actions: ["delete"] } }],
    });
    const result = guard(parsePlan(text, "p"));
    expect(result.blocked).toEqual([{ address: "aws_db_instance.a", type: "aws_db_instance", kind: "destroy", deposed: "00000001" }]);
  });
});

describe("STATEFUL_RESOURCE_TYPES", () => {
  test("covers every type the kit marks prevent_destroy in the pinned addresses of every example", () => {
    const pinned: Record<string, Record<string, string[]>> = JSON.parse(readFileSync(join(__dirname, "..", "stacks", "stateful-addresses.json"), "utf8"));
    const types = new Set(Object.values(pinned).flatMap((stacks) => Object.values(stacks).flat()).map((address) => address.split(".")[0]));
    expect(types.size).toBeGreaterThan(20);
    expect([...types].filter((t) => !STATEFUL_RESOURCE_TYPES.includes(t))).toEqual([]);
  });

  test("has no duplicates", () => {
    expect(new Set(STATEFUL_RESOURCE_TYPES).size).toBe(STATEFUL_RESOURCE_TYPES.length);
  });
});
