import type { Client, Hash, Hex } from "viem";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnMarket } from "./providerTypes.js";

/** Reveals `resultCid` (binary CID) for `slot`; the quorum-th reveal settles the job. */
export async function revealResult(
  client: Client,
  p: OnMarket & { jobId: bigint; slot: number; resultCid: Hex },
): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "reveal",
    args: [p.jobId, BigInt(p.slot), p.resultCid], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}
