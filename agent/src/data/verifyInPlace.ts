import { createReadStream } from "node:fs";
import { lstat } from "node:fs/promises";

import { create as createPieceHasher } from "@web3-storage/data-segment/multihash";

import { InputChangedError, InputCorruptError, InputUnavailableError } from "./errors.js";
import { extendRoot, type PieceQuery, pieceCidV1 } from "./piece.js";
import type { StoredFile } from "./sources/types.js";
import { type FileStamp, sameStamp } from "./verdicts.js";

/** The current stamp of `path` (lstat: a path replaced by a symlink is a change too). */
export async function stampOf(path: string): Promise<FileStamp> {
  const stats = await lstat(path, { bigint: true });
  return { path, dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs };
}

/** Throws InputChangedError unless `file` is still the version it was found as. */
export async function assertUnchanged(file: StoredFile, piece: PieceQuery, when: string): Promise<void> {
  let now: FileStamp;
  try {
    now = await stampOf(file.path);
  } catch (error) {
    throw new InputChangedError({ cid: piece.cid, reason: `${file.path} was removed ${when}`, cause: error });
  }
  if (!sameStamp(now, file.stamp)) {
    const what =
      now.ino !== file.stamp.ino || now.dev !== file.stamp.dev
        ? "replaced"
        : now.size !== file.stamp.size
          ? `resized from ${file.stamp.size} to ${now.size} bytes`
          : "rewritten (its mtime moved)";
    throw new InputChangedError({ cid: piece.cid, reason: `${file.path} was ${what} ${when}` });
  }
}

/**
 * Recomputes the CommP of a stored file where it lies, reading it only (no copy), and throws
 * InputCorruptError unless it is `piece`: the root carried up to the piece's padded size must
 * equal the piece's. The file must be the same version before and after (InputChangedError),
 * so a verdict always belongs to the bytes that were hashed. Returns the bytes hashed.
 */
export async function verifyInPlace(file: StoredFile, piece: PieceQuery, signal?: AbortSignal): Promise<bigint> {
  await assertUnchanged(file, piece, "before it was verified");
  const hasher = createPieceHasher();
  try {
    for await (const chunk of createReadStream(file.path, { flags: "r", highWaterMark: 1 << 20, signal })) {
      hasher.write(chunk as Buffer);
      // Let the event loop run between megabytes: this hashes in the background of live jobs.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new InputUnavailableError({ cid: piece.cid, reason: `${file.path} cannot be read: ${(error as Error).message}`, cause: error });
  }
  await assertUnchanged(file, piece, "while it was verified");
  const digest = hasher.digest();
  const { root, size } = extendRoot(digest.root, digest.height, piece.paddedSize);
  if (root !== piece.root || size !== piece.paddedSize)
    throw new InputCorruptError({
      cid: piece.cid,
      reason: `${file.path}: its CommP is ${pieceCidV1(root)} at ${size} bytes padded, not ${piece.v1} at ${piece.paddedSize}`,
    });
  return file.stamp.size;
}
