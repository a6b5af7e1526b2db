import { type Address, type Client, type Hash, numberToHex, pad, parseEventLogs } from "viem";
import { getBlockNumber } from "viem/actions";
import { jobEventsAbi } from "../abi/fragments.js";
import { deployments } from "../deployments.js";
import { resolveMarket } from "../internal/contracts.js";
import { getLogsChunked } from "../internal/logs.js";

/** One step of a job's life, from the market's events, with the block and transaction it happened in. */
export type JobEvent =
  | { type: "posted"; blockNumber: bigint; transactionHash: Hash }
  | { type: "claimed"; slot: number; provider: Address; blockNumber: bigint; transactionHash: Hash }
  | { type: "reopened"; slot: number; previous: Address; blockNumber: bigint; transactionHash: Hash }
  | { type: "committed"; slot: number; provider: Address; blockNumber: bigint; transactionHash: Hash }
  | { type: "quorum"; revealDeadline: bigint; blockNumber: bigint; transactionHash: Hash }
  | { type: "revealed"; slot: number; provider: Address; resultCid: `0x${string}`; blockNumber: bigint; transactionHash: Hash }
  | { type: "finalized"; status: number; resultCid: `0x${string}`; winnersMask: number; slashedMask: number; blockNumber: bigint; transactionHash: Hash }
  | { type: "expired"; blockNumber: bigint; transactionHash: Hash }
  | { type: "cancelled"; blockNumber: bigint; transactionHash: Hash }
  | { type: "callback"; success: boolean; blockNumber: bigint; transactionHash: Hash };

export type WatchJobParameters = {
  jobId: bigint;
  /** Called once per event, in chain order. */
  onEvent: (event: JobEvent) => void;
  onError?: ((error: unknown) => void) | undefined;
  /** Milliseconds between polls (default: the client's pollingInterval). */
  pollingInterval?: number | undefined;
  /** First block to read (default: the market's deployment block). */
  fromBlock?: bigint | undefined;
  market?: Address | undefined;
};
export type WatchJobReturnType = () => void;

const TERMINAL = new Set(["finalized", "expired", "cancelled"]);

function toJobEvent(log: ReturnType<typeof parseEventLogs<typeof jobEventsAbi>>[number]): JobEvent | undefined {
  const blockNumber = log.blockNumber ?? 0n;
  const transactionHash = log.transactionHash ?? "0x";
  switch (log.eventName) {
    case "JobPosted": return { type: "posted", blockNumber, transactionHash };
    case "SlotClaimed": return { type: "claimed", slot: Number(log.args.slot), provider: log.args.provider, blockNumber, transactionHash };
    case "SlotReopened": return { type: "reopened", slot: Number(log.args.slot), previous: log.args.previous, blockNumber, transactionHash };
    case "ResultCommitted": return { type: "committed", slot: Number(log.args.slot), provider: log.args.provider, blockNumber, transactionHash };
    case "QuorumReached": return { type: "quorum", revealDeadline: log.args.revealDeadline, blockNumber, transactionHash };
    case "ResultRevealed": return { type: "revealed", slot: Number(log.args.slot), provider: log.args.provider, resultCid: log.args.resultCid, blockNumber, transactionHash };
    case "JobFinalized": return { type: "finalized", status: log.args.status, resultCid: log.args.resultCid, winnersMask: log.args.winnersMask, slashedMask: log.args.slashedMask, blockNumber, transactionHash };
    case "JobExpired": return { type: "expired", blockNumber, transactionHash };
    case "JobCancelled": return { type: "cancelled", blockNumber, transactionHash };
    case "CallbackCalled": return { type: "callback", success: log.args.success, blockNumber, transactionHash };
    default: return undefined;
  }
}

/** What a transport that can push new heads offers (viem's webSocket and ipc transports, socketFirst). */
type Subscribe = (args: {
  params: ["newHeads"];
  onData: (data: unknown) => void;
  onError?: (error: unknown) => void;
}) => Promise<{ unsubscribe: () => Promise<unknown> }>;

/** The client's way to subscribe to new heads: its own transport's, or a fallback's socket transport's; none over HTTP. */
function headSubscription(client: Client): Subscribe | undefined {
  type Transport = { type?: string; subscribe?: Subscribe; transports?: { value?: { subscribe?: Subscribe } }[] };
  const transport = client.transport as Transport;
  if (typeof transport.subscribe === "function") return transport.subscribe;
  if (transport.type === "fallback") return transport.transports?.find((t) => typeof t.value?.subscribe === "function")?.value?.subscribe;
  return undefined;
}

/**
 * Streams job `jobId`'s lifecycle events (claimed, committed, quorum, revealed, finalized, …) by
 * reading eth_getLogs in bounded ranges; it replays past events first and stops by itself after a
 * terminal one. Over HTTP it reads every `pollingInterval`. Over a WebSocket (a `webSocket` or
 * `socketFirst` transport, or a `fallback` that has one) it also reads as soon as the node pushes
 * a new head, so an event shows within a round trip of its block; the poll stays as the safety
 * net for a socket that drops. Returns a function that stops watching.
 *
 * @example
 * const unwatch = watchJob(publicClient, { jobId, onEvent: (e) => console.log(e.type) });
 */
export function watchJob(client: Client, parameters: WatchJobParameters): WatchJobReturnType {
  const market = resolveMarket(client, parameters.market);
  const interval = parameters.pollingInterval ?? client.pollingInterval ?? 4_000;
  let next = parameters.fromBlock ?? deployments[client.chain?.id ?? -1]?.fromBlock ?? 0n;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** A read in flight, and whether another was asked for meanwhile (one read at a time, none lost). */
  let reading = false;
  let again = false;
  let unsubscribe: (() => Promise<unknown>) | undefined;
  const topic = pad(numberToHex(parameters.jobId), { size: 32 });

  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    void unsubscribe?.().catch(() => {});
    unsubscribe = undefined;
  };

  const read = async () => {
    try {
      const head = await getBlockNumber(client, { cacheTime: 0 });
      if (head >= next) {
        const logs = await getLogsChunked(client, { address: market, fromBlock: next, toBlock: head, topics: [null, topic] });
        next = head + 1n;
        for (const log of parseEventLogs({ abi: jobEventsAbi, logs })) {
          const event = toJobEvent(log);
          if (!event || stopped) continue;
          parameters.onEvent(event);
          if (TERMINAL.has(event.type)) stop();
        }
      }
    } catch (error) {
      if (!stopped) parameters.onError?.(error);
    }
  };

  const tick = () => {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    follow();
    reading = true;
    void read().then(() => {
      reading = false;
      if (stopped) return;
      if (again) {
        again = false;
        tick();
      } else timer = setTimeout(tick, interval);
    });
  };

  // Subscribed at the start, and again at a poll after the socket failed it (the poll carries on
  // alone meanwhile).
  const subscribe = headSubscription(client);
  let subscribing = false;
  const follow = () => {
    if (!subscribe || subscribing || unsubscribe || stopped) return;
    subscribing = true;
    let failed = false;
    const dropped = () => {
      failed = true;
      unsubscribe = undefined;
    };
    subscribe({ params: ["newHeads"], onData: tick, onError: dropped }).then(
      (subscription) => {
        subscribing = false;
        if (stopped) void subscription.unsubscribe().catch(() => {});
        else if (!failed) unsubscribe = subscription.unsubscribe;
      },
      () => void (subscribing = false),
    );
  };
  tick();
  return stop;
}
