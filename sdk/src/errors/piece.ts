import { ShoalError } from "./base.js";

export type InvalidPieceCidErrorType = InvalidPieceCidError & { name: "InvalidPieceCidError" };

/**
 * The string is not a Filecoin piece CID: neither PieceCID v1 (`baga…`: fil-commitment-unsealed,
 * sha2-256-trunc254-padded) nor a well-formed PieceCID v2 (`bafkzcib…`, FRC-0069).
 *
 * @example
 * if (error instanceof InvalidPieceCidError) console.log(error.piece, error.reason);
 */
export class InvalidPieceCidError extends ShoalError {
  /** The value given. */
  readonly piece: string;
  /** Why it was refused. */
  readonly reason: string;

  constructor({ piece, reason, cause }: { piece: string; reason: string; cause?: unknown }) {
    super(`Invalid piece CID "${piece}": ${reason}.`, {
      cause,
      docsPath: "docs/job-spec.md#inputs",
      metaMessages: ["Use a PieceCID v1 (baga…) with its padded size, or a PieceCID v2 (bafkzcib…)."],
      name: "InvalidPieceCidError",
    });
    this.piece = piece;
    this.reason = reason;
  }
}

export type InvalidPieceSizeErrorType = InvalidPieceSizeError & { name: "InvalidPieceSizeError" };

/**
 * A piece's padded size is missing (PieceCID v1 carries none), is not a power of two of at
 * least 128 bytes, or disagrees with the size a PieceCID v2 carries.
 *
 * @example
 * toPieceRef({ piece: "baga6ea4sea…" }); // throws InvalidPieceSizeError: size required for v1
 */
export class InvalidPieceSizeError extends ShoalError {
  /** The piece CID. */
  readonly piece: string;
  /** The size given, if any. */
  readonly paddedSize: bigint | undefined;

  constructor({ piece, paddedSize, reason }: { piece: string; paddedSize?: bigint; reason: string }) {
    super(`Invalid padded size for piece "${piece}": ${reason}.`, {
      docsPath: "docs/job-spec.md#inputs",
      metaMessages: ["The padded size is a power of two of at least 128 bytes (32 << height)."],
      name: "InvalidPieceSizeError",
    });
    this.piece = piece;
    this.paddedSize = paddedSize;
  }
}

export type PayloadTooSmallErrorType = PayloadTooSmallError & { name: "PayloadTooSmallError" };

/**
 * Filecoin computes piece commitments over payloads of at least 65 bytes; smaller payloads
 * have no piece CID.
 *
 * @example
 * pieceCid(new Uint8Array(10)); // throws PayloadTooSmallError
 */
export class PayloadTooSmallError extends ShoalError {
  /** Payload size in bytes. */
  readonly size: number;
  /** The minimum (65). */
  readonly minSize: number;

  constructor({ size, minSize }: { size: number; minSize: number }) {
    super(`Payload is ${size} bytes; a piece needs at least ${minSize}.`, {
      metaMessages: ["Pad the payload (for example, bundle it in a CAR) before computing its piece CID."],
      name: "PayloadTooSmallError",
    });
    this.size = size;
    this.minSize = minSize;
  }
}

export type InvalidFr32LengthErrorType = InvalidFr32LengthError & { name: "InvalidFr32LengthError" };

/**
 * Bytes hashed with `layout: "fr32"` must be whole Fr32 quads: a multiple of 128 bytes (four
 * 32-byte leaves), as a slice of an unsealed sector is.
 *
 * @example
 * const hasher = createPieceHasher({ layout: "fr32" });
 * hasher.write(new Uint8Array(200));
 * hasher.digest(); // throws InvalidFr32LengthError
 */
export class InvalidFr32LengthError extends ShoalError {
  /** Bytes given. */
  readonly size: bigint;

  constructor({ size }: { size: bigint }) {
    super(`Fr32 data is ${size} bytes, not a multiple of 128.`, {
      metaMessages: ["Hash Fr32-expanded leaves in whole 128-byte quads, or use layout \"payload\" for raw bytes."],
      name: "InvalidFr32LengthError",
    });
    this.size = size;
  }
}
