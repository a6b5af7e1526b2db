import { type Address, type Client, parseEventLogs, zeroAddress } from "viem";
import { readContract } from "viem/actions";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { deployments } from "../deployments.js";
import { resolveMarket } from "../internal/contracts.js";
import { getLogsChunked } from "../internal/logs.js";

export type GetOwedJobsParameters = {
  account: Address;
  /** Only jobs paid in this token (default: FIL). */
  token?: Address | undefined;
  market?: Address | undefined;
  /** First block to scan (default: the market's deployment block). */
  fromBlock?: bigint | undefined;
};
export type GetOwedJobsReturnType = { jobId: bigint; amount: bigint }[];

/**
 * Lists the terminal jobs that still owe `account` something (winner pay or client refund),
 * from the market's JobFinalized, JobExpired and JobCancelled events.
 *
 * @example
 * const owed = await getOwedJobs(publicClient, { account });
 */
export async function getOwedJobs(client: Client, parameters: GetOwedJobsParameters): Promise<GetOwedJobsReturnType> {
  const market = resolveMarket(client, parameters.market);
  const fromBlock = parameters.fromBlock ?? deployments[client.chain?.id ?? -1]?.fromBlock ?? 0n;
  const token = (parameters.token ?? zeroAddress).toLowerCase();
  // Terminal events of every job, read in bounded ranges (FEVM endpoints cap eth_getLogs).
  const logs = await getLogsChunked(client, { address: market, fromBlock });
  const ids = new Set<bigint>();
  for (const log of parseEventLogs({ abi: jobMarketAbi, logs, eventName: ["JobFinalized", "JobExpired", "JobCancelled"] })) {
    ids.add(log.args.jobId);
  }
  const owed: GetOwedJobsReturnType = [];
  for (const jobId of [...ids].sort((a, b) => (a < b ? -1 : 1))) {
    const amount = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "owed", args: [jobId, parameters.account] });
    if (amount === 0n) continue;
    const job = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "getJob", args: [jobId] });
    if (job.token.toLowerCase() === token) owed.push({ jobId, amount });
  }
  return owed;
}
