/**
 * A test wallet for the browser: an EIP-1193 provider announced through EIP-6963 (the way real
 * wallets reach the dapp), installed with page.addInitScript. It forwards every request to the
 * local node, where the account is unlocked, and answers transaction requests with the EIP-1193
 * "user rejected" error (code 4001) while the page's `window.__testWallet.reject` is true.
 */
import type { Page } from "playwright-core";
import type { Address } from "viem";

export const WALLET_NAME = "Shoal Test Wallet";

/**
 * The script run in the page before any of its own, as plain JavaScript text (a TypeScript
 * function would be serialised after the test runner's transform, which may add helpers the page
 * lacks). `__OPTIONS__` is replaced by the JSON options.
 */
const INSTALL = `(() => {
  const { rpcUrl, account, chainId, name } = __OPTIONS__;
  const listeners = new Map();
  const state = { reject: false, connected: false, requests: [] };
  const SIGNING = new Set(["eth_sendTransaction", "eth_signTypedData_v4", "personal_sign", "eth_sign"]);
  const fail = (message, code) => Object.assign(new Error(message), { code });
  let id = 0;
  const provider = {
    isShoalTestWallet: true,
    async request({ method, params }) {
      state.requests.push(method);
      if (SIGNING.has(method) && state.reject) throw fail("User rejected the request.", 4001);
      switch (method) {
        case "eth_requestAccounts":
        case "wallet_requestPermissions":
          state.connected = true;
          return method === "eth_requestAccounts" ? [account] : [{ parentCapability: "eth_accounts" }];
        case "eth_accounts":
          return state.connected ? [account] : [];
        case "wallet_getPermissions":
          return state.connected ? [{ parentCapability: "eth_accounts" }] : [];
        case "wallet_revokePermissions":
          state.connected = false;
          return null;
        case "eth_chainId":
          return "0x" + chainId.toString(16);
        case "wallet_switchEthereumChain": {
          const wanted = Number(params[0].chainId);
          if (wanted !== chainId) throw fail("Unrecognized chain ID " + wanted + ".", 4902);
          return null;
        }
      }
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }),
      });
      const body = await response.json();
      if (body.error) throw Object.assign(new Error(body.error.message), body.error);
      return body.result;
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return provider;
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };
  const info = Object.freeze({
    uuid: "5f0c7a61-7e4b-4b5e-9d8e-2f6a3f0b9c11",
    name,
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'%3E%3Crect width='1' height='1' fill='%230a7'/%3E%3C/svg%3E",
    rdns: "dev.shoal.testwallet",
  });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
  window.__testWallet = state;
})();`;

/** Installs the wallet in every document the page loads from now on. */
export async function installTestWallet(page: Page, o: { rpcUrl: string; account: Address; chainId: number }): Promise<void> {
  await page.addInitScript({ content: INSTALL.replace("__OPTIONS__", JSON.stringify({ ...o, name: WALLET_NAME })) });
}

/** Makes the wallet reject (code 4001) or accept the transactions it is asked for from now on. */
export async function setWalletRejects(page: Page, reject: boolean): Promise<void> {
  await page.evaluate(`window.__testWallet.reject = ${reject}`);
}
