/**
 * What reading a result's UnixFS tree needs wherever the blocks are (in memory in a browser,
 * in a CAR file on disk): the expected CID parsed, entries loaded with non-Shoal errors turned
 * into InvalidCarError, and entry names checked. Browser-safe; used by fetchResultFiles and
 * unpackResult.
 */
import { exporter, type ReadableStorage, type UnixFSEntry } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";

import { ShoalError } from "../errors/base.js";
import { InvalidCarError, InvalidEntryNameError, InvalidResultCidError } from "../errors/result.js";

/** The expected result CID, parsed (InvalidResultCidError when it is not one). */
export function toCid(cid: CID | string): CID {
  if (typeof cid !== "string") return cid;
  try {
    return CID.parse(cid);
  } catch (error) {
    throw new InvalidResultCidError({ cid, reason: "not a CID", cause: error });
  }
}

/** The UnixFS entry of `cid` in `store` (InvalidCarError when it is not one). */
export async function load(cid: CID, store: ReadableStorage): Promise<UnixFSEntry> {
  return rethrowAsCarError(() => exporter(cid, store), `block ${cid} is not a UnixFS node`);
}

/** Runs `fn`; errors that are not Shoal errors become InvalidCarError (with the original as cause). */
export async function rethrowAsCarError<T>(fn: () => Promise<T>, reason: string): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ShoalError) throw error;
    throw new InvalidCarError({ reason, cause: error });
  }
}

/** A name must name one entry inside its directory: not empty, `.`, `..`, and without `/` or NUL. */
export function checkName(name: string, path: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0"))
    throw new InvalidEntryNameError({ path, reason: "not a plain file name (path traversal)" });
}
