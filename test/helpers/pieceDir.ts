import { createHash } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Every entry of a piece directory with its mode, size, mtime, inode and content hash: equal
 * before and after a run when nothing under the directory was written, re-timed, replaced or deleted.
 */
export async function fingerprint(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const info = await lstat(path, { bigint: true });
    const hash = info.isFile() ? createHash("sha256").update(await readFile(path)).digest("hex") : "-";
    out.push(`${name} ${info.mode} ${info.size} ${info.mtimeNs} ${info.ino} ${hash}`);
  }
  return out;
}
