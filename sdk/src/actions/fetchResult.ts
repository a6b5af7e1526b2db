import type { Address, Client } from "viem";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { CID } from "multiformats/cid";
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
import { DestinationNotEmptyError, type DestinationNotEmptyErrorType, ResultTooLargeError } from "../errors/result.js";
import { downloadResultCar, type ResultProgress } from "../result/downloadResultCar.js";
import { checkDestination, unpackResult, type UnpackResultReturnType } from "../result/unpackResult.js";
import { getJob } from "./getJob.js";

export type { ResultProgress };

export type FetchResultParameters = {
  jobId: bigint;
  /** Directory to unpack into (must not exist, or be empty). */
  outDir: string;
  /** Refuse results larger than this many bytes. */
  maxBytes?: number | bigint | undefined;
  /** Milliseconds without response or data before an attempt is given up (default 60 s). */
  timeout?: number | undefined;
  /** Resumed attempts per gateway after the connection drops (default 3). */
  retries?: number | undefined;
  /** The partial CAR kept between attempts and runs (default `<outDir>.car.part`); removed once unpacked. */
  partialPath?: string | undefined;
  /** Called as verified bytes reach the disk: `bytes` of the CAR so far, `total` once the gateway told it. */
  onProgress?: ((progress: ResultProgress) => void) | undefined;
  /** fetch implementation (default: global fetch). */
  fetch?: typeof globalThis.fetch | undefined;
  market?: Address | undefined;
  registry?: Address | undefined;
};
export type FetchResultReturnType = UnpackResultReturnType & {
  gateway: string;
  /** CAR bytes downloaded and verified. */
  carSize: number;
  /** CAR bytes that were already on disk from an earlier, interrupted download (0 if none). */
  resumedFrom: number;
};
export type FetchResultErrorType = ResultNotAvailableErrorType | ResultFetchErrorType | DestinationNotEmptyErrorType;

/**
 * Downloads job `jobId`'s result as a CAR from the gateways of the providers that revealed it
 * (`GET <gateway>/ipfs/<cid>?format=car`) to `<outDir>.car.part`, verifying every block against
 * its CID as it arrives (the root against the CID settled on chain), then unpacks it into
 * `outDir` and removes the CAR. Only verified bytes reach the disk; a dropped connection is
 * resumed with an HTTP Range request, and so is a partial CAR left by an earlier run (every
 * provider serves the same CAR bytes, so another gateway can finish it). A provider that fails or
 * serves bad bytes is skipped for the next one. Memory stays bounded by the largest block.
 *
 * @example
 * const { path, files } = await fetchResult(publicClient, {
 *   jobId,
 *   outDir: "./result",
 *   onProgress: ({ bytes, total }) => console.log(bytes, total),
 * });
 */
export async function fetchResult(client: Client, parameters: FetchResultParameters): Promise<FetchResultReturnType> {
  const market = resolveMarket(client, parameters.market);
  const registry = parameters.registry ?? (await readContract(client, { address: market, abi: jobMarketAbi, functionName: "registry" }));
  const job = await getJob(client, { jobId: parameters.jobId, market });
  if (!job.resultCid) throw new ResultNotAvailableError({ jobId: parameters.jobId, status: job.status });
  const outDir = resolve(parameters.outDir);
  await checkDestination(outDir); // before any download, not after each one
  const partPath = resolve(parameters.partialPath ?? `${outDir}.car.part`);
  const maxBytes = parameters.maxBytes === undefined ? undefined : BigInt(parameters.maxBytes);
  const expectedCid = CID.parse(job.resultCid);
  const attempts: { gateway: string; error: string }[] = [];
  for (const slot of job.winners) {
    const { provider } = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "getSlot", args: [parameters.jobId, BigInt(slot)] });
    const gateway = await readContract(client, { address: resolveRegistry(client, registry), abi: providerRegistryAbi, functionName: "gatewayOf", args: [provider] });
    const url = `${gateway.replace(/\/+$/, "")}/ipfs/${job.resultCid}?format=car`;
    try {
      const { size, resumedFrom } = await downloadResultCar({
        url,
        expectedCid,
        partPath,
        maxBytes,
        retries: parameters.retries,
        timeout: parameters.timeout,
        fetch: parameters.fetch,
        onProgress: parameters.onProgress,
      });
      const unpacked = await unpackResult(partPath, outDir, { expectedCid, maxBytes }).catch(async (error: unknown) => {
        if (!(error instanceof DestinationNotEmptyError)) await rm(partPath, { force: true }); // verified, complete, and still bad
        throw error;
      });
      await rm(partPath, { force: true });
      return { ...unpacked, gateway, carSize: size, resumedFrom };
    } catch (error) {
      if (error instanceof DestinationNotEmptyError || error instanceof ResultTooLargeError) throw error; // no other gateway can fix that
      attempts.push({ gateway, error: error instanceof Error ? error.message.split("\n")[0]! : String(error) });
    }
  }
  throw new ResultFetchError({ cid: job.resultCid, attempts });
}
