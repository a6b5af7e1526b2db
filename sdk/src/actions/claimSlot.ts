import type { Client, Hash, Hex } from "viem";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { PieceRef } from "../piece/toPieceRef.js";
import type { OnMarket } from "./providerTypes.js";

/** Claims `slot` of job `jobId`, with locality proofs when the job asks for them. */
export async function claimSlot(
  client: Client,
  p: OnMarket & {
    jobId: bigint; slot: number; inputs?: readonly PieceRef[];
    proofs?: readonly { kind: number; data: Hex }[]; allowProof?: readonly Hex[];
  },
): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "claim",
    args: [p.jobId, BigInt(p.slot), [...(p.inputs ?? [])], [...(p.proofs ?? [])], [...(p.allowProof ?? [])]],
    account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}
