/**
 * Data at the size providers store, in one table: CommP throughput, a stored piece run through the
 * agent as a WASM and a Docker job, the WASM executor's read throughput, and a large result packed,
 * served and downloaded with verification, each next to its baseline measured in the same run.
 *
 *   npm run bench:data
 *   SHOAL_BENCH_DATA=agent SHOAL_BENCH_PIECE_MIB=256 npm run bench:data   # some sections, smaller sizes
 *
 * Sections (SHOAL_BENCH_DATA, comma-separated; default all): commp, agent, wasm-read, results.
 * Sizes in MiB: SHOAL_BENCH_COMMP_MIB (default 1024), SHOAL_BENCH_PIECE_MIB (4096),
 * SHOAL_BENCH_READ_MIB (1024), SHOAL_BENCH_RESULT_MIB (1024).
 */
import { type Row, benchStoredPiece } from "./bench-data/agent.js";
import { benchCommp } from "./bench-data/commp.js";
import { benchResults } from "./bench-data/results.js";
import { benchWasmRead } from "./bench-data/wasm-read.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const sections: Record<string, () => Promise<Row[]>> = {
  commp: () => benchCommp({ mebibytes: env("SHOAL_BENCH_COMMP_MIB", 1024) }),
  agent: () => benchStoredPiece({ mebibytes: env("SHOAL_BENCH_PIECE_MIB", 4096) }),
  "wasm-read": () => benchWasmRead({ mebibytes: env("SHOAL_BENCH_READ_MIB", 1024) }),
  results: () => benchResults({ mebibytes: env("SHOAL_BENCH_RESULT_MIB", 1024) }),
};
const chosen = (process.env.SHOAL_BENCH_DATA ?? Object.keys(sections).join(",")).split(",").map((s) => s.trim());
const unknown = chosen.filter((name) => !(name in sections));
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(", ")}: choose from ${Object.keys(sections).join(", ")}`);
  process.exit(1);
}

const rows: Array<Row & { section: string }> = [];
for (const name of chosen) {
  const started = performance.now();
  console.error(`bench:data: ${name}…`);
  for (const row of await sections[name]!()) rows.push({ section: name, ...row });
  console.error(`bench:data: ${name} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const headers = ["figure", "value", "baseline (same run)", "ratio"] as const;
const cells = rows.map((r) => [r.figure, r.value, r.baseline, r.ratio]);
const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(headers));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const c of cells) console.log(line(c));
