import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";
import { toHex } from "viem";

import { MissingBlockError } from "../errors/result.js";
import { concatBytes } from "./bytes.js";

type BlockInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * The in-memory blockstore the importer writes to and the exporter reads from. Blocks are keyed
 * by multihash, as blockstores usually are; a missing block throws MissingBlockError.
 */
export class MemoryBlockstore {
  readonly #blocks = new Map<string, Uint8Array>();

  async put(cid: CID, bytes: BlockInput): Promise<CID> {
    this.#blocks.set(blockKey(cid), await collect(bytes));
    return cid;
  }

  *get(cid: CID): Generator<Uint8Array> {
    const bytes = this.#blocks.get(blockKey(cid));
    if (bytes === undefined) throw new MissingBlockError({ cid: cid.toString() });
    yield bytes;
  }

  has(cid: CID): boolean {
    return this.#blocks.has(blockKey(cid));
  }

  /** Number of distinct blocks held. */
  get size(): number {
    return this.#blocks.size;
  }

  /**
   * The blocks of the DAG under `root` in depth-first pre-order, links in node order, each block
   * once: the order a CAR is written in, so a reader can verify it as a stream.
   */
  *walk(root: CID): Generator<{ cid: CID; bytes: Uint8Array }> {
    const seen = new Set<string>();
    const stack: CID[] = [root];
    while (stack.length > 0) {
      const cid = stack.pop() as CID;
      const key = blockKey(cid);
      if (seen.has(key)) continue;
      seen.add(key);
      const [bytes] = this.get(cid);
      yield { cid, bytes };
      if (cid.code === dagPb.code) {
        const links = dagPb.decode(bytes).Links;
        for (let i = links.length - 1; i >= 0; i--) stack.push(links[i].Hash);
      }
    }
  }
}

/** A store that keeps nothing: enough to compute a CID. */
export const discardingBlockstore = {
  async put(cid: CID, bytes: BlockInput): Promise<CID> {
    if (!(bytes instanceof Uint8Array)) await collect(bytes);
    return cid;
  },
};

/** Blocks are keyed by multihash, as blockstores usually are. */
export function blockKey(cid: CID): string {
  return toHex(cid.multihash.bytes);
}

async function collect(bytes: BlockInput): Promise<Uint8Array> {
  if (bytes instanceof Uint8Array) return bytes;
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return concatBytes(chunks);
}
