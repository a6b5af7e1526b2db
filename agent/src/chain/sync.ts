/**
 * Chain ingestion, after Ponder's realtime sync: poll the head, read the market's logs with
 * eth_getLogs in bounded ranges from a persisted cursor up to `head - confirmations`, remember
 * the hashes of recent blocks, and when a remembered hash changes walk back to the common
 * ancestor and re-read from there (reorg). Backfill after downtime is the same loop starting
 * from the saved cursor. RPC errors and FEVM null rounds are retried with backoff; the loop never
 * throws and stops through the shared AbortSignal. With a head subscription (./heads.ts) a new
 * head starts the next pass at once instead of at the next poll; the poll stays as the safety net.
 */
import { type Address, type Client, type Log, parseEventLogs } from "viem";
import { getBlock, getBlockNumber } from "viem/actions";
import { getLogsChunked, jobMarketAbi, MAX_LOG_RANGE } from "@shoal/sdk";
import { describeError } from "./errors.js";
import type { Logger } from "../context.js";
import type { Store } from "../store/store.js";
import type { Heads } from "./heads.js";

export type MarketEvent = ReturnType<typeof parseEventLogs<typeof jobMarketAbi>>[number];

export type SyncOptions = {
  client: Client;
  market: Address;
  store: Store;
  logger: Logger;
  /** Blocks behind the head before a log is acted on (FEVM: finality is far; use the safe depth). */
  confirmations: number;
  /** Where to start on the very first run. */
  fromBlock: bigint;
  pollIntervalMs: number;
  /** Largest eth_getLogs range (FEVM endpoints cap it near 2,000). */
  maxRange?: bigint;
  /** How many recent block hashes to keep for reorg detection. */
  reorgWindow?: bigint;
  /** Called with each batch of confirmed events, in chain order, before the cursor moves past them. */
  onEvents: (events: MarketEvent[]) => Promise<void> | void;
  /** Told after a reorg: the common ancestor, and the jobs forgotten because their JobPosted vanished. */
  onReorg?: (ancestor: bigint, dropped: bigint[]) => void;
  /** Told after every pass: whether the chain answered, and if not, what failed. */
  onStatus?: (status: SyncStatus) => void;
  /** New heads pushed by the node: each one starts a pass without waiting for the poll. */
  heads?: Pick<Heads, "onHead">;
  /** Told before each pass what started it: the first pass, a pushed head, the poll timer, or a retry after a failure. */
  onPass?: (trigger: SyncTrigger) => void;
  signal: AbortSignal;
};

export type SyncTrigger = "start" | "head" | "poll" | "retry";

/** The chain as the last pass saw it: for /healthz and the metrics. */
export type SyncStatus = { ok: true; cursor: bigint } | { ok: false; error: string; failures: number; retryInMs: number };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** Hash of block `n`, or undefined for a null round (FEVM epochs without a block). */
async function hashAt(client: Client, n: bigint): Promise<string | undefined> {
  try {
    return (await getBlock(client, { blockNumber: n })).hash ?? undefined;
  } catch {
    return undefined;
  }
}

/** One pass: returns the new cursor. Exported for tests. */
export async function syncOnce(o: SyncOptions): Promise<bigint> {
  let cursor = o.store.cursor() ?? o.fromBlock - 1n;
  // The head, and the hash of the last block remembered at or below the cursor (read together:
  // one round trip less before a new job's logs are read; read again in the rare pass where the
  // node's head is below the cursor).
  const atCursor = o.store.blockAtOrBelow(cursor);
  const [head, hashAtCursor] = await Promise.all([
    getBlockNumber(o.client, { cacheTime: 0 }),
    atCursor !== undefined && atCursor.number >= o.fromBlock ? hashAt(o.client, atCursor.number) : undefined,
  ]);
  const safe = head - BigInt(o.confirmations);

  // Reorg check: the last block remembered at or below the cursor (or the head, when the node's
  // head is below the cursor) must still have the hash we saw. A head below the cursor with the
  // same hash there is a node that is behind (or a stale \`latest\`): nothing vanished, so wait.
  const remembered = o.store.blockAtOrBelow(head < cursor ? head : cursor);
  if (remembered !== undefined && remembered.number >= o.fromBlock) {
    const now = remembered.number === atCursor?.number ? hashAtCursor : await hashAt(o.client, remembered.number);
    if (now !== undefined && remembered.hash !== now) {
      // The common ancestor: the highest remembered block whose hash still matches (hashes are
      // remembered at the end of each pass, not for every block, so unremembered blocks between
      // prove nothing).
      let ancestor = o.fromBlock - 1n;
      for (let b = o.store.blockAtOrBelow(remembered.number - 1n); b !== undefined && b.number >= o.fromBlock; b = o.store.blockAtOrBelow(b.number - 1n)) {
        if (b.hash === (await hashAt(o.client, b.number))) {
          ancestor = b.number;
          break;
        }
      }
      o.logger.warn({ cursor, ancestor }, "reorg detected: re-reading from the common ancestor");
      const dropped = o.store.rewind(ancestor + 1n);
      if (dropped.length) o.logger.warn({ jobs: dropped.map(String) }, "jobs posted in vanished blocks forgotten");
      o.onReorg?.(ancestor, dropped);
      cursor = ancestor;
    }
  }
  if (head < cursor) {
    o.logger.warn({ head, cursor }, "the RPC's head is behind blocks this agent has already read: waiting for it to catch up");
    return cursor;
  }
  if (safe <= cursor) return cursor;

  const range = o.maxRange ?? MAX_LOG_RANGE;
  for (let from = cursor + 1n; from <= safe && !o.signal.aborted; from += range) {
    const to = from + range - 1n < safe ? from + range - 1n : safe;
    const logs: Log[] = await getLogsChunked(o.client, { address: o.market, fromBlock: from, toBlock: to, maxRange: range });
    const events = parseEventLogs({ abi: jobMarketAbi, logs });
    if (events.length) await o.onEvents(events);
    o.store.advanceCursor(to, await hashAt(o.client, to), o.reorgWindow ?? 1_000n);
    cursor = to;
  }
  return cursor;
}

/**
 * Runs {@link syncOnce} every `pollIntervalMs`, and at once on each pushed head, until `signal`
 * aborts, backing off on errors. A head that arrives during a pass starts another pass right
 * after it, so a notification is never lost to a pass that had already read the head.
 */
export async function runSync(o: SyncOptions): Promise<void> {
  let backoff = o.pollIntervalMs;
  let failures = 0;
  let headPending = false;
  let wakeNow: (() => void) | undefined;
  const unsubscribe = o.heads?.onHead(() => {
    headPending = true;
    wakeNow?.();
  });
  /** Waits `ms`, or less when a head arrives; says which ended the wait. */
  const wait = (ms: number) =>
    new Promise<SyncTrigger>((resolve) => {
      if (headPending) return resolve("head");
      const t = setTimeout(() => finish("poll"), ms);
      const finish = (trigger: SyncTrigger) => {
        clearTimeout(t);
        wakeNow = undefined;
        o.signal.removeEventListener("abort", onAbort);
        resolve(trigger);
      };
      const onAbort = () => finish("poll");
      wakeNow = () => finish("head");
      o.signal.addEventListener("abort", onAbort, { once: true });
    });
  let trigger: SyncTrigger = "start";
  try {
    while (!o.signal.aborted) {
      headPending = false;
      o.onPass?.(trigger);
      try {
        const cursor = await syncOnce(o);
        if (failures > 0) o.logger.info({ failures }, "chain sync recovered");
        backoff = o.pollIntervalMs;
        failures = 0;
        o.onStatus?.({ ok: true, cursor });
        trigger = await wait(o.pollIntervalMs);
      } catch (error) {
        failures++;
        const err = describeError(error);
        o.logger.warn({ err, failures, retryInMs: backoff }, "chain sync failed; retrying");
        o.onStatus?.({ ok: false, error: err, failures, retryInMs: backoff });
        await sleep(backoff, o.signal);
        backoff = Math.min(backoff * 2, 60_000);
        trigger = "retry";
      }
    }
  } finally {
    unsubscribe?.();
  }
}
