/**
 * Messages between the WASM executor (main thread) and its worker. The worker imports this file
 * for types only, so it stays loadable with nothing but `node:` modules.
 */

/** A directory the job sees at `guest`, backed by `host`. */
export type Preopen = {
  guest: string;
  host: string;
  /** Writes, creations, renames and removals through this directory are refused (EROFS). */
  readOnly: boolean;
};

/**
 * A regular file under the read-only inputs that the worker serves itself, from a host fd, instead
 * of node:wasi (which sees only an empty placeholder there): see inputs.ts.
 */
export type MountedFile = {
  /** The normalized guest path, e.g. `/inputs/data.bin`. */
  guest: string;
  /** The bytes the job sees: the file's size when the view was built. */
  size: number;
  /**
   * The host fd, opened read-only by the executor. A file input's is open for the whole run; a
   * directory input's file is -1 until the worker asks for it ("open") and is closed again
   * ("close") when the job has closed its last fd on it, so a job walking a large tree holds few.
   */
  fd: number;
};

/**
 * How the worker asks the executor to open a mounted file: it sets Int32 [0] to 1, posts
 * `{ type: "open", index }` and waits on [0]; the executor stores the host fd (or a negative WASI
 * errno) in [1], sets [0] to 2 and notifies. The executor owns (and closes) every host fd, so a
 * worker killed at any instant leaks none.
 */
export const OPEN_CHANNEL_BYTES = 8;

/**
 * Everything the worker needs for one job, posted to it as one message: a worker is started ahead
 * of its first job and waits for it (see "ready"); after a job that ended cleanly the executor may
 * post it another.
 */
export type WorkerInput = {
  /** The module, compiled once by the executor from its checked bytes with memories capped to the limit (a Module is shared with the worker, not copied). */
  module: WebAssembly.Module;
  /** Exported function to run; `_start` for a WASI command. */
  entrypoint: string;
  args: string[];
  /** Already sorted by key. */
  env: [string, string][];
  /** In fd order: the first is fd 3. */
  preopens: Preopen[];
  /** The on-chain job ID as 64 hex digits (uint256): seeds `random_get`. */
  jobIdHex: string;
  /** What every clock reads, in nanoseconds since the Unix epoch. */
  fixedTimeNs: string;
  /** Host fds (opened on the null device) given to the job as fds 0, 1 and 2. */
  stdio: [number, number, number];
  /** Shared capture buffers for fds 1 and 2; see `STDIO_HEADER_BYTES`. */
  stdout: SharedArrayBuffer;
  stderr: SharedArrayBuffer;
  /** Every regular file of the inputs, sorted by guest path; all under the read-only preopen. */
  files: MountedFile[];
  /** See {@link OPEN_CHANNEL_BYTES}. */
  openChannel: SharedArrayBuffer;
  /** Index of the output preopen in `preopens`. */
  outputIndex: number;
  maxOutputBytes: number;
  maxOutputEntries: number;
};

/** Capture buffer layout: Int32 [0] = bytes kept, Int32 [1] = 1 when bytes were dropped, then the bytes. */
export const STDIO_HEADER_BYTES = 8;

/** Where the worker's part of a run went (ms), for the executor's breakdown. */
export type RunPhases = {
  /** When the job message arrived (performance.timeOrigin + now(), ms). */
  receivedAt: number;
  /** The syscall layer and node:wasi set up for the job (received → instantiation starts). */
  setUpMs: number;
  /** Import checks and WebAssembly.Instance. */
  instantiateMs: number;
};

/** How the module ended, as seen from inside the worker. */
export type WorkerMessage =
  /** Started and waiting for its job. */
  | { type: "ready" }
  | { type: "started" }
  | { type: "open"; index: number }
  | { type: "close"; index: number }
  /** `firstReadAt`: when the job first read a mounted input (performance.timeOrigin + now(), ms), if it did. */
  | { type: "exit"; exitCode: number; durationMs: number; memoryBytes: number; phases: RunPhases; firstReadAt?: number }
  | { type: "trap"; message: string; durationMs: number; memoryBytes: number }
  | { type: "output-limit"; message: string }
  | { type: "invalid"; message: string };
