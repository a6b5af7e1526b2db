import type { ReactNode } from "react";
import { createElement } from "react";
import { defineChain, getAddress, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { claimSlot, commitResult, revealResult } from "../../sdk/src/index.js";
import { setup, type Shoal } from "../helpers/shoal.js";
import { renderHook } from "./render.js";
import { serveRpc } from "../helpers/net.js";

/**
 * A dapp on a fresh chain: Shoal deployed, the chain served over HTTP, and a wagmi config for it
 * (chain 31337, `http` transport) whose mock connector holds the client account. `render` mounts
 * a hook inside WagmiProvider and QueryClientProvider; `close` unmounts everything and stops the
 * server. Call it only after registerDom(): TanStack Query, wagmi and React DOM are loaded here,
 * on first use, because they look for a browser when they load (Hardhat loads every file under
 * test/ before any test runs).
 */
export async function dapp(providerCount = 3) {
  const [{ QueryClient, QueryClientProvider, environmentManager }, { createConfig, http, WagmiProvider }, { mock }] = await Promise.all([
    import("@tanstack/react-query"),
    import("wagmi"),
    import("wagmi/connectors"),
  ]);
  // Decide per call, not once at load: with a DOM this is a browser (refetch timers run).
  environmentManager.setIsServer(() => typeof window === "undefined");

  const s = await setup({ providerCount });
  const account = getAddress(s.client.account.address);
  const rpc = await serveRpc(s.connection.provider);
  const chain = defineChain({ ...hardhat, rpcUrls: { default: { http: [rpc.url] } } });
  const config = createConfig({
    chains: [chain],
    connectors: [mock({ accounts: [account] })],
    transports: { [chain.id]: http(rpc.url) },
    pollingInterval: 50,
    storage: null,
    multiInjectedProviderDiscovery: false,
  });
  // gcTime: Infinity schedules no garbage-collection timers (5 min by default) that would keep mocha alive.
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity }, mutations: { gcTime: Infinity } } });
  const wrapper = (children: ReactNode) =>
    createElement(WagmiProvider, { config, reconnectOnMount: false }, createElement(QueryClientProvider, { client: queryClient }, children));
  const mounted: (() => void)[] = [];
  const render = async <T>(hook: () => T) => {
    const r = await renderHook(hook, wrapper);
    mounted.push(r.unmount);
    return r.result;
  };
  const close = async () => {
    for (const unmount of mounted) unmount();
    queryClient.clear();
    await rpc.close();
  };
  return { s, account, market: s.market.address, config, queryClient, render, close };
}

/** Claim, commit and reveal `cid` by the first `quorum` providers: the quorum-th reveal settles the job. */
export async function settle(s: Shoal, jobId: bigint, cid: Hex, quorum: number) {
  const market = s.market.address;
  for (let i = 0; i < quorum; i++) await claimSlot(s.providers[i], { jobId, slot: i, market });
  for (let i = 0; i < quorum; i++) {
    await commitResult(s.providers[i], { jobId, slot: i, resultCid: cid, provider: s.providers[i].account.address, market });
  }
  for (let i = 0; i < quorum; i++) await revealResult(s.providers[i], { jobId, slot: i, resultCid: cid, market });
}
