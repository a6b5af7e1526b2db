/**
 * A local chain reachable over HTTP (EDR behind Hardhat's JSON-RPC server), with Shoal deployed
 * and funded Hardhat accounts, for agents that talk to it like to any RPC.
 */
import { network } from "hardhat";
import { createPublicClient, createWalletClient, http, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { deployShoalViem } from "../../scripts/lib/deploy-viem.js";
import type { DeployOptions } from "../../scripts/lib/deploy.js";

/** Hardhat's default accounts (mnemonic "test test … junk"): #0 deploys, #1 is the client, #2.. are providers. */
export const KEYS: Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
];

export async function startLocalChain(options: DeployOptions = {}) {
  const server = await network.createServer("default", "127.0.0.1", 0);
  const { address, port } = await server.listen();
  const rpcUrl = `http://${address}:${port}`;
  const publicClient = createPublicClient({ chain: hardhat, transport: http(rpcUrl), pollingInterval: 50 }) as PublicClient;
  const wallet = (i: number) => createWalletClient({ chain: hardhat, transport: http(rpcUrl), account: privateKeyToAccount(KEYS[i]!) });
  const deployed = await deployShoalViem(wallet(0), publicClient, options);
  return { rpcUrl, publicClient, wallet, ...deployed, close: () => server.close() };
}
