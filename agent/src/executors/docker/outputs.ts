/**
 * The output directory: its size while the job runs (Docker has no quota on a bind mount, so the
 * executor polls and kills on excess) and a strict walk after the run.
 */
import { lchown, lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

export type OutputUsage = { bytes: number; entries: number };

export type OutputProblem =
  | { kind: "limit"; usage: OutputUsage; what: "bytes" | "entries" }
  | { kind: "invalid"; path: string; reason: string };

export type WalkOptions = {
  maxBytes: number;
  maxEntries: number;
  /** Strict (after the run): refuse symlinks and special files. Lenient (while running): only count. */
  strict: boolean;
  /** After the run, as root: hand every entry back to this owner (the job wrote them as its own uid). */
  chownTo?: { uid: number; gid: number } | undefined;
};

/**
 * Walks `dir` without following symlinks (iteratively: no recursion depth to exhaust), summing
 * regular file sizes and counting entries. Stops at the first problem. `path` in a problem is
 * relative to `dir`.
 */
export async function walkOutputs(dir: string, options: WalkOptions): Promise<{ usage: OutputUsage; problem?: OutputProblem }> {
  const usage: OutputUsage = { bytes: 0, entries: 0 };
  if (options.chownTo) await lchown(dir, options.chownTo.uid, options.chownTo.gid);
  const pending: string[] = [""];
  while (pending.length > 0) {
    const relative = pending.pop()!;
    let handle;
    try {
      handle = await opendir(join(dir, relative));
    } catch (error) {
      // While the job runs, entries come and go under us; after it, nothing moves.
      if (!options.strict && isGone(error)) continue;
      throw error;
    }
    for await (const entry of handle) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      usage.entries++;
      if (usage.entries > options.maxEntries) return { usage, problem: { kind: "limit", usage, what: "entries" } };
      let stats;
      try {
        stats = await lstat(join(dir, path));
      } catch (error) {
        if (!options.strict && isGone(error)) continue;
        throw error;
      }
      if (options.chownTo) await lchown(join(dir, path), options.chownTo.uid, options.chownTo.gid);
      if (stats.isDirectory()) {
        pending.push(path);
      } else if (stats.isFile()) {
        usage.bytes += stats.size;
        if (usage.bytes > options.maxBytes) return { usage, problem: { kind: "limit", usage, what: "bytes" } };
      } else if (options.strict) {
        const reason = stats.isSymbolicLink() ? "a symlink" : "a special file (FIFO, socket or device)";
        return { usage, problem: { kind: "invalid", path, reason } };
      }
    }
  }
  return { usage };
}

function isGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Polls the output directory until stopped; calls `onExcess` once when a limit is passed. */
export function watchOutputs(
  dir: string,
  limits: { maxBytes: number; maxEntries: number; intervalMs: number },
  onExcess: (problem: Extract<OutputProblem, { kind: "limit" }>) => void,
): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = (async () => {
      const started = Date.now();
      try {
        const { problem } = await walkOutputs(dir, { maxBytes: limits.maxBytes, maxEntries: limits.maxEntries, strict: false });
        if (problem?.kind === "limit") {
          stopped = true;
          onExcess(problem);
          return;
        }
      } catch {
        // A failed poll is retried; the strict walk after the run decides.
      }
      // A large tree is walked less often: at most half the time goes to walking.
      if (!stopped) timer = setTimeout(tick, Math.max(limits.intervalMs, 2 * (Date.now() - started)));
    })();
  };
  timer = setTimeout(tick, limits.intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
