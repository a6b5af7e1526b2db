import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { ExecutionError } from "../../../agent/src/executors/types.js";
import { createWasmExecutor, type WasmExecutor, type WasmRunTimings } from "../../../agent/src/executors/wasm/index.js";
import { buildSpec, type Spec } from "../../../sdk/src/spec/index.js";
import { fdsInto } from "../../helpers/fds.js";

// The executor keeps compiled modules and warm workers between runs; none of it may show in a
// job's outputs. Every job here reads inputs, lists directories, and uses randomness and clocks.
const EXAMPLES = new URL("../../../examples/wasm/", import.meta.url);
const FIXTURES = new URL("../fixtures/wasm/", import.meta.url);
const INPUT_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

const modules = new Map<string, Uint8Array>();
let resolved = 0;
async function resolveModule(spec: Spec): Promise<Uint8Array> {
  resolved++;
  const bytes = modules.get((spec.engine as { module: string }).module);
  if (bytes === undefined) throw new Error("not in the test store");
  return bytes;
}

let base: string;
let counter = 0;
async function fresh(label: string): Promise<string> {
  const dir = join(base, `${label}-${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** `fixture`: test/agent/fixtures/wasm/<name>.wasm rather than examples/wasm. */
type Job = { name: string; args: string[]; jobId: bigint; fixture?: boolean; resources?: { timeoutSec?: number; memoryMb?: number } };
/** random: entropy, rand(), argv, env, a listing of /inputs; clock: every clock, sleeps, stat of inputs; probe: reads, seeks and lists a mounted file. */
const JOBS: Job[] = [
  { name: "random", args: ["--flag"], jobId: 7n },
  { name: "clock", args: [], jobId: 7n },
  { name: "probe", args: ["/inputs/data.bin", "full"], jobId: 7n },
  { name: "random", args: ["--flag"], jobId: 8n },
];

/** The inputs every job gets: a directory with a few files (its own copy per run: other inodes and times). */
async function inputs(): Promise<{ mount: string; hostPath: string }[]> {
  const dir = await fresh("in");
  for (const name of ["zeta.txt", "Alpha.txt", "in.txt"]) await writeFile(join(dir, name), `${name}\n`.repeat(100));
  await utimes(join(dir, "in.txt"), new Date(), new Date(Date.now() - Math.random() * 1e9));
  const data = join(await fresh("piece"), "stored.bin");
  await writeFile(data, Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7919) & 0xff)));
  return [
    { mount: "/inputs/data.bin", hostPath: data },
    { mount: "/inputs/dir", hostPath: dir },
  ];
}

/** Runs `job`; returns every output file's bytes (by name) and stdout/stderr, or the error's code for a failed run. */
async function run(executor: WasmExecutor, job: Job): Promise<Record<string, string>> {
  const bytes = await readFile(new URL(`${job.name}.wasm`, job.fixture ? FIXTURES : EXAMPLES));
  const cid = CID.createV1(raw.code, await sha256.digest(bytes)).toString();
  if (!modules.has(cid)) modules.set(cid, bytes);
  const mounts = await inputs();
  const spec = buildSpec({
    version: 1,
    engine: { type: "wasm", module: cid, args: job.args, env: { B: "2", A: "1" } },
    inputs: mounts.map(({ mount }) => ({ cid: INPUT_CID, mount })),
    resources: { timeoutSec: 20, memoryMb: 64, ...job.resources },
  });
  const outputDir = await fresh("out");
  let seen: Record<string, string>;
  try {
    const result = await executor.run({ jobId: job.jobId, spec, inputs: mounts, outputDir });
    seen = { stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    seen = { error: error.code };
  }
  for (const name of (await readdir(outputDir)).sort()) seen[name] = (await readFile(join(outputDir, name))).toString("hex");
  return seen;
}

describe("WASM executor: compiled modules and warm workers", function () {
  this.timeout(60_000);

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), "shoal-wasm-warm-")));
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("gives byte-identical outputs on two fresh executors for jobs that read inputs, list directories and use randomness and clocks", async () => {
    const first = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-a") });
    const second = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-b") });
    for (const job of JOBS) {
      const a = await run(first, job);
      const b = await run(second, job);
      assert.ok(Object.keys(a).length > 2, `${job.name} wrote no output`);
      assert.deepEqual(b, a, `${job.name} (job ${job.jobId}) differs between two executors`);
    }
  });

  it("carries nothing from one job to the next on a warm worker: each output equals a cold worker's", async () => {
    const timings: WasmRunTimings[] = [];
    const warm = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-warm"), onTimings: (t) => timings.push(t) });
    const cold = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-cold"), warmWorkers: 0, moduleCacheSize: 0 });
    await warm.warm();
    const sequence = [...JOBS, ...JOBS]; // every job twice, after other jobs, on workers started while the last one ran
    const seen: Record<string, string>[] = [];
    for (const job of sequence) {
      seen.push(await run(warm, job));
      await warm.warm();
    }
    assert.equal(timings.length, sequence.length);
    assert.ok(timings.every((t) => t.workerWarm), "every job went to a worker started before it");
    assert.ok(timings.slice(JOBS.length).every((t) => t.moduleCached), "the second round used the compiled modules");
    for (const [i, job] of sequence.entries()) assert.deepEqual(seen[i], await run(cold, job), `${job.name} #${i} differs from a cold run`);
    // Same job, same bytes, whatever ran before it on this executor; another job ID, other random bytes.
    assert.deepEqual(seen[JOBS.length], seen[0]);
    assert.notDeepEqual(seen[3], seen[0]);
  });

  it("runs job after job on one worker, and nothing a job leaves behind (open fds, memory, output, a trap) reaches the next", async () => {
    const timings: WasmRunTimings[] = [];
    const coldTimings: WasmRunTimings[] = [];
    const reused = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-reused"), onTimings: (t) => timings.push(t) });
    const cold = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-cold"), warmWorkers: 0, onTimings: (t) => coldTimings.push(t) });
    const litter: Job = { name: "litter", args: [], jobId: 7n, fixture: true };
    const trapped: Job = { ...litter, args: ["trap"] };
    const sequence = [litter, trapped, ...JOBS, litter, trapped, litter, ...JOBS];
    for (const [i, job] of sequence.entries()) {
      const seen = await run(reused, job);
      assert.deepEqual(seen, await run(cold, job), `${job.name} ${job.args.join(" ")} #${i} differs from its run on a worker of its own`);
      assert.equal(seen.error, job === trapped ? "TRAP" : undefined);
      assert.ok(Object.keys(seen).length > 2, `${job.name} #${i} wrote no output`);
    }
    // One worker ran them all, one after another; the cold executor gave each run a worker of its own.
    assert.deepEqual(timings.map((t) => t.workerJobs), sequence.map((_, i) => i));
    assert.ok(coldTimings.every((t) => t.workerJobs === 0));
    // Every fd a job left open was closed when it ended (the worker lives on).
    assert.deepEqual(fdsInto(base), []);
  });

  it("ends a worker after a kill, a large memory or jobsPerWorker jobs, and gives the next job a fresh one", async () => {
    const timings: WasmRunTimings[] = [];
    const executor = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-limits"), jobsPerWorker: 3, onTimings: (t) => timings.push(t) });
    const random = JOBS[0];
    const expected = await run(createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-ref"), warmWorkers: 0 }), random);
    const steps: [Job, string | undefined][] = [
      [random, undefined],
      [random, undefined],
      [random, undefined], // the third job: the worker is ended after it
      [random, undefined],
      [{ name: "loop", args: [], jobId: 1n, resources: { timeoutSec: 1 } }, "TIMEOUT"],
      [random, undefined],
      [{ name: "membomb", args: [], jobId: 1n, resources: { memoryMb: 128 } }, "MEMORY_LIMIT"], // ends with 128 MiB of memory
      [random, undefined],
      [{ name: "litter", args: [], jobId: 1n, fixture: true }, undefined], // 33 MiB: kept
      [random, undefined],
    ];
    for (const [job, error] of steps) {
      const seen = await run(executor, job);
      assert.equal(seen.error, error);
      if (job === random) assert.deepEqual(seen, expected);
    }
    assert.deepEqual(
      timings.map((t) => t.workerJobs),
      [0, 1, 2, 0, 1, 0, 1, 0, 1, 2],
    );
    assert.deepEqual(fdsInto(base), []);
  });

  it("keeps as many workers as ran at once, and ends the waiting ones on close()", async () => {
    const timings: WasmRunTimings[] = [];
    const executor = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-pool"), onTimings: (t) => timings.push(t) });
    await Promise.all([run(executor, JOBS[0]), run(executor, JOBS[1])]);
    await Promise.all([run(executor, JOBS[0]), run(executor, JOBS[1])]);
    assert.deepEqual(timings.slice(2).map((t) => t.workerJobs), [1, 1], "the second pair ran on the first pair's workers");
    await executor.close();
    timings.length = 0;
    await run(executor, JOBS[0]);
    await run(executor, JOBS[0]);
    assert.deepEqual(timings.map((t) => t.workerJobs), [0, 0], "after close() no worker is kept");
  });

  it("loads, checks and compiles a module once per memory limit, then runs it from the cache", async () => {
    const executor = createWasmExecutor({ resolveModule, tempDir: await fresh("tmp-cache") });
    const job = JOBS[0];
    resolved = 0;
    await run(executor, job);
    await run(executor, job);
    assert.equal(resolved, 1, "the second run loaded the module again");
    assert.equal(await executor.hasModule(buildSpec({ version: 1, engine: { type: "wasm", module: [...modules.keys()].at(-1) as string } })), true);
    // A changed store cannot change what a CID runs: the bytes were checked against it once.
    const stored = new Map(modules);
    for (const key of modules.keys()) modules.set(key, new Uint8Array([0, 1, 2]));
    try {
      assert.ok(Object.keys(await run(executor, job)).includes("random.txt"));
    } finally {
      for (const [key, value] of stored) modules.set(key, value);
    }
  });
});
