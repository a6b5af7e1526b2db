import type { Client, Hash } from "viem";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { Capabilities, OnRegistry } from "./providerTypes.js";

/**
 * Sets a registered provider's gateway URL (where clients download its results) and capabilities.
 *
 * @example
 * await updateProvider(wallet, { gatewayUrl: "https://sp.example/shoal", capabilities: { engines: 1, cpus: 8, memoryMb: 16384, gpus: 0 } });
 */
export async function updateProvider(client: Client, p: OnRegistry & { gatewayUrl: string; capabilities: Capabilities }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "update", args: [p.gatewayUrl, p.capabilities], account: p.account,
  });
  return { hash: r.transactionHash };
}
