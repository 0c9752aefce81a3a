import { expect } from "vitest";
import { parseSpec, SpecError } from "../../lib/config/spec";

/** The problems a spec is rejected with; fails the test when the spec is accepted. */
export function problems(input: unknown): string[] {
  try {
    parseSpec(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).problems;
  }
  throw new Error("the spec was accepted");
}
