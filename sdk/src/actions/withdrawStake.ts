import type { Client, Hash } from "viem";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnRegistry } from "./providerTypes.js";

/**
 * Withdraws to the account all of its stake whose unbonding delay has passed (see {@link unbondStake}).
 *
 * @example
 * await withdrawStake(wallet);
 */
export async function withdrawStake(client: Client, p: OnRegistry = {}): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "withdrawUnbonded", args: [], account: p.account,
  });
  return { hash: r.transactionHash };
}
