// Wallet connection and the chain selector. Connectors: the mock one in tests, EIP-6963 wallets
// (each announces itself), and the injected window.ethereum one when nothing announced itself.
import { useState } from "react";
import { useAccount, useChainId, useConnect, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import { useShoalChains } from "../lib/config";
import { shortAddress } from "../lib/format";
import { ErrorLine } from "./States";

export function ConnectButton() {
  const { address, isConnected, isConnecting, isReconnecting } = useAccount();
  const connectors = useConnectors();
  const { connect, error, isPending, reset } = useConnect();
  const { disconnect } = useDisconnect();
  const [open, setOpen] = useState(false);

  if (isConnected && address)
    return (
      <div className="wallet">
        <span className="account" data-testid="account-address" title={address}>
          {shortAddress(address)}
        </span>
        <button type="button" className="secondary" onClick={() => disconnect()}>
          Disconnect
        </button>
      </div>
    );

  // Announced wallets first; the generic injected connector only if window.ethereum exists.
  const announced = connectors.filter((c) => c.id !== "injected");
  const hasEthereum = typeof window !== "undefined" && "ethereum" in window;
  const choices = announced.length > 0 ? announced : connectors.filter((c) => c.id === "injected" && hasEthereum);
  const busy = isPending || isConnecting || isReconnecting;

  return (
    <div className="wallet">
      <button
        type="button"
        data-testid="connect-button"
        aria-expanded={open}
        disabled={busy}
        onClick={() => {
          reset();
          if (choices.length === 1) connect({ connector: choices[0]! });
          else setOpen((o) => !o);
        }}
      >
        {busy ? "Connecting…" : "Connect wallet"}
      </button>
      {open && choices.length !== 1 ? (
        <div
          className="menu"
          role="menu"
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              setOpen(false);
              (e.currentTarget.parentElement?.querySelector("button") as HTMLButtonElement | null)?.focus();
            }
          }}
        >
          {choices.length === 0 ? (
            <p className="state empty">No wallet found: install a browser wallet (any EIP-6963 wallet) and reload.</p>
          ) : (
            choices.map((c) => (
              <button
                key={c.uid}
                type="button"
                role="menuitem"
                autoFocus={c === choices[0]}
                onClick={() => {
                  setOpen(false);
                  connect({ connector: c });
                }}
              >
                {c.icon ? <img src={c.icon} alt="" width={16} height={16} /> : null} {c.name}
              </button>
            ))
          )}
        </div>
      ) : null}
      {error ? <ErrorLine error={error} /> : null}
    </div>
  );
}

export function ChainSwitch() {
  const chains = useShoalChains();
  const chainId = useChainId();
  const { switchChain, error, isPending } = useSwitchChain();
  return (
    <div className="chain">
      <label htmlFor="chain-switch" className="visually-hidden">
        Chain
      </label>
      <select
        id="chain-switch"
        data-testid="chain-switch"
        value={chainId}
        disabled={isPending}
        onChange={(e) => switchChain({ chainId: Number(e.target.value) })}
      >
        {chains.map((c) => (
          <option key={c.chain.id} value={c.chain.id}>
            {c.chain.name}
            {c.contracts ? "" : " (not deployed)"}
          </option>
        ))}
      </select>
      {error ? <ErrorLine error={error} /> : null}
    </div>
  );
}
