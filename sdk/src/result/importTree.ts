import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";

import { type ImportCandidate, importer, type WritableStorage } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";

import { ResultTooLargeError } from "../errors/result.js";
import { RESULT_CHUNK_SIZE, resultImporterOptions } from "./constants.js";
import { readTree } from "./readTree.js";

/**
 * Imports the tree under `root` into `store` as a UnixFS directory DAG with the fixed result
 * settings, and returns the root CID and the number of file bytes. Only paths and contents reach
 * the importer: no mtime, mode or owner.
 */
export async function importTree(
  root: string,
  store: WritableStorage,
  maxBytes?: bigint,
): Promise<{ cid: CID; bytes: bigint }> {
  const entries = await readTree(root, maxBytes);
  let read = 0n;

  async function* contentOf(absolutePath: string, size: bigint): AsyncGenerator<Uint8Array> {
    // Small files in one read; a stream (with its buffer) only for files that span chunks.
    const chunks =
      size <= BigInt(RESULT_CHUNK_SIZE)
        ? [await readFile(absolutePath)]
        : (createReadStream(absolutePath, { highWaterMark: RESULT_CHUNK_SIZE }) as AsyncIterable<Buffer>);
    for await (const chunk of chunks) {
      read += BigInt(chunk.length);
      // The file may have grown since it was listed.
      if (maxBytes !== undefined && read > maxBytes) throw new ResultTooLargeError({ size: read, maxBytes, path: absolutePath });
      yield chunk;
    }
  }
  function* candidates(): Generator<ImportCandidate> {
    for (const entry of entries) {
      if (entry.type === "directory") yield { path: entry.path };
      else yield { path: entry.path, content: contentOf(entry.absolutePath, entry.size) };
    }
  }

  let cid: CID | undefined;
  for await (const entry of importer(candidates(), store, resultImporterOptions())) {
    if (entry.path === "") cid = entry.cid;
  }
  if (cid === undefined) throw new Error("the importer produced no root directory");
  return { cid, bytes: read };
}
