import { Token } from "cdktf";
import type { IConstruct } from "constructs";

/** `<Class> <path>`: how an error names the construct that refused a prop. */
export function label(scope: IConstruct): string {
  return `${scope.constructor.name} ${scope.node.path}`;
}

/**
 * Refuses a prop: the message names the construct, the prop, what is allowed and the
 * value given. Unresolved tokens are never refused: their value is known at apply time.
 */
export function requireProp<T>(scope: IConstruct, prop: string, value: T | undefined, ok: (v: T) => boolean, allowed: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!ok(value)) throw new Error(`${label(scope)}: ${prop} must be ${allowed} (got ${JSON.stringify(value)})`);
}

/** An integer prop within [min, max]. */
export function requireInt(scope: IConstruct, prop: string, value: number | undefined, min: number, max: number): void {
  requireProp(scope, prop, value, (v: number) => Number.isInteger(v) && v >= min && v <= max, `an integer from ${min} to ${max}`);
}
