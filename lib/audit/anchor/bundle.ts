import { join } from "node:path";

/** The bundled anchoring program's file name, next to the compiled job.js in dist/. */
export const ANCHOR_JOB_BUNDLE = "anchor-job.cjs";

/**
 * Bundles the `audit-anchor` command (viem, pg and the kit's code) into one CommonJS file
 * that the anchoring CronJob runs from a ConfigMap with a stock Node.js image: no image
 * of the kit's own to build, sign and host. Minified to stay well under a ConfigMap's
 * 1 MiB; licence comments kept at the end. Deterministic: the same sources give the same
 * file, so a rebuild changes no plan. Run after `tsc` (`node dist/lib/audit/anchor/bundle.js`);
 * `entry` may be the TypeScript source (tests).
 */
export async function bundleAnchorJob(outfile = join(__dirname, ANCHOR_JOB_BUNDLE), entry = join(__dirname, "job-main")): Promise<string> {
  // Loaded here only: esbuild is a build-time tool, and job.ts imports this file's constant at synth.
  const { build } = await import("esbuild");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    // The package's oldest supported Node.js; the job's image runs a newer one.
    target: "node20",
    minify: true,
    legalComments: "eof",
    logLevel: "warning",
  });
  return outfile;
}

if (require.main === module) {
  bundleAnchorJob().then(
    (file) => process.stdout.write(`${file}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
