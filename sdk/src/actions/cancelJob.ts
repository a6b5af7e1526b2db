import type { Account, Address, Client, Hash } from "viem";
import { jobMarketAbi } from "../abi/jobMarket.js";
import type { MarketCallErrorType } from "../errors/client.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";

export type CancelJobParameters = { jobId: bigint; market?: Address | undefined; account?: Account | Address | undefined };
export type CancelJobReturnType = { hash: Hash };
export type CancelJobErrorType = MarketCallErrorType;

/**
 * Cancels a job nobody has claimed yet; its escrow becomes withdrawable. Client only.
 *
 * @example
 * await cancelJob(walletClient, { jobId });
 * await withdraw(walletClient, { jobIds: [jobId] });
 */
export async function cancelJob(client: Client, { jobId, market, account }: CancelJobParameters): Promise<CancelJobReturnType> {
  const receipt = await writeAndWait(client, {
    address: resolveMarket(client, market),
    abi: jobMarketAbi,
    functionName: "cancel",
    args: [jobId],
    account,
  });
  return { hash: receipt.transactionHash };
}
