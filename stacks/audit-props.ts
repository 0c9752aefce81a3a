import type { DeploymentSpec } from "../lib/config/spec";
import { POSTGRES_IMAGES } from "../lib/data/onprem-postgres";

/** The SQL ledger's settings on a managed cloud's PostgreSQL; undefined without one (or with another backend). */
export function cloudLedgerProps(spec: DeploymentSpec): { retentionMonths: number; image: string; runAsUser: number } | undefined {
  const audit = spec.audit;
  const pg = spec.data.postgres;
  if (audit?.type !== "database" || !pg) return undefined;
  // psql of the server's major, from CloudNativePG's image (its user is postgres, uid 26).
  return { retentionMonths: audit.database.retentionMonths, image: POSTGRES_IMAGES[pg.version], runAsUser: 26 };
}
