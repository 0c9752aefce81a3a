/**
 * Preloaded into a process the bench measures (`node -r dist/bench/peak.js ...`): on exit,
 * writes the whole process's peak resident memory (MB) to the file named by BENCH_PEAK.
 */
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_PEAK;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS / 1024)));
