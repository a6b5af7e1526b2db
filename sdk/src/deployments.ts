import type { Address } from "viem";

/** Where Shoal's contracts live on one chain. */
export type ShoalDeployment = {
  jobMarket: Address;
  providerRegistry: Address;
  /** Block of the market's deployment: where event scans start. */
  fromBlock: bigint;
};

/**
 * Shoal's deployments by chain ID: the local chain (Hardhat, 31337, as `scripts/lib/deploy.ts`
 * deploys it on a fresh chain from the first account), Filecoin Calibration (314159) and mainnet
 * (314) once deployed. The agent and the SDK read addresses from here; pass `market` / `registry`
 * to any action to override them.
 */
export const deployments: Record<number, ShoalDeployment | undefined> = {
  31337: {
    providerRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    jobMarket: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    fromBlock: 0n,
  },
  314159: undefined,
  314: undefined,
};
