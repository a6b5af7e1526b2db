import type { CID } from "multiformats/cid";

import type { PieceQuery } from "../piece.js";
import type { FileStamp } from "../verdicts.js";

/**
 * How a stored piece is laid out:
 * - `payload`: the client's bytes, optionally followed by zeros up to the piece's capacity
 *   (`paddedSize * 127/128`). This is what Curio and Boost serve at `/piece/<cid>` and what a
 *   directory of unsealed pieces usually holds.
 * - `fr32`: the Fr32-expanded piece, exactly `paddedSize` bytes (a raw unsealed sector slice).
 */
export type PieceLayout = "payload" | "fr32";

/** A stream of stored bytes, not yet verified. */
export type SourceBytes = {
  /** Where the bytes come from (a path or URL), for logs and error reasons. */
  origin: string;
  /** Byte count, when known before reading (file size, Content-Length). */
  size: bigint | undefined;
  body: AsyncIterable<Uint8Array>;
};

export type PieceBytes = SourceBytes & {
  layout: PieceLayout;
  /** The piece's padding when the source knows it (e.g. from a v2 file name). */
  padding: bigint | undefined;
};

export type OpenOptions = { signal: AbortSignal };

/**
 * A stored piece that is a local file the job can read where it lies (no copy). `path` is the
 * file's real path (symlinks resolved, checked to lie inside the store), `stamp` the version of
 * the file it was found as.
 */
export type StoredFile = {
  path: string;
  stamp: FileStamp;
  layout: PieceLayout;
  /** The piece's padding when the store tells it (a v2 file name). */
  padding: bigint | undefined;
};

/** What a local store found for a piece: a file, or why the file it holds cannot be used. */
export type LocateResult = { file: StoredFile } | { refused: string } | undefined;

/**
 * One storage layout that holds pieces. A source only finds and streams bytes; the resolver
 * verifies them, caps them and caches them.
 */
export interface PieceSource {
  readonly kind: "piece";
  /** For logs: `piece-directory`, `piece-http`. */
  readonly name: string;
  /**
   * Whether the source holds the piece, cheaply (a directory lookup, an HTTP HEAD): nothing is
   * read or verified. Never throws; an unreachable source answers false.
   */
  has(piece: PieceQuery, options?: Partial<OpenOptions>): Promise<boolean>;
  /**
   * The stored bytes, or undefined when the source does not hold the piece. Throws
   * InputUnavailableError when the source fails (HTTP 5xx, network error).
   */
  open(piece: PieceQuery, options: OpenOptions): Promise<PieceBytes | undefined>;
  /**
   * Local stores only: the file holding the piece, for mounting in place, or why it is refused
   * (a path leading out of the store, not a regular file, unreadable). Undefined when not held.
   */
  locate?(piece: PieceQuery): Promise<LocateResult>;
}

/** A source of IPFS DAGs by CID, as CARs. */
export interface CidSource {
  readonly kind: "cid";
  readonly name: string;
  /** A CAR holding the DAG under `cid`, or undefined when the source does not have it. */
  open(cid: CID, options: OpenOptions): Promise<SourceBytes | undefined>;
}

export type InputSource = PieceSource | CidSource;
