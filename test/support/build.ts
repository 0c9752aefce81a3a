import { inject } from "vitest";

/** For tests of the compiled package: fails with the compiler's output when dist/ could not be built. */
export function requireBuild(): void {
  const error = inject("buildError");
  if (error) throw new Error(error);
}
