// The chains the dapp offers, in one place: the ones shoal.config.json names (the local chain,
// usually) first, then Filecoin Calibration and mainnet from viem with Shoal's addresses from the
// SDK's `deployments` (a chain where Shoal is not deployed is listed, and says so when chosen).
import { deployments } from "@shoal/sdk";
import { type Address, type Chain, defineChain } from "viem";
import { filecoin, filecoinCalibration } from "viem/chains";
import type { RuntimeConfig } from "../lib/runtimeConfig";

/** A chain and, when Shoal is deployed there, its contracts. */
export type ShoalChain = {
  chain: Chain;
  rpcUrl: string;
  /** The node's WebSocket endpoint, when the config names one: calls go over it first, HTTP taking over. */
  wsUrl?: string;
  /** Milliseconds between polls: at most the chain's block time. */
  pollingInterval: number;
  contracts:
    | { market: Address; registry: Address; federated: Address[]; fromBlock: bigint; gatewayHint?: string }
    | undefined;
};

const FIL = { name: "Filecoin", symbol: "FIL", decimals: 18 } as const;

/** The chains of a runtime config plus Calibration and mainnet (config entries override them). */
export function shoalChains(config: RuntimeConfig): ShoalChain[] {
  const out: ShoalChain[] = config.chains.map((c) => {
    const known = [filecoin, filecoinCalibration].find((k) => k.id === c.id);
    const rpcUrls = { default: { http: [c.rpcUrl], ...(c.wsUrl ? { webSocket: [c.wsUrl] } : {}) } };
    const chain =
      known !== undefined
        ? { ...known, rpcUrls }
        : defineChain({ id: c.id, name: c.name, nativeCurrency: FIL, rpcUrls, testnet: true });
    return {
      chain,
      rpcUrl: c.rpcUrl,
      ...(c.wsUrl ? { wsUrl: c.wsUrl } : {}),
      pollingInterval: c.pollingIntervalMs ?? (known ? 10_000 : 1_000),
      contracts: {
        market: c.market,
        registry: c.registry,
        federated: c.federated ?? [],
        fromBlock: BigInt(c.fromBlock ?? "0"),
        ...(c.gatewayHint ? { gatewayHint: c.gatewayHint } : {}),
      },
    };
  });
  for (const chain of [filecoinCalibration, filecoin] as Chain[]) {
    if (out.some((c) => c.chain.id === chain.id)) continue;
    const d = deployments[chain.id];
    out.push({
      chain,
      rpcUrl: chain.rpcUrls.default.http[0]!,
      pollingInterval: 10_000, // blocks every 30 s
      contracts: d ? { market: d.jobMarket, registry: d.providerRegistry, federated: [], fromBlock: d.fromBlock } : undefined,
    });
  }
  return out;
}
