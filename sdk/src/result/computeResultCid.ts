import type { CID } from "multiformats/cid";

import type {
  InvalidEntryNameErrorType,
  ResultTooLargeErrorType,
  UnsupportedEntryErrorType,
} from "../errors/result.js";
import { discardingBlockstore } from "./blockstore.js";
import { importTree } from "./importTree.js";

export type ComputeResultCidOptions = {
  /** Refuse trees holding more file bytes than this (e.g. the spec's `resources.maxOutputBytes`). */
  maxBytes?: bigint | number | undefined;
};

export type ComputeResultCidReturnType = CID;

export type ComputeResultCidErrorType =
  | UnsupportedEntryErrorType
  | InvalidEntryNameErrorType
  | ResultTooLargeErrorType;

/**
 * Computes the canonical result CID of a directory: a CIDv1 (dag-pb, sha2-256) UnixFS directory
 * built with fixed settings — 1 MiB fixed-size chunks, raw leaves, balanced layout, entries
 * sorted by the bytes of their names — and nothing machine-specific (mtime, mode and owner are
 * ignored). Providers that produce the same files get the same CID.
 *
 * Symlinks, sockets, devices and FIFOs are refused with an UnsupportedEntryError naming the path.
 *
 * @example
 * const cid = await computeResultCid("./outputs", { maxBytes: spec.resources.maxOutputBytes });
 * cid.toString(); // "bafybei…"
 */
export async function computeResultCid(
  dir: string,
  options: ComputeResultCidOptions = {},
): Promise<ComputeResultCidReturnType> {
  const maxBytes = options.maxBytes === undefined ? undefined : BigInt(options.maxBytes);
  return (await importTree(dir, discardingBlockstore, maxBytes)).cid;
}
