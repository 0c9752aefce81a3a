import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

/** What an accepted finding is; each reason starts with its category. */
export const CATEGORIES = ["trade-off", "false positive", "gap"] as const;
export type Category = (typeof CATEGORIES)[number];

const REASON = /^(trade-off|false positive|gap): \S/;

const entry = z
  .object({
    check: z.string().regex(/^CKV2?_[A-Z0-9]+_\d+$/, "a checkov check id such as CKV_AWS_18"),
    resource: z.string().min(1),
    stacks: z.array(z.string().min(1)).min(1).optional(),
    reason: z
      .string()
      .regex(REASON, 'starts with "trade-off: ", "false positive: " or "gap: "')
      .refine((r) => !r.includes("\n"), "one line")
      .refine((r) => !r.startsWith("gap:") || /, issue \d+$/.test(r), 'a gap names its issue: "gap: <what>, issue N"'),
  })
  .strict();

export type AllowlistEntry = z.infer<typeof entry>;

/** A failed check on one resource of one synthesized stack. */
export interface Finding {
  readonly checkId: string;
  readonly checkName: string;
  /** The stack's name, `<name>-<target>-<role>`. */
  readonly stack: string;
  /** The Terraform address: `type.name` or `data.type.name`. */
  readonly address: string;
}

/** Reads and validates the allowlist file; every problem is listed at once. */
export function loadAllowlist(path: string): AllowlistEntry[] {
  const parsed = z.array(entry).safeParse(parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    throw new Error(`${path}:\n${parsed.error.issues.map((i) => `  [${i.path.join(".")}] ${i.message}`).join("\n")}`);
  }
  return parsed.data;
}

export function categoryOf(e: AllowlistEntry): Category {
  return CATEGORIES.find((c) => e.reason.startsWith(`${c}:`))!;
}

/** `*` matches any run of characters, everything else itself. */
export function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

export function matches(e: AllowlistEntry, f: Finding): boolean {
  return (
    e.check === f.checkId &&
    glob(e.resource).test(f.address) &&
    (e.stacks === undefined || e.stacks.some((s) => glob(s).test(f.stack)))
  );
}

export interface Review {
  /** Failures no entry accepts. */
  readonly unlisted: Finding[];
  /** Entries that accept no failure any more: the finding was fixed or the resource renamed. */
  readonly stale: AllowlistEntry[];
}

export function review(entries: readonly AllowlistEntry[], findings: readonly Finding[]): Review {
  return {
    unlisted: findings.filter((f) => !entries.some((e) => matches(e, f))),
    stale: entries.filter((e) => !findings.some((f) => matches(e, f))),
  };
}
