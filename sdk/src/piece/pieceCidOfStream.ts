import { availableParallelism } from "node:os";

import type { InvalidFr32LengthErrorType, PayloadTooSmallErrorType } from "../errors/piece.js";
import { PieceHashAbortedError, type PieceHashAbortedErrorType } from "../errors/pieceFile.js";
import { leafCount, pieceCidOf, SEGMENT_LEAF_BYTES, SEGMENT_PAYLOAD } from "./commp/core.js";
import { SegmentPool } from "./commp/pool.js";
import { checkSize, type PieceCidOfFileOptions, type PieceCidOfFileReturnType } from "./pieceCidOfFile.js";

export type PieceCidOfStreamOptions = Omit<PieceCidOfFileOptions, "length" | "onProgress"> & {
  /** Called after each segment (about 1 MiB) with the bytes hashed and the bytes read so far. */
  onProgress?: (done: bigint, total: bigint) => void;
};

export type PieceCidOfStreamReturnType = PieceCidOfFileReturnType;

export type PieceCidOfStreamErrorType = PayloadTooSmallErrorType | InvalidFr32LengthErrorType | PieceHashAbortedErrorType;

/**
 * Computes the piece CIDs (CommP) of a stream (a Node Readable, a web ReadableStream, any async
 * iterable of bytes, or an array of chunks) on worker threads: this thread cuts it into segments
 * of 8192 quads and transfers them; the workers hash them and hand the buffers back. Memory stays
 * at a few segments per worker, however long the stream. An abort is noticed between chunks.
 *
 * @example
 * import { createReadStream } from "node:fs";
 * const { v2, payloadSize } = await pieceCidOfStream(createReadStream("data.car"));
 */
export async function pieceCidOfStream(
  stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: PieceCidOfStreamOptions = {},
): Promise<PieceCidOfStreamReturnType> {
  const layout = options.layout ?? "payload";
  const capacity = layout === "fr32" ? SEGMENT_LEAF_BYTES : SEGMENT_PAYLOAD;
  const free: Uint8Array[] = [];
  let read = 0n;
  let done = 0n;
  const pool = new SegmentPool({
    threads: Math.max(1, options.threads ?? availableParallelism()),
    layout,
    capacity,
    signal: options.signal,
    onMerged: (length) => options.onProgress?.((done += BigInt(length)), read),
    onData: (data) => free.push(new Uint8Array(data.buffer)),
  });
  try {
    let segment: Uint8Array = new Uint8Array(capacity);
    let offset = 0;
    for await (const chunk of stream) {
      if (options.signal?.aborted) throw new PieceHashAbortedError({ cause: options.signal.reason });
      read += BigInt(chunk.length);
      for (let at = 0; at < chunk.length; ) {
        const take = Math.min(capacity - offset, chunk.length - at);
        segment.set(chunk.subarray(at, at + take), offset);
        offset += take;
        at += take;
        if (offset === capacity) {
          await pool.submit({ length: capacity, data: segment });
          segment = free.pop() ?? new Uint8Array(capacity);
          offset = 0;
        }
      }
    }
    checkSize(layout, read);
    if (offset > 0) await pool.submit({ length: offset, data: segment.subarray(0, offset) });
    await pool.drain();
  } catch (error) {
    await pool.close();
    throw error;
  }
  const tree = pool.stack.finish(pool.last, leafCount(layout, read));
  const payloadSize = layout === "fr32" ? (read / 128n) * 127n : read;
  return { ...pieceCidOf(tree, payloadSize), payloadSize };
}
