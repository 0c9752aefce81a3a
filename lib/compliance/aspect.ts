import { Aspects, DefaultTokenResolver, StringConcat, TerraformDataSource, TerraformProvider, TerraformResource, TerraformStack, Tokenization, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { parse } from "yaml";
import { evaluate, type Finding, type Rules, type Subject } from "./checks";
import { CHECKS, CONTROLS, minimumsOf, type CheckId, type Control, type Framework, type Minimums } from "./frameworks";
import { AWS_RULES } from "./rules-aws";
import { AZURE_RULES } from "./rules-azure";
import { GCP_RULES } from "./rules-gcp";
import { KUBERNETES_RULES } from "./rules-kubernetes";
import { residency } from "./rules-residency";

/** Every target's rules: keyed by resource type, so only the types a stack has are looked at. */
export const RULES: Rules = { ...AWS_RULES, ...AZURE_RULES, ...GCP_RULES, ...KUBERNETES_RULES };

/** What a construct of the kit states about itself for the checks (e.g. the audit ledger's retention). */
export interface IComplianceFacts {
  readonly complianceFacts: { readonly kind: string; readonly attrs: Record<string, unknown> };
}

/** Resolves a construct's Terraform as the stack writes it (references as `${type.name.attr}`). */
const RESOLVER = new DefaultTokenResolver(new StringConcat());
const resolve = (stack: TerraformStack, value: unknown): any => Tokenization.resolve(value, { scope: stack, preparing: false, resolver: RESOLVER });

/**
 * The Kubernetes objects a Helm release of the kit's manifests chart applies (its values'
 * `objects`), as subjects `<release>/<Kind>/<namespace>/<name>`: read from the values
 * as synthesized, so an override of the values is what gets checked.
 */
function releasedObjects(release: Subject): Subject[] {
  if (release.type !== "helm_release" || !Array.isArray(release.attrs.values) || release.attrs.values.length !== 1) return [];
  let values: unknown;
  try {
    values = parse(String(release.attrs.values[0]), { version: "1.1" });
  } catch {
    return [];
  }
  const objects = (values as { objects?: unknown })?.objects;
  if (!Array.isArray(objects)) return [];
  return objects
    .filter((o): o is Record<string, any> => typeof o === "object" && o !== null && typeof o.kind === "string")
    .map((o) => {
      const group = String(o.apiVersion).includes("/") ? String(o.apiVersion).split("/")[0] : "core";
      // Helm puts an object without a namespace in the release's.
      const namespace = o.metadata?.namespace ?? release.attrs.namespace;
      return { address: `${release.address}/${o.kind}/${namespace}/${o.metadata?.name}`, type: `k8s:${o.kind}.${group}`, path: release.path, attrs: { ...o, metadata: { ...o.metadata, namespace } } };
    });
}

const SUPPRESSION = "cdktf-byoc:compliance-suppression";

/**
 * A control (or check) is `fail` when a finding fails unsuppressed; `not-evidenced` when
 * nothing of the deployment evidences it; `partial` when some of its checks are evidenced
 * and pass and others have nothing to look at; `suppressed` when every check is evidenced
 * and the only failures carry a reason; else `pass`.
 */
export type ControlStatus = "pass" | "fail" | "partial" | "suppressed" | "not-evidenced";

/** A control's status from its checks' statuses. */
export function controlStatus(checks: readonly ControlStatus[]): ControlStatus {
  if (checks.includes("fail")) return "fail";
  if (checks.every((c) => c === "not-evidenced")) return "not-evidenced";
  if (checks.some((c) => c === "not-evidenced" || c === "partial")) return "partial";
  return checks.includes("suppressed") ? "suppressed" : "pass";
}

/** A check's status from its findings. */
export function checkStatus(findings: readonly Finding[]): ControlStatus {
  return findings.some((f) => !f.pass && !f.suppressed) ? "fail" : findings.length === 0 ? "not-evidenced" : findings.some((f) => !f.pass) ? "suppressed" : "pass";
}

export interface ControlResult {
  readonly control: Control;
  readonly status: ControlStatus;
  /** The findings of the control's checks. */
  readonly findings: readonly Finding[];
}

/** A stack that fails controls: every failing control with each failing resource and the attributes that decided it. */
export class ComplianceError extends Error {
  constructor(
    readonly stack: string,
    readonly failing: readonly ControlResult[],
  ) {
    super(
      [
        `${stack} fails ${failing.length} compliance control${failing.length === 1 ? "" : "s"}:`,
        ...failing.map((r) =>
          [`  - ${r.control.framework} ${r.control.reference} (${r.control.title}):`, ...r.findings.filter((f) => !f.pass && !f.suppressed).map((f) => `      ${f.check}: ${f.address}: ${f.evidence}`)].join("\n"),
        ),
        "Fix the settings, or record why a finding does not apply with ComplianceAspect.suppress(construct, check, reason); `npm run compliance-report` writes the full evidence.",
      ].join("\n"),
    );
    this.name = "ComplianceError";
  }
}

/** One stack's findings. */
export interface StackFindings {
  readonly stack: string;
  readonly findings: readonly Finding[];
}

export interface ComplianceAspectProps {
  readonly frameworks: readonly Framework[];
  /** @default the strictest of the frameworks' MINIMUMS */
  readonly minimums?: Minimums;
  /** Fail synth, listing every failing control, when a control fails. Off for a report of a deployment that fails. @default true */
  readonly failOnViolation?: boolean;
}

/**
 * The frameworks' controls, checked over what a stack synthesizes: add it to each stack
 * (`Aspects.of(stack).add(aspect)`, one aspect for the stacks of one deployment). It
 * collects every resource, provider, data source, Kubernetes object of the kit's
 * releases and fact of the kit's constructs, then, as the stack's validation (after
 * every aspect ran), resolves them as Terraform will see them and evaluates the
 * controls' checks. A failing control fails synth with each failing resource and the
 * attribute that failed, unless suppressed (`ComplianceAspect.suppress`).
 */
export class ComplianceAspect implements IAspect {
  /** Records why a check does not apply to a construct and everything under it; the report lists it as suppressed. */
  static suppress(scope: IConstruct, check: CheckId, reason: string): void {
    if (!(check in CHECKS)) throw new Error(`ComplianceAspect.suppress: ${JSON.stringify(check)} is not a check; use one of ${Object.keys(CHECKS).join(", ")}`);
    if (reason.trim().length < 10) throw new Error(`ComplianceAspect.suppress(${scope.node.path}, ${check}): give the reason an auditor will read (at least 10 characters)`);
    scope.node.addMetadata(SUPPRESSION, { check, reason });
  }

  /** The aspect added to a stack, if any. */
  static of(stack: TerraformStack): ComplianceAspect | undefined {
    return Aspects.of(stack).all.find((a): a is ComplianceAspect => a instanceof ComplianceAspect);
  }

  readonly frameworks: readonly Framework[];
  readonly minimums: Minimums;
  readonly controls: readonly Control[];
  private readonly failOnViolation: boolean;
  private readonly checks: ReadonlySet<CheckId>;
  private readonly collected = new Map<TerraformStack, (() => Subject[])[]>();
  private readonly constructs = new Map<string, IConstruct>();
  private readonly results = new Map<TerraformStack, Finding[]>();

  constructor(props: ComplianceAspectProps) {
    if (props.frameworks.length === 0) throw new Error("ComplianceAspect: give at least one framework");
    this.frameworks = [...new Set(props.frameworks)];
    this.minimums = props.minimums ?? minimumsOf(this.frameworks);
    this.failOnViolation = props.failOnViolation ?? true;
    this.controls = CONTROLS.filter((c) => this.frameworks.includes(c.framework));
    this.checks = new Set(this.controls.flatMap((c) => c.checks));
  }

  visit(node: IConstruct): void {
    if (TerraformStack.isStack(node)) {
      if (!this.collected.has(node)) {
        this.collected.set(node, []);
        node.node.addValidation({ validate: () => this.validate(node) });
      }
      return;
    }
    const stack = TerraformStack.of(node);
    const add = (thunk: () => Subject[]) => this.collected.get(stack)?.push(thunk);
    if (TerraformResource.isTerraformResource(node) || TerraformDataSource.isTerraformDataSource(node)) {
      const element = node as TerraformResource | TerraformDataSource;
      const section = element instanceof TerraformDataSource ? "data" : "resource";
      const prefix = section === "data" ? "data." : "";
      add(() => {
        const body = resolve(stack, element.toTerraform())[section]?.[element.terraformResourceType]?.[element.friendlyUniqueId];
        if (!body) return [];
        const subject = { address: `${prefix}${element.terraformResourceType}.${element.friendlyUniqueId}`, type: `${prefix}${element.terraformResourceType}`, path: node.node.path, attrs: body };
        return [subject, ...releasedObjects(subject)];
      });
    } else if (TerraformProvider.isTerraformProvider(node)) {
      const provider = node as TerraformProvider;
      add(() => {
        const [name, [attrs]] = Object.entries<Record<string, unknown>[]>(resolve(stack, provider.toTerraform()).provider)[0];
        return [{ address: `provider.${name}${attrs.alias ? `.${attrs.alias}` : ""}`, type: `provider.${name}`, path: node.node.path, attrs }];
      });
    }
    const facts = (node as Partial<IComplianceFacts>).complianceFacts;
    if (facts) add(() => [{ address: node.node.path, type: `fact:${facts.kind}`, path: node.node.path, attrs: facts.attrs as Record<string, any> }]);
    this.constructs.set(node.node.path, node);
  }

  /** The findings of each stack synthesized so far. */
  stackFindings(): StackFindings[] {
    return [...this.results].map(([stack, findings]) => ({ stack: stack.node.id, findings }));
  }

  /** The controls' results over `findings` (default: those of every stack synthesized so far). */
  controlResults(findings: readonly Finding[] = [...this.results.values()].flat()): ControlResult[] {
    return this.controls.map((control) => {
      const mine = findings.filter((f) => control.checks.includes(f.check));
      return { control, status: controlStatus(control.checks.map((check) => checkStatus(mine.filter((f) => f.check === check)))), findings: mine };
    });
  }

  private validate(stack: TerraformStack): string[] {
    const subjects = (this.collected.get(stack) ?? []).flatMap((thunk) => thunk());
    const findings = evaluate(subjects, RULES, this.minimums, this.checks.has("data-residency") ? [residency] : [])
      .filter((f) => this.checks.has(f.check))
      .map((f) => (f.pass || f.suppressed ? f : { ...f, ...this.suppression(f) }));
    this.results.set(stack, findings);
    const failing = this.controlResults(findings).filter((r) => r.status === "fail");
    // Thrown rather than returned: cdktf would wrap returned messages in a stack trace.
    if (this.failOnViolation && failing.length > 0) throw new ComplianceError(stack.node.id, failing);
    return [];
  }

  /** A user's suppression on the finding's construct or one of its scopes. */
  private suppression(f: Finding): { suppressed?: string } {
    for (let c: IConstruct | undefined = this.constructs.get(f.path); c; c = c.node.scope) {
      const entry = c.node.metadata.find((m) => m.type === SUPPRESSION && (m.data as { check: string }).check === f.check);
      if (entry) return { suppressed: `${(entry.data as { reason: string }).reason} (suppressed at ${c.node.path})` };
    }
    return {};
  }
}
