import type { Client, Hash } from "viem";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { OnRegistry } from "./providerTypes.js";

/**
 * Starts unbonding `amount` attoFIL of the account's free stake (stake not locked as collateral).
 * It can be withdrawn with {@link withdrawStake} once the registry's unbonding delay has passed.
 *
 * @example
 * await unbondStake(wallet, { amount: parseEther("5") });
 */
export async function unbondStake(client: Client, p: OnRegistry & { amount: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "startUnbonding", args: [p.amount], account: p.account,
  });
  return { hash: r.transactionHash };
}
