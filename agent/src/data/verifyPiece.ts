import { open } from "node:fs/promises";

import { createPieceHasher } from "@shoal/sdk";
import { Fr32 } from "@web3-storage/data-segment";
import { hexToBytes } from "viem";

import { InputCorruptError } from "./errors.js";
import { capacityOf, extendRoot, MIN_PAYLOAD_BYTES, type PieceQuery, pieceCidV1 } from "./piece.js";
import type { PieceBytes } from "./sources/types.js";

export type VerifyPieceReturnType = {
  /** Bytes written to `dest`: what the job sees. */
  size: bigint;
  /** Whether `dest` holds exactly the payload (the padding was known), or the stored bytes. */
  exact: boolean;
};

/**
 * Streams a stored piece into `dest` while recomputing its CommP (the SDK's createPieceHasher,
 * the same computation as data-segment's `Piece.fromPayload`), and throws InputCorruptError unless the
 * root and padded size equal the piece's. Nothing is trusted before the last byte is hashed.
 *
 * What the job sees, so that providers storing the piece differently give jobs the same bytes:
 * - when the padding is known (a v2 CID, or a v2 file name), exactly the payload: trailing zeros
 *   are cut, or added back if the store trimmed them; data past the declared payload is corrupt;
 * - otherwise (a v1 CID) the stored bytes, Fr32-decoded for an `fr32` layout. Spec writers who
 *   need byte-identical inputs across providers use v2 CIDs.
 *
 * Reads at most the piece's size: a `payload` layout holds at most `paddedSize * 127/128` bytes,
 * an `fr32` layout exactly `paddedSize`. A payload shorter than the piece needs is fine: the
 * missing tail is zeros, hashed as zero subtrees without being read or written.
 */
export async function verifyPiece(bytes: PieceBytes, piece: PieceQuery, dest: string): Promise<VerifyPieceReturnType> {
  const { paddedSize } = piece;
  const fail = (reason: string): never => {
    throw new InputCorruptError({ cid: piece.cid, reason: `${bytes.origin}: ${reason}` });
  };
  const cap = bytes.layout === "fr32" ? paddedSize : capacityOf(paddedSize);
  if (bytes.size !== undefined && bytes.size > cap)
    fail(`${bytes.size} bytes, more than the ${cap} a ${paddedSize}-byte piece holds`);

  const padding = piece.padding ?? bytes.padding;
  const payloadLength = padding === undefined ? undefined : capacityOf(paddedSize) - padding;
  const hasher = createPieceHasher();
  const file = await open(dest, "wx", 0o644);
  let read = 0n; // bytes from the source
  let produced = 0n; // payload bytes hashed
  let written = 0n;
  let dataPastPayload = false;
  let carry = new Uint8Array(0); // fr32 bytes waiting for a whole 128-byte quad
  try {
    for await (const chunk of bytes.body as AsyncIterable<Uint8Array>) {
      read += BigInt(chunk.length);
      if (read > cap) fail(`more than the ${cap} bytes a ${paddedSize}-byte piece holds`);
      let view: Uint8Array = chunk;
      if (bytes.layout === "fr32") {
        const joined = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
        const whole = joined.length - (joined.length % 128);
        view = Fr32.unpad(joined.subarray(0, whole));
        carry = joined.slice(whole);
      }
      if (view.length === 0) continue;
      await hashYielding(hasher, view);
      const start = produced;
      produced += BigInt(view.length);
      const keep = payloadLength === undefined ? view.length : Number(clamp(payloadLength - start, 0n, BigInt(view.length)));
      if (keep > 0) {
        await file.write(view.subarray(0, keep));
        written += BigInt(keep);
      }
      if (keep < view.length && !dataPastPayload) dataPastPayload = view.subarray(keep).some((byte) => byte !== 0);
    }
    if (bytes.layout === "fr32" && read !== paddedSize) fail(`truncated: ${read} of ${paddedSize} Fr32 bytes`);
    if (read < MIN_PAYLOAD_BYTES) fail(`${read} bytes, fewer than the ${MIN_PAYLOAD_BYTES} of the smallest piece`);

    const digest = hasher.digest();
    const { root, size } = extendRoot(hexToBytes(digest.root), digest.height, paddedSize);
    if (root !== piece.root || size !== paddedSize)
      fail(`its CommP is ${pieceCidV1(root)} at ${size} bytes padded, not ${piece.v1} at ${paddedSize}`);
    if (dataPastPayload)
      fail(`it holds data past the ${payloadLength} payload bytes the v2 CID declares (padding ${padding})`);
    if (payloadLength !== undefined && written < payloadLength) {
      await file.truncate(Number(payloadLength)); // the store trimmed trailing zeros: add them back
      written = payloadLength;
    }
  } finally {
    await file.close();
  }
  return { size: written, exact: payloadLength !== undefined };
}

/** Bytes hashed between yields to the event loop. */
const HASH_SLICE = 64 * 1024;

/** Feeds `bytes` to the hasher in slices, letting the event loop run between them. */
async function hashYielding(hasher: { write(bytes: Uint8Array): unknown }, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += HASH_SLICE) {
    if (offset > 0) await new Promise((resolve) => setImmediate(resolve));
    hasher.write(bytes.subarray(offset, offset + HASH_SLICE));
  }
}

function clamp(value: bigint, min: bigint, max: bigint): bigint {
  return value < min ? min : value > max ? max : value;
}
