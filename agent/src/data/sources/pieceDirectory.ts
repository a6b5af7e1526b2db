import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

import { parsePieceCid } from "@shoal/sdk";
import { capacityOf, MIN_PAYLOAD_BYTES, type PieceQuery } from "../piece.js";
import type { PieceBytes, PieceSource } from "./types.js";

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
 * or two `stat` calls.
 */
export function pieceDirectory({ dir, index }: PieceDirectoryOptions): PieceSource {
  const root = resolve(dir);
  const indexPath = index === undefined ? undefined : resolve(root, index);
  let listing: { stamp: string; byRoot: Map<string, Entry[]> } | undefined;

  async function entriesFor(piece: PieceQuery): Promise<Entry[]> {
    const stamp = `${await mtimeOf(root)}:${indexPath ? await mtimeOf(indexPath) : ""}`;
    if (listing?.stamp !== stamp) listing = { stamp, byRoot: await list(root, indexPath) };
    return (listing.byRoot.get(piece.root) ?? []).filter(
      (entry) => entry.paddedSize === undefined || entry.paddedSize === piece.paddedSize,
    );
  }

  /** The first entry whose file exists and whose size fits the piece, with its size. */
  async function find(piece: PieceQuery): Promise<{ entry: Entry; size: bigint } | undefined> {
    const candidates = await entriesFor(piece);
    // Prefer a name that tells the padding the query lacks.
    candidates.sort((a, b) => Number(b.padding !== undefined) - Number(a.padding !== undefined));
    for (const entry of candidates) {
      const stats = await stat(entry.path, { bigint: true }).catch(() => undefined);
      if (!stats?.isFile()) continue;
      const size = stats.size;
      if (size === piece.paddedSize || (size >= MIN_PAYLOAD_BYTES && size <= capacityOf(piece.paddedSize)))
        return { entry, size };
    }
    return undefined;
  }

  return {
    kind: "piece",
    name: "piece-directory",
    async has(piece) {
      try {
        return (await find(piece)) !== undefined;
      } catch {
        return false;
      }
    },
    async open(piece, { signal }): Promise<PieceBytes | undefined> {
      const found = await find(piece);
      if (found === undefined) return undefined;
      const { entry, size } = found;
      return {
        origin: entry.path,
        size,
        layout: size === piece.paddedSize ? "fr32" : "payload",
        padding: entry.padding,
        body: createReadStream(entry.path, { signal, highWaterMark: CHUNK }),
      };
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
