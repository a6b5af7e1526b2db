import { type PieceQuery } from "../piece.js";
import {
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  download,
  type HttpSourceOptions,
  probe,
  urlOf,
} from "./http.js";
import type { PieceBytes, PieceSource } from "./types.js";

export type PieceHttpOptions = HttpSourceOptions;

/**
 * The provider's own piece endpoint, `GET <baseUrl>/piece/<pieceCid>` as Curio and Boost serve it
 * for v1 and v2 CIDs. The spec's CID is asked first, then the other form when it can be derived
 * (a v2 CID gives the v1; a v1 CID carries no padding, so it gives no v2). The body is the
 * payload, optionally zero-padded to the piece's capacity; the resolver caps and verifies it.
 */
export function pieceHttp({
  baseUrl,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  probeTimeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
  headers,
}: PieceHttpOptions): PieceSource {
  const candidates = (piece: PieceQuery) => [...new Set([piece.cid, piece.v2, piece.v1].filter((c) => c !== undefined))];
  return {
    kind: "piece",
    name: "piece-http",
    async has(piece, options = {}) {
      for (const cid of candidates(piece))
        if (await probe(urlOf(baseUrl, `/piece/${cid}`), { signal: options.signal, timeoutMs: probeTimeoutMs, headers }))
          return true;
      return false;
    },
    async open(piece, { signal }): Promise<PieceBytes | undefined> {
      for (const cid of candidates(piece)) {
        const bytes = await download(urlOf(baseUrl, `/piece/${cid}`), piece.cid, { signal, timeoutMs, headers });
        if (bytes !== undefined) return { ...bytes, layout: "payload", padding: undefined };
      }
      return undefined;
    },
  };
}
