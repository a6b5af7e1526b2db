import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import * as nodeModule from "node:module";
import { devNull, tmpdir } from "node:os";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

import type { Spec, WasmEngine } from "@shoal/sdk";
import { ExecutionError, type ExecutionRequest, type ExecutionResult, type Executor } from "../types.js";
import { buildInputView, type InputView } from "./inputs.js";
import { capModuleMemory, COMPONENT, PAGE_BYTES, verifyModuleCid } from "./module.js";
import { inspectOutputs } from "./outputs.js";
import { type MountedFile, OPEN_CHANNEL_BYTES, type Preopen, type RunPhases, STDIO_HEADER_BYTES, type WorkerInput, type WorkerMessage } from "./protocol.js";

/** What every WASI clock reads: 2000-01-01T00:00:00Z, in nanoseconds. Part of the protocol: never change it. */
export const WASM_FIXED_TIME_NS = 946_684_800_000_000_000n;
/** How much of stdout and of stderr is kept, each. */
export const STDIO_CAPTURE_BYTES = 64 * 1024;

export type WasmExecutorOptions = {
  /**
   * The module's bytes for a spec (from the data layer: a local store, `spec.engine.sources`…).
   * The executor checks them against `spec.engine.module` itself. See {@link moduleFromDirectory}.
   */
  resolveModule: (spec: Spec) => Promise<Uint8Array>;
  /** Module CIDs this provider runs; absent means any (NOT_ALLOWED otherwise). */
  allowedModules?: readonly string[] | undefined;
  /** Where per-run temporary directories go (the inputs' view: directories and empty placeholders; inputs are never copied there). Default: the OS temp dir. */
  tempDir?: string | undefined;
  /** Largest module accepted, in bytes (NOT_ALLOWED above). Default 64 MiB. */
  maxModuleBytes?: number | undefined;
  /** Most files and directories a job may leave in its output (OUTPUT_LIMIT above). Default 100,000. */
  maxOutputEntries?: number | undefined;
  /** Heap of the worker's JavaScript side (not the module's memory, which is `resources.memoryMb`). Default 64 MiB. */
  workerHeapMb?: number | undefined;
  /**
   * Workers kept started and waiting, so a job does not wait for one to start (0.1–0.6 s on a
   * loaded 2-core host). A worker that ended its job cleanly goes back to wait for the next (see
   * `jobsPerWorker`); otherwise the next is started when a run has returned. Default 1; 0 starts a
   * worker per run.
   */
  warmWorkers?: number | undefined;
  /**
   * Jobs one worker (one V8 isolate) runs, one after another, before it is ended and replaced.
   * Default 100; 1 gives every job a worker of its own. A worker goes back for another job only
   * after a clean end (exit, trap, or a module that cannot run) with at most 64 MiB of module
   * memory; after a timeout, an abort, an output over the cap, a heap or worker failure it is
   * ended. Each job gets its own node:wasi instance, fd table and memory either way (worker.ts).
   */
  jobsPerWorker?: number | undefined;
  /** Compiled modules kept, by CID and memory limit (a hit skips loading, the CID check and compiling). Default 16. */
  moduleCacheSize?: number | undefined;
  /** Called after each run (successful or not) with where its time went. */
  onTimings?: ((timings: WasmRunTimings) => void) | undefined;
};

/** Where one run's time went, in ms (see {@link WasmExecutorOptions.onTimings}). */
export type WasmRunTimings = {
  /** Whether the compiled module came from the cache (then `loadMs` and `compileMs` are 0). */
  moduleCached: boolean;
  /** `resolveModule`, size check and CID check. */
  loadMs: number;
  /** Capping the memories and compiling (WebAssembly.compile). */
  compileMs: number;
  /** The inputs' view: temporary directory, placeholders, host fds. */
  inputsMs: number;
  /** Whether the job went to a worker already waiting (else it waited for one to start). */
  workerWarm: boolean;
  /** Jobs the worker had run before this one (0: its first). */
  workerJobs: number;
  /** How long the worker that took the job took to start (spawn → waiting; off the job's path when warm). */
  workerStartMs: number;
  /** Job posted → the worker has it (includes starting a worker when none was warm). */
  workerMs: number;
  /** Worker: the syscall layer and node:wasi set up for the job. */
  setUpMs: number;
  /** Worker: import checks and instantiation. */
  instantiateMs: number;
  /** The module itself, `_start` to its exit (the result's `durationMs`). */
  runMs: number;
  /** The exit message reaching the main thread, then the output tree walked and measured. */
  outputsMs: number;
  /** Worker returned to the pool (or terminated), host fds closed, temporary directory removed. */
  teardownMs: number;
  /** `run()` from call to return. */
  totalMs: number;
};

/** Input views with at most this many files are removed synchronously after a run. */
const SMALL_VIEW_FILES = 64;

const WORKER_FILE = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
let workerSource: { url: URL; execArgv: string[] | undefined } | undefined;

/**
 * Where the worker starts from. worker.ts imports only `node:` modules, so it needs no loader:
 * its types are stripped once here (node:module's stripTypeScriptTypes) and every worker starts
 * from that JavaScript as a data: URL, without the parent's `--import` hooks (tsx under Hardhat).
 * That saves about 150 ms per run over loading worker.ts through a loader in each worker. As
 * worker.js (a build) it is loaded directly.
 */
function workerEntry(): { url: URL; execArgv: string[] | undefined } {
  if (workerSource !== undefined) return workerSource;
  const strip = (nodeModule as { stripTypeScriptTypes?: (code: string, options: { mode: "strip" }) => string }).stripTypeScriptTypes;
  if (!WORKER_FILE.pathname.endsWith(".ts")) workerSource = { url: WORKER_FILE, execArgv: [] };
  else if (strip === undefined) workerSource = { url: WORKER_FILE, execArgv: undefined };
  else {
    const code = quietly(() => strip(readFileSync(WORKER_FILE, "utf8"), { mode: "strip" }));
    workerSource = { url: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: [] };
  }
  return workerSource;
}

/** Runs `fn` without node's one-time ExperimentalWarning for it. */
function quietly<T>(fn: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("stripTypeScriptTypes")) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return fn();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * Runs WASI preview1 modules (engine "wasm") with node:wasi in a worker thread.
 *
 * Each run: the module bytes are checked against the spec's CID and their memories capped at
 * `resources.memoryMb`; the inputs are mounted where they lie, read-only, at their paths under
 * `/inputs` (zero bytes copied: the worker reads them from host fds opened read-only; see inputs.ts);
 * `spec.outputs.path` is the caller's output directory; the worker is terminated at
 * `resources.timeoutSec`, when the output passes `resources.maxOutputBytes`, or on abort. The
 * job sees exactly `spec.engine.env` (sorted), argv `["job", ...spec.engine.args]` (or the
 * entrypoint's name for another entrypoint), a fixed clock and randomness seeded from the job ID,
 * and no network — see worker.ts for the syscall layer. Temporary files, host fds and the worker
 * are cleaned up whatever happens.
 *
 * Speed: a module is compiled once (cached by CID and memory limit) and a worker is kept waiting
 * for the next job, so a warm run pays neither. V8 compiles WebAssembly with Liftoff first and
 * tiers hot functions up to TurboFan while they run; that code lives in the compiled module,
 * which every worker shares, so a module's first run is slower (wordfreq over 5 MB: module 1.4–1.6×
 * native) and later runs get TurboFan code at once (0.8–1.0×). Eager TurboFan (`--no-liftoff`,
 * `--no-wasm-dynamic-tiering`) is a process-wide V8 flag — a Worker's `execArgv` refuses V8
 * options — and it made first runs slower here (`--no-liftoff` compiles each function with
 * TurboFan on its first call: module 3.3× on the first run, the same afterwards), so the defaults
 * stay.
 */
export class WasmExecutor implements Executor {
  readonly engine = "wasm" as const;
  readonly #options: WasmExecutorOptions;
  #available: Promise<boolean> | undefined;
  /** Compiled modules by `<cid>@<pages>`, least recently used first. */
  readonly #compiled = new Map<string, Promise<WebAssembly.Module>>();
  /** Started workers waiting for a job, least recently used first. */
  readonly #spares: Spare[] = [];
  /** Runs on a worker now, and the most there were at once: idle workers are kept up to that many. */
  #running = 0;
  #peak = 0;
  #closed = false;

  constructor(options: WasmExecutorOptions) {
    this.#options = options;
  }

  /** Runs a built-in empty module once (cached): true when worker threads and node:wasi work here. */
  isAvailable(): Promise<boolean> {
    this.#available ??= (async () => {
      const dir = await realpath(await mkdtemp(join(this.#options.tempDir ?? tmpdir(), "shoal-wasm-check-")));
      try {
        const outcome = await this.#execute({
          module: new WebAssembly.Module(NOOP_MODULE),
          entrypoint: "_start",
          args: ["job"],
          env: [],
          jobId: 0n,
          outputDir: dir,
          inputDir: dir,
          inputs: EMPTY_VIEW,
          maxPages: 1,
          timeoutMs: 10_000,
          maxOutputBytes: 0,
        });
        return outcome.kind === "exit" && outcome.exitCode === 0;
      } catch {
        return false;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    return this.#available;
  }

  validate(spec: Spec): void {
    if (spec.engine.type !== "wasm")
      throw new ExecutionError("INVALID_SPEC", COMPONENT, `the WASM executor cannot run a ${spec.engine.type} job`);
    if (spec.resources.gpu !== 0) throw new ExecutionError("INVALID_SPEC", COMPONENT, "WASM jobs cannot use GPUs");
    if (spec.resources.memoryMb * 16 > 65_536)
      throw new ExecutionError("INVALID_SPEC", COMPONENT, "resources.memoryMb is above 4096, the most a wasm32 module can address");
    const allowed = this.#options.allowedModules;
    if (allowed !== undefined && !allowed.includes(spec.engine.module))
      throw new ExecutionError("NOT_ALLOWED", COMPONENT, `module ${spec.engine.module} is not on this provider's allowlist`, {
        hint: "ask the provider to allow the module, or pick a provider that runs it",
      });
  }

  /** Starts the warm workers now, so the first job does not wait for one. Never throws. */
  async warm(): Promise<void> {
    this.#refill();
    await Promise.all(
      this.#spares.map(async (spare) => {
        spare.worker.ref(); // keeps the process up while it waits for the worker
        await spare.ready;
        if (this.#spares.includes(spare)) spare.worker.unref();
      }),
    );
  }

  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    const { spec, signal } = request;
    this.validate(spec);
    const engine = spec.engine as WasmEngine;
    if (signal?.aborted) throw aborted();

    const startedAt = performance.timeOrigin + performance.now();
    const clock = performance.now();
    const timings: WasmRunTimings = {
      moduleCached: false, loadMs: 0, compileMs: 0, inputsMs: 0, workerWarm: false, workerJobs: 0, workerStartMs: 0, workerMs: 0,
      setUpMs: 0, instantiateMs: 0, runMs: 0, outputsMs: 0, teardownMs: 0, totalMs: 0,
    };
    const maxPages = spec.resources.memoryMb * (1_048_576 / PAGE_BYTES);
    let temp: string | undefined;
    let inputs: InputView | undefined;
    try {
      const module = await this.#compiledModule(spec, maxPages, timings);
      const viewStart = performance.now();
      const outputDir = realOutputDir(request.outputDir);
      // Synchronous: two system calls, without a round trip through libuv's pool each (milliseconds apiece on a loaded host).
      temp = realpathSync(mkdtempSync(join(this.#options.tempDir ?? tmpdir(), "shoal-wasm-")));
      const inputDir = join(temp, "inputs");
      inputs = await buildInputView(request.inputs, inputDir);
      timings.inputsMs = performance.now() - viewStart;
      if (signal?.aborted) throw aborted();
      const outcome = await this.#execute(
        {
          module,
          entrypoint: engine.entrypoint,
          args: [engine.entrypoint === "_start" ? "job" : engine.entrypoint, ...engine.args],
          env: Object.entries(engine.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          jobId: request.jobId,
          inputDir,
          inputs,
          outputDir,
          outputPath: spec.outputs.path,
          maxPages,
          timeoutMs: spec.resources.timeoutSec * 1000,
          maxOutputBytes: spec.resources.maxOutputBytes,
          signal,
        },
        timings,
      );
      const outputsStart = performance.now();
      const result = classify(outcome, maxPages * PAGE_BYTES, spec);
      const outputBytes = await inspectOutputs(outputDir, spec.resources.maxOutputBytes, this.#maxEntries);
      timings.outputsMs += performance.now() - outputsStart;
      const firstRead = outcome.kind === "exit" ? outcome.firstReadAt : undefined;
      return {
        ...result,
        outputBytes,
        inputBytesCopied: inputs.bytesCopied,
        ...(firstRead === undefined ? {} : { firstInputReadMs: Math.max(0, firstRead - startedAt) }),
      };
    } finally {
      const teardownStart = performance.now();
      inputs?.close();
      // The view holds directories and empty placeholders only: a small one is removed in one
      // synchronous call (a few system calls), a large tree without blocking the event loop.
      if (temp !== undefined) {
        if ((inputs?.files.length ?? 0) <= SMALL_VIEW_FILES) rmSync(temp, { recursive: true, force: true });
        else await rm(temp, { recursive: true, force: true });
      }
      timings.teardownMs += performance.now() - teardownStart;
      timings.totalMs = performance.now() - clock;
      this.#options.onTimings?.(timings);
    }
  }

  get #maxEntries(): number {
    return this.#options.maxOutputEntries ?? 100_000;
  }

  /** Whether the module can be loaded and matches its CID (see {@link Executor.hasModule}). */
  async hasModule(spec: Spec): Promise<boolean> {
    const cid = (spec.engine as WasmEngine).module;
    for (const key of this.#compiled.keys()) if (key.startsWith(`${cid}@`)) return true;
    try {
      await this.#loadModule(spec);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The module compiled with its memories capped at `maxPages`, from the cache or loaded, checked
   * against its CID, capped and compiled now. The cache is keyed by CID (the bytes it names) and
   * limit, so a hit is the same code a miss would compile; a Module is immutable, and each run
   * instantiates it afresh in its own worker, with its own memory.
   */
  async #compiledModule(spec: Spec, maxPages: number, timings: WasmRunTimings): Promise<WebAssembly.Module> {
    const key = `${(spec.engine as WasmEngine).module}@${maxPages}`;
    const cached = this.#compiled.get(key);
    if (cached !== undefined) {
      this.#compiled.delete(key); // most recently used last
      this.#compiled.set(key, cached);
      timings.moduleCached = true;
      return cached;
    }
    const loadStart = performance.now();
    const bytes = await this.#loadModule(spec);
    const compileStart = performance.now();
    timings.loadMs = compileStart - loadStart;
    const prepared = capModuleMemory(bytes, maxPages);
    const compiling = WebAssembly.compile(prepared.bytes as Uint8Array<ArrayBuffer>).catch((error: Error) => {
      this.#compiled.delete(key);
      throw new ExecutionError("INVALID_SPEC", COMPONENT, `the module cannot run: ${error.message}`, {
        hint: "build a WASI preview1 command (clang --target=wasm32-wasi) that exports memory and the entrypoint",
      });
    });
    this.#compiled.set(key, compiling);
    const limit = Math.max(0, this.#options.moduleCacheSize ?? 16);
    for (const old of this.#compiled.keys()) {
      if (this.#compiled.size <= limit) break;
      this.#compiled.delete(old);
    }
    const module = await compiling;
    timings.compileMs = performance.now() - compileStart;
    return module;
  }

  async #loadModule(spec: Spec): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#options.resolveModule(spec);
    } catch (cause) {
      if (cause instanceof ExecutionError) throw cause;
      throw new ExecutionError("MODULE_UNAVAILABLE", COMPONENT, `module ${(spec.engine as WasmEngine).module} could not be loaded: ${(cause as Error).message}`, {
        cause,
        hint: "the module must be in the provider's store or at one of spec.engine.sources",
      });
    }
    const max = this.#options.maxModuleBytes ?? 64 * 1_048_576;
    if (bytes.length > max) throw new ExecutionError("NOT_ALLOWED", COMPONENT, `the module is ${bytes.length} bytes, above this provider's ${max}`);
    await verifyModuleCid(bytes, (spec.engine as WasmEngine).module);
    return bytes;
  }

  /** Starts a worker that waits for its job (see worker.ts); it does not keep the agent alive while it waits. */
  #spawn(): Spare {
    const entry = workerEntry();
    const worker = new Worker(entry.url, {
      env: {},
      name: "shoal-wasm",
      execArgv: entry.execArgv,
      // A small young generation: a job's own JavaScript garbage (its syscall layer, listings) is
      // collected often, so a worker's heap stays small over its jobs (16 MB: RSS grew ~10 MB more per 200 jobs).
      resourceLimits: { maxOldGenerationSizeMb: this.#options.workerHeapMb ?? 64, maxYoungGenerationSizeMb: 4, stackSizeMb: 4 },
    });
    const spawnedAt = performance.now();
    const spare: Spare = { worker, ready: Promise.resolve(), dead: false, startMs: undefined, jobs: 0, idleTimer: undefined };
    spare.ready = new Promise<void>((resolve) => {
      const onMessage = (message: WorkerMessage): void => {
        if (message.type !== "ready") return;
        spare.startMs = performance.now() - spawnedAt;
        worker.off("message", onMessage);
        resolve();
      };
      worker.on("message", onMessage);
      // Always listened to: an unhandled worker "error" would crash the agent. A failure during a
      // job is also reported to that run by waitForWorker; one while waiting drops the worker.
      worker.on("error", () => {
        spare.dead = true;
        resolve();
      });
      worker.once("exit", () => {
        spare.dead = true;
        clearTimeout(spare.idleTimer);
        worker.off("message", onMessage);
        resolve();
      });
    });
    worker.unref();
    return spare;
  }

  /** Workers kept waiting when none runs: `warmWorkers`. */
  get #wanted(): number {
    return this.#closed ? 0 : Math.max(0, this.#options.warmWorkers ?? 1);
  }

  /** Forgets waiting workers that have exited. */
  #dropDead(): void {
    for (let i = this.#spares.length - 1; i >= 0; i--) if (this.#spares[i].dead) this.#spares.splice(i, 1);
  }

  /** Starts workers until `warmWorkers` are waiting. */
  #refill(): void {
    this.#dropDead();
    while (this.#spares.length < this.#wanted) this.#spares.push(this.#spawn());
  }

  /** A waiting worker if one is alive (the most recently used of those ready), else a new one. */
  #take(): { spare: Spare; warm: boolean } {
    this.#dropDead();
    let index = this.#spares.length > 0 ? 0 : -1;
    for (let i = this.#spares.length - 1; i > 0; i--) {
      if (this.#spares[i].startMs !== undefined) {
        index = i;
        break;
      }
    }
    const spare = index < 0 ? this.#spawn() : (this.#spares.splice(index, 1)[0] as Spare);
    clearTimeout(spare.idleTimer);
    spare.worker.ref();
    return { spare, warm: index >= 0 };
  }

  /**
   * After a run: the worker waits for the next job if it may take one (`reusable`, under
   * `jobsPerWorker`) and fewer are waiting than ran at once at the most (at least `warmWorkers`;
   * none when that is 0); else it is ended. One kept above `warmWorkers` is ended after a minute
   * with no job.
   */
  #release(spare: Spare, reusable: boolean): void {
    const wanted = this.#wanted;
    const keep = wanted === 0 ? 0 : Math.max(wanted, this.#peak);
    const maxJobs = Math.max(1, this.#options.jobsPerWorker ?? 100);
    if (!reusable || spare.dead || spare.jobs >= maxJobs || this.#spares.length >= keep) {
      void spare.worker.terminate().catch(() => undefined);
      return;
    }
    spare.worker.unref();
    this.#spares.push(spare);
    spare.idleTimer = setTimeout(() => {
      const at = this.#spares.indexOf(spare);
      if (at < 0 || this.#spares.length <= this.#wanted) return;
      this.#spares.splice(at, 1);
      void spare.worker.terminate().catch(() => undefined);
    }, IDLE_WORKER_MS);
    spare.idleTimer.unref();
  }

  /** Ends the waiting workers; runs still going end theirs as they finish. Never throws. */
  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#spares.splice(0);
    await Promise.all(idle.map((spare) => spare.worker.terminate().catch(() => undefined)));
  }

  /** One worker run: take a worker, post the job, wait for its end or a limit, and clean up its host fds and the worker (back to the pool, or ended). */
  async #execute(run: RunPlan, timings?: WasmRunTimings): Promise<Outcome> {
    const stdout = new SharedArrayBuffer(STDIO_HEADER_BYTES + STDIO_CAPTURE_BYTES);
    const stderr = new SharedArrayBuffer(STDIO_HEADER_BYTES + STDIO_CAPTURE_BYTES);
    const preopens: Preopen[] = [
      { guest: "/inputs", host: run.inputDir, readOnly: true },
      { guest: run.outputPath ?? "/outputs", host: run.outputDir, readOnly: false },
    ];
    const openChannel = new SharedArrayBuffer(OPEN_CHANNEL_BYTES);
    // The job's fds 0, 1 and 2: its own, so flags a job sets on them (fd_fdstat_set_flags) are not
    // what the next job on the worker finds.
    const nullFd = openSync(devNull, "r+");
    const taken = this.#take();
    const spare = taken.spare;
    const workerJobs = spare.jobs++;
    this.#running++;
    this.#peak = Math.max(this.#peak, this.#running);
    let endedAt = 0;
    let reported = false;
    let reusable = false;
    try {
      const data: WorkerInput = {
        module: run.module,
        entrypoint: run.entrypoint,
        args: run.args,
        env: run.env,
        preopens,
        files: run.inputs.files,
        openChannel,
        jobIdHex: run.jobId.toString(16).padStart(64, "0"),
        fixedTimeNs: WASM_FIXED_TIME_NS.toString(),
        stdio: [nullFd, nullFd, nullFd],
        stdout,
        stderr,
        outputIndex: 1,
        maxOutputBytes: run.maxOutputBytes,
        maxOutputEntries: this.#maxEntries,
      };
      const postedAt = performance.timeOrigin + performance.now();
      spare.worker.postMessage(data);
      const channel = new Int32Array(openChannel);
      const outcome = await waitForWorker(spare.worker, run.timeoutMs, run.signal, (message) => {
        if (message.type === "close") return run.inputs.release(message.index);
        Atomics.store(channel, 1, run.inputs.open(message.index));
        Atomics.store(channel, 0, 2);
        Atomics.notify(channel, 0);
      });
      endedAt = performance.now();
      // The worker closed the job's fds before it reported these; after anything else it is killed.
      reported = outcome.kind === "exit" || outcome.kind === "trap" || outcome.kind === "invalid";
      reusable = outcome.kind === "invalid" || ((outcome.kind === "exit" || outcome.kind === "trap") && outcome.memoryBytes <= REUSE_MAX_MEMORY_BYTES);
      if (timings !== undefined) {
        timings.workerWarm = taken.warm && spare.startMs !== undefined;
        timings.workerJobs = workerJobs;
        timings.workerStartMs = spare.startMs ?? 0;
        if (outcome.kind === "exit") {
          const { phases } = outcome;
          timings.workerMs = Math.max(0, phases.receivedAt - postedAt);
          timings.setUpMs = phases.setUpMs;
          timings.instantiateMs = phases.instantiateMs;
          timings.runMs = outcome.durationMs;
          // What is left of posted → ended is the exit message's way back.
          timings.outputsMs = Math.max(0, performance.timeOrigin + endedAt - postedAt - timings.workerMs - phases.setUpMs - phases.instantiateMs - outcome.durationMs);
        }
      }
      return { ...outcome, stdout: readCapture(stdout), stderr: readCapture(stderr) } as Outcome;
    } finally {
      this.#running--;
      if (reported) {
        // The job is over: nothing uses its fds 0–2 again. The worker goes back to the pool, or is
        // ended in the background: its teardown (tens of ms: the isolate and the module's memory)
        // need not hold the result back.
        closeSync(nullFd);
        this.#release(spare, reusable);
      } else {
        // Killed (or never reported): it may hold fds into the run's directories.
        await spare.worker.terminate();
        closeLeakedFds([run.inputDir, run.outputDir]);
        closeSync(nullFd);
      }
      if (timings !== undefined && endedAt > 0) timings.teardownMs = performance.now() - endedAt;
      // The next worker starts once this run has returned (starting one takes the main thread a while).
      setImmediate(() => this.#refill());
    }
  }
}

/** Creates the WASM executor. */
export function createWasmExecutor(options: WasmExecutorOptions): WasmExecutor {
  return new WasmExecutor(options);
}

/**
 * A `resolveModule` that reads `<dir>/<cid>.wasm` (or `<dir>/<cid>`): modules pinned on disk by
 * the provider. MODULE_UNAVAILABLE when neither exists.
 */
export function moduleFromDirectory(dir: string): (spec: Spec) => Promise<Uint8Array> {
  return async (spec) => {
    if (spec.engine.type !== "wasm") throw new Error("not a wasm spec");
    const cid = spec.engine.module;
    for (const name of [`${cid}.wasm`, cid]) {
      try {
        return await readFile(join(dir, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    throw new ExecutionError("MODULE_UNAVAILABLE", COMPONENT, `module ${cid} is not in ${dir}`, {
      hint: `put the module at ${join(dir, `${cid}.wasm`)}`,
    });
  };
}

// ---- internals ------------------------------------------------------------------------------

/**
 * A started worker. `startMs`: spawn → waiting for its first job, once it is; `jobs`: jobs given
 * to it so far; `idleTimer`: ends it when it has waited too long above `warmWorkers`.
 */
type Spare = {
  worker: Worker;
  ready: Promise<void>;
  dead: boolean;
  startMs: number | undefined;
  jobs: number;
  idleTimer: NodeJS.Timeout | undefined;
};

/**
 * A worker whose job ended with more module memory than this is ended rather than kept: the memory
 * is freed only when the worker's isolate collects it, which an idle worker may not do for long.
 */
const REUSE_MAX_MEMORY_BYTES = 64 * 1_048_576;
/** A worker kept above `warmWorkers` is ended after this long with no job. */
const IDLE_WORKER_MS = 60_000;

type RunPlan = {
  module: WebAssembly.Module;
  entrypoint: string;
  args: string[];
  env: [string, string][];
  jobId: bigint;
  inputDir: string;
  inputs: Pick<InputView, "files" | "open" | "release">;
  outputDir: string;
  outputPath?: string;
  maxPages: number;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal | undefined;
};

type Ending =
  | { kind: "exit"; exitCode: number; durationMs: number; memoryBytes: number; phases: RunPhases; firstReadAt?: number | undefined }
  | { kind: "trap"; message: string; durationMs: number; memoryBytes: number }
  | { kind: "timeout" }
  | { kind: "aborted" }
  | { kind: "output-limit"; message: string }
  | { kind: "invalid"; message: string }
  | { kind: "out-of-memory"; message: string }
  | { kind: "crash"; message: string };
type Outcome = Ending & { stdout: string; stderr: string };

/**
 * Waits for the worker's end; meanwhile passes its requests to open and close mounted files to
 * `onFile`. Its listeners are removed when it settles, so a worker that goes on to another job
 * reports to that job's run only.
 */
function waitForWorker(
  worker: Worker,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onFile: (message: Extract<WorkerMessage, { type: "open" | "close" }>) => void,
): Promise<Ending> {
  return new Promise((resolve) => {
    let settled = false;
    const onAbort = (): void => done({ kind: "aborted" });
    const timer = setTimeout(() => done({ kind: "timeout" }), timeoutMs);
    const onMessage = (message: WorkerMessage): void => {
      if (message.type === "started" || message.type === "ready") return;
      if (message.type === "open" || message.type === "close") return onFile(message);
      if (message.type === "exit")
        done({ kind: "exit", exitCode: message.exitCode, durationMs: message.durationMs, memoryBytes: message.memoryBytes, phases: message.phases, firstReadAt: message.firstReadAt });
      else if (message.type === "trap") done({ kind: "trap", message: message.message, durationMs: message.durationMs, memoryBytes: message.memoryBytes });
      else if (message.type === "output-limit") done({ kind: "output-limit", message: message.message });
      else done({ kind: "invalid", message: message.message });
    };
    const onError = (error: Error & { code?: string }): void =>
      done(error.code === "ERR_WORKER_OUT_OF_MEMORY" ? { kind: "out-of-memory", message: error.message } : { kind: "crash", message: error.message });
    const onExit = (code: number): void => done({ kind: "crash", message: `the worker exited with code ${code} before reporting` });
    function done(ending: Ending): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      resolve(ending);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
}

function classify(outcome: Outcome, capBytes: number, spec: Spec): Pick<ExecutionResult, "exitCode" | "durationMs" | "stdout" | "stderr"> {
  const tail = (): string => (outcome.stderr === "" ? "" : `; stderr: ${outcome.stderr.slice(0, 300).trimEnd()}`);
  // A failing run with its memory at (or a grow away from) the cap most likely failed to grow.
  const nearCap = (bytes: number): boolean => bytes >= capBytes - Math.min(capBytes / 2, Math.max(capBytes / 8, 1_048_576));
  const memoryLimit = (why: string): ExecutionError =>
    new ExecutionError("MEMORY_LIMIT", COMPONENT, `the job ran out of memory at resources.memoryMb = ${spec.resources.memoryMb} (${why})${tail()}`, {
      hint: "raise resources.memoryMb or make the job use less memory",
    });
  switch (outcome.kind) {
    case "exit":
      if (outcome.exitCode === 0)
        return { exitCode: 0, durationMs: Math.round(outcome.durationMs), stdout: outcome.stdout, stderr: outcome.stderr };
      if (nearCap(outcome.memoryBytes)) throw memoryLimit(`exit code ${outcome.exitCode}`);
      throw new ExecutionError("NON_ZERO_EXIT", COMPONENT, `the job exited with code ${outcome.exitCode}${tail()}`);
    case "trap":
      if (nearCap(outcome.memoryBytes)) throw memoryLimit(`trap: ${outcome.message}`);
      throw new ExecutionError("TRAP", COMPONENT, `the module trapped: ${outcome.message}${tail()}`);
    case "timeout":
      throw new ExecutionError("TIMEOUT", COMPONENT, `the job ran past resources.timeoutSec (${spec.resources.timeoutSec} s) and was killed`, {
        hint: "raise resources.timeoutSec or give the job less work",
      });
    case "aborted":
      throw aborted();
    case "output-limit":
      throw new ExecutionError("OUTPUT_LIMIT", COMPONENT, `${outcome.message} (resources.maxOutputBytes = ${spec.resources.maxOutputBytes}); the job was stopped`, {
        hint: "raise resources.maxOutputBytes or write less",
      });
    case "out-of-memory":
      throw memoryLimit(`the worker's heap limit: ${outcome.message}`);
    case "invalid":
      throw new ExecutionError("INVALID_SPEC", COMPONENT, `the module cannot run: ${outcome.message}`, {
        hint: "build a WASI preview1 command (clang --target=wasm32-wasi) that exports memory and the entrypoint",
      });
    case "crash":
      throw new ExecutionError("ENGINE_UNAVAILABLE", COMPONENT, `the WASM worker failed: ${outcome.message}`);
  }
}

function aborted(): ExecutionError {
  return new ExecutionError("ABORTED", COMPONENT, "the run was aborted (agent shutting down)");
}

function realOutputDir(dir: string): string {
  let info;
  try {
    info = lstatSync(dir, { throwIfNoEntry: false });
  } catch {
    info = undefined;
  }
  if (info === undefined || !info.isDirectory())
    throw new ExecutionError("OUTPUT_INVALID", COMPONENT, `the output directory ${dir} is not a directory`);
  return realpathSync(dir);
}

function readCapture(buffer: SharedArrayBuffer): string {
  const header = new Int32Array(buffer, 0, 2);
  const used = Atomics.load(header, 0);
  const text = Buffer.from(new Uint8Array(buffer, STDIO_HEADER_BYTES, used)).toString("utf8");
  return Atomics.load(header, 1) === 1 ? `${text}\n[truncated]` : text;
}

/**
 * node:wasi (uvwasi) never closes the host fds behind guest fds: not at exit, not when the worker
 * is terminated. The worker closes those it knows on a normal end; this closes what a killed run
 * left: every fd of this process that points into the run's own directories, which nothing else
 * has open. Linux only (/proc/self/fd); elsewhere a killed run can leak fds.
 */
function closeLeakedFds(dirs: string[]): void {
  if (!existsSync("/proc/self/fd")) return;
  for (const name of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    if (dirs.some((dir) => target === dir || target.startsWith(dir + sep))) {
      try {
        closeSync(Number(name));
      } catch {
        // already closed
      }
    }
  }
}

/** No inputs (the availability check): nothing to open (-8 is WASI EBADF). */
const EMPTY_VIEW: RunPlan["inputs"] = { files: [] as MountedFile[], open: () => -8, release: () => {} };

/** (module (memory (export "memory") 1) (func (export "_start"))) */
const NOOP_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
  0x03, 0x02, 0x01, 0x00, // function 0: type 0
  0x05, 0x04, 0x01, 0x01, 0x01, 0x01, // memory: min 1 max 1
  0x07, 0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // exports
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: empty body
]);
