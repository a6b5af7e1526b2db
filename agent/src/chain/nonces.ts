/**
 * Nonces for the agent's own transactions without a round trip of their own on the send path: the
 * account's pending transaction count is read alongside the gas estimate ({@link Nonces.read}),
 * and the nonce handed out is the larger of that count and one past every nonce this process
 * handed out that the count may not include yet: one the node has not answered for, or answered
 * only after the count was read. A send the node refused gives its nonce back; a count read after
 * every earlier send was answered fills any gap that left, since it is then the node's own word.
 *
 * Unlike a counter kept from the first read (viem's nonce manager keeps the highest it handed
 * out), a nonce taken by another process with the same key, or one left unused, costs at most
 * one failed send: the next count read sees it.
 */
export type Nonce = {
  nonce: number;
  /** The node took the transaction (true) or refused it (false: the nonce is free again). */
  answered(accepted: boolean): void;
};

export type PendingCount = {
  /** Hands out the nonce: the count read, or one past the nonces it may not include. */
  take(): Promise<Nonce>;
  /** Whether the count was read recently enough to be taken (see {@link REMEMBER_MS}). */
  fresh(): boolean;
};

export type Nonces = {
  /** Starts reading the pending count now (a failed read fails `take`, not this call). */
  read(): PendingCount;
  /** Nonces handed out and remembered (for tests). */
  size(): number;
};

/**
 * How long an answered nonce is remembered: a count read earlier than that may miss it, so such a
 * count is no longer `fresh` and is read again. Far longer than any job run before its
 * claimAndCommit (the count is read as the job starts).
 */
const REMEMBER_MS = 600_000;
/** A count this old is read again rather than taken. */
const FRESH_MS = REMEMBER_MS / 2;

export function createNonces(readCount: () => Promise<number>, clock: () => number = () => performance.now()): Nonces {
  /** Nonce → when the node answered for it (undefined: not yet). */
  const handedOut = new Map<number, number | undefined>();
  const prune = (now: number) => {
    for (const [nonce, at] of handedOut) if (at !== undefined && now - at > REMEMBER_MS) handedOut.delete(nonce);
  };
  return {
    read() {
      const startedAt = clock();
      const count = readCount();
      count.catch(() => {}); // a send that never takes its nonce must not leave a rejection unhandled
      return {
        fresh: () => clock() - startedAt < FRESH_MS,
        async take() {
          let nonce = await count;
          // No await from here to the set: nonces taken together never collide.
          for (const [n, at] of handedOut) if ((at === undefined || at >= startedAt) && n >= nonce) nonce = n + 1;
          handedOut.set(nonce, undefined);
          let done = false;
          return {
            nonce,
            answered(accepted) {
              if (done) return;
              done = true;
              const now = clock();
              if (accepted) handedOut.set(nonce, now);
              else handedOut.delete(nonce);
              prune(now);
            },
          };
        },
      };
    },
    size: () => handedOut.size,
  };
}
