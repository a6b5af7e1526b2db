import { type Address, type Client, formatEther, parseEventLogs, zeroAddress } from "viem";
import { readContract } from "viem/actions";
import { getJob, getLogsChunked, jobMarketAbi, providerRegistryAbi } from "@shoal/sdk";

export type ProviderRow = {
  address: Address;
  active: boolean;
  stake: bigint;
  /** Stake not locked as collateral by open jobs. */
  free: bigint;
  unbonding: bigint;
  gatewayUrl: string;
  /** The bound Filecoin miner actor ID (0n: none). */
  minerId: bigint;
  engines: string[];
  /** Slots this provider claimed on jobs that required locality: each claim carried proofs the market checked. */
  localityProofs: number;
  /** Slots claimed in all. */
  claims: number;
};

const ENGINES = [
  [1, "WASM"],
  [2, "Docker"],
] as const;

/**
 * Every provider that ever registered, from the registry's ProviderRegistered events, with its
 * record read now, and the claims it made on the market (SlotClaimed), split by whether the job
 * required locality proofs.
 */
export async function readProviders(
  client: Client,
  { registry, market, fromBlock }: { registry: Address; market: Address; fromBlock: bigint },
): Promise<ProviderRow[]> {
  const [registryLogs, marketLogs] = await Promise.all([
    getLogsChunked(client, { address: registry, fromBlock }),
    getLogsChunked(client, { address: market, fromBlock }),
  ]);
  const addresses = [
    ...new Set(parseEventLogs({ abi: providerRegistryAbi, logs: registryLogs, eventName: "ProviderRegistered" }).map((l) => l.args.provider)),
  ];
  const claims = parseEventLogs({ abi: jobMarketAbi, logs: marketLogs, eventName: "SlotClaimed" });
  const jobIds = [...new Set(claims.map((c) => c.args.jobId))];
  const locality = new Map<bigint, boolean>(
    await Promise.all(jobIds.map(async (jobId) => [jobId, (await getJob(client, { jobId, market })).locality] as const)),
  );
  return Promise.all(
    addresses.map(async (address): Promise<ProviderRow> => {
      const p = await readContract(client, { address: registry, abi: providerRegistryAbi, functionName: "provider", args: [address] });
      const mine = claims.filter((c) => c.args.provider.toLowerCase() === address.toLowerCase());
      return {
        address,
        active: p.active,
        stake: p.stake,
        free: p.stake - p.locked,
        unbonding: p.unbonding,
        gatewayUrl: p.gatewayUrl,
        minerId: p.minerId,
        engines: ENGINES.filter(([bit]) => (p.capabilities.engines & bit) !== 0).map(([, name]) => name),
        localityProofs: mine.filter((c) => locality.get(c.args.jobId)).length,
        claims: mine.length,
      };
    }),
  );
}

/** attoFIL as "1.5 FIL" (at most 4 decimals, trailing zeros dropped). */
export function fil(value: bigint, token: Address = zeroAddress): string {
  const unit = token === zeroAddress ? "FIL" : "tokens";
  if (value > 0n && value < 10n ** 14n) return `<0.0001 ${unit}`;
  const [whole, fraction = ""] = formatEther(value).split(".");
  const cut = fraction.slice(0, 4).replace(/0+$/, "");
  return `${whole}${cut ? `.${cut}` : ""} ${unit}`;
}
