// The contracts of the selected chain, for every page: `useShoal()`. The chain is the wallet's
// when one is connected, otherwise the one picked in the chain selector (wagmi's useChainId).
import { createContext, useContext } from "react";
import type { Address } from "viem";
import { useChainId } from "wagmi";
import type { ShoalChain } from "../config/chains";

export const ShoalChainsContext = createContext<ShoalChain[]>([]);

/** Every chain the dapp offers. */
export function useShoalChains(): ShoalChain[] {
  return useContext(ShoalChainsContext);
}

/** The selected chain's entry (undefined if wagmi's chain is not one of ours). */
export function useShoalChain(): ShoalChain | undefined {
  const chainId = useChainId();
  return useShoalChains().find((c) => c.chain.id === chainId);
}

export type UseShoalReturnType = {
  chainId: number;
  market: Address;
  registry: Address;
  federated?: Address[];
  rpcUrl: string;
  /** Where event scans start. */
  fromBlock: bigint;
  /** Milliseconds between polls. */
  pollingInterval: number;
};

/**
 * The contract addresses for the connected or selected chain. Pages render only inside Layout,
 * which shows a notice instead of the page when Shoal is not deployed on that chain, so here the
 * addresses are always there.
 */
export function useShoal(): UseShoalReturnType {
  const entry = useShoalChain();
  if (entry?.contracts === undefined) throw new Error("Shoal is not deployed on the selected chain");
  const { market, registry, federated, fromBlock } = entry.contracts;
  return { chainId: entry.chain.id, market, registry, federated, rpcUrl: entry.rpcUrl, fromBlock, pollingInterval: entry.pollingInterval };
}
