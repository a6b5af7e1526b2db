/**
 * WASM executor overhead: examples/wasm/wordfreq over a generated ~5 MB text, run by the executor
 * and as the same C built natively (`clang -O2`), median of several runs each. Both must write the
 * same bytes. Needs clang for the native baseline.
 *
 *   node --import tsx/esm scripts/bench-wasm.ts [megabytes] [runs]
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { buildSpec } from "@shoal/sdk";
import { createWasmExecutor } from "../agent/src/executors/wasm/index.js";

const megabytes = Number(process.argv[2] ?? 5);
const runs = Number(process.argv[3] ?? 7);
const examples = new URL("../examples/wasm/", import.meta.url);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const dir = await mkdtemp(join(tmpdir(), "shoal-wasm-bench-"));
try {
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
  const inputDir = join(dir, "input");
  await mkdir(inputDir);
  await writeFile(join(inputDir, "text.txt"), parts.join(""));

  const native = join(dir, "wordfreq");
  execFileSync("clang", ["-O2", "-o", native, new URL("wordfreq.c", examples).pathname]);
  const nativeMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    execFileSync(native, [inputDir, join(dir, "native.json")]);
    nativeMs.push(performance.now() - started);
  }

  const bytes = await readFile(new URL("wordfreq.wasm", examples));
  const module = CID.createV1(raw.code, await sha256.digest(bytes)).toString();
  const executor = createWasmExecutor({ resolveModule: async () => bytes, tempDir: dir });
  const spec = buildSpec({
    version: 1,
    engine: { type: "wasm", module },
    inputs: [{ cid: module, mount: "/inputs/text" }],
    resources: { memoryMb: 256, timeoutSec: 120 },
  });
  const runMs: number[] = [];
  const jobMs: number[] = [];
  let output = "";
  for (let i = 0; i < runs; i++) {
    const outputDir = await mkdtemp(join(dir, "out-"));
    const started = performance.now();
    const result = await executor.run({ jobId: 1n, spec, inputs: [{ mount: "/inputs/text", hostPath: inputDir }], outputDir });
    runMs.push(performance.now() - started);
    jobMs.push(result.durationMs);
    output = await readFile(join(outputDir, "wordfreq.json"), "utf8");
  }
  const same = output === (await readFile(join(dir, "native.json"), "utf8"));

  const f = (ms: number): string => `${ms.toFixed(0)} ms`;
  console.log(`wordfreq over ${(size / 1e6).toFixed(1)} MB, median of ${runs}:`);
  console.log(`  native (clang -O2, process):        ${f(median(nativeMs))}`);
  console.log(`  WASM executor.run (end to end):     ${f(median(runMs))}  (${(median(runMs) / median(nativeMs)).toFixed(2)}x native)`);
  console.log(`  WASM module alone (durationMs):     ${f(median(jobMs))}  (${(median(jobMs) / median(nativeMs)).toFixed(2)}x native)`);
  console.log(`  executor overhead (run - module):   ${f(median(runMs) - median(jobMs))}`);
  console.log(`  outputs identical to native:        ${same}`);
  if (!same) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
