import { rename, rm } from "node:fs/promises";

import type { CID } from "multiformats/cid";

import type { ComputeResultCidErrorType, ComputeResultCidOptions } from "./computeResultCid.js";
import { MemoryBlockstore } from "./blockstore.js";
import { AppendWriter, blockPrefix, carHeader } from "./carFormat.js";
import { FileBlockstore, walkDag } from "./fileBlockstore.js";
import { importTree } from "./importTree.js";

export type PackResultOptions = ComputeResultCidOptions;

export type PackResultReturnType<outFile extends string | undefined = undefined> = {
  /** The result CID: the CAR's only root. */
  cid: CID;
  /** CAR size in bytes. */
  size: number;
  /** File bytes in the tree. */
  dataSize: bigint;
} & (outFile extends string ? { /** Where the CAR was written. */ path: string } : { /** The CAR. */ carBytes: Uint8Array });

export type PackResultErrorType = ComputeResultCidErrorType;

/**
 * Packs a directory as the CARv1 of its result CID ({@link computeResultCid}): one root, the
 * result CID, and every block once in depth-first order (links in node order), so the same tree
 * always gives the same CAR bytes and a reader can verify it as a stream. With `outFile` the CAR
 * is written there (through a temporary file renamed into place) with memory bounded whatever the
 * tree's size: the importer's blocks are spilled to `<outFile>.blocks` (the root, which a CAR
 * names first, is known only at the end) and copied from it in CAR order, one block at a time.
 * Without `outFile` the CAR is returned in memory.
 *
 * @example
 * const { cid, carBytes } = await packResult("./outputs");
 * const { path, size } = await packResult("./outputs", "./result.car");
 */
export async function packResult(
  dir: string,
  outFile?: undefined,
  options?: PackResultOptions,
): Promise<PackResultReturnType<undefined>>;
export async function packResult(
  dir: string,
  outFile: string,
  options?: PackResultOptions,
): Promise<PackResultReturnType<string>>;
export async function packResult(
  dir: string,
  outFile?: string,
  options: PackResultOptions = {},
): Promise<PackResultReturnType<undefined> | PackResultReturnType<string>> {
  const maxBytes = options.maxBytes === undefined ? undefined : BigInt(options.maxBytes);

  if (outFile === undefined) {
    const store = new MemoryBlockstore();
    const { cid, bytes: dataSize } = await importTree(dir, store, maxBytes);
    const chunks: Uint8Array[] = [await carHeader(cid)];
    for (const { cid: blockCid, bytes } of store.walk(cid)) chunks.push(blockPrefix(blockCid, bytes.length), bytes);
    const carBytes = new Uint8Array(Buffer.concat(chunks));
    return { cid, size: carBytes.length, dataSize, carBytes };
  }

  const partial = `${outFile}.partial`;
  const spillPath = `${outFile}.blocks`;
  const spill = await FileBlockstore.create(spillPath);
  try {
    const { cid, bytes: dataSize } = await importTree(dir, spill, maxBytes);
    const car = await AppendWriter.open(partial);
    let size: number;
    try {
      await car.write(await carHeader(cid));
      for await (const block of walkDag(cid, (c) => spill.read(c))) {
        await car.write(blockPrefix(block.cid, block.bytes.length));
        await car.write(block.bytes);
      }
    } finally {
      size = await car.close();
    }
    await rename(partial, outFile);
    return { cid, size, dataSize, path: outFile };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await spill.close();
    await rm(spillPath, { force: true });
  }
}
