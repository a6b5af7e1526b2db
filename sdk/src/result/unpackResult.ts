import { createReadStream } from "node:fs";
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";

import { CarBlockIterator } from "@ipld/car/iterator";
import { exporter, type UnixFSDirectory, type UnixFSEntry } from "ipfs-unixfs-exporter";
import { equals } from "multiformats/bytes";
import { CID } from "multiformats/cid";

import { ShoalError } from "../errors/base.js";
import {
  type BlockVerificationErrorType,
  DestinationNotEmptyError,
  type DestinationNotEmptyErrorType,
  InvalidCarError,
  type InvalidCarErrorType,
  InvalidEntryNameError,
  type InvalidEntryNameErrorType,
  InvalidResultCidError,
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
import { verifyBlock } from "./verifyBlock.js";

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
 * @example
 * const { files, size } = await unpackResult(carBytes, "./result", { expectedCid: job.resultCid });
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

  const store = await loadCar(car, expected);
  const root = await load(expected, store);
  if (root.type !== "directory") throw new InvalidCarError({ reason: "the result root is not a directory" });

  await mkdir(dirname(destination), { recursive: true });
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
}

function toCid(cid: CID | string): CID {
  if (typeof cid !== "string") return cid;
  try {
    return CID.parse(cid);
  } catch (error) {
    throw new InvalidResultCidError({ cid, reason: "not a CID", cause: error });
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
async function loadCar(car: Uint8Array | string | AsyncIterable<Uint8Array>, expected: CID): Promise<MemoryBlockstore> {
  const store = new MemoryBlockstore();
  await rethrowAsCarError(async () => {
    const source = typeof car === "string" ? createReadStream(car) : car;
    const blocks =
      source instanceof Uint8Array
        ? await CarBlockIterator.fromBytes(source)
        : await CarBlockIterator.fromIterable(source as AsyncIterable<Uint8Array>);
    const roots = await blocks.getRoots();
    if (roots.length !== 1) throw new InvalidCarError({ reason: `it has ${roots.length} roots; a result CAR has one` });
    if (!equals(roots[0].bytes, expected.bytes))
      throw new ResultRootMismatchError({ expected: String(expected), actual: String(roots[0]) });
    for await (const { cid, bytes } of blocks) {
      await verifyBlock(cid, bytes);
      await store.put(cid, bytes);
    }
  }, "it is not a readable CARv1");
  return store;
}

async function writeDirectory(
  directory: UnixFSDirectory,
  target: string,
  relative: string,
  store: MemoryBlockstore,
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
        const chunks = entry.content()[Symbol.asyncIterator]();
        for (;;) {
          const next = await rethrowAsCarError(() => chunks.next(), `file ${path} cannot be read`);
          if (next.done) break;
          stats.size += BigInt(next.value.length);
          if (maxBytes !== undefined && stats.size > maxBytes)
            throw new ResultTooLargeError({ size: stats.size, maxBytes, path });
          await file.write(next.value);
        }
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

/** A name must name one entry inside its directory: not empty, `.`, `..`, and without `/` or NUL. */
function checkName(name: string, path: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0"))
    throw new InvalidEntryNameError({ path, reason: "not a plain file name (path traversal)" });
}

function duplicateOr(error: unknown, path: string): unknown {
  return (error as NodeJS.ErrnoException).code === "EEXIST"
    ? new InvalidEntryNameError({ path, reason: "appears twice in its directory" })
    : error;
}

async function load(cid: CID, store: MemoryBlockstore): Promise<UnixFSEntry> {
  return rethrowAsCarError(() => exporter(cid, store), `block ${cid} is not a UnixFS node`);
}

/** Runs `fn`; errors that are not Shoal errors become InvalidCarError (with the original as cause). */
async function rethrowAsCarError<T>(fn: () => Promise<T>, reason: string): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ShoalError) throw error;
    throw new InvalidCarError({ reason, cause: error });
  }
}
