import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ensureHelm, HELM } from "./helm-binary";

/** Runs once before the suite: builds the Helm CLI the chart tests use, if missing. */
export default function setup(): void {
  mkdirSync(dirname(HELM), { recursive: true });
  ensureHelm();
}
