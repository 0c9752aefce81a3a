/**
 * `npm run bench`: the main job (`node dist/main.js`, compiled) measured as a user meets
 * it, whole process from start to exit: wall time and peak memory, for the embedded
 * default deployment of every target and of each target alone, each in a fresh process.
 * Beside each, the same synth with the five provider packages imported by their root
 * first (the naive baseline) and the ratio. The in-process columns (probe.ts) exclude
 * Node's start-up and show which provider packages a synth loads.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { defaultSpec, TARGET_CLOUDS } from "../lib/config/defaults";

const ROOT = join(__dirname, "..");
const DIST = join(ROOT, "dist");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Measure {
  seconds: number;
  peakMb: number;
}

/** One fresh `node [preloads] dist/main.js` in a scratch directory. */
function wholeProcess(clouds: string[], preloads: string[]): Measure {
  const dir = mkdtempSync(join(tmpdir(), "byoc-bench-"));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PEAK: join(dir, "peak"), CDKTF_OUTDIR: join(dir, "out") };
    delete env.BYOC_CONFIG;
    if (clouds.length === 1) {
      env.BYOC_CONFIG = join(dir, "byoc.yaml");
      writeFileSync(env.BYOC_CONFIG, stringify(defaultSpec(clouds[0] as (typeof TARGET_CLOUDS)[number])));
    }
    const args = [...["peak", ...preloads].flatMap((p) => ["-r", join(DIST, "bench", `${p}.js`)]), join(DIST, "main.js")];
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { cwd: dir, env, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) throw new Error(`synth failed: ${result.stderr}`);
    return { seconds, peakMb: Number(readFileSync(join(dir, "peak"), "utf8")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function inProcess(clouds: string[]): Measure & { providers: string[] } {
  const out = execFileSync(process.execPath, [join(DIST, "bench", "probe.js"), ...clouds], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medianOf = (runs: Measure[]): Measure => ({ seconds: median(runs.map((r) => r.seconds)), peakMb: median(runs.map((r) => r.peakMb)) });
const times = <T>(f: () => T) => Array.from({ length: RUNS }, f);

const rows = [[], ...TARGET_CLOUDS.map((c) => [c])].map((clouds) => {
  const ours = medianOf(times(() => wholeProcess(clouds, [])));
  const naive = medianOf(times(() => wholeProcess(clouds, ["root-imports"])));
  const probes = times(() => inProcess(clouds));
  const inside = medianOf(probes);
  return [
    clouds[0] ?? "all targets",
    ours.seconds.toFixed(2),
    ours.peakMb.toFixed(0),
    naive.seconds.toFixed(2),
    naive.peakMb.toFixed(0),
    `${(naive.seconds / ours.seconds).toFixed(1)}x / ${(naive.peakMb / ours.peakMb).toFixed(1)}x`,
    inside.seconds.toFixed(2),
    inside.peakMb.toFixed(0),
    probes[0].providers.map((p) => p.replace("provider-", "")).join(", "),
  ];
});

console.log(`synth of the embedded default deployment: node dist/main.js, median of ${RUNS} fresh processes\n`);
const header = ["synth", "wall s", "peak MB", "root-import s", "root-import MB", "baseline ÷ ours (time / memory)", "in-process s", "in-process MB", "providers loaded"];
const table = [header, ...rows];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, j) => cell.padEnd(widths[j])).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
