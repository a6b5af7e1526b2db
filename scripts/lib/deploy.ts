import type { Address } from "viem";
import { parseEther, zeroAddress } from "viem";

/** Parameters of a Shoal deployment; the defaults suit the local chain. */
export type DeployOptions = {
  owner?: Address;
  treasury?: Address;
  minStake?: bigint;
  unbondingDelay?: bigint;
  feeBps?: number;
  minCollateral?: bigint;
  maxCallbackGas?: bigint;
  /** Locality adapters (address(0) disables that kind). */
  pdpLocality?: Address;
  dealLocality?: Address;
};

/** Constructor arguments of ProviderRegistry, with the local defaults. */
export function registryArgs(owner: Address, options: DeployOptions) {
  return [owner, options.minStake ?? parseEther("1"), options.unbondingDelay ?? 7n * 24n * 3600n] as const;
}

/** Constructor arguments of JobMarket, with the local defaults. */
export function marketArgs(owner: Address, registry: Address, options: DeployOptions) {
  return [
    owner,
    registry,
    options.pdpLocality ?? zeroAddress,
    options.dealLocality ?? zeroAddress,
    options.treasury ?? owner,
    options.feeBps ?? 100,
    options.minCollateral ?? parseEther("0.1"),
    options.maxCallbackGas ?? 5_000_000n,
  ] as const;
}

/**
 * Deploys ProviderRegistry and JobMarket and links them, with a hardhat-viem `viem` object.
 * The same sequence the Ignition module runs on Filecoin.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function deployShoal(viem: any, options: DeployOptions = {}) {
  const [admin] = await viem.getWalletClients();
  const owner: Address = options.owner ?? admin.account.address;
  const registry = await viem.deployContract("ProviderRegistry", registryArgs(owner, options));
  const market = await viem.deployContract("JobMarket", marketArgs(owner, registry.address, options));
  await registry.write.setMarket([market.address]);
  return { registry, market };
}
