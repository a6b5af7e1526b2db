// CommP throughput: the SDK's pieceCidOfFile over a generated random file (N MiB, default 1024,
// in os.tmpdir(), deleted afterwards) on every core and on one, against `sha256sum` over the
// same file (the physical reference: native SHA-256 with SHA-NI, one core) and against
// @web3-storage/data-segment's Piece.fromPayload over a 16 MiB sample (the old path).
//
//   node --import tsx/esm scripts/bench-data/commp.ts [--mebibytes N]
//
// MiB are payload bytes per wall-clock second. "per CPU-second" divides by the CPU time the
// process used (every thread), which stays meaningful on a machine others are loading.
import { execFile } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { open, mkdtemp, rm, readFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { Piece } from "@web3-storage/data-segment";
import { pieceCidOfFile } from "@shoal/sdk/node";

export type BenchRow = { figure: string; value: string; baseline: string; ratio: string };

const MiB = 1024 * 1024;
const SAMPLE_MIB = 16;
const run = promisify(execFile);

/** Seconds of wall time and of CPU time (all threads) that `task` takes. */
async function timed<T>(task: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await task();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function writeRandomFile(path: string, mebibytes: number): Promise<void> {
  const file = await open(path, "w");
  try {
    const chunk = new Uint8Array(16 * MiB);
    for (let left = mebibytes * MiB; left > 0; left -= chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, left));
      randomFillSync(part);
      await file.write(part);
    }
  } finally {
    await file.close();
  }
}

/** sha256sum's wall seconds over `path`, or undefined where it is not installed. */
async function sha256sum(path: string): Promise<number | undefined> {
  try {
    const t0 = performance.now();
    await run("sha256sum", [path]);
    return (performance.now() - t0) / 1000;
  } catch {
    return undefined;
  }
}

const rate = (mib: number, seconds: number) => mib / seconds;
const fmt = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} MiB/s`;
const times = (a: number, b: number) => `${(a / b).toFixed(a / b < 10 ? 2 : 0)}x`;

/** Measures CommP and its references; rows for the data benchmark table. */
export async function benchCommp(options: { mebibytes?: number } = {}): Promise<BenchRow[]> {
  const mebibytes = options.mebibytes ?? 1024;
  const cores = availableParallelism();
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-commp-"));
  const path = join(dir, "random.bin");
  try {
    await writeRandomFile(path, mebibytes);
    await sha256sum(path); // warm the page cache, as the runs below will find it
    const native = await sha256sum(path);
    const all = await timed(() => pieceCidOfFile(path, { threads: cores }));
    const one = await timed(() => pieceCidOfFile(path, { threads: 1 }));
    if (all.value.v2 !== one.value.v2) throw new Error("CommP differs between 1 and all threads");

    const sample = (await readFile(path)).subarray(0, Math.min(SAMPLE_MIB, mebibytes) * MiB);
    const sampleMib = sample.length / MiB;
    const old = await timed(() => Piece.fromPayload(sample));

    const allRate = rate(mebibytes, all.wall);
    const oneRate = rate(mebibytes, one.wall);
    const oldRate = rate(sampleMib, old.wall);
    const nativeRate = native === undefined ? undefined : rate(mebibytes, native);
    const vsNative = (value: number) => (nativeRate === undefined ? "n/a" : times(value, nativeRate));
    const nativeText = nativeRate === undefined ? "sha256sum: not installed" : `sha256sum ${fmt(nativeRate)}`;
    return [
      { figure: `CommP, ${mebibytes} MiB file, ${cores} threads`, value: fmt(allRate), baseline: nativeText, ratio: vsNative(allRate) },
      { figure: `CommP per core (${cores} threads)`, value: fmt(allRate / cores), baseline: `${nativeText} (1 core)`, ratio: vsNative(allRate / cores) },
      { figure: "CommP per CPU-second (all threads)", value: fmt(rate(mebibytes, all.cpu)), baseline: nativeText, ratio: vsNative(rate(mebibytes, all.cpu)) },
      { figure: "CommP, 1 thread", value: fmt(oneRate), baseline: `${cores} threads ${fmt(allRate)}`, ratio: times(oneRate, allRate) },
      { figure: `data-segment Piece.fromPayload (${sampleMib} MiB)`, value: fmt(oldRate), baseline: `CommP ${cores} threads ${fmt(allRate)}`, ratio: times(oldRate, allRate) },
      { figure: `CommP ${cores} threads vs data-segment`, value: fmt(allRate), baseline: `data-segment ${fmt(oldRate)}`, ratio: times(allRate, oldRate) },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The rows as an aligned text table. */
export function formatRows(rows: BenchRow[]): string {
  const header: BenchRow = { figure: "figure", value: "value", baseline: "baseline", ratio: "ratio" };
  const keys = ["figure", "value", "baseline", "ratio"] as const;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  return [header, ...rows].map((r) => keys.map((k, i) => r[k].padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--mebibytes");
  const mebibytes = at > 0 ? Number(process.argv[at + 1]) : undefined;
  console.log(formatRows(await benchCommp({ mebibytes })));
}
