/**
 * One interface for every execution backend (WASM, Docker). Modelled on Bacalhau's executor
 * interface: each backend validates its part of the spec, runs one job in isolation with inputs
 * mounted read-only and a fresh output directory, enforces limits, cleans up always, and reports
 * failures as {@link ExecutionError}s with a code, the component and a hint.
 */
import type { Spec } from "@shoal/sdk";

/** An input made available to the job, read-only, at `mount` (a path inside the job). */
export type MountedInput = {
  /** Where the job sees it, e.g. `/inputs/data.csv` (a file) or `/inputs/set` (a directory). */
  mount: string;
  /** The verified local file or directory on the host. */
  hostPath: string;
};

/** Everything one run needs. */
export type ExecutionRequest = {
  /** The on-chain job ID: seeds the WASM executor's randomness and names containers. */
  jobId: bigint;
  /** The decoded, validated job spec. */
  spec: Spec;
  /** Inputs, verified against their CIDs before the run. */
  inputs: MountedInput[];
  /** A fresh, empty host directory that becomes the job's `spec.outputs.path`. */
  outputDir: string;
  /** Aborts the run (agent shutdown); the executor kills the job and cleans up. */
  signal?: AbortSignal | undefined;
};

/** A run that exited 0 within its limits. */
export type ExecutionResult = {
  exitCode: 0;
  /** Wall time of the job itself, in milliseconds. */
  durationMs: number;
  /** First bytes of stdout and stderr, for logs (never part of the result). */
  stdout: string;
  stderr: string;
  /** Bytes written to the output directory. */
  outputBytes: number;
  /**
   * Bytes of the inputs the executor copied to run the job: 0 where inputs are mounted where they
   * lie (WASM: always; Docker: read-only bind mounts). Absent when the executor does not count.
   */
  inputBytesCopied?: number;
  /** Milliseconds from the run() call to the job's first read of an input, if it read one (WASM). */
  firstInputReadMs?: number;
};

/** Why a run failed. A failed run is never a result. */
export type ExecutionErrorCode =
  | "INVALID_SPEC" // the spec asks for something this executor cannot or will not do
  | "MODULE_UNAVAILABLE" // module/image missing, not pinned, or not matching its CID/digest
  | "NOT_ALLOWED" // refused by the provider's policy (allowlist)
  | "NON_ZERO_EXIT" // the job exited with a non-zero code
  | "TRAP" // the WASM module trapped
  | "TIMEOUT" // killed at spec.resources.timeoutSec
  | "MEMORY_LIMIT" // killed for exceeding spec.resources.memoryMb
  | "OUTPUT_LIMIT" // wrote more than spec.resources.maxOutputBytes
  | "OUTPUT_INVALID" // symlinks, special files or paths escaping the output directory
  | "ABORTED" // the agent is shutting down
  | "ENGINE_UNAVAILABLE"; // the engine (Docker daemon) is unreachable

export class ExecutionError extends Error {
  readonly code: ExecutionErrorCode;
  readonly component: string;
  readonly hint: string | undefined;
  constructor(code: ExecutionErrorCode, component: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ExecutionError";
    this.code = code;
    this.component = component;
    this.hint = options.hint;
  }
}

/** A backend. */
export interface Executor {
  /** "wasm" or "docker": matches `spec.engine.type`. */
  readonly engine: Spec["engine"]["type"];
  /** Whether the backend can run at all here (e.g. the Docker daemon answers). */
  isAvailable(): Promise<boolean>;
  /** Throws ExecutionError("INVALID_SPEC" | "NOT_ALLOWED") when this backend will not run `spec`. */
  validate(spec: Spec): void;
  /**
   * Whether the job's module or image can be had here (WASM: in the store or at its sources, with
   * the right CID; Docker: in the local engine by digest). Checked before claiming, so a provider
   * does not lock collateral for a job it cannot run.
   */
  hasModule?(spec: Spec): Promise<boolean>;
  /** Runs one job; resolves only on exit 0 within limits, else throws ExecutionError. */
  run(request: ExecutionRequest): Promise<ExecutionResult>;
  /** Resolves when the backend's clean-up after finished jobs is done (Docker removes containers after run() returns). */
  settled?(): Promise<void>;
  /**
   * Does once, at the agent's start, the set-up the first job would otherwise wait for (Docker:
   * importing the output holder image and probing size-limited volumes). Never throws.
   */
  warm?(): Promise<void>;
  /**
   * Releases what the backend keeps ready for jobs (Docker: the warm pool of output holders) once
   * finished jobs' clean-up is done; called at the agent's stop. Never throws.
   */
  close?(): Promise<void>;
}
