// Filecoin piece commitments (CommP) and piece CIDs, computed independently of the contracts.
//
// CommP: zero-pad the payload to the unpadded size of the smallest power-of-two piece (>= 128
// bytes) that holds it, Fr32-expand it (every 254 bits become one 32-byte leaf, little-endian
// bit order), then hash pairs up a binary tree with SHA-256 truncated to 254 bits
// (byte 31 &= 0x3f). Cross-checked against @web3-storage/data-segment 5.3.0
// (`Piece.fromPayload`, see test/locality/piece-key.test.ts for the fixed vectors).
//
// PieceCID v1 (`baga…`):  0x01 | varint 0xf101 (81 e2 03) | varint 0x1012 (92 20) | 0x20 | root
// PieceCID v2 (`bafkzcib…`, FRC-0069): 0x01 | 0x55 | varint 0x1011 (91 20) | varint mhLen |
//   varint padding | height | root, with paddedSize = 32 << height.
import { createHash } from "node:crypto";
import { type Hex, bytesToHex, concat, hexToBytes, toHex } from "viem";

/** A piece's canonical key and both CID forms. */
export interface PieceInfo {
  /** CommP root (32 bytes). */
  root: Hex;
  /** Padded piece size in bytes (a power of two, >= 128). */
  paddedSize: bigint;
  /** Tree height: paddedSize = 32 << height. */
  height: number;
  /** Zero bytes added to the payload before Fr32 expansion (FRC-0069 padding). */
  padding: bigint;
  /** PieceCID v1 bytes (`baga…`), 39 bytes. */
  v1: Hex;
  /** PieceCID v1 as the f05 market actor returns it in a CBOR CID (with the 0x00 multibase byte). */
  v1WithPrefix: Hex;
  /** PieceCID v2 bytes (`bafkzcib…`). */
  v2: Hex;
}

const MIN_PAYLOAD = 65; // smallest payload data-segment accepts (fills more than a 64-byte piece)

/** Unsigned LEB128 varint (multiformats unsigned-varint). */
export function varint(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError("varint of a negative number");
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Builds the 39-byte PieceCID v1 for `root`. */
export function pieceCidV1(root: Hex): Hex {
  return concat(["0x0181e2039220", "0x20", root]);
}

/** Builds the PieceCID v2 (FRC-0069) for `root` at `height` with `padding`. */
export function pieceCidV2(root: Hex, height: number, padding: bigint = 0n): Hex {
  const digest = concat([bytesToHex(varint(padding)), toHex(height, { size: 1 }), root]);
  const digestLength = hexToBytes(digest).length;
  return concat(["0x01559120", bytesToHex(varint(digestLength)), digest]);
}

/** Padded size for a tree `height` (32 << height). */
export function paddedSizeOf(height: number): bigint {
  return 32n << BigInt(height);
}

function sha254(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(createHash("sha256").update(left).update(right).digest());
  out[31] &= 0x3f;
  return out;
}

/** Fr32 expansion of `unpadded` (a multiple of 127 bytes) into 32-byte leaves. */
function fr32Leaves(unpadded: Uint8Array): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  const mask = (1n << 254n) - 1n;
  for (let offset = 0; offset < unpadded.length; offset += 127) {
    let quad = 0n; // 1016 bits, little-endian
    for (let i = 126; i >= 0; i--) quad = (quad << 8n) | BigInt(unpadded[offset + i]);
    for (let k = 0; k < 4; k++) {
      let word = (quad >> BigInt(254 * k)) & mask;
      const leaf = new Uint8Array(32);
      for (let i = 0; i < 32; i++) {
        leaf[i] = Number(word & 0xffn);
        word >>= 8n;
      }
      leaves.push(leaf);
    }
  }
  return leaves;
}

/** Computes CommP and both piece CIDs for `payload` (at least 65 bytes). */
export function pieceFromBytes(payload: Uint8Array): PieceInfo {
  if (payload.length < MIN_PAYLOAD) throw new RangeError(`payload must be at least ${MIN_PAYLOAD} bytes`);
  let height = 2; // 128-byte piece
  while ((paddedSizeOf(height) * 127n) / 128n < BigInt(payload.length)) height++;
  const paddedSize = paddedSizeOf(height);
  const unpaddedSize = Number((paddedSize * 127n) / 128n);
  const unpadded = new Uint8Array(unpaddedSize);
  unpadded.set(payload);

  let level = fr32Leaves(unpadded);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha254(level[i], level[i + 1]));
    level = next;
  }
  const root = bytesToHex(level[0]);
  const padding = BigInt(unpaddedSize - payload.length);
  const v1 = pieceCidV1(root);
  return {
    root,
    paddedSize,
    height,
    padding,
    v1,
    v1WithPrefix: concat(["0x00", v1]),
    v2: pieceCidV2(root, height, padding),
  };
}

/** Deterministic pseudo-random payload of `length` bytes (SHA-256 in counter mode over `seed`). */
export function payloadOf(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0, offset = 0; offset < length; block++, offset += 32) {
    const chunk = createHash("sha256").update(`${seed}:${block}`).digest();
    out.set(chunk.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}
