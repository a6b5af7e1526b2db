import { type Account, type Address, type Client, type Hash, zeroAddress } from "viem";
import { readContract } from "viem/actions";
import { jobMarketAbi } from "../abi/jobMarket.js";
import type { MarketCallErrorType } from "../errors/client.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import { getOwedJobs } from "./getOwedJobs.js";

export type WithdrawParameters = {
  /** Token to withdraw (default: FIL). */
  token?: Address | undefined;
  /** Jobs that owe the account (default: every job found owing it, see getOwedJobs). */
  jobIds?: readonly bigint[] | undefined;
  market?: Address | undefined;
  account?: Account | Address | undefined;
};
export type WithdrawReturnType = { hash: Hash | undefined; amount: bigint; jobIds: readonly bigint[] };
export type WithdrawErrorType = MarketCallErrorType;

/**
 * Withdraws what jobs owe the account: pay for slots it won and refunds of jobs it posted.
 * Without `jobIds`, finds them from the market's events. Resolves with amount 0 (and no
 * transaction) when nothing is owed.
 *
 * @example
 * const { amount } = await withdraw(walletClient);
 */
export async function withdraw(client: Client, parameters: WithdrawParameters = {}): Promise<WithdrawReturnType> {
  const market = resolveMarket(client, parameters.market);
  const token = parameters.token ?? zeroAddress;
  const account = parameters.account ?? client.account;
  const address = typeof account === "string" ? account : account!.address;
  // Without job IDs, the owed amounts come with the jobs found; read them only for listed IDs.
  const owed = parameters.jobIds
    ? await Promise.all(
        parameters.jobIds.map(async (jobId) => ({
          jobId,
          amount: await readContract(client, { address: market, abi: jobMarketAbi, functionName: "owed", args: [jobId, address] }),
        })),
      )
    : await getOwedJobs(client, { account: address, market, token });
  const jobIds = parameters.jobIds ?? owed.map((j) => j.jobId);
  const amount = owed.reduce((sum, j) => sum + j.amount, 0n);
  if (amount === 0n) return { hash: undefined, amount, jobIds };
  const receipt = await writeAndWait(client, {
    address: market,
    abi: jobMarketAbi,
    functionName: "withdraw",
    args: [token, [...jobIds]],
    account,
  });
  return { hash: receipt.transactionHash, amount, jobIds };
}
