import { CarWriter } from "@ipld/car/writer";
import type { CID } from "multiformats/cid";
import { varint } from "multiformats";

import { concatBytes } from "./bytes.js";

// The parts of the CAR format that run anywhere (browsers included); writing CARs to files is in
// carFormat.ts.

/**
 * Largest block a result CAR may hold: 1 MiB leaves and directory shards just above 256 KiB fit
 * well below it (it is also bitswap's limit). A reader refuses bigger blocks before buffering them,
 * so its memory stays bounded by this, not by the result.
 */
export const MAX_RESULT_BLOCK_BYTES = 2 * 1_048_576;

/** The CARv1 header naming `root` as the only root, its length varint included. */
export async function carHeader(root: CID): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const read = (async () => {
    for await (const chunk of out) chunks.push(chunk);
  })();
  await writer.close();
  await read;
  return concatBytes(chunks);
}

/** What precedes a block's bytes in a CARv1: the section length varint and the CID. */
export function blockPrefix(cid: CID, length: number): Uint8Array {
  const sectionLength = cid.bytes.length + length;
  const prefix = new Uint8Array(varint.encodingLength(sectionLength) + cid.bytes.length);
  varint.encodeTo(sectionLength, prefix, 0);
  prefix.set(cid.bytes, prefix.length - cid.bytes.length);
  return prefix;
}
