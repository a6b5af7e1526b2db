// Node only: hashes segments on worker threads and merges their roots in order on the calling
// thread. At most two segments wait per worker, so memory stays constant whatever the size.
import { Worker } from "node:worker_threads";

import { PieceHashAbortedError } from "../../errors/pieceFile.js";
import { commpModule, CommpCore, type PieceLayout, RootStack, type Subtree } from "./core.js";
import { WORKER_SOURCE } from "./worker.js";

/** A segment to hash: `length` bytes at `position` of the pool's file, or in `data`. */
export type SegmentJob = { length: number; position?: number; data?: Uint8Array };

/** A worker's failure, as it reported it. */
export class SegmentError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Result = { index: number; length: number; height: number; root: Uint8Array; data?: Uint8Array };
type Reply = Result | { index: number; error: { message: string; code?: string } };
type Slot = { worker: Worker; inflight: number };

const PER_WORKER = 2;

export class SegmentPool {
  readonly stack: RootStack;
  /** The last segment when it was partial (merged by RootStack.finish). */
  last: Subtree | undefined;
  private readonly slots: Slot[] = [];
  private readonly threads: number;
  private readonly results = new Map<number, Result>();
  private submitted = 0;
  private merged = 0;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private readonly onAbort = () => this.fail(new PieceHashAbortedError({ cause: this.options.signal?.reason }));

  constructor(
    private readonly options: {
      /** Workers at most (at least 1; spawned as segments need them). */
      threads: number;
      layout: PieceLayout;
      /** Full segment size: a shorter one must be the last. */
      capacity: number;
      path?: string;
      signal?: AbortSignal;
      /** Called after each segment is merged, in order, with its length. */
      onMerged?: (length: number) => void;
      /** Gives back a job's `data` once its worker is done with it. */
      onData?: (data: Uint8Array) => void;
    },
  ) {
    this.stack = new RootStack(new CommpCore());
    this.threads = Number.isFinite(options.threads) ? Math.max(1, Math.floor(options.threads)) : 1;
    if (options.signal?.aborted) this.onAbort();
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Sends `job` to a worker, once one has room (waits otherwise). */
  async submit(job: SegmentJob): Promise<void> {
    const slot = await this.slot();
    slot.inflight++;
    const message = { index: this.submitted++, ...job };
    slot.worker.postMessage(message, job.data ? [job.data.buffer as ArrayBuffer] : []);
  }

  /** Waits for every submitted segment; throws the first failure. Stops the workers. */
  async drain(): Promise<void> {
    try {
      for (this.check(); this.merged < this.submitted; this.check()) await this.wait();
    } finally {
      await this.close();
    }
  }

  /** Stops the workers (also after a failure). */
  async close(): Promise<void> {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private async slot(): Promise<Slot> {
    for (;;) {
      this.check();
      const idle = this.slots.find((slot) => slot.inflight === 0);
      if (idle) return idle;
      if (this.slots.length < this.threads) return this.spawn();
      const free = this.slots.reduce((a, b) => (b.inflight < a.inflight ? b : a));
      if (free.inflight < PER_WORKER) return free;
      await this.wait();
    }
  }

  private spawn(): Slot {
    const { path, layout } = this.options;
    // execArgv []: the script needs none of the parent's flags (loaders such as tsx cost ~60 ms).
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module: commpModule(), path, layout } });
    const slot = { worker, inflight: 0 };
    worker.on("message", (reply: Reply) => {
      slot.inflight--;
      if ("error" in reply) return this.fail(new SegmentError(reply.error.message, reply.error.code));
      if (reply.data) this.options.onData?.(reply.data);
      this.results.set(reply.index, reply);
      this.mergeReady();
      this.wake?.();
    });
    worker.on("error", (error: NodeJS.ErrnoException) => this.fail(new SegmentError(error.message, error.code)));
    this.slots.push(slot);
    return slot;
  }

  private mergeReady(): void {
    for (let result = this.results.get(this.merged); result; result = this.results.get(this.merged)) {
      this.results.delete(this.merged);
      if (this.last) return this.fail(new Error("SegmentPool: a segment after a partial one"));
      if (result.length === this.options.capacity) this.stack.push(result.root);
      else this.last = { root: result.root, height: result.height };
      this.merged++;
      this.options.onMerged?.(result.length);
    }
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wake?.();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }
}
