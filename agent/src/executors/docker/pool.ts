/**
 * A warm pool of output holders (issue 12): each one an empty size-limited output volume with its
 * holder container already started (holder.ts), made before a job needs it, so a job's path no
 * longer creates a volume and starts a container for its output.
 *
 * The rules that keep it as safe as making them per job:
 * - each pooled holder serves exactly one job: `take` hands it out and forgets it, and the job's
 *   clean-up removes it like any other holder; nothing goes back into the pool;
 * - a pooled volume is made exactly as a job's own (same tmpfs size and inode cap for the job's
 *   output limits, owned by the job user, mode 0700) and nobody writes to it before its job;
 *   only a pooled holder for the same limits is handed out;
 * - it is bounded: at most `size` holders ready or being made; refills run after the job, off its path;
 * - `close` stops refilling, waits for fills under way and removes every pooled holder and volume;
 *   a crash leaves them to `removeOrphans` (they carry `shoal.job=pool` and the agent's label).
 */
import { randomBytes } from "node:crypto";

import type Dockerode from "dockerode";

import type { Logger } from "../../context.js";
import { createOutputVolume, type OutputVolumeLimits, removeOutputVolume, startHolder } from "./holder.js";

/** A started holder of an empty output volume, waiting for its one job. */
export type PooledHolder = {
  volume: string;
  holder: Dockerode.Container;
  limits: OutputVolumeLimits;
  /** The volume's mount on this host when the agent sees it (root on the engine's host), read once when it was made. */
  mountpoint: string | undefined;
};

export type HolderPoolOptions = {
  docker: Dockerode;
  /** Holders kept ready (0: no pool). */
  size: number;
  /** Value of the shoal.agent label. */
  agent: string;
  /** The job user: owner of every output volume. */
  owner: { uid: number; gid: number };
  holderImage: string;
  /** The volume's mount when this process sees it (see executor.ts visibleMount). */
  mountpointOf: (volume: string) => Promise<string | undefined>;
  logger?: Logger | undefined;
};

const sameLimits = (a: OutputVolumeLimits, b: OutputVolumeLimits): boolean => a.maxBytes === b.maxBytes && a.maxEntries === b.maxEntries;

export class HolderPool {
  readonly #options: HolderPoolOptions;
  readonly #ready: PooledHolder[] = [];
  readonly #filling = new Set<Promise<void>>();
  readonly #removing = new Set<Promise<void>>();
  /** The limits refills make holders for: those of the last job that asked. */
  #target: OutputVolumeLimits;
  #closed = false;
  /** Fills that failed in a row: refilling stops after a few, until a take asks again. */
  #failures = 0;

  constructor(options: HolderPoolOptions, limits: OutputVolumeLimits) {
    this.#options = options;
    this.#target = limits;
  }

  /** Holders ready now (for tests and figures). */
  get ready(): number {
    return this.#ready.length;
  }

  /** Resolves when no fill or removal is under way. */
  async filled(): Promise<void> {
    while (this.#filling.size + this.#removing.size > 0) await Promise.allSettled([...this.#filling, ...this.#removing]);
  }

  /**
   * A ready holder for exactly `limits`, now, or undefined (the caller makes its own). Either way
   * later refills are for these limits; the caller calls `refill` once its job is done, so making
   * the next holder does not compete with the job's own start for the engine.
   */
  take(limits: OutputVolumeLimits): PooledHolder | undefined {
    if (this.#closed) return undefined;
    const index = this.#ready.findIndex((entry) => sameLimits(entry.limits, limits));
    const taken = index < 0 ? undefined : this.#ready.splice(index, 1)[0];
    if (!sameLimits(this.#target, limits)) {
      this.#target = limits;
      // Holders for other limits make room for these (removed off the path).
      for (let i = this.#ready.length - 1; i >= 0; i--) {
        if (!sameLimits(this.#ready[i]!.limits, limits)) this.#discard(this.#ready.splice(i, 1)[0]!);
      }
    }
    this.#failures = 0;
    return taken;
  }

  /** Starts fills until `size` holders are ready or being made. */
  refill(): void {
    while (!this.#closed && this.#failures < 3 && this.#ready.length + this.#filling.size < this.#options.size) {
      const fill: Promise<void> = this.#make(this.#target)
        .then((entry) => {
          this.#failures = 0;
          if (this.#closed || !sameLimits(entry.limits, this.#target)) this.#discard(entry);
          else this.#ready.push(entry);
        })
        .catch((error: unknown) => {
          this.#failures++;
          this.#options.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, "could not make a pooled output holder");
        })
        .finally(() => {
          this.#filling.delete(fill);
          this.refill();
        });
      this.#filling.add(fill);
    }
  }

  /** Removes the ready holders (one was found gone: the others likely are too); refills make new ones. */
  flush(): void {
    for (const entry of this.#ready.splice(0)) this.#discard(entry);
  }

  /** Stops refilling and removes every pooled holder and volume (those handed to jobs are theirs). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.filled();
    await Promise.all(this.#ready.splice(0).map((entry) => this.#remove(entry)));
  }

  /** Opens the pool again after close (the executor's warm()). */
  reopen(): void {
    this.#closed = false;
    this.#failures = 0;
  }

  async #make(limits: OutputVolumeLimits): Promise<PooledHolder> {
    const { docker, agent, owner, holderImage } = this.#options;
    const settings = { name: `shoal-pool-${randomBytes(6).toString("hex")}-out`, jobId: "pool" as const, agent, ...limits };
    await createOutputVolume(docker, { ...settings, owner });
    let holder: Dockerode.Container;
    try {
      holder = await startHolder(docker, { ...settings, holderImage });
    } catch (error) {
      await removeOutputVolume(docker, settings.name);
      throw error;
    }
    const mountpoint = await this.#options.mountpointOf(settings.name);
    return { volume: settings.name, holder, limits, mountpoint };
  }

  #discard(entry: PooledHolder): void {
    const removal = this.#remove(entry);
    this.#removing.add(removal);
    void removal.finally(() => this.#removing.delete(removal));
  }

  async #remove(entry: PooledHolder): Promise<void> {
    await entry.holder.remove({ force: true, v: true }).catch(() => undefined);
    if (!(await removeOutputVolume(this.#options.docker, entry.volume))) {
      this.#options.logger?.warn({ volume: entry.volume }, "could not remove a pooled output volume");
    }
  }
}
