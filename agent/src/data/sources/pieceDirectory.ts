import { constants, createReadStream } from "node:fs";
import { access, readdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";

import { parsePieceCid } from "@shoal/sdk";
import { capacityOf, MIN_PAYLOAD_BYTES, type PieceQuery } from "../piece.js";
import { InputUnavailableError } from "../errors.js";
import type { FileStamp } from "../verdicts.js";
import type { LocateResult, PieceBytes, PieceSource } from "./types.js";

export type PieceDirectoryOptions = {
  /** A directory of unsealed pieces, each file named by its piece CID (v1 or v2, any extension). */
  dir: string;
  /**
   * Optional JSON file `{ "<pieceCid>": "<path>" }` for layouts that do not name files by CID
   * (Boost-style): paths are relative to `dir` or absolute.
   */
  index?: string | undefined;
};

type Entry = { path: string; paddedSize: bigint | undefined; padding: bigint | undefined };

const CHUNK = 1 << 20;

/**
 * A directory of unsealed pieces. Files are found by the canonical key (root, padded size), so a
 * file named by the v1 CID serves a spec naming the v2 CID and the other way round. A v1 name
 * carries no size: the file's size must fit the piece (its payload, at most `paddedSize * 127/128`
 * bytes, or its Fr32 expansion, exactly `paddedSize` bytes); verification settles the rest.
 *
 * The listing is re-read when the directory's or the index's mtime changes, so lookups are one
 * or two `stat` calls. A name (a symlink, an index path with `..` or an absolute path) whose real
 * path lies outside `dir` is refused, and so is anything but a readable regular file. The store
 * is only ever opened for reading.
 */
export function pieceDirectory({ dir, index }: PieceDirectoryOptions): PieceSource {
  const root = resolve(dir);
  const indexPath = index === undefined ? undefined : resolve(root, index);
  let listing: { stamp: string; byRoot: Map<string, Entry[]> } | undefined;

  async function entriesFor(piece: PieceQuery): Promise<Entry[]> {
    const [rootTime, indexTime] = await Promise.all([mtimeOf(root), indexPath ? mtimeOf(indexPath) : ""]);
    const stamp = `${rootTime}:${indexTime}`;
    if (listing?.stamp !== stamp) listing = { stamp, byRoot: await list(root, indexPath) };
    return (listing.byRoot.get(piece.root) ?? []).filter(
      (entry) => entry.paddedSize === undefined || entry.paddedSize === piece.paddedSize,
    );
  }

  /**
   * The first entry whose file lies inside the store, is a regular file and has a size that fits
   * the piece, as the real path it was found at; or why the entries found are refused.
   */
  async function locate(piece: PieceQuery): Promise<LocateResult> {
    // Lookups that do not depend on each other run together: each is a trip through libuv's
    // thread pool, and on a busy machine a trip costs far more than the system call.
    const [candidates, realRoot] = await Promise.all([entriesFor(piece), realpath(root).catch(() => root)]);
    // Prefer a name that tells the padding the query lacks.
    candidates.sort((a, b) => Number(b.padding !== undefined) - Number(a.padding !== undefined));
    const refused: string[] = [];
    for (const entry of candidates) {
      let path: string;
      try {
        path = await realpath(entry.path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") refused.push(`${entry.path} cannot be resolved (${code})`);
        continue; // a dangling name: not held
      }
      const rel = relative(realRoot, path);
      if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
        refused.push(`${entry.path} leads out of the piece directory (to ${path})`);
        continue;
      }
      // Both read metadata only (access opens nothing, so a FIFO or a device is never touched).
      const [stats, readable] = await Promise.all([
        stat(path, { bigint: true }).catch(() => undefined),
        access(path, constants.R_OK).then(() => undefined, (error: NodeJS.ErrnoException) => error.code ?? "error"),
      ]);
      if (stats === undefined) continue;
      if (!stats.isFile()) {
        refused.push(`${entry.path} is not a regular file`);
        continue;
      }
      const size = stats.size;
      if (size !== piece.paddedSize && (size < MIN_PAYLOAD_BYTES || size > capacityOf(piece.paddedSize))) {
        refused.push(`${entry.path} holds ${size} bytes, which fits neither the payload nor the Fr32 layout of a ${piece.paddedSize}-byte piece`);
        continue;
      }
      if (readable !== undefined) {
        refused.push(`${entry.path} cannot be read (${readable})`);
        continue;
      }
      const stamp: FileStamp = { path, dev: stats.dev, ino: stats.ino, size, mtimeNs: stats.mtimeNs };
      return { file: { path, stamp, layout: size === piece.paddedSize ? "fr32" : "payload", padding: entry.padding } };
    }
    return refused.length > 0 ? { refused: refused.join("; ") } : undefined;
  }

  return {
    kind: "piece",
    name: "piece-directory",
    async has(piece) {
      try {
        const found = await locate(piece);
        return found !== undefined && "file" in found;
      } catch {
        return false;
      }
    },
    locate,
    async open(piece, { signal }): Promise<PieceBytes | undefined> {
      const found = await locate(piece);
      if (found === undefined) return undefined;
      if ("refused" in found) throw new InputUnavailableError({ cid: piece.cid, reason: found.refused });
      const { path, stamp, layout, padding } = found.file;
      // Opened read-only: nothing under the piece directory is ever written.
      return { origin: path, size: stamp.size, layout, padding, body: createReadStream(path, { signal, highWaterMark: CHUNK, flags: "r" }) };
    },
  };
}

async function mtimeOf(path: string): Promise<string> {
  try {
    return String((await stat(path, { bigint: true })).mtimeNs);
  } catch {
    return "missing";
  }
}

async function list(dir: string, indexPath: string | undefined): Promise<Map<string, Entry[]>> {
  const byRoot = new Map<string, Entry[]>();
  const add = (name: string, path: string) => {
    let parsed: ReturnType<typeof parsePieceCid>;
    try {
      parsed = parsePieceCid(name);
    } catch {
      return; // not a piece
    }
    const entry: Entry =
      parsed.version === 2
        ? { path, paddedSize: parsed.paddedSize, padding: parsed.padding }
        : { path, paddedSize: undefined, padding: undefined };
    byRoot.set(parsed.root, [...(byRoot.get(parsed.root) ?? []), entry]);
  };

  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (!name.startsWith(".")) add(name.split(".")[0], join(dir, name));

  if (indexPath !== undefined) {
    const text = await readFile(indexPath, "utf8").catch(() => undefined);
    if (text !== undefined) {
      let map: unknown;
      try {
        map = JSON.parse(text);
      } catch {
        map = undefined; // a half-written index: use the directory until it is whole again
      }
      if (map !== null && typeof map === "object")
        for (const [cid, path] of Object.entries(map))
          if (typeof path === "string") add(cid, isAbsolute(path) ? path : join(dir, path));
    }
  }
  return byRoot;
}
