import { ShoalError } from "./base.js";

/** A kind of directory entry a result may not hold. */
export type UnsupportedEntryKind = "symlink" | "socket" | "block device" | "character device" | "fifo" | "unknown";

export type UnsupportedEntryErrorType = UnsupportedEntryError & { name: "UnsupportedEntryError" };

/**
 * A result directory holds something other than regular files and directories. Symlinks and
 * special files would make the result depend on the machine, so they are refused.
 *
 * @example
 * if (error instanceof UnsupportedEntryError) console.log(error.path, error.kind);
 */
export class UnsupportedEntryError extends ShoalError {
  /** Path of the entry. */
  readonly path: string;
  /** What it is. */
  readonly kind: UnsupportedEntryKind;

  constructor({ path, kind }: { path: string; kind: UnsupportedEntryKind }) {
    super(`Unsupported ${kind} in result: ${path}`, {
      docsPath: "docs/job-spec.md#result-cid",
      metaMessages: ["Results hold regular files and directories only: copy the target instead of linking it."],
      name: "UnsupportedEntryError",
    });
    this.path = path;
    this.kind = kind;
  }
}

export type InvalidEntryNameErrorType = InvalidEntryNameError & { name: "InvalidEntryNameError" };

/**
 * A file or directory name cannot be part of a result: not valid UTF-8 or ending in a
 * backslash when hashing; empty, `.`, `..`, containing `/` or NUL, or a duplicate when
 * unpacking (a path traversal attempt).
 *
 * @example
 * if (error instanceof InvalidEntryNameError) console.log(error.path, error.reason);
 */
export class InvalidEntryNameError extends ShoalError {
  /** Path of the entry (as far as it is printable). */
  readonly path: string;
  /** Why the name was refused. */
  readonly reason: string;

  constructor({ path, reason }: { path: string; reason: string }) {
    super(`Invalid entry name ${JSON.stringify(path)}: ${reason}.`, {
      docsPath: "docs/job-spec.md#result-cid",
      name: "InvalidEntryNameError",
    });
    this.path = path;
    this.reason = reason;
  }
}

export type ResultTooLargeErrorType = ResultTooLargeError & { name: "ResultTooLargeError" };

/**
 * The result holds more file bytes than allowed (`maxBytes`, usually the spec's
 * `resources.maxOutputBytes`).
 *
 * @example
 * await computeResultCid(dir, { maxBytes: 1024 }); // throws ResultTooLargeError past 1 KiB
 */
export class ResultTooLargeError extends ShoalError {
  /** Bytes seen so far (at least this many). */
  readonly size: bigint;
  /** The cap. */
  readonly maxBytes: bigint;

  constructor({ size, maxBytes, path }: { size: bigint; maxBytes: bigint; path?: string }) {
    super(`Result exceeds ${maxBytes} bytes${path ? ` (at ${path})` : ""}.`, {
      docsPath: "docs/job-spec.md#resources",
      metaMessages: [`At least ${size} bytes were found. Write less output or raise resources.maxOutputBytes.`],
      name: "ResultTooLargeError",
    });
    this.size = size;
    this.maxBytes = maxBytes;
  }
}

export type InvalidResultCidErrorType = InvalidResultCidError & { name: "InvalidResultCidError" };

/**
 * The CID cannot be a JobMarket result: it must be CIDv1 with a sha2-256 multihash and codec
 * raw (0x55), dag-pb (0x70) or dag-cbor (0x71).
 *
 * @example
 * resultCidBytes("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"); // throws: CIDv0
 */
export class InvalidResultCidError extends ShoalError {
  /** The CID as given (string form). */
  readonly cid: string;
  /** Why it was refused. */
  readonly reason: string;

  constructor({ cid, reason, cause }: { cid: string; reason: string; cause?: unknown }) {
    super(`Invalid result CID "${cid}": ${reason}.`, {
      cause,
      docsPath: "docs/job-spec.md#result-cid",
      metaMessages: ["Result CIDs are CIDv1, sha2-256, codec raw, dag-pb or dag-cbor."],
      name: "InvalidResultCidError",
    });
    this.cid = cid;
    this.reason = reason;
  }
}

export type InvalidCarErrorType = InvalidCarError & { name: "InvalidCarError" };

/**
 * The bytes are not a CARv1 with exactly one root.
 *
 * @example
 * await unpackResult(new Uint8Array([1, 2, 3]), dir, { expectedCid }); // throws InvalidCarError
 */
export class InvalidCarError extends ShoalError {
  constructor({ reason, cause }: { reason: string; cause?: unknown }) {
    super(`Invalid result CAR: ${reason}.`, {
      cause,
      metaMessages: ["Download the result again, from another provider if this one keeps failing."],
      name: "InvalidCarError",
    });
  }
}

export type BlockVerificationErrorType = BlockVerificationError & { name: "BlockVerificationError" };

/**
 * A CAR block does not match its CID (tampered or corrupted), or uses a hash function or
 * codec that cannot be verified here.
 *
 * @example
 * if (error instanceof BlockVerificationError) console.log(error.cid, error.reason);
 */
export class BlockVerificationError extends ShoalError {
  /** The block's CID. */
  readonly cid: string;
  /** What failed. */
  readonly reason: string;

  constructor({ cid, reason }: { cid: string; reason: string }) {
    super(`Block ${cid} failed verification: ${reason}.`, {
      metaMessages: ["The CAR cannot be trusted. Download the result from another provider."],
      name: "BlockVerificationError",
    });
    this.cid = cid;
    this.reason = reason;
  }
}

export type MissingBlockErrorType = MissingBlockError & { name: "MissingBlockError" };

/**
 * The CAR lacks a block the result's DAG links to.
 *
 * @example
 * if (error instanceof MissingBlockError) console.log(error.cid);
 */
export class MissingBlockError extends ShoalError {
  /** CID of the missing block. */
  readonly cid: string;

  constructor({ cid }: { cid: string }) {
    super(`Result CAR is missing block ${cid}.`, {
      metaMessages: ["The CAR is incomplete. Download the result again or from another provider."],
      name: "MissingBlockError",
    });
    this.cid = cid;
  }
}

export type ResultRootMismatchErrorType = ResultRootMismatchError & { name: "ResultRootMismatchError" };

/**
 * The CAR's root is not the result CID that was expected (the one settled on chain).
 *
 * @example
 * if (error instanceof ResultRootMismatchError) console.log(error.expected, error.actual);
 */
export class ResultRootMismatchError extends ShoalError {
  /** The CID that was expected. */
  readonly expected: string;
  /** The CAR's root(s). */
  readonly actual: string;

  constructor({ expected, actual }: { expected: string; actual: string }) {
    super(`Result CAR root is ${actual}, expected ${expected}.`, {
      metaMessages: ["This CAR holds another result. Download the one the job settled on."],
      name: "ResultRootMismatchError",
    });
    this.expected = expected;
    this.actual = actual;
  }
}

export type DestinationNotEmptyErrorType = DestinationNotEmptyError & { name: "DestinationNotEmptyError" };

/**
 * The directory to unpack into exists and is not empty (or is not a directory). Unpacking
 * never overwrites files.
 *
 * @example
 * if (error instanceof DestinationNotEmptyError) console.log(error.path);
 */
export class DestinationNotEmptyError extends ShoalError {
  /** The destination. */
  readonly path: string;

  constructor({ path, cause }: { path: string; cause?: unknown }) {
    super(`Destination ${path} exists and is not an empty directory.`, {
      cause,
      metaMessages: ["Choose a new directory, or empty this one."],
      name: "DestinationNotEmptyError",
    });
    this.path = path;
  }
}

export type UnexpectedBlockErrorType = UnexpectedBlockError & { name: "UnexpectedBlockError" };

/**
 * A CAR block arrived out of place: result CARs hold the DAG's blocks in depth-first order, each
 * once, so every block must be the next one the walk from the root expects. A block that is not
 * (another DAG's, a duplicate, a reordering) is refused before it is written anywhere.
 *
 * @example
 * if (error instanceof UnexpectedBlockError) console.log(error.expected, error.actual);
 */
export class UnexpectedBlockError extends ShoalError {
  /** The block the walk expected. */
  readonly expected: string;
  /** The block that came. */
  readonly actual: string;

  constructor({ expected, actual }: { expected: string; actual: string }) {
    super(`Result CAR holds block ${actual} where block ${expected} belongs.`, {
      metaMessages: ["The CAR is not the canonical CAR of this result. Download it from another provider."],
      name: "UnexpectedBlockError",
    });
    this.expected = expected;
    this.actual = actual;
  }
}

export type ResultDownloadInterruptedErrorType = ResultDownloadInterruptedError & { name: "ResultDownloadInterruptedError" };

/**
 * A result download stopped before the CAR was complete (the connection dropped, the body ended
 * early, a timeout). The verified part is kept on disk; the next attempt resumes from it with an
 * HTTP Range request.
 *
 * @example
 * if (error instanceof ResultDownloadInterruptedError) console.log(`kept ${error.received} bytes`);
 */
export class ResultDownloadInterruptedError extends ShoalError {
  /** Where from. */
  readonly url: string;
  /** Verified CAR bytes kept so far. */
  readonly received: number;
  /** CAR size, when the server told it. */
  readonly total: number | undefined;

  constructor({ url, received, total, cause }: { url: string; received: number; total?: number | undefined; cause?: unknown }) {
    const detail = cause instanceof Error ? `: ${cause.message.split("\n")[0]}` : "";
    super(`Download of ${url} stopped after ${received}${total === undefined ? "" : ` of ${total}`} bytes${detail}.`, {
      cause,
      metaMessages: ["The verified part is kept: run the download again to resume it."],
      name: "ResultDownloadInterruptedError",
    });
    this.url = url;
    this.received = received;
    this.total = total;
  }
}
