import { bytesToHex, type Hex } from "viem";

import { InvalidPieceCidError, type InvalidPieceCidErrorType } from "../errors/piece.js";
import { type ParsedCid, parseCid, toV1String } from "../internal/cid.js";
import {
  FIL_COMMITMENT_UNSEALED,
  FR32_SHA256_TRUNC254_PADBINTREE,
  MAX_PIECE_HEIGHT,
  MIN_PIECE_HEIGHT,
  RAW_CODEC,
  SHA2_256_TRUNC254_PADDED,
} from "./constants.js";

export type ParsePieceCidParameters = string;

export type ParsePieceCidReturnType =
  | {
      /** PieceCID v1 (`baga…`): carries the root only. */
      version: 1;
      /** The CID in its canonical string form (base32). */
      cid: string;
      /** The CommP root (32 bytes). */
      root: Hex;
    }
  | {
      /** PieceCID v2 (`bafkzcib…`, FRC-0069): carries root, tree height and padding. */
      version: 2;
      /** The CID in its canonical string form (base32). */
      cid: string;
      /** The CommP root (32 bytes). */
      root: Hex;
      /** Tree height: paddedSize = 32 << height. */
      height: number;
      /** Zero bytes appended to the payload before Fr32 expansion. */
      padding: bigint;
      /** Padded piece size in bytes. */
      paddedSize: bigint;
    };

export type ParsePieceCidErrorType = InvalidPieceCidErrorType;

/**
 * Parses a Filecoin piece CID, v1 (`baga…`) or v2 (`bafkzcib…`), with the same rules as the
 * JobMarket's `PieceKey` library: minimal varints, a height between 2 and 58, padding below the
 * piece's capacity, and a root truncated to 254 bits.
 *
 * FRC-0069 v2 layout: CIDv1, codec raw (0x55), multihash 0x1011 whose digest is
 * `varint padding | height (1 byte) | root (32 bytes)`; the padded size is `32 << height`.
 *
 * @example
 * const piece = parsePieceCid("bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy");
 * // { version: 2, root: "0x…", height: 2, padding: 0n, paddedSize: 128n, cid: "bafkzcib…" }
 */
export function parsePieceCid(piece: ParsePieceCidParameters): ParsePieceCidReturnType {
  const fail = (reason: string, cause?: unknown): never => {
    throw new InvalidPieceCidError({ piece, reason, cause });
  };
  let cid: ParsedCid;
  try {
    cid = parseCid(piece);
  } catch (error) {
    return fail("not a CID", error);
  }
  if (cid.version !== 1) return fail("a piece CID is a CIDv1");
  const { multihashCode: hashCode, digest } = cid;

  if (cid.code === FIL_COMMITMENT_UNSEALED) {
    if (hashCode !== SHA2_256_TRUNC254_PADDED) return fail("a v1 piece CID uses multihash sha2-256-trunc254-padded (0x1012)");
    if (digest.length !== 32) return fail("a v1 piece CID has a 32-byte digest");
    checkRoot(digest, fail);
    return { version: 1, cid: canonical(cid), root: bytesToHex(digest) };
  }

  if (cid.code === RAW_CODEC && hashCode === FR32_SHA256_TRUNC254_PADBINTREE) {
    const [padding, heightAt] = readVarint(digest, 0, fail);
    if (digest.length !== heightAt + 33) return fail("a v2 digest is varint padding, one height byte and a 32-byte root");
    const height = digest[heightAt];
    if (height < MIN_PIECE_HEIGHT || height > MAX_PIECE_HEIGHT)
      return fail(`height ${height} is outside ${MIN_PIECE_HEIGHT}..${MAX_PIECE_HEIGHT} (128 bytes to 2^63 bytes)`);
    const paddedSize = 32n << BigInt(height);
    if ((128n * padding) / 127n >= paddedSize) return fail(`padding ${padding} fills the whole piece`);
    const root = digest.subarray(heightAt + 1);
    checkRoot(root, fail);
    return { version: 2, cid: canonical(cid), root: bytesToHex(root), height, padding, paddedSize };
  }

  return fail("neither a v1 (fil-commitment-unsealed) nor a v2 (raw, fr32-sha256-trunc254-padbintree) piece CID");
}

/** The base32 string of `cid`, rebuilt from its bytes (not the string it was given in). */
function canonical(cid: ParsedCid): string {
  return toV1String(cid);
}

/** A CommP root is a SHA-256 output truncated to 254 bits: the top two bits of its last byte are zero. */
function checkRoot(root: Uint8Array, fail: (reason: string) => never): void {
  if ((root[31] & 0xc0) !== 0) fail("the root is not truncated to 254 bits");
}

/** Reads a minimal unsigned varint of at most 9 bytes; returns it and the next offset. */
function readVarint(bytes: Uint8Array, offset: number, fail: (reason: string) => never): [bigint, number] {
  let value = 0n;
  for (let i = 0; i < 9 && offset + i < bytes.length; i++) {
    const byte = bytes[offset + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) {
      if (byte === 0 && i > 0) fail("the padding varint is not minimally encoded");
      return [value, offset + i + 1];
    }
  }
  return fail("the padding varint is truncated or longer than 9 bytes");
}
