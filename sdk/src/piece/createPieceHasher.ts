import {
  InvalidFr32LengthError,
  type InvalidFr32LengthErrorType,
  PayloadTooSmallError,
  type PayloadTooSmallErrorType,
} from "../errors/piece.js";
import { CommpCore, leafCount, type PieceLayout, pieceCidOf, RootStack, SEGMENT_LEAF_BYTES, SEGMENT_PAYLOAD } from "./commp/core.js";
import { MIN_PIECE_PAYLOAD_SIZE } from "./constants.js";
import type { PieceCidReturnType } from "./pieceCid.js";

export type CreatePieceHasherParameters = {
  /**
   * `payload` (default): the bytes are the data itself, Fr32-expanded while hashed.
   * `fr32`: the bytes are already Fr32-expanded leaves (a slice of an unsealed sector), a
   * multiple of 128 bytes; the piece's zero padding is then zero leaves.
   */
  layout?: PieceLayout;
};

/** A streaming piece hasher: write the bytes in any chunks, then read the digest. */
export type PieceHasher = {
  /** Hashes the next bytes (copied: the caller may reuse `bytes`). */
  write(bytes: Uint8Array): void;
  /** Bytes written so far. */
  readonly bytesWritten: bigint;
  /**
   * The piece CIDs of everything written so far. Does not end the hasher: more writes and
   * digests may follow. For `fr32`, `padding` counts payload bytes (127 per 128 written).
   */
  digest(): PieceCidReturnType;
};

export type CreatePieceHasherReturnType = PieceHasher;

export type CreatePieceHasherErrorType = PayloadTooSmallErrorType | InvalidFr32LengthErrorType;

/**
 * Creates a streaming CommP (Filecoin piece commitment) hasher: the same result as
 * {@link pieceCid} over the concatenation of every write, in constant memory (one 1 MiB segment
 * and one root per tree level) on the calling thread. SHA-256 runs in a small WebAssembly module
 * with SIMD, four tree nodes at a time, so it works in browsers and Web Workers as in Node; for
 * files on several cores, see `pieceCidOfFile` in `@shoal/sdk/node`.
 *
 * @example
 * const hasher = createPieceHasher();
 * hasher.write(new TextEncoder().encode("x".repeat(60)));
 * hasher.write(new TextEncoder().encode("y".repeat(40)));
 * const { v2, v1, paddedSize } = hasher.digest(); // paddedSize 128n
 */
export function createPieceHasher(parameters: CreatePieceHasherParameters = {}): CreatePieceHasherReturnType {
  return pieceHasherOn(new CommpCore(), parameters.layout ?? "payload");
}

/** A hasher keeping its state in `core` (which nothing else may use while the hasher is). */
export function pieceHasherOn(core: CommpCore, layout: PieceLayout): PieceHasher {
  const stack = new RootStack(core);
  const capacity = layout === "fr32" ? SEGMENT_LEAF_BYTES : SEGMENT_PAYLOAD;
  const base = core.target(layout);
  let offset = 0; // bytes of the current segment
  let written = 0n;

  return {
    get bytesWritten() {
      return written;
    },
    write(bytes: Uint8Array): void {
      let at = 0;
      while (at < bytes.length) {
        const take = Math.min(capacity - offset, bytes.length - at);
        core.memory.set(bytes.subarray(at, at + take), base + offset);
        offset += take;
        at += take;
        if (offset === capacity) {
          stack.push(core.segmentRoot(layout, capacity).root);
          offset = 0;
        }
      }
      written += BigInt(bytes.length);
    },
    digest(): PieceCidReturnType {
      const minimum = layout === "fr32" ? 128 : MIN_PIECE_PAYLOAD_SIZE;
      if (written < BigInt(minimum)) throw new PayloadTooSmallError({ size: Number(written), minSize: minimum });
      if (layout === "fr32" && written % 128n !== 0n) throw new InvalidFr32LengthError({ size: written });
      let last;
      if (offset > 0) {
        // Reducing leaves works in place: keep fr32 leaves for later writes and digests.
        const kept = layout === "fr32" ? core.memory.slice(base, base + offset) : undefined;
        last = core.segmentRoot(layout, offset);
        if (kept) core.memory.set(kept, base);
      }
      const tree = stack.finish(last, leafCount(layout, written));
      return pieceCidOf(tree, layout === "fr32" ? (written / 128n) * 127n : written);
    },
  };
}
