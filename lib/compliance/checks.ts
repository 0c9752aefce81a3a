import type { CheckId, Minimums } from "./frameworks";

/**
 * One thing a check looks at: a Terraform resource or provider as it will be written
 * (references as Terraform writes them, `${aws_kms_key.x.arn}`), a Kubernetes object a
 * Helm release of the kit applies, or a fact a construct of the kit states about itself.
 */
export interface Subject {
  /** The Terraform address, `provider.aws` for a provider, `<release address>/<Kind>/<namespace>/<name>` for an object. */
  readonly address: string;
  /** A Terraform type (`aws_db_instance`), `provider.<name>`, `k8s:<Kind>` or `fact:<kind>`. */
  readonly type: string;
  /** The construct path, where a suppression is looked up. */
  readonly path: string;
  readonly attrs: Record<string, any>;
}

/** What a check found about one subject. */
export interface Verdict {
  readonly check: CheckId;
  readonly pass: boolean;
  /** The exact attributes that decided it, e.g. `storage_encrypted=true, kms_key_id=${aws_kms_key.data.arn}`. */
  readonly evidence: string;
  /** Set by the kit where the check cannot apply and why (shown as suppressed in the report). */
  readonly exempt?: string;
}

export interface Finding extends Verdict {
  readonly address: string;
  readonly path: string;
  /** Why a failing finding is accepted: the kit's exemption or a user's suppression. */
  readonly suppressed?: string;
}

/** What a rule may consult besides its subject. */
export interface RuleContext {
  readonly minimums: Minimums;
  /** The subjects of a type. */
  of(type: string): readonly Subject[];
  /** Every subject. */
  all(): readonly Subject[];
  /** Subjects of `type` with an attribute that refers to `target` (`${<target address>.…}`). */
  referring(type: string, target: Subject): readonly Subject[];
}

/** The checks of one resource type: a verdict per check the type evidences. */
export type Rule = (subject: Subject, ctx: RuleContext) => Verdict[];
export type Rules = Readonly<Record<string, Rule>>;

/**
 * A customer-managed key: a reference to a key resource (`${aws_kms_key.data.arn}`), or a
 * key a library user passes by ARN or id. Not empty, and not a provider-managed key
 * (`alias/aws/...`), which encrypts with keys the customer does not control.
 */
export function isCustomerKey(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "" && !/(^|:)alias\/aws\//.test(value);
}

/** `key=value` pairs of the attributes that decided a verdict (JSON for objects, `<unset>` for missing). */
export function show(attrs: Record<string, any>, ...keys: string[]): string {
  return keys
    .map((key) => {
      const value = key.split(".").reduce<any>((v, k) => (v === undefined || v === null ? undefined : Array.isArray(v) && !/^\d+$/.test(k) ? v[0]?.[k] : v[k]), attrs);
      return `${key}=${value === undefined ? "<unset>" : typeof value === "string" ? value : JSON.stringify(value)}`;
    })
    .join(", ");
}

/** A verdict from a condition and the attributes it read. */
export function verdict(check: CheckId, pass: boolean, attrs: Record<string, any>, ...keys: string[]): Verdict {
  return { check, pass, evidence: show(attrs, ...keys) };
}

/** The first element of a nested block as Terraform JSON may write it: an object or a one-element list. */
export function block(value: unknown): Record<string, any> | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first && typeof first === "object" ? (first as Record<string, any>) : undefined;
}

/** Whether an allowlist is open to the internet: empty (the services read that as everything) or a range wider than /8. */
export function openToInternet(cidrs: readonly string[]): boolean {
  return cidrs.length === 0 || cidrs.some((c) => Number(c.split("/")[1] ?? 32) < 8);
}

/** Terraform's lifecycle guard against a plan that destroys the resource. */
export function preventsDestroy(s: Subject): Verdict {
  return verdict("deletion-protection", s.attrs.lifecycle?.prevent_destroy === true, s.attrs, "lifecycle.prevent_destroy");
}

/** Evaluates every subject against the rules of its type and the rules for any type (`everySubject`). */
export function evaluate(subjects: readonly Subject[], rules: Rules, minimums: Minimums, everySubject: readonly Rule[] = []): Finding[] {
  const byType = new Map<string, Subject[]>();
  for (const s of subjects) byType.set(s.type, [...(byType.get(s.type) ?? []), s]);
  const ctx: RuleContext = {
    minimums,
    of: (type) => byType.get(type) ?? [],
    all: () => subjects,
    referring: (type, target) => (byType.get(type) ?? []).filter((s) => JSON.stringify(s.attrs).includes(`\${${target.address}.`)),
  };
  return subjects.flatMap((s) => [...(rules[s.type]?.(s, ctx) ?? []), ...everySubject.flatMap((rule) => rule(s, ctx))].map((v) => ({ ...v, address: s.address, path: s.path, ...(v.exempt ? { suppressed: v.exempt } : {}) })));
}
