import type { Client, Hash } from "viem";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { Capabilities, OnRegistry } from "./providerTypes.js";

/**
 * Registers the account as a provider with `stake` FIL, its gateway URL and capabilities.
 *
 * @example
 * await registerProvider(walletClient, { gatewayUrl: "https://sp.example", stake: parseEther("10"),
 *   capabilities: { engines: 3, cpus: 16, memoryMb: 65536, gpus: 0 } });
 */
export async function registerProvider(
  client: Client,
  p: OnRegistry & { gatewayUrl: string; capabilities: Capabilities; stake: bigint },
): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "register",
    args: [p.gatewayUrl, p.capabilities], value: p.stake, account: p.account,
  });
  return { hash: r.transactionHash };
}
