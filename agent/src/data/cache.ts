import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * A name for a temporary file or directory that says which process owns it, so a later process
 * can sweep what a crashed one left behind without touching a live one's work.
 */
export function tempName(label: string): string {
  return `${process.pid}-${randomBytes(6).toString("hex")}-${label}`;
}

/** Removes the entries of `dir` named by {@link tempName} whose process is gone. */
export async function sweepTemp(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) return;
      await rm(join(dir, name), { recursive: true, force: true });
    }),
  );
}

/** Whether process `pid` is running (as far as signal 0 can tell). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs one piece of work per key at a time: concurrent callers for the same key share it. Each
 * caller can give up through its own signal; the work itself is aborted only when every caller
 * has given up.
 */
export function singleFlight<T>(): (key: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>) => Promise<T> {
  const flights = new Map<string, { promise: Promise<T>; controller: AbortController; waiters: number }>();
  return async (key, signal, work) => {
    signal?.throwIfAborted();
    let flight = flights.get(key);
    if (flight === undefined) {
      const controller = new AbortController();
      const created = { controller, waiters: 0, promise: undefined as unknown as Promise<T> };
      created.promise = work(controller.signal).finally(() => {
        if (flights.get(key) === created) flights.delete(key);
      });
      created.promise.catch(() => {}); // callers that gave up must not leave an unhandled rejection
      flights.set(key, created);
      flight = created;
    }
    const current = flight;
    current.waiters++;
    try {
      return await untilAborted(current.promise, signal);
    } finally {
      if (--current.waiters === 0 && signal?.aborted) current.controller.abort(signal.reason);
    }
  };
}

/** `promise`, or a rejection with `signal.reason` as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
