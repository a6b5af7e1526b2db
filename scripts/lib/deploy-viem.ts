/**
 * Deploys Shoal with plain viem clients (any RPC: a `hardhat node`, a server started with
 * `network.createServer()`, Calibration), from the compiled artifacts. Same sequence as
 * deploy.ts: ProviderRegistry, JobMarket, then registry.setMarket.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Abi, Address, Hex, PublicClient, WalletClient } from "viem";
import { type DeployOptions, marketArgs, registryArgs } from "./deploy.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export async function artifact(path: string): Promise<{ abi: Abi; bytecode: Hex }> {
  return JSON.parse(await readFile(`${root}artifacts/${path}`, "utf8"));
}

export async function deployArtifact(
  wallet: WalletClient,
  client: PublicClient,
  path: string,
  args: readonly unknown[] = [],
): Promise<Address> {
  const { abi, bytecode } = await artifact(path);
  const hash = await wallet.deployContract({ abi, bytecode, args, account: wallet.account!, chain: wallet.chain });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error(`deploying ${path} failed`);
  return receipt.contractAddress;
}

export async function deployShoalViem(wallet: WalletClient, client: PublicClient, options: DeployOptions = {}) {
  const owner = options.owner ?? wallet.account!.address;
  const registry = await deployArtifact(wallet, client, "contracts/registry/ProviderRegistry.sol/ProviderRegistry.json", registryArgs(owner, options));
  const market = await deployArtifact(wallet, client, "contracts/market/JobMarket.sol/JobMarket.json", marketArgs(owner, registry, options));
  const { abi } = await artifact("contracts/registry/ProviderRegistry.sol/ProviderRegistry.json");
  const hash = await wallet.writeContract({ address: registry, abi, functionName: "setMarket", args: [market], account: wallet.account!, chain: wallet.chain });
  await client.waitForTransactionReceipt({ hash });
  const fromBlock = await client.getBlockNumber();
  return { registry, market, fromBlock };
}
