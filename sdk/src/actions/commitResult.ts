import type { Client, Hash, Hex } from "viem";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { computeCommitment } from "../commitment.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnMarket } from "./providerTypes.js";

/** Commits to `resultCid` (binary CID) for `slot`: sends hash and seal, never the CID. */
export async function commitResult(
  client: Client,
  p: OnMarket & { jobId: bigint; slot: number; resultCid: Hex; provider: `0x${string}` },
): Promise<{ hash: Hash }> {
  const { hash, seal } = computeCommitment({ jobId: p.jobId, provider: p.provider, resultCid: p.resultCid });
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "commit",
    args: [p.jobId, BigInt(p.slot), hash, seal], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}
