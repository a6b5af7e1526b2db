import { Proof, ZeroComm } from "@web3-storage/data-segment";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { bytesToHex, type Hex, hexToBytes } from "viem";

import { FIL_COMMITMENT_UNSEALED, FR32_SHA256_TRUNC254_PADBINTREE, parsePieceCid, type PieceRef, SHA2_256_TRUNC254_PADDED, toPieceRef } from "@shoal/sdk";
import { InputUnavailableError } from "./errors.js";

/** The smallest payload a piece is computed over. */
export const MIN_PAYLOAD_BYTES = 65n;

/**
 * A piece as the resolver looks for it: the canonical key (root, padded size) that v1 and v2
 * CIDs of one piece share, and the padding when it is known (only a v2 CID carries it).
 */
export type PieceQuery = {
  /** The CID the spec names, as given (v1 or v2). */
  cid: string;
  root: Hex;
  paddedSize: bigint;
  /** Zero bytes after the payload (FRC-0069), when known. */
  padding: bigint | undefined;
  /** The v1 CID (`baga…`): always derivable from the root. */
  v1: string;
  /** The v2 CID (`bafkzcib…`): derivable only when the padding is known. */
  v2: string | undefined;
};

const RAW = 0x55;

/** The query for a spec input `{ piece, size }`. */
export function pieceQueryOfInput({ piece, size }: { piece: string; size?: number | undefined }): PieceQuery {
  let ref: PieceRef;
  let parsed: ReturnType<typeof parsePieceCid>;
  try {
    parsed = parsePieceCid(piece);
    ref = toPieceRef({ piece, paddedSize: size });
  } catch (error) {
    throw new InputUnavailableError({ cid: piece, reason: "not a valid piece input", cause: error });
  }
  const padding = parsed.version === 2 ? parsed.padding : undefined;
  return { ...queryOf(ref, padding), cid: piece };
}

/** The query for an on-chain piece key (padding unknown). */
export function pieceQueryOfRef(ref: PieceRef): PieceQuery {
  return queryOf(ref, undefined);
}

function queryOf(ref: PieceRef, padding: bigint | undefined): PieceQuery {
  const v1 = pieceCidV1(ref.root);
  const v2 = padding === undefined ? undefined : pieceCidV2(ref.root, heightOf(ref.paddedSize), padding);
  return { cid: v2 ?? v1, root: ref.root, paddedSize: ref.paddedSize, padding, v1, v2 };
}

/** Bytes of payload a piece of `paddedSize` holds: 127 of every 128 (Fr32 takes 2 bits per 256). */
export function capacityOf(paddedSize: bigint): bigint {
  return (paddedSize / 128n) * 127n;
}

/** The tree height of a padded size (paddedSize = 32 << height). */
export function heightOf(paddedSize: bigint): number {
  return paddedSize.toString(2).length - 1 - 5;
}

/** PieceCID v1 of a root. */
export function pieceCidV1(root: Hex): string {
  return CID.create(1, FIL_COMMITMENT_UNSEALED, Digest.create(SHA2_256_TRUNC254_PADDED, hexToBytes(root))).toString();
}

/** PieceCID v2 (FRC-0069) of a root, height and padding. */
export function pieceCidV2(root: Hex, height: number, padding: bigint): string {
  const prefix: number[] = [];
  for (let v = padding; ; v >>= 7n) {
    if (v < 0x80n) {
      prefix.push(Number(v));
      break;
    }
    prefix.push(Number(v & 0x7fn) | 0x80);
  }
  const digest = new Uint8Array([...prefix, height, ...hexToBytes(root)]);
  return CID.create(1, RAW, Digest.create(FR32_SHA256_TRUNC254_PADBINTREE, digest)).toString();
}

/**
 * The root of the smallest piece holding a payload, carried up to a larger `paddedSize`: a
 * payload may sit in a bigger piece than it needs (the rest zeros), and a store may keep only the
 * payload. Each level pairs the root with the root of an all-zero subtree of the same height.
 */
export function extendRoot(node: Uint8Array, height: number, paddedSize: bigint): { root: Hex; size: bigint } {
  let root = node;
  let level = height;
  while (32n << BigInt(level) < paddedSize) {
    root = Proof.computeNode(root, ZeroComm.fromLevel(level));
    level++;
  }
  return { root: bytesToHex(root), size: 32n << BigInt(level) };
}
