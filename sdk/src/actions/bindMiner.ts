import type { Client, Hash } from "viem";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnRegistry } from "./providerTypes.js";

/** Binds the Filecoin miner actor `minerId` (f0…) the account controls. */
export async function bindMiner(client: Client, p: OnRegistry & { minerId: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "bindMiner", args: [p.minerId], account: p.account,
  });
  return { hash: r.transactionHash };
}
