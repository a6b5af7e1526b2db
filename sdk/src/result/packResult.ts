import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { CarWriter } from "@ipld/car/writer";
import type { CID } from "multiformats/cid";

import type { ComputeResultCidErrorType, ComputeResultCidOptions } from "./computeResultCid.js";
import { MemoryBlockstore } from "./blockstore.js";
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
 * is written there (through a temporary file renamed into place); otherwise it is returned.
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
  const store = new MemoryBlockstore();
  const maxBytes = options.maxBytes === undefined ? undefined : BigInt(options.maxBytes);
  const { cid, bytes: dataSize } = await importTree(dir, store, maxBytes);

  const { writer, out } = CarWriter.create([cid]);
  const write = (async () => {
    for (const block of store.walk(cid)) await writer.put(block);
    await writer.close();
  })();

  if (outFile === undefined) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of out) chunks.push(chunk);
    await write;
    const carBytes = new Uint8Array(Buffer.concat(chunks));
    return { cid, size: carBytes.length, dataSize, carBytes };
  }

  const partial = `${outFile}.partial`;
  let size = 0;
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of out) {
        size += chunk.length;
        yield chunk;
      }
    })(),
  );
  try {
    await Promise.all([pipeline(counted, createWriteStream(partial)), write]);
    await rename(partial, outFile);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { cid, size, dataSize, path: outFile };
}
