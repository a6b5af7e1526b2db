import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";

/**
 * What identifies one version of a stored file without reading it: a file rewritten in place
 * changes its size or mtime, a file replaced by rename changes its inode. A verdict is only ever
 * looked up by the whole stamp, so an edited file is a new file that must be verified again.
 */
export type FileStamp = { path: string; dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint };

/** The verdict on one stored file as one piece: its bytes hash to the piece, or they do not. */
export type Verdict = { ok: true; at: Date } | { ok: false; at: Date; reason: string };

export type VerdictStore = {
  /** The verdict on this exact version of the file as `pieceKey`, or undefined when there is none. */
  get(stamp: FileStamp, pieceKey: string): Verdict | undefined;
  set(stamp: FileStamp, pieceKey: string, verdict: { ok: true } | { ok: false; reason: string }): void;
  /** Files that failed verification and are still as they were: what the operator must repair. */
  failed(): Array<{ path: string; pieceKey: string; reason: string; at: Date }>;
  close(): void;
};

/**
 * Verdicts on stored pieces, kept across restarts in their own SQLite file (node:sqlite), so an
 * unchanged 32 GiB piece is hashed once per provider, not once per job or per start. A failed
 * verdict is kept as well: that version of the file is never mounted again.
 */
export function openVerdictStore(file: string): VerdictStore {
  mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE IF NOT EXISTS verdicts (
      path TEXT NOT NULL, dev TEXT NOT NULL, ino TEXT NOT NULL, size TEXT NOT NULL, mtime_ns TEXT NOT NULL,
      piece TEXT NOT NULL, ok INTEGER NOT NULL, reason TEXT, at INTEGER NOT NULL,
      PRIMARY KEY (path, piece)
    );
  `);
  const select = db.prepare("SELECT dev, ino, size, mtime_ns, ok, reason, at FROM verdicts WHERE path = ? AND piece = ?");
  const upsert = db.prepare(
    "INSERT INTO verdicts (path, dev, ino, size, mtime_ns, piece, ok, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
      "ON CONFLICT (path, piece) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, size = excluded.size, " +
      "mtime_ns = excluded.mtime_ns, ok = excluded.ok, reason = excluded.reason, at = excluded.at",
  );
  const failedRows = db.prepare("SELECT path, piece, reason, at FROM verdicts WHERE ok = 0 ORDER BY path");

  return {
    get(stamp, pieceKey) {
      const row = select.get(stamp.path, pieceKey) as
        | { dev: string; ino: string; size: string; mtime_ns: string; ok: number; reason: string | null; at: number }
        | undefined;
      if (row === undefined) return undefined;
      // Another version of the file (edited, replaced, grown) has no verdict yet.
      if (row.dev !== String(stamp.dev) || row.ino !== String(stamp.ino) || row.size !== String(stamp.size) || row.mtime_ns !== String(stamp.mtimeNs))
        return undefined;
      return row.ok === 1 ? { ok: true, at: new Date(row.at) } : { ok: false, at: new Date(row.at), reason: row.reason ?? "" };
    },
    set(stamp, pieceKey, verdict) {
      upsert.run(
        stamp.path, String(stamp.dev), String(stamp.ino), String(stamp.size), String(stamp.mtimeNs),
        pieceKey, verdict.ok ? 1 : 0, verdict.ok ? null : verdict.reason, Date.now(),
      );
    },
    failed() {
      return (failedRows.all() as Array<{ path: string; piece: string; reason: string; at: number }>).map((row) => ({
        path: row.path, pieceKey: row.piece, reason: row.reason, at: new Date(row.at),
      }));
    },
    close() {
      db.close();
    },
  };
}

/** Two stamps of the same version of a file. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.path === b.path && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}
