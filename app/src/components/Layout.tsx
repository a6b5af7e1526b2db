// The frame of every page: header (name, navigation, chain, wallet) and the page, or a one-line
// notice when the wallet is on a chain the dapp does not know or Shoal is not deployed there.
import { useAccount, useSwitchChain } from "wagmi";
import { useShoalChain, useShoalChains } from "../lib/config";
import type { Route } from "../lib/router";
import { ChainSwitch, ConnectButton } from "./Connect";
import { Nav } from "./Nav";
import { ErrorLine } from "./States";

export function Layout({ route, children }: { route: Route; children: React.ReactNode }) {
  const entry = useShoalChain();
  const chains = useShoalChains();
  const { chainId: walletChainId, isConnected } = useAccount();
  const { switchChain } = useSwitchChain();
  const wrongChain = isConnected && walletChainId !== undefined && !chains.some((c) => c.chain.id === walletChainId);
  const target = chains.find((c) => c.contracts !== undefined);

  let body: React.ReactNode = children;
  if (wrongChain)
    body = (
      <div className="notice">
        <ErrorLine error={`Your wallet is on chain ${walletChainId}, which Shoal does not use here; switch to ${target?.chain.name ?? "a listed chain"}.`} />
        {target ? (
          <button type="button" onClick={() => switchChain({ chainId: target.chain.id })}>
            Switch to {target.chain.name}
          </button>
        ) : null}
      </div>
    );
  else if (entry?.contracts === undefined)
    body = (
      <div className="notice">
        <ErrorLine error={`Shoal is not deployed on ${entry?.chain.name ?? "this chain"} yet; pick ${target ? target.chain.name : "another chain"} in the chain selector.`} />
      </div>
    );

  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="#/">
          Shoal
        </a>
        <Nav route={route} />
        <div className="controls">
          <ChainSwitch />
          <ConnectButton />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}
