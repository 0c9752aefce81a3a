/**
 * Run in a fresh process: synthesizes the embedded default deployment for the clouds
 * named on the command line (all when none) into a temporary directory, then prints
 * JSON with the provider packages Node loaded, the wall time and the peak memory.
 * Compiled with the package (dist/bench/probe.js); used by the bench and the loading test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { TARGET_CLOUDS, defaultSpec } from "../lib/config/defaults";
import { parseSpec } from "../lib/config/spec";
import { buildStacks } from "../stacks";

async function probe(clouds: string[]) {
  const started = performance.now();
  const outdir = mkdtempSync(join(tmpdir(), "byoc-probe-"));
  try {
    const app = new App({ outdir });
    for (const cloud of TARGET_CLOUDS.filter((c) => clouds.length === 0 || clouds.includes(c))) {
      await buildStacks(app, parseSpec(defaultSpec(cloud)));
    }
    app.synth();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  const providers = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules[\\/]@cdktf[\\/](provider-[a-z]+)[\\/]/.exec(file);
    if (m) providers.add(m[1]);
  }
  return {
    providers: [...providers].sort(),
    seconds: (performance.now() - started) / 1000,
    peakMb: process.resourceUsage().maxRSS / 1024,
  };
}

probe(process.argv.slice(2)).then((r) => console.log(JSON.stringify(r)));
