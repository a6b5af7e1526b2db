/**
 * One agent per state directory. Two agents sharing a directory share one SQLite database and
 * both act on every job in it: the second dies on `database is locked`, or both send conflicting
 * transactions. The lock is a file, `agent.lock`, created exclusively and holding the owner's
 * PID; a lock whose PID no longer runs (the agent was killed) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";

export class StateDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`state directory ${dir} is in use by another shoal-agent (PID ${pid}): stop it, or give each agent its own stateDir (--state-dir)`);
    this.name = "StateDirLockedError";
  }
}

export type StateDirLock = { path: string; release(): void };

/** Locks this process holds (two agents in one process, as in tests, are refused too). */
const held = new Set<string>();

/** Takes the lock on `dir` (created if missing), or throws StateDirLockedError naming the holder. */
export function lockStateDir(dir: string): StateDirLock {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  const path = join(absolute, "agent.lock");
  if (held.has(path)) throw new StateDirLockedError(absolute, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(path);
      return {
        path,
        release() {
          if (!held.delete(path)) return;
          if (holder(path) === process.pid) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder(path);
      // Our own PID in the file is a lock from an earlier life (a container's agent is always PID 1).
      if (pid !== undefined && pid !== process.pid && alive(pid)) throw new StateDirLockedError(absolute, pid);
      try {
        unlinkSync(path); // stale: its agent is gone
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
  }
  // Another agent took the stale lock between our unlink and our create.
  throw new StateDirLockedError(absolute, holder(path) ?? -1);
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}
