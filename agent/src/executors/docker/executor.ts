/**
 * The Docker executor (after Bacalhau's pkg/executor/docker): validates the Docker part of a spec,
 * runs one job in a locked-down container on a real engine through dockerode, enforces its limits
 * and always removes the container.
 *
 * The container: no network, read-only root, a small tmpfs at /tmp, memory (no swap), CPU and
 * pids limits, all capabilities dropped, no-new-privileges, a non-root user, inputs bound
 * read-only at their mounts, the output at `spec.outputs.path` (below), the image's content pinned
 * by digest (see image.ts), labels `shoal.job` / `shoal.agent` on the job container, the output
 * holder and the output volume, so a restarted agent removes orphans (`removeOrphans`).
 *
 * The output (default, `outputMount: "volume"`): a tmpfs volume sized by the engine to
 * maxOutputBytes plus one page, with maxOutputEntries plus one inodes (holder.ts), so the job's
 * writes fail with ENOSPC at the cap: no flood passes it. A holder container keeps the volume
 * mounted after the job exits; the agent copies the output out with the strict rules (archive.ts:
 * from the volume's mount when it sees it, root on the engine's host; else through the engine's
 * archive API, which also serves an agent in a container or a non-root one), then removes holder
 * and volume. The output lives in RAM until then,
 * and its tmpfs pages count in the writer's memory cgroup: the output, like /tmp, counts in
 * memoryMb (a job that writes more than its memory allows is killed, MEMORY_LIMIT), so a job uses
 * at most the RAM it asked for and a provider's memory policy still bounds it. Where the
 * volume cannot be made (an engine without tmpfs volumes, an architecture without a holder
 * executable), the executor warns once and falls back to `outputMount: "bind"`: the output
 * directory bind-mounted and polled (Docker has no quota on a bind mount), which bounds the
 * overshoot only by what the job writes in one interval.
 *
 * Limits: timeout → kill, TIMEOUT; the kernel's OOM kill → MEMORY_LIMIT; an output over the cap,
 * or one that filled its volume (a write may have failed) → OUTPUT_LIMIT, whatever else ended the
 * job (its write error, a timeout), so replicas agree; where the agent can see the volume's mount
 * (root on the engine's host) it also polls statfs and kills the job as soon as the volume is full;
 * symlinks and special files in the output → OUTPUT_INVALID; a non-zero exit → NON_ZERO_EXIT with
 * the code and the stderr tail.
 */
import { randomBytes } from "node:crypto";
import { lchown, lstat, readdir, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { availableParallelism } from "node:os";

import Dockerode from "dockerode";

import type { Logger } from "../../context.js";
import { SPEC_DEFAULTS, type Spec } from "@shoal/sdk";
import { ExecutionError, type ExecutionErrorCode, type ExecutionRequest, type ExecutionResult, type Executor } from "../types.js";
import { copyOutputs, extractOutputs, type ExtractResult } from "./archive.js";
import { buildContainerOptions, containerName, LABEL_AGENT, LABEL_JOB } from "./container.js";
import { createOutputVolume, ensureHolderImage, listOutputVolumes, removeOutputVolume, startHolder, volumeFull } from "./holder.js";
import { compilePolicy, findLocalImage, type ImagePolicy, type ImageRef, parseImageRef, pullImage, statusOf } from "./image.js";
import { CappedLog, demux } from "./logs.js";
import { type OutputProblem, walkOutputs, watchOutputs } from "./outputs.js";
import { HolderPool, type PooledHolder } from "./pool.js";

const COMPONENT = "docker";
const MiB = 1024 * 1024;
/** Docker refuses memory limits below 6 MiB. */
const MIN_MEMORY_MB = 6;
/** Paths the runtime owns: a job's output may not be bound over them. */
const RESERVED = ["/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"];

export type DockerExecutorOptions = {
  /** Unix socket of the engine (default /var/run/docker.sock). Ignored when `docker` is given. */
  socketPath?: string | undefined;
  /** A ready dockerode client (e.g. a remote engine); wins over `socketPath`. */
  docker?: Dockerode | undefined;
  /**
   * Which images may run: repository names (`busybox`, `ghcr.io/me/app`: any digest of them) or
   * exact `name@sha256:<digest>` refs, or a predicate. Empty: none.
   */
  allowedImages: ImagePolicy;
  /** GPUs the provider configured (default 0). Device requests are made only when > 0 and asked for. */
  gpus?: number | undefined;
  /** Pull a missing image by digest (default false: it must already be in the engine). */
  pullImages?: boolean | undefined;
  /**
   * `uid:gid` the job runs as; never root. Default: 65534:65534 (nobody) when the agent runs as
   * root (the output directory is chowned to it for the run and back after), else the agent's own
   * uid:gid. Inputs must be readable by this user.
   */
  user?: string | undefined;
  /** Processes and threads in the container (default 64): a fork bomb stops there. */
  pidsLimit?: number | undefined;
  /** Size of the /tmp tmpfs in MiB (default 64, at most the job's memory, which it counts in). */
  tmpfsMb?: number | undefined;
  /** Files and directories the output may hold (default 100,000). */
  maxOutputEntries?: number | undefined;
  /**
   * How the output cap is enforced (default "volume"): "volume", a size-limited tmpfs volume the
   * engine enforces (falls back to "bind" with a warning where the engine cannot make one);
   * "bind", the output directory bind-mounted and polled.
   */
  outputMount?: "volume" | "bind" | undefined;
  /**
   * Read the output volume through the engine's archive API even where the agent sees the
   * volume's mount (default false: read the mount directly when visible, which saves an archive
   * round trip; agents that are not root on the engine's host always use the archive).
   */
  outputViaArchive?: boolean | undefined;
  /** How often the output is measured while the job runs (default 100 ms). */
  outputPollMs?: number | undefined;
  /** Bytes of stdout and of stderr kept (default 64 KiB each). */
  logBytes?: number | undefined;
  /** Value of the `shoal.agent` label: removeOrphans only touches this agent's containers (default "default"). */
  agent?: string | undefined;
  /**
   * Output holders kept started ahead of jobs once `warm()` has run (default 2; 0: none): a job
   * takes one (its own; never reused) instead of creating a volume and starting a holder on its
   * path. Kept for the output limits of the last job (at first, the spec defaults'). `close()`
   * removes them. See pool.ts.
   */
  holderPool?: number | undefined;
  /** Called at the end of every run() with where its time went (removeMs is filled in later, when the removal ends). */
  onTimings?: ((timings: DockerRunTimings) => void) | undefined;
  logger?: Logger | undefined;
};

/** Where one run()'s time went, in milliseconds (figures: examples/docker/overhead.ts). */
export type DockerRunTimings = {
  /** Whether the output holder came from the warm pool. */
  pooled: boolean;
  /** Finding the pinned image in the engine. */
  imageMs: number;
  /** Creating the job's container (with the output volume and holder, overlapped, when none was pooled). */
  createMs: number;
  /** Attaching to its output streams. */
  attachMs: number;
  /** Starting it (the engine's start call). */
  startMs: number;
  /** From started to exited, and the log stream drained. */
  waitMs: number;
  /** Reading its exit state, overlapped with copying the output out. */
  inspectAndCopyMs: number;
  total: number;
  /** Removing the container, holder and volume, off the job's path (set when that ends). */
  removeMs: number;
};

/** An ExecutionError with what the container left: exit code and the logs' first/last bytes. */
export class DockerExecutionError extends ExecutionError {
  readonly exitCode: number | undefined;
  readonly stdout: string | undefined;
  readonly stderr: string | undefined;
  constructor(
    code: ExecutionErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number; stdout?: string; stderr?: string } = {},
  ) {
    super(code, COMPONENT, message, options);
    this.name = "DockerExecutionError";
    this.exitCode = options.exitCode;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
  }
}

type Stop = { kind: "timeout" } | { kind: "abort" } | { kind: "output"; problem: Extract<OutputProblem, { kind: "limit" }> } | { kind: "full" };

type Outcome = {
  stop: Stop | undefined;
  exitCode: number;
  oomKilled: boolean;
  durationMs: number;
  stdout: CappedLog;
  stderr: CappedLog;
};

export class DockerExecutor implements Executor {
  readonly engine = "docker" as const;
  readonly docker: Dockerode;
  readonly agent: string;
  private readonly allowed: (image: ImageRef) => boolean;
  private readonly gpus: number;
  private readonly pullImages: boolean;
  private readonly user: { uid: number; gid: number };
  private readonly pidsLimit: number;
  private readonly tmpfsBytes: number;
  private readonly maxOutputEntries: number;
  private readonly outputPollMs: number;
  private readonly outputMount: "volume" | "bind";
  private readonly outputViaArchive: boolean;
  /** The holder image's ID once the volume works on this engine, undefined for the bind fallback. */
  private volumeSupport: Promise<string | undefined> | undefined;
  /** Removals of finished jobs' containers, holders and volumes still under way (see {@link settled}). */
  private readonly cleanups = new Set<Promise<void>>();
  private readonly logBytes: number;
  private readonly logger: Logger | undefined;
  private readonly poolSize: number;
  private readonly onTimings: ((timings: DockerRunTimings) => void) | undefined;
  /** Started output holders waiting for jobs (after warm(), with output volumes). */
  private pool: HolderPool | undefined;
  /** Counts close() calls: a warm() that a close() overtook does not start the pool. */
  private closings = 0;

  constructor(options: DockerExecutorOptions) {
    this.docker = options.docker ?? new Dockerode({ socketPath: options.socketPath ?? "/var/run/docker.sock" });
    this.allowed = compilePolicy(options.allowedImages);
    this.gpus = positiveInt(options.gpus ?? 0, "gpus", 0);
    this.pullImages = options.pullImages ?? false;
    this.user = parseUser(options.user);
    this.pidsLimit = positiveInt(options.pidsLimit ?? 64, "pidsLimit", 1);
    this.tmpfsBytes = positiveInt(options.tmpfsMb ?? 64, "tmpfsMb", 0) * MiB;
    this.maxOutputEntries = positiveInt(options.maxOutputEntries ?? 100_000, "maxOutputEntries", 1);
    this.outputPollMs = positiveInt(options.outputPollMs ?? 100, "outputPollMs", 10);
    this.outputMount = options.outputMount ?? "volume";
    this.outputViaArchive = options.outputViaArchive ?? false;
    if (this.outputMount !== "volume" && this.outputMount !== "bind") throw new TypeError(`outputMount must be "volume" or "bind"`);
    this.logBytes = positiveInt(options.logBytes ?? 64 * 1024, "logBytes", 0);
    this.agent = options.agent ?? "default";
    this.logger = options.logger;
    this.poolSize = positiveInt(options.holderPool ?? 2, "holderPool", 0);
    this.onTimings = options.onTimings;
  }

  async isAvailable(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("ping timed out")), 3_000);
      });
      await Promise.race([this.docker.ping(), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Probes output volumes (and imports the holder image) before the first job needs them, and
   * starts the warm pool of output holders (`holderPool`). Never throws.
   */
  async warm(): Promise<void> {
    if (this.outputMount !== "volume") return;
    const closings = this.closings;
    const holderImage = await this.probeVolume().catch(() => undefined); // an engine that is down is probed again by the first job
    if (holderImage === undefined || this.poolSize === 0 || closings !== this.closings) return;
    this.pool ??= new HolderPool(
      {
        docker: this.docker,
        size: this.poolSize,
        agent: this.agent,
        owner: this.user,
        holderImage,
        mountpointOf: (volume) => visibleMount(this.docker, volume),
        logger: this.logger,
      },
      { maxBytes: SPEC_DEFAULTS.resources.maxOutputBytes, maxEntries: this.maxOutputEntries },
    );
    this.pool.reopen();
    this.pool.refill();
    await this.pool.filled();
  }

  /** Output holders of the warm pool ready now (0 before warm() and after close()). */
  get pooledHolders(): number {
    return this.pool?.ready ?? 0;
  }

  /**
   * Removes the warm pool's holders and volumes, and waits for finished jobs' removals
   * (settled()): at the agent's stop nothing of this executor is left in the engine. warm() starts
   * the pool again.
   */
  async close(): Promise<void> {
    this.closings++;
    await this.pool?.close();
    await this.settled();
  }

  validate(spec: Spec): void {
    if (spec.engine.type !== "docker") {
      throw new DockerExecutionError("INVALID_SPEC", `engine ${spec.engine.type} is not docker`);
    }
    const ref = parseImageRef(spec.engine.image);
    if (spec.network !== "none") {
      throw new DockerExecutionError("INVALID_SPEC", `network ${JSON.stringify(spec.network)} is not supported`, { hint: 'v1 jobs run with network "none"' });
    }
    const { cpu, memoryMb, gpu } = spec.resources;
    if (memoryMb < MIN_MEMORY_MB) {
      throw new DockerExecutionError("INVALID_SPEC", `memoryMb ${memoryMb} is below Docker's minimum of ${MIN_MEMORY_MB}`);
    }
    const cpus = availableParallelism();
    if (cpu > cpus) throw new DockerExecutionError("INVALID_SPEC", `the job asks for ${cpu} CPUs; this host has ${cpus}`);
    if (gpu > this.gpus) {
      throw new DockerExecutionError("INVALID_SPEC", `the job asks for ${gpu} GPUs; this provider has ${this.gpus}`, {
        hint: "GPU jobs need a provider configured with gpus (and the NVIDIA container toolkit)",
      });
    }
    const out = spec.outputs.path;
    if (RESERVED.some((path) => out === path || out.startsWith(`${path}/`))) {
      throw new DockerExecutionError("INVALID_SPEC", `outputs.path ${out} is reserved by the container runtime`);
    }
    if (!this.allowed(ref)) {
      throw new DockerExecutionError("NOT_ALLOWED", `image ${ref.repository}@${ref.digest} is not in this provider's allowlist`, {
        hint: "ask the provider to allow the repository or this digest",
      });
    }
  }

  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    try {
      return await this.runOnce(request, true);
    } catch (error) {
      if (!(error instanceof StaleHolderError)) throw error;
      // Someone removed the pooled holders (another agent's removeOrphans under the same label):
      // drop the rest, and run this job on a holder of its own.
      this.logger?.warn({ holder: error.holder }, "a pooled output holder was gone: emptying the pool");
      this.pool?.flush();
      return this.runOnce(request, false);
    }
  }

  private async runOnce(request: ExecutionRequest, usePool: boolean): Promise<ExecutionResult> {
    const { spec, signal } = request;
    this.validate(spec);
    throwIfAborted(signal);
    const clock = performance.now();
    const timings: DockerRunTimings = { pooled: false, imageMs: 0, createMs: 0, attachMs: 0, startMs: 0, waitMs: 0, inspectAndCopyMs: 0, total: 0, removeMs: 0 };
    const ref = parseImageRef((spec.engine as { image: string }).image);
    const image = await this.resolveImage(ref);
    timings.imageMs = performance.now() - clock;
    throwIfAborted(signal);

    const holderImage = this.outputMount === "volume" ? await this.probeVolume() : undefined;
    throwIfAborted(signal);
    const limits = spec.resources;
    const outputLimits = { maxBytes: limits.maxOutputBytes, maxEntries: this.maxOutputEntries };
    const asRoot = process.getuid?.() === 0;
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const outputStats = await lstat(request.outputDir);
    if (!outputStats.isDirectory()) throw new TypeError(`outputDir ${request.outputDir} is not a directory`);
    // Bound: the job writes into the agent's directory as its own user.
    const chown = asRoot && holderImage === undefined;
    if (chown) await lchown(request.outputDir, this.user.uid, this.user.gid);

    const out = spec.outputs.path;
    const tmpfs = out === "/tmp" || out.startsWith("/tmp/") ? 0 : Math.min(this.tmpfsBytes, limits.memoryMb * MiB);
    const name = containerName(request.jobId, randomBytes(4).toString("hex"));

    let container: Dockerode.Container | undefined;
    let holder: Dockerode.Container | undefined;
    let volume: string | undefined;
    let outcome: Outcome;
    let extracted: ExtractResult | { error: string } | undefined;
    // A started holder of an empty volume for these limits, made before the job came: this job's alone.
    const pooled: PooledHolder | undefined = holderImage === undefined || !usePool ? undefined : this.pool?.take(outputLimits);
    timings.pooled = pooled !== undefined;
    try {
      const volumeSettings = { name: `${name}-out`, jobId: request.jobId, agent: this.agent, ...outputLimits };
      if (pooled !== undefined) {
        volume = pooled.volume;
        holder = pooled.holder;
      } else if (holderImage !== undefined) {
        await createOutputVolume(this.docker, { ...volumeSettings, owner: this.user }).catch((error: unknown) => {
          throw engineError(error, "create the output volume");
        });
        volume = volumeSettings.name;
      }
      const options = buildContainerOptions(
        request,
        {
          imageId: image.Id,
          user: `${this.user.uid}:${this.user.gid}`,
          pidsLimit: this.pidsLimit,
          tmpfsBytes: tmpfs,
          gpus: limits.gpu > 0 ? limits.gpu : 0,
          agent: this.agent,
          outputVolume: volume,
        },
        name,
      );
      // The holder starts while the job's container is created: only the job's start waits for both.
      const createStart = performance.now();
      // A pooled holder is checked while the container is created: if it is gone, its volume may
      // be too (and the engine would make a plain one for the job, with no cap): not used.
      const [made, held] = await Promise.allSettled([
        this.docker.createContainer(options).catch((error: unknown) => {
          throw engineError(error, "create the container");
        }),
        holderImage === undefined
          ? undefined
          : pooled !== undefined
            ? holderRunning(pooled.holder).then((running) => {
                if (!running) throw new StaleHolderError(pooled.holder.id);
                return pooled.holder;
              })
            : startHolder(this.docker, { ...volumeSettings, holderImage }).catch((error: unknown) => {
                throw engineError(error, "start the output holder");
              }),
      ]);
      if (made.status === "fulfilled") container = made.value;
      if (held.status === "fulfilled") holder = held.value;
      if (made.status === "rejected") throw made.reason;
      if (held.status === "rejected") throw held.reason;
      timings.createMs = performance.now() - createStart;
      throwIfAborted(signal);
      const mountpoint = pooled !== undefined ? pooled.mountpoint : volume ? await visibleMount(this.docker, volume) : undefined;
      const output = holder;
      // The output is copied out while the engine reports the exit state.
      const copy = output
        ? (stop: Stop | undefined) =>
            stop?.kind === "abort"
              ? Promise.resolve(undefined)
              : Promise.all([
                  this.copyOut(output, this.outputViaArchive ? undefined : mountpoint, request.outputDir, outputLimits),
                  holderRunning(output),
                ]).then(([copied, running]) =>
                  // A holder that stopped let the volume go (and its content with it) when the job exited.
                  running ? copied : { error: "the output holder stopped before the output was copied out" },
                )
        : undefined;
      const executed = await this.execute(container!, request, volume ? { mountpoint } : undefined, timings, copy);
      outcome = executed.outcome;
      extracted = executed.extracted;
    } finally {
      // The job has exited and its output is copied out: removing its container, holder and volume
      // (about 0.3 s of engine work) happens after run() returns, off the job's path. settled()
      // waits for it (the agent does at shutdown); a crash leaves them to removeOrphans.
      const removeStart = performance.now();
      const cleanup = (async () => {
        await Promise.all([container && this.remove(container), holder && this.remove(holder)]);
        if (volume && !(await removeOutputVolume(this.docker, volume))) {
          // removeOrphans at the next start finds it by its labels.
          this.logger?.warn({ volume }, "could not remove a job's output volume");
        }
        timings.removeMs = performance.now() - removeStart;
      })()
        .catch((error: unknown) => this.logger?.warn({ err: String(error) }, "could not remove a finished job's containers"))
        // The next pooled holder is made once this job is done, not while it starts.
        .finally(() => this.pool?.refill());
      this.cleanups.add(cleanup);
      void cleanup.finally(() => this.cleanups.delete(cleanup));
      timings.total = performance.now() - clock;
      this.onTimings?.(timings);
    }

    const details = { exitCode: outcome.exitCode, stdout: outcome.stdout.text(), stderr: outcome.stderr.text() };
    if (outcome.stop?.kind === "abort") throw new DockerExecutionError("ABORTED", "the run was aborted (agent shutting down)", details);
    // The output decides first: a job stopped by its cap (its write error, a timeout while it spun
    // on ENOSPC, the poll's kill) fails the same way on every replica.
    if (extracted !== undefined && !("error" in extracted)) {
      if (extracted.problem?.kind === "limit") throw outputLimitError(extracted.problem, limits.maxOutputBytes, this.maxOutputEntries, details);
      if (outcome.stop?.kind === "full" || volumeFull(outputLimits, { pages: extracted.pages, entries: extracted.usage.entries })) {
        throw new DockerExecutionError(
          "OUTPUT_LIMIT",
          `the output filled its volume (resources.maxOutputBytes ${limits.maxOutputBytes} bytes in 4 KiB pages, ${this.maxOutputEntries} files and directories)`,
          { ...details, hint: "raise resources.maxOutputBytes, or write fewer, larger files" },
        );
      }
    }
    switch (outcome.stop?.kind) {
      case "timeout":
        throw new DockerExecutionError("TIMEOUT", `killed after the ${limits.timeoutSec} s timeout`, details);
      case "output":
        throw outputLimitError(outcome.stop.problem, limits.maxOutputBytes, this.maxOutputEntries, details);
    }
    if (outcome.oomKilled) {
      throw new DockerExecutionError("MEMORY_LIMIT", `killed for exceeding ${limits.memoryMb} MiB of memory`, {
        ...details,
        hint: "raise resources.memoryMb (on Docker the output and /tmp are in memory and count in it)",
      });
    }
    if (outcome.exitCode !== 0) {
      const tail = outcome.stderr.tailText().trim();
      throw new DockerExecutionError("NON_ZERO_EXIT", `exited with code ${outcome.exitCode}${tail ? `: ${tail}` : ""}`, details);
    }
    if (extracted !== undefined && "error" in extracted) {
      throw new DockerExecutionError("OUTPUT_INVALID", `the output could not be copied out: ${extracted.error}`, details);
    }
    const walked =
      extracted ??
      (await walkOutputs(request.outputDir, {
        maxBytes: limits.maxOutputBytes,
        maxEntries: this.maxOutputEntries,
        strict: true,
        chownTo: chown ? owner : undefined,
      }));
    if (walked.problem?.kind === "limit") {
      throw outputLimitError(walked.problem, limits.maxOutputBytes, this.maxOutputEntries, details);
    }
    if (walked.problem?.kind === "invalid") {
      throw new DockerExecutionError("OUTPUT_INVALID", `output ${walked.problem.path} is ${walked.problem.reason}`, {
        ...details,
        hint: "results hold only regular files and directories",
      });
    }
    return {
      exitCode: 0,
      durationMs: outcome.durationMs,
      stdout: details.stdout,
      stderr: details.stderr,
      outputBytes: walked.usage.bytes,
    };
  }

  /**
   * Whether this engine makes size-limited output volumes (once per executor): imports the holder
   * image and starts one holder on a small volume. Undefined, after a warning, means the bind fallback.
   */
  private probeVolume(): Promise<string | undefined> {
    this.volumeSupport ??= (async () => {
      let holderImage: string;
      try {
        holderImage = await ensureHolderImage(this.docker);
        const probe = { name: `shoal-job-probe-${randomBytes(4).toString("hex")}-out`, jobId: 0n, agent: this.agent, maxBytes: 4096, maxEntries: 1 };
        await createOutputVolume(this.docker, { ...probe, owner: this.user });
        try {
          await this.remove(await startHolder(this.docker, { ...probe, holderImage }));
        } finally {
          await removeOutputVolume(this.docker, probe.name);
        }
        return holderImage;
      } catch (error) {
        if (isConnectionError(error)) {
          // The engine is not there: ask again next time rather than settle on the fallback.
          this.volumeSupport = undefined;
          throw engineError(error, "probe output volumes");
        }
        this.logger?.warn(
          { err: messageOf(error) },
          "the engine cannot make size-limited output volumes: falling back to polling a bind-mounted output directory (a fast writer can pass maxOutputBytes by what it writes in one poll interval)",
        );
        return undefined;
      }
    })();
    return this.volumeSupport;
  }

  /** Resolves once every finished job's container, holder and output volume is removed. */
  async settled(): Promise<void> {
    while (this.cleanups.size > 0) await Promise.allSettled([...this.cleanups]);
  }

  /** Copies the output volume's content into `dir` through the holder, under the strict rules. */
  private async copyOut(
    holder: Dockerode.Container,
    mountpoint: string | undefined,
    dir: string,
    limits: { maxBytes: number; maxEntries: number },
  ): Promise<ExtractResult | { error: string }> {
    if (mountpoint !== undefined) {
      try {
        return await copyOutputs(mountpoint, dir, limits);
      } catch (error) {
        this.logger?.warn({ err: messageOf(error) }, "could not copy the output from the volume's mount: reading its archive instead");
        await emptyDirectory(dir);
      }
    }
    let stream: NodeJS.ReadableStream | undefined;
    try {
      stream = await holder.getArchive({ path: "/outputs" });
      return await extractOutputs(stream as AsyncIterable<Buffer>, dir, limits);
    } catch (error) {
      if (isConnectionError(error)) throw engineError(error, "copy the output out");
      return { error: messageOf(error) };
    } finally {
      (stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined)?.destroy?.();
    }
  }

  /** Removes this agent's job containers left by a crash (call at startup). Returns their IDs. */
  /** Whether the pinned image is in the local engine (pulled first when pulling is on). */
  async hasModule(spec: Spec): Promise<boolean> {
    if (spec.engine.type !== "docker") return false;
    try {
      await this.resolveImage(parseImageRef(spec.engine.image));
      return true;
    } catch {
      return false;
    }
  }

  async removeOrphans(): Promise<string[]> {
    return removeOrphans(this.docker, { agent: this.agent, logger: this.logger });
  }

  private async resolveImage(ref: ImageRef): Promise<Dockerode.ImageInspectInfo> {
    const find = () =>
      findLocalImage(this.docker, ref).catch((error: unknown) => {
        throw engineError(error, "inspect the image");
      });
    let image = await find();
    if (!image && this.pullImages) {
      try {
        await pullImage(this.docker, ref);
      } catch (error) {
        if (isConnectionError(error)) throw engineError(error, "pull the image");
        throw new DockerExecutionError("MODULE_UNAVAILABLE", `could not pull ${ref.repository}@${ref.digest}: ${messageOf(error)}`, { cause: error });
      }
      image = await find();
    }
    if (!image) {
      throw new DockerExecutionError("MODULE_UNAVAILABLE", `image ${ref.repository}@${ref.digest} is not in the local engine`, {
        hint: this.pullImages
          ? "the pulled image did not match the digest"
          : `load it first (docker pull ${ref.repository}@${ref.digest}), or enable pullImages`,
      });
    }
    return image;
  }

  /** Attaches, starts, waits; kills on timeout, abort or output excess. Never throws after start without the outcome's logs. */
  /** `volume`: the output is a volume, polled where the agent sees its mount; absent: a bind mount, polled. */
  /** `afterExit`: work that needs the exited job (copying its output out), run while the engine is asked for its exit state. */
  private async execute<T>(
    container: Dockerode.Container,
    request: ExecutionRequest,
    volume: { mountpoint: string | undefined } | undefined,
    timings: DockerRunTimings,
    afterExit: ((stop: Stop | undefined) => Promise<T>) | undefined,
  ): Promise<{ outcome: Outcome; extracted: T | undefined }> {
    const { spec, signal } = request;
    const stdout = new CappedLog(this.logBytes);
    const stderr = new CappedLog(this.logBytes, 2_048);
    let lap = performance.now();
    const stream = await container.attach({ stream: true, stdout: true, stderr: true }).catch((error: unknown) => {
      throw engineError(error, "attach to the container");
    });
    timings.attachMs = performance.now() - lap;
    demux(stream, stdout, stderr);
    const streamEnded = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });

    let stop: Stop | undefined;
    const kill = (reason: Stop) => {
      if (stop) return;
      stop = reason;
      container.kill({ signal: "SIGKILL" }).catch(() => {
        // Already exited: nothing to kill.
      });
    };
    const onAbort = () => kill({ kind: "abort" });
    let timer: NodeJS.Timeout | undefined;
    let watcher: { stop: () => Promise<void> } | undefined;
    const started = Date.now();
    try {
      lap = performance.now();
      await container.start().catch((error: unknown) => {
        throw engineError(error, "start the container");
      });
      timings.startMs = performance.now() - lap;
      lap = performance.now();
      timer = setTimeout(() => kill({ kind: "timeout" }), spec.resources.timeoutSec * 1000);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) onAbort();
      if (volume?.mountpoint !== undefined) watcher = this.watchVolume(volume.mountpoint, () => kill({ kind: "full" }));
      else if (volume === undefined) {
        watcher = watchOutputs(
          request.outputDir,
          { maxBytes: spec.resources.maxOutputBytes, maxEntries: this.maxOutputEntries, intervalMs: this.outputPollMs },
          (problem) => kill({ kind: "output", problem }),
        );
      }
      await container.wait().catch((error: unknown) => {
        throw engineError(error, "wait for the container");
      });
      // The attach stream can trail the exit by a moment: take what is left, briefly.
      await Promise.race([streamEnded, delay(1_000)]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      await watcher?.stop();
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
    const measured = Date.now() - started;
    timings.waitMs = performance.now() - lap;
    lap = performance.now();
    const [inspected, extracted] = await Promise.allSettled([container.inspect(), afterExit?.(stop)]);
    timings.inspectAndCopyMs = performance.now() - lap;
    if (inspected.status === "rejected") throw engineError(inspected.reason, "inspect the container");
    if (extracted.status === "rejected") throw extracted.reason;
    const info = inspected.value;
    const startedAt = Date.parse(info.State.StartedAt);
    const finishedAt = Date.parse(info.State.FinishedAt);
    return {
      outcome: {
        stop,
        exitCode: info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        durationMs: Number.isFinite(startedAt) && Number.isFinite(finishedAt) && finishedAt >= startedAt ? finishedAt - startedAt : measured,
        stdout,
        stderr,
      },
      extracted: extracted.value,
    };
  }

  /**
   * Polls the output volume's free space with statfs, to end a job that spins on ENOSPC early
   * (where the agent cannot see the mount, the engine's cap alone holds and such a job runs to its
   * timeout; the outcome is OUTPUT_LIMIT either way).
   */
  private watchVolume(mountpoint: string, onFull: () => void): { stop: () => Promise<void> } {
    let stopped = false;
    let current: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      current = current.then(async () => {
        if (stopped) return;
        const stats = await statfs(mountpoint).catch(() => undefined);
        if (stats?.type === TMPFS_MAGIC && (stats.bfree === 0 || stats.ffree === 0)) {
          stopped = true;
          onFull();
        }
      });
    }, this.outputPollMs);
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await current;
      },
    };
  }

  private async remove(container: Dockerode.Container): Promise<void> {
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      // removeOrphans at the next start finds it by its labels.
      this.logger?.warn({ container: container.id, err: messageOf(error) }, "could not remove a job container");
    }
  }
}

export function createDockerExecutor(options: DockerExecutorOptions): DockerExecutor {
  return new DockerExecutor(options);
}

/**
 * Force-removes job containers (label `shoal.job`: jobs and output holders) of one agent (label
 * `shoal.agent`), running or not, then its output volumes (label `shoal.role=output`): what a
 * crash left behind. Returns the removed containers' IDs and volumes' names.
 */
export async function removeOrphans(
  docker: Dockerode,
  options: { agent?: string | undefined; logger?: Logger | undefined } = {},
): Promise<string[]> {
  const containers = await docker
    .listContainers({ all: true, filters: { label: [LABEL_JOB, `${LABEL_AGENT}=${options.agent ?? "default"}`] } })
    .catch((error: unknown) => {
      throw engineError(error, "list containers");
    });
  const removed: string[] = [];
  for (const info of containers) {
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      removed.push(info.Id);
      options.logger?.info({ container: info.Id, job: info.Labels[LABEL_JOB] }, "removed an orphaned job container");
    } catch (error) {
      if (statusOf(error) !== 404) options.logger?.warn({ container: info.Id, err: messageOf(error) }, "could not remove an orphaned job container");
    }
  }
  // Output volumes go after their holders (job containers too): an engine refuses to remove a volume in use.
  const volumes = await listOutputVolumes(docker, options.agent ?? "default").catch((error: unknown) => {
    throw engineError(error, "list volumes");
  });
  for (const name of volumes) {
    try {
      await docker.getVolume(name).remove();
      removed.push(name);
      options.logger?.info({ volume: name }, "removed an orphaned job output volume");
    } catch (error) {
      if (statusOf(error) !== 404) options.logger?.warn({ volume: name, err: messageOf(error) }, "could not remove an orphaned job output volume");
    }
  }
  return removed;
}

function outputLimitError(
  problem: Extract<OutputProblem, { kind: "limit" }>,
  maxBytes: number,
  maxEntries: number,
  details: { exitCode: number; stdout: string; stderr: string },
): DockerExecutionError {
  const message =
    problem.what === "bytes"
      ? `the output passed ${maxBytes} bytes (resources.maxOutputBytes)`
      : `the output passed ${maxEntries} files and directories`;
  return new DockerExecutionError("OUTPUT_LIMIT", message, details);
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "ENOTCONN"]);

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECTION_CODES.has(code) && statusOf(error) === undefined;
}

const TMPFS_MAGIC = 0x01021994;

/** A pooled holder that was no longer running when its job came (run() retries on a holder of its own). */
class StaleHolderError extends Error {
  constructor(readonly holder: string) {
    super(`the pooled output holder ${holder} is not running`);
  }
}

/** Whether the holder is still running (an engine that cannot say: taken as stopped). */
async function holderRunning(holder: Dockerode.Container): Promise<boolean> {
  try {
    return (await holder.inspect()).State.Running === true;
  } catch {
    return false;
  }
}

/** The volume's mount on the engine's host when this process sees it (root there): read directly, polled with statfs. */
async function visibleMount(docker: Dockerode, volume: string): Promise<string | undefined> {
  try {
    const { Mountpoint } = await docker.getVolume(volume).inspect();
    return (await statfs(Mountpoint)).type === TMPFS_MAGIC ? Mountpoint : undefined;
  } catch {
    return undefined;
  }
}

async function emptyDirectory(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

/** Connection failures → ENGINE_UNAVAILABLE; the engine refusing the container → INVALID_SPEC. */
function engineError(error: unknown, doing: string): ExecutionError {
  if (error instanceof ExecutionError) return error;
  if (isConnectionError(error) || statusOf(error) === undefined) {
    return new DockerExecutionError("ENGINE_UNAVAILABLE", `could not ${doing}: ${messageOf(error)}`, {
      cause: error,
      hint: "is the Docker daemon running? (scripts/ci/start-docker.sh)",
    });
  }
  return new DockerExecutionError("INVALID_SPEC", `the engine refused to ${doing}: ${messageOf(error)}`, { cause: error });
}

function messageOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return error instanceof Error ? error.message : String(error);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DockerExecutionError("ABORTED", "the run was aborted (agent shutting down)");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function positiveInt(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`${name} must be an integer ≥ ${min}`);
  return value;
}

function parseUser(user: string | undefined): { uid: number; gid: number } {
  if (user === undefined) {
    const uid = process.getuid?.() ?? 0;
    return uid === 0 ? { uid: 65534, gid: 65534 } : { uid, gid: process.getgid?.() ?? uid };
  }
  const match = /^(\d+):(\d+)$/.exec(user);
  if (!match) throw new TypeError(`user must be numeric uid:gid, got ${JSON.stringify(user)}`);
  const [uid, gid] = [Number(match[1]), Number(match[2])];
  if (uid === 0 || gid === 0) throw new TypeError("user must not be root (uid 0 or gid 0)");
  return { uid, gid };
}
