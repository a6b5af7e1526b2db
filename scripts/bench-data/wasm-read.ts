/**
 * WASM input reads: a generated file (1 GiB by default) mounted into a WASM job
 * (examples/wasm/readseq.wasm, sequential 1 MiB reads, summing the bytes) against `cat file >
 * /dev/null` of the same file, both from a warm page cache; the bytes the executor copied to start
 * the job, and the time from run() to the job's first read against copying the input first (as
 * the executor did before inputs were mounted in place). With clang on the PATH, the same C built
 * natively is one more baseline. (The agent section measures the agent's peak RSS over a 4 GiB
 * piece read by a WASM job: the executor reads straight into the module's memory.) Medians of 3
 * runs; the file is deleted afterwards.
 *
 *   node --import tsx/esm scripts/bench-data/wasm-read.ts [mebibytes]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { constants } from "node:fs";
import { copyFile, mkdir, mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { buildSpec } from "@shoal/sdk";
import { createWasmExecutor } from "../../agent/src/executors/wasm/index.js";

export type BenchRow = { figure: string; value: string; baseline: string; ratio: string };

const RUNS = 3;
const READ_BYTES = 1_048_576;
const examples = new URL("../../examples/wasm/", import.meta.url);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mibps = (bytes: number, ms: number): number => bytes / 1_048_576 / (ms / 1000);

export async function benchWasmRead(options: { mebibytes?: number } = {}): Promise<BenchRow[]> {
  const mebibytes = options.mebibytes ?? 1024;
  const size = mebibytes * 1_048_576;
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-wasm-read-"));
  try {
    // The "stored piece": its own directory, apart from the executor's temporary directory.
    await mkdir(join(dir, "pieces"));
    await mkdir(join(dir, "tmp"));
    const file = join(dir, "pieces", "piece.bin");
    await generate(file, size);
    const cat = (): number => {
      const started = performance.now();
      const done = spawnSync("sh", ["-c", 'cat "$1" > /dev/null', "sh", file]);
      if (done.status !== 0) throw new Error(`cat failed: ${done.stderr.toString()}`);
      return performance.now() - started;
    };
    cat(); // warm the page cache for everybody
    const catMs = median(Array.from({ length: RUNS }, cat));

    const bytes = await readFile(new URL("readseq.wasm", examples));
    const module = CID.createV1(raw.code, await sha256.digest(bytes)).toString();
    const executor = createWasmExecutor({ resolveModule: async () => bytes, tempDir: join(dir, "tmp") });
    const spec = buildSpec({
      version: 1,
      engine: { type: "wasm", module, args: ["/inputs/piece.bin", String(READ_BYTES)] },
      inputs: [{ cid: module, mount: "/inputs/piece.bin" }],
      resources: { memoryMb: 64, timeoutSec: 600 },
    });
    const jobMs: number[] = [];
    const runMs: number[] = [];
    const firstReadMs: number[] = [];
    let copied = 0;
    let printed = "";
    await executor.isAvailable(); // the first worker start pays one-time costs (type stripping)
    for (let i = 0; i < RUNS; i++) {
      const outputDir = await mkdtemp(join(dir, "out-"));
      const started = performance.now();
      const result = await executor.run({ jobId: 1n, spec, inputs: [{ mount: "/inputs/piece.bin", hostPath: file }], outputDir });
      runMs.push(performance.now() - started);
      jobMs.push(result.durationMs);
      firstReadMs.push(result.firstInputReadMs ?? Number.NaN);
      copied += result.inputBytesCopied ?? Number.NaN;
      printed = result.stdout;
    }
    if (!printed.startsWith(`${size} bytes`)) throw new Error(`the job read something else: ${printed}`);

    // What the executor did before: copy the input into the run's view (FICLONE where it can).
    const copies: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const copy = join(dir, "tmp", "copy");
      const started = performance.now();
      await copyFile(file, copy, constants.COPYFILE_FICLONE);
      copies.push(performance.now() - started);
      await rm(copy);
    }
    const copyMs = median(copies);

    const wasmMibps = mibps(size, median(jobMs));
    const runMibps = mibps(size, median(runMs));
    const catMibps = mibps(size, catMs);
    const first = median(firstReadMs);
    const rows: BenchRow[] = [
      {
        figure: `WASM job read, ${mebibytes} MiB in 1 MiB reads (executor.run end to end)`,
        value: `${runMibps.toFixed(0)} MiB/s`,
        baseline: `cat > /dev/null: ${catMibps.toFixed(0)} MiB/s`,
        ratio: `${(runMibps / catMibps).toFixed(2)}x`,
      },
      {
        figure: "  the module alone (its durationMs)",
        value: `${wasmMibps.toFixed(0)} MiB/s`,
        baseline: `cat > /dev/null: ${catMibps.toFixed(0)} MiB/s`,
        ratio: `${(wasmMibps / catMibps).toFixed(2)}x`,
      },
    ];
    const native = nativeReadMs(dir, file);
    if (native !== undefined) {
      const nativeMibps = mibps(size, native.ms);
      if (!printed.startsWith(native.printed.trim())) throw new Error(`native and WASM read different bytes: ${native.printed} / ${printed}`);
      rows.push({
        figure: "  the module alone against the same C built natively (clang -O2, process)",
        value: `${wasmMibps.toFixed(0)} MiB/s`,
        baseline: `native: ${nativeMibps.toFixed(0)} MiB/s`,
        ratio: `${(wasmMibps / nativeMibps).toFixed(2)}x`,
      });
    }
    rows.push(
      {
        figure: `WASM time to first input read (run() to first fd_read)`,
        value: `${first.toFixed(0)} ms`,
        baseline: `copy first, as before: ${(copyMs + first).toFixed(0)} ms`,
        ratio: `${(first / (copyMs + first)).toFixed(3)}x`,
      },
      {
        figure: "WASM input bytes copied per run",
        value: `${copied / RUNS}`,
        baseline: `before: ${size}`,
        ratio: `${(copied / RUNS / size).toFixed(2)}x`,
      },
    );
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `size` bytes of a fixed pseudo-random 1 MiB block, each copy stamped with its index. */
async function generate(path: string, size: number): Promise<void> {
  const block = Buffer.alloc(1_048_576);
  let x = 0x9e3779b9;
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  const handle = await open(path, "w");
  try {
    for (let written = 0, index = 0; written < size; index++) {
      block.writeUInt32LE(index, 0);
      const n = Math.min(block.length, size - written);
      await handle.write(block, 0, n, written);
      written += n;
    }
  } finally {
    await handle.close();
  }
}

/** The median time of readseq built natively, or undefined without clang. */
function nativeReadMs(dir: string, file: string): { ms: number; printed: string } | undefined {
  const binary = join(dir, "readseq");
  try {
    execFileSync("clang", ["-O2", "-o", binary, new URL("readseq.c", examples).pathname], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  let printed = "";
  const ms = median(
    Array.from({ length: RUNS }, () => {
      const started = performance.now();
      printed = execFileSync(binary, [file, String(READ_BYTES)], { encoding: "utf8" });
      return performance.now() - started;
    }),
  );
  return { ms, printed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await benchWasmRead({ mebibytes: process.argv[2] === undefined ? undefined : Number(process.argv[2]) });
  console.table(rows);
}
