import type { Address, Client } from "viem";
import { resolve } from "node:path";
import { readContract } from "viem/actions";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import {
  ResultFetchError,
  type ResultFetchErrorType,
  ResultNotAvailableError,
  type ResultNotAvailableErrorType,
} from "../errors/client.js";
import { resolveMarket, resolveRegistry } from "../internal/contracts.js";
import { DestinationNotEmptyError, type DestinationNotEmptyErrorType } from "../errors/result.js";
import { checkDestination, unpackResult, type UnpackResultReturnType } from "../result/unpackResult.js";
import { getJob } from "./getJob.js";

export type FetchResultParameters = {
  jobId: bigint;
  /** Directory to unpack into (must not exist, or be empty). */
  outDir: string;
  /** Refuse results larger than this many bytes. */
  maxBytes?: number | undefined;
  /** Milliseconds per download attempt (default 60 s). */
  timeout?: number | undefined;
  /** fetch implementation (default: global fetch). */
  fetch?: typeof globalThis.fetch | undefined;
  market?: Address | undefined;
  registry?: Address | undefined;
};
export type FetchResultReturnType = UnpackResultReturnType & { gateway: string };
export type FetchResultErrorType = ResultNotAvailableErrorType | ResultFetchErrorType | DestinationNotEmptyErrorType;

/**
 * Downloads job `jobId`'s result as a CAR from the gateways of the providers that revealed it
 * (`GET <gateway>/ipfs/<cid>?format=car`), verifies every block against its CID and the root
 * against the CID settled on chain, and unpacks it into `outDir`. A provider that fails or
 * serves bad bytes is skipped for the next one.
 *
 * @example
 * const { path, files } = await fetchResult(publicClient, { jobId, outDir: "./result" });
 */
export async function fetchResult(client: Client, parameters: FetchResultParameters): Promise<FetchResultReturnType> {
  const market = resolveMarket(client, parameters.market);
  const registry = parameters.registry ?? (await readContract(client, { address: market, abi: jobMarketAbi, functionName: "registry" }));
  const job = await getJob(client, { jobId: parameters.jobId, market });
  if (!job.resultCid) throw new ResultNotAvailableError({ jobId: parameters.jobId, status: job.status });
  await checkDestination(resolve(parameters.outDir)); // before any download, not after each one
  const doFetch = parameters.fetch ?? globalThis.fetch;
  const attempts: { gateway: string; error: string }[] = [];
  for (const slot of job.winners) {
    const { provider } = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "getSlot", args: [parameters.jobId, BigInt(slot)] });
    const gateway = await readContract(client, { address: resolveRegistry(client, registry), abi: providerRegistryAbi, functionName: "gatewayOf", args: [provider] });
    const url = `${gateway.replace(/\/+$/, "")}/ipfs/${job.resultCid}?format=car`;
    try {
      const response = await doFetch(url, {
        headers: { accept: "application/vnd.ipld.car" },
        signal: AbortSignal.timeout(parameters.timeout ?? 60_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const car = new Uint8Array(await response.arrayBuffer());
      const unpacked = await unpackResult(car, parameters.outDir, { expectedCid: job.resultCid, maxBytes: parameters.maxBytes });
      return { ...unpacked, gateway };
    } catch (error) {
      if (error instanceof DestinationNotEmptyError) throw error; // no other gateway can fix that
      attempts.push({ gateway, error: error instanceof Error ? error.message.split("\n")[0]! : String(error) });
    }
  }
  throw new ResultFetchError({ cid: job.resultCid, attempts });
}
