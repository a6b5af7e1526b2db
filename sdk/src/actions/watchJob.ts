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

/**
 * Streams job `jobId`'s lifecycle events (claimed, committed, quorum, revealed, finalized, …) by
 * polling eth_getLogs in bounded ranges; it replays past events first and stops by itself after a
 * terminal one. Returns a function that stops watching.
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
  const topic = pad(numberToHex(parameters.jobId), { size: 32 });

  const poll = async () => {
    try {
      const head = await getBlockNumber(client, { cacheTime: 0 });
      if (head >= next) {
        const logs = await getLogsChunked(client, { address: market, fromBlock: next, toBlock: head, topics: [null, topic] });
        next = head + 1n;
        for (const log of parseEventLogs({ abi: jobEventsAbi, logs })) {
          const event = toJobEvent(log);
          if (!event || stopped) continue;
          parameters.onEvent(event);
          if (TERMINAL.has(event.type)) stopped = true;
        }
      }
    } catch (error) {
      parameters.onError?.(error);
    }
    if (!stopped) timer = setTimeout(poll, interval);
  };
  void poll();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
