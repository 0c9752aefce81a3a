/**
 * The anchoring CronJob's program: `audit-anchor` with the arguments it is given, bundled
 * with its dependencies into one file (see bundle.ts) that runs on a stock Node.js image.
 */
import { auditAnchor } from "../../cli/audit-anchor";

auditAnchor(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`audit-anchor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
