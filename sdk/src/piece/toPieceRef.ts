import type { Hex } from "viem";

import { InvalidPieceSizeError, type InvalidPieceSizeErrorType } from "../errors/piece.js";
import { MAX_PIECE_HEIGHT, MIN_PIECE_HEIGHT } from "./constants.js";
import { type ParsePieceCidErrorType, parsePieceCid } from "./parsePieceCid.js";

/** A piece by its canonical on-chain key, as the JobMarket's `PieceRef` struct holds it. */
export type PieceRef = {
  /** The CommP root. */
  root: Hex;
  /** Padded piece size in bytes (a power of two, at least 128). */
  paddedSize: bigint;
};

export type ToPieceRefParameters = {
  /** PieceCID v1 (`baga…`) or v2 (`bafkzcib…`). */
  piece: string;
  /** Padded size in bytes: required for v1, which carries none; checked against a v2 CID. */
  paddedSize?: bigint | number | undefined;
};

export type ToPieceRefReturnType = PieceRef;

export type ToPieceRefErrorType = ParsePieceCidErrorType | InvalidPieceSizeErrorType;

/**
 * Turns a piece CID into the canonical key the JobMarket compares pieces by, so PieceCID v1 and
 * v2 of one piece give the same key. A v2 CID carries its size; a v1 CID needs `paddedSize`.
 *
 * @example
 * toPieceRef({ piece: "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy" });
 * // { root: "0x…", paddedSize: 128n }
 * toPieceRef({ piece: "baga6ea4seaq…", paddedSize: 2048n });
 */
export function toPieceRef({ piece, paddedSize }: ToPieceRefParameters): ToPieceRefReturnType {
  const parsed = parsePieceCid(piece);
  const given = paddedSize === undefined ? undefined : BigInt(paddedSize);
  if (parsed.version === 2) {
    if (given !== undefined && given !== parsed.paddedSize)
      throw new InvalidPieceSizeError({ piece, paddedSize: given, reason: `the CID says ${parsed.paddedSize}` });
    return { root: parsed.root, paddedSize: parsed.paddedSize };
  }
  if (given === undefined)
    throw new InvalidPieceSizeError({ piece, reason: "a v1 piece CID carries no size, so paddedSize is required" });
  if (!isPaddedSize(given))
    throw new InvalidPieceSizeError({ piece, paddedSize: given, reason: "not a power of two between 128 and 2^63" });
  return { root: parsed.root, paddedSize: given };
}

/** Whether `size` is a valid padded piece size: a power of two from 128 bytes to 2^63 bytes. */
export function isPaddedSize(size: bigint): boolean {
  return (
    size >= 32n << BigInt(MIN_PIECE_HEIGHT) && size <= 32n << BigInt(MAX_PIECE_HEIGHT) && (size & (size - 1n)) === 0n
  );
}
