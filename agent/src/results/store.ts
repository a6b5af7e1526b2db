import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { join, resolve } from "node:path";

import { CID } from "multiformats/cid";
import type { Logger } from "pino";

import { packResult } from "@shoal/sdk/node";
import { isAlive } from "../data/cache.js";
import { ResultStoreFullError } from "./errors.js";

export type ResultStoreOptions = {
  /** Where CARs are kept, one `<cid>.car` per result. */
  dir: string;
  /** How long a result stays after its last `put`, in seconds. */
  retentionSeconds: number;
  /** Total CAR bytes the store may hold; a `put` beyond it throws ResultStoreFullError. */
  maxBytes?: bigint | number | undefined;
  logger?: Logger | undefined;
};

export type PutOptions = {
  /** Refuse trees holding more file bytes than this (the spec's `resources.maxOutputBytes`). */
  maxBytes?: bigint | number | undefined;
};

export type PutReturnType = {
  /** The result CID (CIDv1 base32): the CAR's only root. */
  cid: string;
  /** Where the CAR is stored. */
  carPath: string;
  /** CAR size in bytes. */
  size: number;
};

export type StoredResult = {
  cid: string;
  carPath: string;
  size: number;
  /** When it was last put: its retention counts from here. */
  storedAt: Date;
};

export type ResultStore = {
  readonly dir: string;
  /** Packs `outputDir` with the SDK's canonical CID and CAR code and stores `<cid>.car` atomically. */
  put(outputDir: string, options?: PutOptions): Promise<PutReturnType>;
  /** The stored CAR of `cid` (any CID form), or undefined. */
  get(cid: string): Promise<string | undefined>;
  /** Every stored result, oldest first. */
  list(): Promise<StoredResult[]>;
  /** Removes results stored before `now - retentionSeconds`; returns what it removed. */
  prune(now?: Date | number): Promise<StoredResult[]>;
};

const TEMP_PREFIX = ".tmp-";

/**
 * Keeps results as CARs for a retention period, for the gateway to serve. The CAR files are the
 * whole state: a file's mtime is the time of its last `put` (set explicitly), so the store
 * survives restarts without an index to keep consistent. CARs are written under a temporary name
 * and renamed into place, so readers see a whole CAR or none; a CAR a reader has open stays
 * readable after `prune` removes it.
 *
 * @example
 * const results = createResultStore({ dir: "/var/lib/shoal/results", retentionSeconds: 7 * 86_400 });
 * const { cid } = await results.put(outputDir, { maxBytes: spec.resources.maxOutputBytes });
 */
export function createResultStore({ dir, retentionSeconds, maxBytes, logger }: ResultStoreOptions): ResultStore {
  const root = resolve(dir);
  const capacity = maxBytes === undefined ? undefined : BigInt(maxBytes);
  const retentionMs = retentionSeconds * 1000;
  let ready: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const init = () =>
    (ready ??= (async () => {
      await mkdir(root, { recursive: true });
      // Temporary CARs of a previous process (a crash during put).
      for (const name of await readdir(root)) {
        const pid = Number(name.startsWith(TEMP_PREFIX) ? name.slice(TEMP_PREFIX.length).split("-")[0] : Number.NaN);
        if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) await rm(join(root, name), { force: true });
      }
    })());

  /** Runs `fn` after every earlier `put` and `prune`: the byte count and removals stay consistent. */
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  async function list(): Promise<StoredResult[]> {
    await init();
    const results: StoredResult[] = [];
    for (const name of await readdir(root)) {
      const cid = cidOfName(name);
      if (cid === undefined) continue;
      const carPath = join(root, name);
      const stats = await stat(carPath).catch(() => undefined);
      if (stats?.isFile()) results.push({ cid, carPath, size: stats.size, storedAt: stats.mtime });
    }
    return results.sort((a, b) => a.storedAt.getTime() - b.storedAt.getTime());
  }

  async function prune(now: Date | number = Date.now()): Promise<StoredResult[]> {
    const cutoff = new Date(now).getTime() - retentionMs;
    const removed: StoredResult[] = [];
    for (const result of await list()) {
      if (result.storedAt.getTime() >= cutoff) continue;
      await rm(result.carPath, { force: true });
      removed.push(result);
    }
    if (removed.length > 0) logger?.info({ removed: removed.map((r) => r.cid) }, "results pruned");
    return removed;
  }

  return {
    dir: root,
    list,
    prune: (now) => serialized(() => prune(now)),

    async put(outputDir, options = {}) {
      await init();
      const tmp = join(root, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}.car`);
      try {
        const packed = await packResult(outputDir, tmp, { maxBytes: options.maxBytes });
        const cid = packed.cid.toString();
        const carPath = join(root, `${cid}.car`);
        return await serialized(async () => {
          if (capacity !== undefined) {
            const usedBy = async () => (await list()).filter((r) => r.cid !== cid).reduce((sum, r) => sum + r.size, 0);
            let used = await usedBy();
            if (BigInt(used + packed.size) > capacity) {
              await prune();
              used = await usedBy();
            }
            if (BigInt(used + packed.size) > capacity)
              throw new ResultStoreFullError({ cid, size: packed.size, used, maxBytes: capacity });
          }
          await chmod(tmp, 0o444);
          const now = new Date();
          await utimes(tmp, now, now);
          await rename(tmp, carPath); // replaces an earlier copy of the same result atomically
          logger?.info({ cid, size: packed.size }, "result stored");
          return { cid, carPath, size: packed.size };
        });
      } finally {
        await rm(tmp, { force: true });
      }
    },

    async get(cid) {
      await init();
      let key: string;
      try {
        key = CID.parse(cid).toV1().toString();
      } catch {
        return undefined;
      }
      const carPath = join(root, `${key}.car`);
      return (await stat(carPath).catch(() => undefined))?.isFile() ? carPath : undefined;
    },
  };
}

/** The CID of a stored CAR's file name, or undefined for anything else in the directory. */
function cidOfName(name: string): string | undefined {
  if (!name.endsWith(".car") || name.startsWith(".")) return undefined;
  const base = name.slice(0, -4);
  try {
    return CID.parse(base).toString() === base ? base : undefined;
  } catch {
    return undefined;
  }
}
