import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

import type { CID } from "multiformats/cid";

import { ShoalError } from "../errors/base.js";
import { ResultDownloadInterruptedError } from "../errors/result.js";
import { AppendWriter } from "./carFormat.js";
import { CarStreamVerifier } from "./verifyCarStream.js";

/** How far a download has come: verified CAR bytes on disk, and the CAR's size once known. */
export type ResultProgress = { bytes: number; total: number | undefined };

export type DownloadResultCarParameters = {
  /** `<gateway>/ipfs/<cid>?format=car`. */
  url: string;
  /** The result CID the CAR must hold. */
  expectedCid: CID;
  /** The partial CAR: resumed if present, complete when this returns. */
  partPath: string;
  /** Refuse CARs whose file data exceeds this many bytes. */
  maxBytes?: bigint | undefined;
  /** Attempts after an interruption, each resuming where the last stopped (default 3). */
  retries?: number | undefined;
  /** Milliseconds without a byte (or without response headers) before an attempt is given up (default 60 s). */
  timeout?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  onProgress?: ((progress: ResultProgress) => void) | undefined;
};

/**
 * Downloads a result CAR to `partPath`, verifying every block as it arrives (see
 * CarStreamVerifier): only verified blocks are written, so the file is always a verified prefix
 * of the CAR. A file already at `partPath` is checked again (never trusted) and resumed with
 * `Range: bytes=<n>-`; a server that ignores the range (200) or cannot satisfy it (416) makes the
 * download start over from byte 0. An interrupted body is resumed up to `retries` times; bytes
 * that fail verification throw at once (the verified prefix stays for another server).
 * Memory: one block and one network chunk.
 */
export async function downloadResultCar(parameters: DownloadResultCarParameters): Promise<{ size: number; resumedFrom: number }> {
  const { url, expectedCid, partPath, maxBytes, onProgress } = parameters;
  const doFetch = parameters.fetch ?? globalThis.fetch;
  const timeout = parameters.timeout ?? 60_000;
  let verifier = await recheck(partPath, expectedCid, maxBytes);
  const resumedFrom = verifier.verifiedBytes;
  let total: number | undefined;

  for (let attempt = 0; ; attempt++) {
    if (verifier.complete) {
      await AppendWriter.open(partPath, verifier.verifiedBytes).then((w) => w.close()); // drop any unverified tail
      return { size: verifier.verifiedBytes, resumedFrom };
    }
    verifier.dropUnverified(); // bytes of an incomplete block from an interrupted attempt come again
    const offset = verifier.verifiedBytes;
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(new Error(`no response for ${timeout} ms`)), timeout);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${timeout} ms`)), timeout);
    };
    let writer: AppendWriter | undefined;
    try {
      const headers: Record<string, string> = { accept: "application/vnd.ipld.car" };
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const response = await doFetch(url, { headers, signal: idle.signal });
      let start = 0;
      if (response.status === 206) {
        const range = parseContentRange(response.headers.get("content-range"));
        total = range?.size;
        if (range?.start !== offset) {
          // Not the bytes asked for: start over without a range.
          await response.body?.cancel();
          verifier = await CarStreamVerifier.create(expectedCid, { maxBytes });
          continue;
        }
        start = offset;
      } else if (response.status === 200) {
        const length = response.headers.get("content-length");
        total = length === null ? undefined : Number(length);
      } else if (response.status === 416 && offset > 0) {
        // The server's CAR is not longer than what we hold, yet ours is incomplete: start over.
        await response.body?.cancel();
        verifier = await CarStreamVerifier.create(expectedCid, { maxBytes });
        continue;
      } else {
        await response.body?.cancel();
        throw new HttpStatusError(response.status);
      }
      if (start === 0 && offset > 0) verifier = await CarStreamVerifier.create(expectedCid, { maxBytes }); // 200: the range was ignored
      writer = await AppendWriter.open(partPath, start);
      if (response.body === null) throw new Error("the response has no body");
      onProgress?.({ bytes: start, total });
      for await (const chunk of response.body) {
        touch();
        for (const piece of await verifier.push(chunk)) await writer.write(piece);
        onProgress?.({ bytes: verifier.verifiedBytes, total });
      }
      await writer.close();
      writer = undefined;
      if (!verifier.complete) throw new Error("the body ended early");
      verifier.finish();
    } catch (error) {
      if (writer !== undefined) await writer.close().catch(() => {}); // keep what verified
      // Bad bytes or a refusal: this server will not do better. Anything else is an interruption.
      if (error instanceof HttpStatusError || error instanceof ShoalError) throw error;
      const interrupted = new ResultDownloadInterruptedError({ url, received: verifier.verifiedBytes, total, cause: error });
      if (attempt >= (parameters.retries ?? 3)) throw interrupted;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Throws, by status, when a gateway answers anything but the CAR (or the rest of it). */
class HttpStatusError extends Error {
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.name = "HttpStatusError";
  }
}

/** A verifier that has seen the verified prefix of `partPath` (a fresh one if there is none). */
async function recheck(partPath: string, expected: CID, maxBytes: bigint | undefined): Promise<CarStreamVerifier> {
  const fresh = () => CarStreamVerifier.create(expected, { maxBytes });
  const exists = await stat(partPath).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) return fresh();
  const verifier = await fresh();
  try {
    for await (const chunk of createReadStream(partPath)) await verifier.push(chunk as Buffer);
  } catch (error) {
    // Bytes that do not verify are dropped (the file is cut to the verified prefix before the next write).
    if (!(error instanceof ShoalError)) throw error;
  }
  return verifier;
}

/** `bytes <start>-<end>/<size>` → start and size (size undefined for `*`). */
export function parseContentRange(header: string | null): { start: number; end: number; size: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), size: match[3] === "*" ? undefined : Number(match[3]) };
}
