import { ShoalError } from "./base.js";

export type PieceFileUnreadableErrorType = PieceFileUnreadableError & { name: "PieceFileUnreadableError" };

/**
 * The file whose piece CID was asked for cannot be read: missing, not permitted, a directory,
 * or shorter than the `length` asked for.
 *
 * @example
 * await pieceCidOfFile("missing.car"); // throws PieceFileUnreadableError (reason "no such file")
 */
export class PieceFileUnreadableError extends ShoalError {
  /** The path given. */
  readonly path: string;
  /** Why: "no such file", "permission denied", "it is a directory", … */
  readonly reason: string;

  constructor({ path, reason, cause }: { path: string; reason: string; cause?: unknown }) {
    super(`Cannot read ${path}: ${reason}.`, { cause, name: "PieceFileUnreadableError" });
    this.path = path;
    this.reason = reason;
  }
}

export type PieceFileChangedErrorType = PieceFileChangedError & { name: "PieceFileChangedError" };

/**
 * The file changed while it was hashed (its size or modification time differ before and after,
 * or it ended early): the piece CID would describe no version of it.
 *
 * @example
 * if (error instanceof PieceFileChangedError) retryLater(error.path);
 */
export class PieceFileChangedError extends ShoalError {
  /** The path given. */
  readonly path: string;
  /** Its size when hashing started, and when it ended. */
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;

  constructor({ path, sizeBefore, sizeAfter }: { path: string; sizeBefore: bigint; sizeAfter: bigint }) {
    super(
      sizeBefore === sizeAfter
        ? `${path} was modified while its piece CID was computed.`
        : `${path} changed size while its piece CID was computed (${sizeBefore} bytes, then ${sizeAfter}).`,
      { metaMessages: ["Hash a file nothing writes to (or a copy of it)."], name: "PieceFileChangedError" },
    );
    this.path = path;
    this.sizeBefore = sizeBefore;
    this.sizeAfter = sizeAfter;
  }
}

export type PieceHashAbortedErrorType = PieceHashAbortedError & { name: "PieceHashAbortedError" };

/**
 * Computing a piece CID was aborted through its `signal`; the cause is the signal's reason.
 *
 * @example
 * const controller = new AbortController();
 * const pending = pieceCidOfFile("big.car", { signal: controller.signal });
 * controller.abort(); // pending rejects with PieceHashAbortedError
 */
export class PieceHashAbortedError extends ShoalError {
  constructor({ cause }: { cause?: unknown } = {}) {
    super("Piece CID computation aborted.", { cause, name: "PieceHashAbortedError" });
  }
}
