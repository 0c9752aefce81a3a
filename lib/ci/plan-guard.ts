import { STATEFUL_RESOURCE_TYPES } from "./stateful-types";

/**
 * The plan guard: reads the JSON that `terraform show -json <planfile>` (or `tofu show
 * -json`) prints, summarizes it per resource type and decides which destroys or
 * replaces are refused. Pure functions; the command is lib/cli/plan-guard.ts.
 * Format: https://developer.hashicorp.com/terraform/internals/json-format
 */

/** What a change does to one resource instance, in the guard's words. */
export type ChangeKind = "add" | "change" | "replace" | "destroy" | "forget" | "import" | "read";

/** The summary's columns, in the order they are printed. */
export const CHANGE_KINDS: readonly ChangeKind[] = ["add", "change", "replace", "destroy", "forget", "import", "read"];

/** One resource instance the plan changes (no-ops and data-source reads of no interest are left out). */
export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** Terraform's action_reason, when it gives one. */
  readonly reason?: string;
  /** Set when the change is to a deposed object left behind by an earlier replace. */
  readonly deposed?: string;
}

/** A plan as the guard reads it. */
export interface Plan {
  readonly formatVersion: string;
  readonly terraformVersion?: string;
  readonly changes: readonly PlannedChange[];
}

/** The input is not a plan the guard can read; the message says why, with no stack trace. */
export class PlanFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanFormatError";
  }
}

/** The major version of the JSON format read here; minor versions only add fields. */
const SUPPORTED_MAJOR = "1";

/** Parses the text of `terraform show -json <planfile>`. `source` names it in errors. */
export function parsePlan(text: string, source: string): Plan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PlanFormatError(`${source} is not JSON (${(e as Error).message}); give the output of \`terraform show -json <planfile>\``);
  }
  if (!isObject(json)) throw new PlanFormatError(`${source} is not a plan: expected a JSON object from \`terraform show -json <planfile>\``);
  const version = json.format_version;
  if (typeof version !== "string") {
    throw new PlanFormatError(`${source} has no format_version: give the output of \`terraform show -json <planfile>\` (a state or configuration is not a plan)`);
  }
  if (version.split(".")[0] !== SUPPORTED_MAJOR) {
    throw new PlanFormatError(`${source} has format_version "${version}"; the plan guard reads format ${SUPPORTED_MAJOR}.x (Terraform >= 1.0, OpenTofu)`);
  }
  if (!("resource_changes" in json) && !("planned_values" in json)) {
    throw new PlanFormatError(`${source} is not a plan: it has no resource_changes or planned_values (a state file? give \`terraform show -json <planfile>\`)`);
  }
  const raw = json.resource_changes ?? [];
  if (!Array.isArray(raw)) throw new PlanFormatError(`${source}: resource_changes is not a list`);
  const changes = raw.flatMap((rc, i) => toChange(rc, `${source}: resource_changes[${i}]`));
  return { formatVersion: version, terraformVersion: typeof json.terraform_version === "string" ? json.terraform_version : undefined, changes };
}

function toChange(rc: unknown, where: string): PlannedChange[] {
  if (!isObject(rc) || typeof rc.address !== "string" || typeof rc.type !== "string" || !isObject(rc.change) || !Array.isArray(rc.change.actions)) {
    throw new PlanFormatError(`${where} has no address, type or change.actions`);
  }
  const actions = rc.change.actions as unknown[];
  const kind = kindOf(actions, rc.mode === "data", isObject(rc.change.importing));
  if (kind === undefined) return [];
  if (kind === null) {
    // An action this guard does not know could be destructive: refuse rather than guess.
    throw new PlanFormatError(`${where} (${rc.address}) has actions ${JSON.stringify(actions)}, which the plan guard does not know; update cdktf-byoc`);
  }
  return [
    {
      address: rc.address,
      type: rc.type,
      kind,
      ...(typeof rc.action_reason === "string" ? { reason: rc.action_reason } : {}),
      ...(typeof rc.deposed === "string" ? { deposed: rc.deposed } : {}),
    },
  ];
}

/** The kind of a change; undefined for one of no interest, null for actions not known. */
function kindOf(actions: unknown[], data: boolean, importing: boolean): ChangeKind | undefined | null {
  const key = actions.join(",");
  switch (key) {
    case "no-op":
      return importing ? "import" : undefined;
    case "create":
      return "add";
    case "update":
      return importing ? "import" : "change";
    case "delete,create":
    case "create,delete":
      return "replace";
    case "delete":
      return "destroy";
    case "forget":
      return "forget";
    case "read":
      return data ? "read" : null;
    default:
      return null;
  }
}

/** Counts per resource type and kind, types sorted by name. */
export function summarize(plan: Plan): Map<string, Partial<Record<ChangeKind, number>>> {
  const byType = new Map<string, Partial<Record<ChangeKind, number>>>();
  for (const change of [...plan.changes].sort((a, b) => a.type.localeCompare(b.type))) {
    const counts = byType.get(change.type) ?? {};
    counts[change.kind] = (counts[change.kind] ?? 0) + 1;
    byType.set(change.type, counts);
  }
  return byType;
}

/** What the guard needs besides the plan. */
export interface GuardOptions {
  /** Exact addresses the user allows to be destroyed or replaced. @default - none */
  readonly allow?: readonly string[];
  /** Addresses the stack's JSON marks `prevent_destroy` (see protectedAddresses). @default - none */
  readonly protectedAddresses?: readonly string[];
  /** @default STATEFUL_RESOURCE_TYPES */
  readonly statefulTypes?: readonly string[];
}

/** The guard's decision on one plan. */
export interface GuardResult {
  /** Stateful destroys and replaces with no --allow: each refuses the plan. */
  readonly blocked: readonly PlannedChange[];
  /** Stateful destroys and replaces that an --allow let through. */
  readonly allowed: readonly PlannedChange[];
  /** --allow addresses that match no destroy or replace in this plan. */
  readonly unusedAllows: readonly string[];
}

/** Decides which destroys and replaces of stateful resources the plan may make. */
export function guard(plan: Plan, options: GuardOptions = {}): GuardResult {
  const types = new Set(options.statefulTypes ?? STATEFUL_RESOURCE_TYPES);
  const marked = new Set(options.protectedAddresses ?? []);
  const allow = new Set(options.allow ?? []);
  const losing = plan.changes.filter((c) => (c.kind === "destroy" || c.kind === "replace") && (types.has(c.type) || marked.has(withoutIndex(c.address))));
  return {
    blocked: losing.filter((c) => !allow.has(c.address)),
    allowed: losing.filter((c) => allow.has(c.address)),
    unusedAllows: [...allow].filter((a) => !losing.some((c) => c.address === a)),
  };
}

/** `aws_s3_bucket.logs["a"]` → `aws_s3_bucket.logs`: prevent_destroy is set on the block, not the instance. */
function withoutIndex(address: string): string {
  return address.replace(/\[[^\]]*\]$/, "");
}

/**
 * Addresses of the resources a synthesized stack (`cdk.tf.json`) marks `prevent_destroy`,
 * as `type.name`. Throws PlanFormatError when the text is not a Terraform JSON configuration.
 */
export function protectedAddresses(stackJson: string, source: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(stackJson);
  } catch (e) {
    throw new PlanFormatError(`${source} is not JSON (${(e as Error).message}); give a synthesized cdk.tf.json`);
  }
  if (!isObject(json)) throw new PlanFormatError(`${source} is not a Terraform JSON configuration`);
  const resources = isObject(json.resource) ? json.resource : {};
  const found: string[] = [];
  for (const [type, byName] of Object.entries(resources)) {
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) {
      if (isObject(body) && isObject(body.lifecycle) && body.lifecycle.prevent_destroy === true) found.push(`${type}.${name}`);
    }
  }
  return found.sort();
}

const REASONS: Record<string, string> = {
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "count shrank",
  delete_because_each_key: "for_each key removed",
  delete_because_no_move_target: "moved to an address that does not exist",
  replace_because_cannot_update: "an attribute cannot change in place",
  replace_because_tainted: "tainted",
  replace_by_request: "-replace requested",
  replace_by_triggers: "replace_triggered_by",
};

function describeChange(c: PlannedChange): string {
  const why = [c.reason ? (REASONS[c.reason] ?? c.reason) : undefined, c.deposed ? `deposed object ${c.deposed}` : undefined].filter(Boolean);
  return `${c.address}: ${c.kind}${why.length ? ` (${why.join(", ")})` : ""}`;
}

/** The short human report: totals, a line per resource type, then the guard's decision. */
export function formatReport(plan: Plan, result: GuardResult): string {
  const lines: string[] = [];
  const summary = summarize(plan);
  const totals = CHANGE_KINDS.map((k) => [k, plan.changes.filter((c) => c.kind === k).length] as const).filter(([, n]) => n > 0);
  lines.push(totals.length ? `Plan: ${totals.map(([k, n]) => `${n} to ${k}`).join(", ")}` : "Plan: no changes");
  const width = Math.max(0, ...[...summary.keys()].map((t) => t.length));
  for (const [type, counts] of summary) {
    lines.push(`  ${type.padEnd(width)}  ${CHANGE_KINDS.filter((k) => counts[k]).map((k) => `${k} ${counts[k]}`).join(", ")}`);
  }
  for (const c of result.allowed) lines.push(`Allowed by --allow: ${describeChange(c)}`);
  for (const a of result.unusedAllows) lines.push(`Note: --allow ${a} matches no destroy or replace in this plan`);
  if (result.blocked.length > 0) {
    lines.push(`BLOCKED: ${result.blocked.length} stateful resource${result.blocked.length === 1 ? "" : "s"} would be destroyed or replaced:`);
    for (const c of result.blocked) lines.push(`  ${describeChange(c)}`);
    lines.push("Its data, keys or address would be lost. If that is intended, check the backups, then run again with --allow <address> for each one.");
  } else {
    lines.push("Plan guard: passed");
  }
  return lines.join("\n");
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
