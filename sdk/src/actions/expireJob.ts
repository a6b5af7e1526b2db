import type { Client, Hash } from "viem";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnMarket } from "./providerTypes.js";

/** Expires a job past its deadline without quorum, refunding the client. Anyone may call. */
export async function expireJob(client: Client, p: OnMarket & { jobId: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "expire", args: [p.jobId], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}
