import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";

import { CarBlockIterator } from "@ipld/car/iterator";
import * as dagPb from "@ipld/dag-pb";
import { type ReadableStorage, type UnixFSDirectory, type UnixFSEntry, type UnixFSFile, type RawNode } from "ipfs-unixfs-exporter";
import { varint } from "multiformats";
import { equals } from "multiformats/bytes";
import { CID } from "multiformats/cid";

import {
  type BlockVerificationErrorType,
  DestinationNotEmptyError,
  type DestinationNotEmptyErrorType,
  InvalidCarError,
  type InvalidCarErrorType,
  InvalidEntryNameError,
  type InvalidEntryNameErrorType,
  type InvalidResultCidErrorType,
  type MissingBlockErrorType,
  ResultRootMismatchError,
  type ResultRootMismatchErrorType,
  ResultTooLargeError,
  type ResultTooLargeErrorType,
  UnsupportedEntryError,
  type UnsupportedEntryErrorType,
} from "../errors/result.js";
import { MemoryBlockstore } from "./blockstore.js";
import { MAX_RESULT_BLOCK_BYTES } from "./carFormat.js";
import { type BlockLocation, blockKey, FileBlockstore } from "./fileBlockstore.js";
import { checkName, load, rethrowAsCarError, toCid } from "./entries.js";
import { verifyBlock } from "./verifyBlock.js";

/** Where the exporter and the file writer read blocks from. */
type BlockSource = ReadableStorage & { read(cid: CID): Promise<Uint8Array> };

export type UnpackResultOptions = {
  /** The result CID the CAR must hold (the one settled on chain). */
  expectedCid: CID | string;
  /** Refuse results holding more file bytes than this. */
  maxBytes?: bigint | number | undefined;
};

export type UnpackResultReturnType = {
  /** The verified result CID. */
  cid: CID;
  /** The directory the tree was written to. */
  path: string;
  /** Files written. */
  files: number;
  /** Directories written below the root. */
  directories: number;
  /** File bytes written. */
  size: bigint;
};

export type UnpackResultErrorType =
  | InvalidResultCidErrorType
  | InvalidCarErrorType
  | BlockVerificationErrorType
  | MissingBlockErrorType
  | ResultRootMismatchErrorType
  | InvalidEntryNameErrorType
  | UnsupportedEntryErrorType
  | ResultTooLargeErrorType
  | DestinationNotEmptyErrorType;

/**
 * Verifies a result CAR and writes its tree to `destDir`. Every block is hashed and compared
 * with its CID (unknown hash functions and non-UnixFS codecs are refused), the CAR's single root
 * must equal `expectedCid`, and entry names must be plain names (no `..`, `/`, NUL or
 * duplicates), so nothing can be written outside `destDir`. The tree is built in a staging
 * directory beside `destDir` and renamed into place, so a failure leaves nothing behind.
 * `destDir` must not exist or be an empty directory.
 *
 * A CAR given as a file path is read in place (an index of block offsets in memory, each block
 * verified as it is read), and a stream is first spooled to a file beside `destDir`: memory is
 * bounded by the largest block, not by the result. A Uint8Array is unpacked from memory.
 *
 * @example
 * const { files, size } = await unpackResult(carBytes, "./result", { expectedCid: job.resultCid });
 * await unpackResult("./result.car", "./big-result", { expectedCid: job.resultCid });
 */
export async function unpackResult(
  car: Uint8Array | string | AsyncIterable<Uint8Array>,
  destDir: string,
  options: UnpackResultOptions,
): Promise<UnpackResultReturnType> {
  const expected = toCid(options.expectedCid);
  const maxBytes = options.maxBytes === undefined ? undefined : BigInt(options.maxBytes);
  const destination = resolve(destDir);
  await checkDestination(destination);
  await mkdir(dirname(destination), { recursive: true });

  let spooled: string | undefined;
  let store: BlockSource & { close?: () => Promise<void> };
  if (car instanceof Uint8Array) store = await loadCar(car, expected);
  else {
    let path = car;
    if (typeof path !== "string") {
      spooled = join(dirname(destination), `.shoal-unpack-${process.pid}-${Date.now()}.car`);
      await pipeline(path, createWriteStream(spooled));
      path = spooled;
    }
    store = await indexCar(path, expected).catch(async (error: unknown) => {
      if (spooled !== undefined) await rm(spooled, { force: true });
      throw error;
    });
  }

  try {
    const root = await load(expected, store);
    if (root.type !== "directory") throw new InvalidCarError({ reason: "the result root is not a directory" });
    const staging = await mkdtemp(join(dirname(destination), ".shoal-unpack-"));
    await chmod(staging, 0o755); // mkdtemp makes it private; the result directory should not be
    const stats = { files: 0, directories: 0, size: 0n };
    try {
      await writeDirectory(root, staging, "", store, stats, maxBytes);
      try {
        await rename(staging, destination); // replaces an empty directory atomically
      } catch (error) {
        throw new DestinationNotEmptyError({ path: destination, cause: error });
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return { cid: expected, path: destination, ...stats };
  } finally {
    await store.close?.();
    if (spooled !== undefined) await rm(spooled, { force: true });
  }
}


/** Throws DestinationNotEmptyError unless `path` is missing or an empty directory. */
export async function checkDestination(path: string): Promise<void> {
  try {
    if (!(await stat(path)).isDirectory() || (await readdir(path)).length > 0) throw new DestinationNotEmptyError({ path });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
}

/** Reads every block of the CAR, verifying each, after checking that its only root is `expected`. */
async function loadCar(car: Uint8Array, expected: CID): Promise<BlockSource> {
  const store = new MemoryBlockstore();
  await rethrowAsCarError(async () => {
    const blocks = await CarBlockIterator.fromBytes(car);
    checkRoots(await blocks.getRoots(), expected);
    for await (const { cid, bytes } of blocks) {
      await verifyBlock(cid, bytes);
      await store.put(cid, bytes);
    }
  }, "it is not a readable CARv1");
  return Object.assign(store, { read: async (cid: CID) => store.get(cid).next().value as Uint8Array });
}

/**
 * Indexes the CAR file at `path` (block offsets only: one small read per block, the blocks
 * themselves are not read) after checking that its only root is `expected`; blocks are verified
 * when they are read.
 */
async function indexCar(path: string, expected: CID): Promise<FileBlockstore> {
  const index = new Map<string, BlockLocation>();
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(160);
    /** The section at `offset`: its length varint and the next bytes (a CID fits in them). */
    const readSection = async (at: number) => {
      const { bytesRead } = await file.read(head, 0, Math.min(head.length, size - at), at);
      const bytes = head.subarray(0, bytesRead);
      try {
        const [length, prefix] = varint.decode(bytes);
        return { length, prefix, bytes };
      } catch (error) {
        throw new InvalidCarError({ reason: `no section length at byte ${at}`, cause: error });
      }
    };
    const header = await readSection(0);
    let offset = header.prefix + header.length;
    if (header.length > 1024 || offset > size) throw new InvalidCarError({ reason: "it is not a readable CARv1" });
    const headerBytes = Buffer.alloc(offset);
    await file.read(headerBytes, 0, offset, 0);
    await checkHeader(headerBytes, expected);
    while (offset < size) {
      const { length, prefix, bytes } = await readSection(offset);
      let cid: CID;
      try {
        cid = CID.decodeFirst(bytes.subarray(prefix))[0];
      } catch (error) {
        throw new InvalidCarError({ reason: `the block at byte ${offset} has no readable CID`, cause: error });
      }
      const blockLength = length - cid.bytes.length;
      const blockOffset = offset + prefix + cid.bytes.length;
      if (blockLength < 0 || blockOffset + blockLength > size) throw new InvalidCarError({ reason: `it is truncated at byte ${offset}` });
      if (blockLength > MAX_RESULT_BLOCK_BYTES)
        throw new InvalidCarError({ reason: `a block of ${blockLength} bytes exceeds the ${MAX_RESULT_BLOCK_BYTES}-byte limit` });
      const key = blockKey(cid);
      if (!index.has(key)) index.set(key, { offset: blockOffset, length: blockLength });
      offset = blockOffset + blockLength;
    }
  } finally {
    await file.close();
  }
  return FileBlockstore.over(path, index);
}

/** Checks a CAR header (length varint included): one root, `expected`. */
async function checkHeader(header: Uint8Array, expected: CID): Promise<void> {
  await rethrowAsCarError(async () => {
    checkRoots(await (await CarBlockIterator.fromBytes(header)).getRoots(), expected);
  }, "it is not a readable CARv1");
}

function checkRoots(roots: CID[], expected: CID): void {
  if (roots.length !== 1) throw new InvalidCarError({ reason: `it has ${roots.length} roots; a result CAR has one` });
  if (!equals(roots[0].bytes, expected.bytes)) throw new ResultRootMismatchError({ expected: String(expected), actual: String(roots[0]) });
}

async function writeDirectory(
  directory: UnixFSDirectory,
  target: string,
  relative: string,
  store: BlockSource,
  stats: { files: number; directories: number; size: bigint },
  maxBytes: bigint | undefined,
): Promise<void> {
  const children = await rethrowAsCarError(async () => {
    const list: { name: string; cid: CID }[] = [];
    for await (const child of directory.entries()) list.push({ name: child.name, cid: child.cid });
    return list;
  }, `directory ${relative || "/"} cannot be read`);

  for (const child of children) {
    const path = relative ? `${relative}/${child.name}` : child.name;
    checkName(child.name, path);
    const destination = join(target, child.name);
    if (!destination.startsWith(target + sep)) throw new InvalidEntryNameError({ path, reason: "escapes the destination" });
    const entry = await load(child.cid, store);

    if (entry.type === "directory") {
      await mkdir(destination).catch((error) => {
        throw duplicateOr(error, path);
      });
      stats.directories++;
      await writeDirectory(entry, destination, path, store, stats, maxBytes);
    } else if (entry.type === "raw" || (entry.type === "file" && ["file", "raw"].includes(entry.unixfs.type))) {
      const file = await open(destination, "wx").catch((error) => {
        throw duplicateOr(error, path);
      });
      try {
        let written = 0n;
        const chunks = fileBytes(entry, store)[Symbol.asyncIterator]();
        for (;;) {
          const next = await rethrowAsCarError(() => chunks.next(), `file ${path} cannot be read`);
          if (next.done) break;
          written += BigInt(next.value.length);
          stats.size += BigInt(next.value.length);
          if (maxBytes !== undefined && stats.size > maxBytes)
            throw new ResultTooLargeError({ size: stats.size, maxBytes, path });
          await file.write(next.value);
        }
        if (written !== entry.size)
          throw new InvalidCarError({ reason: `file ${path} holds ${written} bytes where its node says ${entry.size}` });
      } finally {
        await file.close();
      }
      stats.files++;
    } else {
      const kind = entry.type === "file" && entry.unixfs.type === "symlink" ? "symlink" : "unknown";
      throw new UnsupportedEntryError({ path, kind });
    }
  }
}

/** Blocks of a file read ahead of the one being written (memory: this many blocks per DAG level). */
const READ_AHEAD = 4;

/**
 * The bytes of a file in order, one block at a time: a node's own data, then its children's,
 * with up to READ_AHEAD children read ahead (the exporter's content() reads ahead without bound,
 * so large files are walked here).
 */
async function* fileBytes(entry: UnixFSFile | RawNode, store: BlockSource): AsyncGenerator<Uint8Array> {
  if (entry.type === "raw") {
    yield entry.node;
    return;
  }
  if (entry.unixfs.data !== undefined && entry.unixfs.data.length > 0) yield entry.unixfs.data;
  const links = entry.node.Links;
  const ahead: Promise<Uint8Array | UnixFSEntry>[] = [];
  let next = 0;
  const fill = () => {
    while (ahead.length < READ_AHEAD && next < links.length) {
      const cid = links[next++].Hash;
      const pending = cid.code === dagPb.code ? load(cid, store) : store.read(cid);
      pending.catch(() => {}); // awaited in turn below; a failure must not go unhandled meanwhile
      ahead.push(pending);
    }
  };
  fill();
  while (ahead.length > 0) {
    const child = await (ahead.shift() as Promise<Uint8Array | UnixFSEntry>);
    fill();
    if (child instanceof Uint8Array) {
      yield child;
      continue;
    }
    if (child.type !== "file") throw new InvalidCarError({ reason: `block ${child.cid} inside a file is not a file node` });
    yield* fileBytes(child, store);
  }
}


function duplicateOr(error: unknown, path: string): unknown {
  return (error as NodeJS.ErrnoException).code === "EEXIST"
    ? new InvalidEntryNameError({ path, reason: "appears twice in its directory" })
    : error;
}


