import type { Client, Hash } from "viem";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnRegistry } from "./providerTypes.js";

/** Adds `amount` FIL to the account's stake. */
export async function addStake(client: Client, p: OnRegistry & { amount: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "addStake", args: [], value: p.amount, account: p.account,
  });
  return { hash: r.transactionHash };
}
