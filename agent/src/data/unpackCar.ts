import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";

import { CarBlockIterator } from "@ipld/car/iterator";
import { exporter, type UnixFSEntry } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";

import { MemoryBlockstore, ResultTooLargeError, ShoalError, verifyBlock } from "@shoal/sdk";
import { unpackResult } from "@shoal/sdk/node";
import { InputCorruptError, InputTooLargeError } from "./errors.js";

export type UnpackCarReturnType = { type: "file" | "directory"; size: bigint };

/**
 * Verifies the CAR at `carPath` against `cid` and writes the UnixFS file or directory it holds to
 * `dest` (which must not exist). The CAR's first root must be `cid`, every block must hash to its
 * CID (sha2-256/512, raw or dag-pb: the SDK's verifyBlock) and every block the DAG links to must
 * be present. Directories go through the SDK's unpackResult, which also refuses path traversal,
 * symlinks and duplicate names. At most `maxBytes` file bytes are written (a small CAR can link
 * one block many times).
 */
export async function unpackCar(carPath: string, cid: CID, dest: string, maxBytes: bigint): Promise<UnpackCarReturnType> {
  const label = cid.toString();
  const corrupt = (reason: string, cause?: unknown) => new InputCorruptError({ cid: label, reason, cause });
  try {
    const store = new MemoryBlockstore();
    let root: CID;
    try {
      const blocks = await CarBlockIterator.fromIterable(createReadStream(carPath));
      const roots = await blocks.getRoots();
      if (roots.length === 0 || !roots[0].toV1().equals(cid.toV1()))
        throw corrupt(`the CAR's root is ${roots[0] ?? "missing"}, not ${label}`);
      root = roots[0];
      for await (const block of blocks) {
        await verifyBlock(block.cid, block.bytes);
        await store.put(block.cid, block.bytes);
      }
    } catch (error) {
      if (error instanceof InputCorruptError || error instanceof ShoalError) throw error;
      throw corrupt("not a readable CARv1", error);
    }

    const entry = await exportEntry(root, store);
    if (entry.type === "directory") {
      const { size } = await unpackResult(carPath, dest, { expectedCid: root, maxBytes });
      return { type: "directory", size };
    }
    if (!(entry.type === "raw" || (entry.type === "file" && ["file", "raw"].includes(entry.unixfs.type))))
      throw corrupt(`the DAG is a UnixFS ${entry.type === "file" ? entry.unixfs.type : entry.type}, not a file or directory`);
    let size = 0n;
    const file = await open(dest, "wx", 0o644);
    try {
      const chunks = entry.content()[Symbol.asyncIterator]();
      for (;;) {
        const next = await chunks.next().catch((error: unknown) => {
          throw error instanceof ShoalError ? error : corrupt(`the file's blocks do not decode`, error);
        });
        if (next.done) break;
        const chunk = next.value;
        size += BigInt(chunk.length);
        if (size > maxBytes) throw new ResultTooLargeError({ size, maxBytes });
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
    return { type: "file", size };
  } catch (error) {
    if (error instanceof ResultTooLargeError)
      throw new InputTooLargeError({ cid: label, reason: `it holds more than ${maxBytes} bytes`, cause: error });
    if (error instanceof ShoalError) throw corrupt(error.shortMessage, error);
    throw error;
  }
}

async function exportEntry(root: CID, store: MemoryBlockstore): Promise<UnixFSEntry> {
  try {
    return await exporter(root, store);
  } catch (error) {
    if (error instanceof ShoalError) throw error; // MissingBlockError
    throw new InputCorruptError({ cid: root.toString(), reason: "the root is not a UnixFS node", cause: error });
  }
}
