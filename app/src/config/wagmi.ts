// One wagmi config (chains, connectors, transports), built once the runtime config is loaded.
// Wallets: injected ones, found through EIP-6963 discovery (multiInjectedProviderDiscovery) plus
// the legacy window.ethereum. Tests: `?mock=<address>` adds wagmi's mock connector for that
// account on the local chain, so transactions go to the node's unlocked account.
import { socketFirst } from "@shoal/sdk";
import { type Address, http, isAddress } from "viem";
import { type Config, createConfig, createStorage, injected, mock } from "wagmi";
import type { ShoalChain } from "./chains";

/** The `?mock=<address>` of a URL, if valid. */
export function mockAccount(search: string): Address | undefined {
  const value = new URLSearchParams(search).get("mock");
  return value !== null && isAddress(value) ? value : undefined;
}

export function createWagmiConfig(chains: ShoalChain[], search: string = window.location.search): Config {
  const [first, ...rest] = chains.map((c) => c.chain);
  const mockAddress = mockAccount(search);
  // The mock connector talks to the first chain's RPC: only for a local (non-Filecoin) chain.
  const local = first !== undefined && first.id !== 314 && first.id !== 314159;
  const connectors = [injected({ shimDisconnect: true })];
  const useMock = mockAddress !== undefined && local;
  return createConfig({
    chains: [first!, ...rest],
    connectors: useMock ? [mock({ accounts: [mockAddress], features: { defaultConnected: true, reconnect: true } }), ...connectors] : connectors,
    multiInjectedProviderDiscovery: true,
    // With a WebSocket endpoint, calls go over it first and HTTP takes each one it does not answer
    // (closed, refused, or silent for 5 s); watchJob then reads as each head is pushed instead of
    // waiting for its poll.
    transports: Object.fromEntries(
      chains.map((c) => {
        const overHttp = http(c.rpcUrl, { retryCount: 1 });
        return [c.chain.id, c.wsUrl ? socketFirst(c.wsUrl, overHttp).transport : overHttp];
      }),
    ),
    pollingInterval: Object.fromEntries(chains.map((c) => [c.chain.id, c.pollingInterval])),
    // The mock session must not leak into a normal visit: keep its state in memory only.
    storage: useMock ? createStorage({ storage: { getItem: () => null, setItem: () => {}, removeItem: () => {} } }) : undefined,
  });
}
