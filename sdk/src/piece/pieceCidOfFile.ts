import { open, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";

import { InvalidFr32LengthError, PayloadTooSmallError, type InvalidFr32LengthErrorType, type PayloadTooSmallErrorType } from "../errors/piece.js";
import {
  PieceFileChangedError,
  type PieceFileChangedErrorType,
  PieceFileUnreadableError,
  type PieceFileUnreadableErrorType,
  PieceHashAbortedError,
  type PieceHashAbortedErrorType,
} from "../errors/pieceFile.js";
import { leafCount, type PieceLayout, pieceCidOf, SEGMENT_LEAF_BYTES, SEGMENT_PAYLOAD } from "./commp/core.js";
import { SegmentError, SegmentPool } from "./commp/pool.js";
import { MIN_PIECE_PAYLOAD_SIZE } from "./constants.js";
import { createPieceHasher } from "./createPieceHasher.js";
import type { PieceCidReturnType } from "./pieceCid.js";

export type PieceCidOfFileOptions = {
  /** Called after each segment (about 1 MiB) with the bytes hashed so far and the total. */
  onProgress?: (done: bigint, total: bigint) => void;
  /** Aborts the computation: the promise rejects with PieceHashAbortedError. */
  signal?: AbortSignal;
  /** Worker threads (default: os.availableParallelism(), at most one per segment). */
  threads?: number;
  /** `payload` (default) or `fr32`: the file holds Fr32-expanded leaves (see createPieceHasher). */
  layout?: PieceLayout;
  /** Hash only the first `length` bytes (default: the whole file). */
  length?: bigint;
};

export type PieceCidOfFileReturnType = PieceCidReturnType & {
  /** Payload bytes the piece holds: the bytes hashed, or 127/128 of them for `fr32`. */
  payloadSize: bigint;
};

export type PieceCidOfFileErrorType =
  | PayloadTooSmallErrorType
  | InvalidFr32LengthErrorType
  | PieceFileUnreadableErrorType
  | PieceFileChangedErrorType
  | PieceHashAbortedErrorType;

/**
 * Computes the piece CIDs (CommP) of a file on worker threads: each reads its segments of
 * 8192 quads (1,040,384 bytes, a 1 MiB subtree) with positioned reads and hashes them; this
 * thread merges the roots in order. Constant memory; the same results as `pieceCid` over the
 * file's bytes. Throws PieceFileChangedError when the file's size or modification time differ
 * after hashing from before.
 *
 * @example
 * const { v2, v1, payloadSize, paddedSize } = await pieceCidOfFile("data.car", {
 *   onProgress: (done, total) => console.error(`${(100n * done) / total}%`),
 * });
 */
export async function pieceCidOfFile(path: string, options: PieceCidOfFileOptions = {}): Promise<PieceCidOfFileReturnType> {
  const layout = options.layout ?? "payload";
  const before = await statOf(path);
  const total = options.length ?? before.size;
  if (total > before.size) throw new PieceFileUnreadableError({ path, reason: `it is ${before.size} bytes, fewer than the ${total} asked for` });
  checkSize(layout, total);
  // Fail here, with the file's own error, rather than in a worker.
  await (await open(path, "r").catch((error: unknown) => Promise.reject(unreadable(path, error)))).close();

  const capacity = layout === "fr32" ? SEGMENT_LEAF_BYTES : SEGMENT_PAYLOAD;
  const segments = Number((total + BigInt(capacity) - 1n) / BigInt(capacity));
  // One segment (at most about 1 MiB) is hashed here in about a millisecond; starting a worker
  // for it costs tens of milliseconds on an idle machine and hundreds on a loaded one.
  if (segments === 1 && options.threads === undefined) return hashInline(path, layout, total, before, options);
  let done = 0n;
  const pool = new SegmentPool({
    threads: Math.max(1, Math.min(options.threads ?? availableParallelism(), segments)),
    layout,
    capacity,
    path,
    signal: options.signal,
    onMerged: (length) => options.onProgress?.((done += BigInt(length)), total),
  });
  try {
    for (let index = 0; index < segments; index++) {
      const position = index * capacity;
      await pool.submit({ position, length: Math.min(capacity, Number(total) - position) });
    }
    await pool.drain();
  } catch (error) {
    await pool.close();
    if (error instanceof SegmentError) {
      if (error.code === "SHORT_READ") throw new PieceFileChangedError({ path, sizeBefore: before.size, sizeAfter: (await statOf(path)).size });
      throw unreadable(path, error);
    }
    throw error;
  }
  const after = await statOf(path);
  if (after.size !== before.size || after.mtimeNs !== before.mtimeNs)
    throw new PieceFileChangedError({ path, sizeBefore: before.size, sizeAfter: after.size });
  const tree = pool.stack.finish(pool.last, leafCount(layout, total));
  const payloadSize = layout === "fr32" ? (total / 128n) * 127n : total;
  return { ...pieceCidOf(tree, payloadSize), payloadSize };
}

/** The whole file's piece CID on this thread, read in one positioned read (one segment at most). */
async function hashInline(
  path: string,
  layout: PieceLayout,
  total: bigint,
  before: { size: bigint; mtimeNs: bigint },
  options: PieceCidOfFileOptions,
): Promise<PieceCidOfFileReturnType> {
  if (options.signal?.aborted) throw new PieceHashAbortedError({ cause: options.signal.reason });
  const bytes = new Uint8Array(Number(total));
  const handle = await open(path, "r").catch((error: unknown) => Promise.reject(unreadable(path, error)));
  try {
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at).catch((error: unknown) => Promise.reject(unreadable(path, error)));
      if (bytesRead === 0) throw new PieceFileChangedError({ path, sizeBefore: before.size, sizeAfter: (await statOf(path)).size });
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
  const after = await statOf(path);
  if (after.size !== before.size || after.mtimeNs !== before.mtimeNs)
    throw new PieceFileChangedError({ path, sizeBefore: before.size, sizeAfter: after.size });
  const hasher = createPieceHasher({ layout });
  hasher.write(bytes);
  options.onProgress?.(total, total);
  const payloadSize = layout === "fr32" ? (total / 128n) * 127n : total;
  return { ...hasher.digest(), payloadSize };
}

/** Refuses sizes no piece has: under the minimum, or (fr32) not whole quads. */
export function checkSize(layout: PieceLayout, size: bigint): void {
  const minimum = layout === "fr32" ? 128 : MIN_PIECE_PAYLOAD_SIZE;
  if (size < BigInt(minimum)) throw new PayloadTooSmallError({ size: Number(size), minSize: minimum });
  if (layout === "fr32" && size % 128n !== 0n) throw new InvalidFr32LengthError({ size });
}

async function statOf(path: string): Promise<{ size: bigint; mtimeNs: bigint }> {
  try {
    const stats = await stat(path, { bigint: true });
    if (stats.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
    return { size: stats.size, mtimeNs: stats.mtimeNs };
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): PieceFileUnreadableError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory" };
  return new PieceFileUnreadableError({ path, reason: (code && words[code]) ?? (error as Error)?.message ?? "unreadable", cause: error });
}
