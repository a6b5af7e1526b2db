import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

import {
  InvalidEntryNameError,
  ResultTooLargeError,
  UnsupportedEntryError,
  type UnsupportedEntryKind,
} from "../errors/result.js";

/** One entry of a result tree, below its root. */
export type TreeEntry = {
  /** Path relative to the root, `/`-separated. */
  path: string;
  /** Path on disk. */
  absolutePath: string;
  type: "directory" | "file";
  /** File size from lstat (0 for directories). */
  size: bigint;
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Lists a result directory in a fixed order: depth-first, each directory before its contents,
 * siblings sorted by the bytes of their UTF-8 names. Refuses symlinks and special files, names
 * that are not UTF-8 or end in a backslash (the importer reads `\/` as an escaped slash), and
 * trees holding more than `maxBytes` file bytes.
 */
export async function readTree(root: string, maxBytes?: bigint): Promise<TreeEntry[]> {
  // The root itself may be reached through a symlink; readdir throws ENOTDIR if it is no directory.
  const entries: TreeEntry[] = [];
  let total = 0n;

  const visit = async (relative: string, absolute: string): Promise<void> => {
    const names = (await readdir(absolute, { encoding: "buffer" })).sort(Buffer.compare);
    for (const raw of names) {
      let name: string;
      try {
        name = utf8.decode(raw);
      } catch {
        throw new InvalidEntryNameError({ path: join(absolute, raw.toString("latin1")), reason: "not valid UTF-8" });
      }
      const path = relative ? `${relative}/${name}` : name;
      const absolutePath = join(absolute, name);
      if (name.endsWith("\\"))
        throw new InvalidEntryNameError({ path: absolutePath, reason: "names must not end in a backslash" });
      const stats = await lstat(absolutePath);
      if (stats.isDirectory()) {
        entries.push({ path, absolutePath, type: "directory", size: 0n });
        await visit(path, absolutePath);
      } else if (stats.isFile()) {
        const size = BigInt(stats.size);
        total += size;
        if (maxBytes !== undefined && total > maxBytes)
          throw new ResultTooLargeError({ size: total, maxBytes, path: absolutePath });
        entries.push({ path, absolutePath, type: "file", size });
      } else {
        throw new UnsupportedEntryError({ path: absolutePath, kind: kindOf(stats) });
      }
    }
  };
  await visit("", root);
  return entries;
}

function kindOf(stats: Stats): UnsupportedEntryKind {
  if (stats.isSymbolicLink()) return "symlink";
  if (stats.isSocket()) return "socket";
  if (stats.isBlockDevice()) return "block device";
  if (stats.isCharacterDevice()) return "character device";
  if (stats.isFIFO()) return "fifo";
  return "unknown";
}
