/**
 * WASM executor overhead: examples/wasm/wordfreq over generated texts (5 MB and 50 MB by default),
 * run by the executor and as the same C built natively (`clang -O2`), median of several runs each,
 * with where the executor's time goes. Both must write the same bytes. Needs clang for the native
 * baseline.
 *
 *   node --import tsx/esm scripts/bench-wasm.ts [megabytes[,megabytes…]] [runs]
 *
 * The first run of a module is cold (module loaded, CID checked, compiled; V8 tiers its hot
 * functions up from Liftoff to TurboFan while it runs) and is shown apart; the medians are of the
 * warm runs after it (compiled module cached, a worker waiting), which is how a provider runs a
 * module it has run before. Last, no-op jobs per second through `executor.run()`, two at a time,
 * with workers reused from job to job against a fresh worker per job.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { buildSpec } from "@shoal/sdk";
import { createWasmExecutor, type WasmRunTimings } from "../agent/src/executors/wasm/index.js";
import { recordFigure } from "./lib/figures.js";
import { NOOP_WASM } from "./lib/noopWasm.js";

const sizes = (process.argv[2] ?? "5,50").split(",").map(Number);
const runs = Number(process.argv[3] ?? 7);
const examples = new URL("../examples/wasm/", import.meta.url);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const f = (ms: number): string => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;

const dir = await mkdtemp(join(tmpdir(), "shoal-wasm-bench-"));
try {
  const native = join(dir, "wordfreq");
  execFileSync("clang", ["-O2", "-o", native, new URL("wordfreq.c", examples).pathname]);
  const bytes = await readFile(new URL("wordfreq.wasm", examples));
  const module = CID.createV1(raw.code, await sha256.digest(bytes)).toString();
  const spec = buildSpec({
    version: 1,
    engine: { type: "wasm", module },
    inputs: [{ cid: module, mount: "/inputs/text" }],
    resources: { memoryMb: 256, timeoutSec: 300 },
  });
  let allSame = true;
  for (const megabytes of sizes) {
    // A text of words drawn from a 20,000-word vocabulary with a Zipf-like skew (fixed seed).
    let seed = 42;
    const next = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed / 2 ** 31);
    const vocabulary = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}${"abcdefgh".slice(0, i % 8)}`);
    const parts: string[] = [];
    let size = 0;
    while (size < megabytes * 1_000_000) {
      const word = vocabulary[Math.floor(vocabulary.length * next() ** 3)];
      parts.push(word, next() < 0.1 ? ".\n" : " ");
      size += word.length + 1;
    }
    const inputDir = join(dir, `input-${megabytes}`);
    await mkdir(inputDir);
    await writeFile(join(inputDir, "text.txt"), parts.join(""));

    // A fresh executor per size: its first run is cold. Native and WASM runs alternate, so a change
    // in the machine's load touches both alike.
    const timings: WasmRunTimings[] = [];
    const executor = createWasmExecutor({ resolveModule: async () => bytes, tempDir: dir, onTimings: (t) => timings.push(t) });
    await executor.warm();
    const nativeMs: number[] = [];
    const runMs: number[] = [];
    let output = "";
    for (let i = 0; i <= runs; i++) {
      if (i > 0) {
        const started = performance.now();
        execFileSync(native, [inputDir, join(dir, "native.json")]);
        nativeMs.push(performance.now() - started);
      }
      const outputDir = await mkdtemp(join(dir, "out-"));
      const started = performance.now();
      await executor.run({ jobId: 1n, spec, inputs: [{ mount: "/inputs/text", hostPath: inputDir }], outputDir });
      runMs.push(performance.now() - started);
      output = await readFile(join(outputDir, "wordfreq.json"), "utf8");
      await rm(outputDir, { recursive: true, force: true });
      await executor.warm(); // the next worker starts between jobs (claims are seconds apart)
    }
    const same = output === (await readFile(join(dir, "native.json"), "utf8"));
    allSame &&= same;

    const nat = median(nativeMs);
    const warm = timings.slice(1);
    const run = median(runMs.slice(1));
    const mod = median(warm.map((t) => t.runMs));
    const cold = timings[0];
    const row = (label: string, key: keyof WasmRunTimings): string =>
      `    ${label.padEnd(34)} ${f(cold[key] as number).padStart(9)}  ${f(median(warm.map((t) => t[key] as number))).padStart(9)}`;
    console.log(`wordfreq over ${(size / 1e6).toFixed(1)} MB: native median of ${runs}, WASM cold (first run) and median of ${runs} warm runs; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
    console.log(`  native (clang -O2, process):        ${f(nat)}`);
    console.log(`  WASM executor.run (end to end):     ${f(run)}  (${(run / nat).toFixed(2)}x native; cold ${f(runMs[0])}, ${(runMs[0] / nat).toFixed(2)}x)`);
    console.log(`  WASM module alone (durationMs):     ${f(mod)}  (${(mod / nat).toFixed(2)}x native; cold ${f(cold.runMs)}, ${(cold.runMs / nat).toFixed(2)}x)`);
    console.log(`  outputs identical to native:        ${same}`);
    console.log(`  where executor.run's time goes:          cold       warm`);
    console.log(row("module load + CID check", "loadMs"));
    console.log(row("memory cap + compile", "compileMs"));
    console.log(row("inputs view (temp dir, fds)", "inputsMs"));
    console.log(row("(worker start, off the path if warm)", "workerStartMs"));
    console.log(row(`worker: job posted → received`, "workerMs"));
    console.log(row("WASI + syscall layer set-up", "setUpMs"));
    console.log(row("instantiate", "instantiateMs"));
    console.log(row("run (_start → exit)", "runMs"));
    console.log(row("exit message + output walk", "outputsMs"));
    console.log(row("teardown (worker, fds, temp dir)", "teardownMs"));
    console.log(row("total", "totalMs"));
    const mb = Math.round(size / 1e6);
    const note = `warm runs, median of ${runs}; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
    recordFigure({
      section: "wasm", name: `WASM executor, wordfreq over ${mb} MB, end to end`, value: Number(run.toFixed(1)), unit: "ms", better: "lower",
      baseline: { label: "native (clang -O2)", value: Number(nat.toFixed(1)) }, note: `${(run / nat).toFixed(2)}× native (goal ≤ ${mb >= 50 ? "1.3" : "1.5"}×); ${note}`,
    });
    recordFigure({
      section: "wasm", name: `WASM module alone, wordfreq over ${mb} MB`, value: Number(mod.toFixed(1)), unit: "ms", better: "lower",
      baseline: { label: "native (clang -O2)", value: Number(nat.toFixed(1)) }, note: `${(mod / nat).toFixed(2)}× native (goal ≤ 1.3×); ${note}`,
    });
    console.log(`    (cold: module ${cold.moduleCached ? "cached" : "compiled"}, worker ${cold.workerWarm ? "warm" : "started for it"}; warm: module cached, worker warm)`);
  }
  // The syscall layer's cost per read: readseq over the last text in 64-byte reads against 1 MiB
  // reads (the same bytes, ~16,000× the calls), WASM (module alone) and native.
  const readseq = await readFile(new URL("readseq.wasm", examples));
  const readseqCid = CID.createV1(raw.code, await sha256.digest(readseq)).toString();
  const nativeReadseq = join(dir, "readseq");
  execFileSync("clang", ["-O2", "-o", nativeReadseq, new URL("readseq.c", examples).pathname]);
  const text = join(dir, `input-${sizes.at(-1)}`, "text.txt");
  const textBytes = (await readFile(text)).length;
  const executor = createWasmExecutor({ resolveModule: async () => readseq, tempDir: dir });
  const perRead = async (chunk: number): Promise<{ wasm: number; native: number }> => {
    const wasm: number[] = [];
    const nat: number[] = [];
    const readSpec = buildSpec({
      version: 1,
      engine: { type: "wasm", module: readseqCid, args: ["/inputs/text.txt", String(chunk)] },
      inputs: [{ cid: readseqCid, mount: "/inputs/text.txt" }],
      resources: { memoryMb: 64, timeoutSec: 300 },
    });
    for (let i = 0; i <= runs; i++) {
      const outputDir = await mkdtemp(join(dir, "out-"));
      const result = await executor.run({ jobId: 1n, spec: readSpec, inputs: [{ mount: "/inputs/text.txt", hostPath: text }], outputDir });
      await rm(outputDir, { recursive: true, force: true });
      await executor.warm();
      const started = performance.now();
      execFileSync(nativeReadseq, [text, String(chunk)]);
      if (i > 0) {
        wasm.push(result.durationMs);
        nat.push(performance.now() - started);
      }
    }
    return { wasm: median(wasm), native: median(nat) };
  };
  const small = await perRead(64);
  const large = await perRead(1_048_576);
  const calls = Math.ceil(textBytes / 64);
  const us = (a: number, b: number): string => `${(((a - b) * 1000) / calls).toFixed(2)} µs`;
  console.log(`read(2) cost per call, ${(textBytes / 1e6).toFixed(0)} MB in 64-byte reads (${calls} calls) against 1 MiB reads:`);
  console.log(`  WASM (fd_read through the syscall layer, module alone):  ${us(small.wasm, large.wasm)}  (${f(small.wasm)} vs ${f(large.wasm)})`);
  console.log(`  native (read(2), process):                              ${us(small.native, large.native)}  (${f(small.native)} vs ${f(large.native)})`);

  // Jobs per second through executor.run() for a module that does nothing, two at a time (the
  // agent's default concurrency): workers reused from job to job (the default) against a fresh
  // worker, a V8 isolate, per job (jobsPerWorker 1: how every job ran before).
  const noopCid = CID.createV1(raw.code, await sha256.digest(NOOP_WASM)).toString();
  const noopSpec = buildSpec({ version: 1, engine: { type: "wasm", module: noopCid }, resources: { memoryMb: 16, timeoutSec: 30 } });
  const noopRate = async (jobsPerWorker: number | undefined, jobs: number): Promise<number> => {
    const noopExecutor = createWasmExecutor({ resolveModule: async () => NOOP_WASM, tempDir: dir, jobsPerWorker });
    await noopExecutor.warm();
    const one = async (): Promise<void> => {
      const outputDir = await mkdtemp(join(dir, "noop-"));
      await noopExecutor.run({ jobId: 1n, spec: noopSpec, inputs: [], outputDir });
      await rm(outputDir, { recursive: true, force: true });
    };
    await one(); // compiles the module
    const started = performance.now();
    for (let i = 0; i < jobs; i += 2) await Promise.all([one(), one()]);
    const rate = jobs / ((performance.now() - started) / 1000);
    await noopExecutor.close();
    return rate;
  };
  const reused = await noopRate(undefined, 400);
  const perJob = await noopRate(1, 60);
  console.log(`no-op jobs through executor.run(), two at a time; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores:`);
  console.log(`  workers reused (jobsPerWorker 100, the default): ${reused.toFixed(0)} jobs/s over 400`);
  console.log(`  a worker per job (jobsPerWorker 1):               ${perJob.toFixed(1)} jobs/s over 60`);
  recordFigure({
    section: "wasm", name: "WASM executor, no-op jobs through run(), two at a time, workers reused", value: Number(reused.toFixed(0)), unit: "jobs/s", better: "higher",
    baseline: { label: "a worker per job (jobsPerWorker 1)", value: Number(perJob.toFixed(1)) }, note: `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  });
  if (!allSame) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
