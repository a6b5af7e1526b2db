import type { ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";

/** Files are cut into fixed 1 MiB chunks, stored as raw leaves. */
export const RESULT_CHUNK_SIZE = 1_048_576;
/** Most links in one file node of the balanced layout. */
export const RESULT_MAX_CHILDREN = 1_024;
/** A directory node larger than this (serialized bytes) becomes a HAMT shard. */
export const RESULT_SHARD_THRESHOLD = 262_144;

/**
 * Every importer setting that shapes the DAG, spelled out so a library default change can never
 * change a result CID. They are the IPIP-499 `unixfs-v1-2025` profile: CIDv1, raw leaves,
 * 1 MiB fixed chunks, balanced layout with 1024 links, HAMT above 256 KiB by block bytes.
 * mtime, mode and uid are never passed, so they never reach the DAG.
 */
export function resultImporterOptions(): ImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: RESULT_CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: RESULT_MAX_CHILDREN }),
    shardSplitThresholdBytes: RESULT_SHARD_THRESHOLD,
    shardSplitStrategy: "block-bytes",
    shardFanoutBits: 8,
    fieldOrder: "links-first",
    wrapWithDirectory: true,
  };
}
