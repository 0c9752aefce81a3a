/**
 * `npm run bench`: wall time and peak memory of synthesizing the embedded default
 * deployment for every target, then for each target alone, each in a fresh process.
 * The "providers loaded" column shows that a one-target synth loads only its own.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Probe {
  providers: string[];
  seconds: number;
  peakMb: number;
}

function probe(clouds: string[]): Probe {
  const out = execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "bench", "probe.ts"), ...clouds], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [["all targets"], ["aws"], ["azure"], ["gcp"], ["onprem"]].map((label) => {
  const clouds = label[0] === "all targets" ? [] : label;
  const runs = Array.from({ length: RUNS }, () => probe(clouds));
  return {
    synth: label[0],
    seconds: median(runs.map((r) => r.seconds)).toFixed(2),
    peakMb: median(runs.map((r) => r.peakMb)).toFixed(0),
    providers: runs[0].providers.map((p) => p.replace("provider-", "")).join(", "),
  };
});

console.log(`synth of the embedded default deployment, median of ${RUNS} fresh processes (time excludes Node/tsx start-up)\n`);
const header = ["synth", "seconds", "peak MB", "providers loaded"];
const table = [header, ...rows.map((r) => [r.synth, r.seconds, r.peakMb, r.providers])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, j) => cell.padEnd(widths[j])).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
