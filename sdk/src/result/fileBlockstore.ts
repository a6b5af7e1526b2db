import { open, type FileHandle } from "node:fs/promises";

import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";

import { MissingBlockError } from "../errors/result.js";
import { blockKey } from "./blockstore.js";
import { verifyBlock } from "./verifyBlock.js";

export { blockKey };

type BlockInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Where a block's bytes lie in a file. */
export type BlockLocation = { offset: number; length: number };

/**
 * A blockstore whose blocks live in one file and whose memory holds only their locations (a few
 * dozen bytes per block, whatever the block sizes). `put` appends a block (once per multihash);
 * `get` reads it back with a positional read. Used to spill the importer's blocks while a result
 * is packed, and to read a downloaded CAR in place (`index` from its block offsets, `verify` on,
 * so no byte leaves the file unchecked).
 */
export class FileBlockstore {
  readonly #file: FileHandle;
  readonly #index: Map<string, BlockLocation>;
  readonly #verify: boolean;
  #end = 0;

  private constructor(file: FileHandle, index: Map<string, BlockLocation>, verify: boolean) {
    this.#file = file;
    this.#index = index;
    this.#verify = verify;
  }

  /** A new, empty store writing to `path` (created or truncated). */
  static async create(path: string): Promise<FileBlockstore> {
    return new FileBlockstore(await open(path, "w+"), new Map(), false);
  }

  /** A read-only store over `path`, whose blocks are where `index` says; `get` verifies each block read. */
  static async over(path: string, index: Map<string, BlockLocation>): Promise<FileBlockstore> {
    return new FileBlockstore(await open(path, "r"), index, true);
  }

  async put(cid: CID, input: BlockInput): Promise<CID> {
    const bytes = input instanceof Uint8Array ? input : await collect(input);
    const key = blockKey(cid);
    if (this.#index.has(key)) return cid;
    // The offset is taken before the write starts: concurrent puts write to disjoint ranges.
    const location = { offset: this.#end, length: bytes.length };
    this.#end += bytes.length;
    this.#index.set(key, location);
    await this.#file.write(bytes, 0, bytes.length, location.offset);
    return cid;
  }

  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this.read(cid);
  }

  /** The bytes of block `cid`; MissingBlockError if the store lacks it. */
  async read(cid: CID): Promise<Uint8Array> {
    const location = this.#index.get(blockKey(cid));
    if (location === undefined) throw new MissingBlockError({ cid: cid.toString() });
    const bytes = new Uint8Array(location.length);
    const { bytesRead } = await this.#file.read(bytes, 0, location.length, location.offset);
    if (bytesRead !== location.length) throw new MissingBlockError({ cid: cid.toString() });
    if (this.#verify) await verifyBlock(cid, bytes);
    return bytes;
  }

  has(cid: CID): boolean {
    return this.#index.has(blockKey(cid));
  }

  /** Number of distinct blocks held. */
  get size(): number {
    return this.#index.size;
  }

  async close(): Promise<void> {
    await this.#file.close();
  }
}

/**
 * The blocks of the DAG under `root` in depth-first pre-order, links in node order, each block
 * once: the order result CARs are written in, so a reader can verify them as a stream. Up to
 * `readAhead` blocks next on the walk are read ahead; only they, the block being yielded and the
 * CIDs still to visit are held.
 */
export async function* walkDag(
  root: CID,
  read: (cid: CID) => Promise<Uint8Array>,
  readAhead = 4,
): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  const seen = new Set<string>();
  const stack: CID[] = [root];
  const reading = new Map<string, Promise<Uint8Array>>();
  const prefetch = () => {
    // The next blocks are the stack's top entries (pre-order); skip the seen ones. The scan is
    // capped, so runs of duplicate links cost no more than a few entries per block.
    const stop = Math.max(0, stack.length - 4 * readAhead);
    for (let i = stack.length - 1; i >= stop && reading.size < readAhead; i--) {
      const key = blockKey(stack[i]);
      if (seen.has(key) || reading.has(key)) continue;
      const pending = read(stack[i]);
      pending.catch(() => {}); // awaited when its turn comes
      reading.set(key, pending);
    }
  };
  while (stack.length > 0) {
    const cid = stack.pop() as CID;
    const key = blockKey(cid);
    if (seen.has(key)) continue;
    seen.add(key);
    prefetch();
    const bytes = await (reading.get(key) ?? read(cid));
    reading.delete(key);
    yield { cid, bytes };
    if (cid.code === dagPb.code) {
      const links = dagPb.decode(bytes).Links;
      for (let i = links.length - 1; i >= 0; i--) stack.push(links[i].Hash);
    }
  }
}


async function collect(bytes: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}
