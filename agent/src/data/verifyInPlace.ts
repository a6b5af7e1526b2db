import { lstat } from "node:fs/promises";

import { hexToBytes } from "viem";

import { PieceFileChangedError, pieceCidOfFile } from "@shoal/sdk/node";

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
  let digest: Awaited<ReturnType<typeof pieceCidOfFile>>;
  try {
    // Worker threads over 1 MiB subtrees (the SDK's WASM SIMD CommP), reading the file in place.
    digest = await pieceCidOfFile(file.path, { signal, length: file.stamp.size });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof PieceFileChangedError)
      throw new InputChangedError({ cid: piece.cid, reason: `${file.path} changed while it was verified`, cause: error });
    throw new InputUnavailableError({ cid: piece.cid, reason: `${file.path} cannot be read: ${(error as Error).message.split("\n")[0]}`, cause: error });
  }
  await assertUnchanged(file, piece, "while it was verified");
  const { root, size } = extendRoot(hexToBytes(digest.root), digest.height, piece.paddedSize);
  if (root !== piece.root || size !== piece.paddedSize)
    throw new InputCorruptError({
      cid: piece.cid,
      reason: `${file.path}: its CommP is ${pieceCidV1(root)} at ${size} bytes padded, not ${piece.v1} at ${piece.paddedSize}`,
    });
  return file.stamp.size;
}
