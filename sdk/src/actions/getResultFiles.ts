import type { Address, Client } from "viem";
import { readContract } from "viem/actions";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import {
  ResultFetchError,
  type ResultFetchErrorType,
  ResultNotAvailableError,
  type ResultNotAvailableErrorType,
} from "../errors/client.js";
import { ResultTooLargeError } from "../errors/result.js";
import { resolveMarket, resolveRegistry } from "../internal/contracts.js";
import { fetchResultFiles, type FetchResultFilesReturnType } from "../result/fetchResultFiles.js";
import { getJob } from "./getJob.js";

export type GetResultFilesParameters = {
  jobId: bigint;
  /** Refuse results holding more file bytes than this (default 64 MiB: the files are kept in memory). */
  maxBytes?: bigint | number | undefined;
  /** Gateways to try before the revealers' own (e.g. a CDN in front of them). */
  gateways?: readonly string[] | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: { bytes: number; total: number | undefined }) => void) | undefined;
  market?: Address | undefined;
  registry?: Address | undefined;
};
export type GetResultFilesReturnType = FetchResultFilesReturnType & {
  /** The gateway that served the verified CAR. */
  gateway: string;
  /** The revealer whose gateway it is (undefined for a gateway given in `gateways`). */
  provider: Address | undefined;
};
export type GetResultFilesErrorType = ResultNotAvailableErrorType | ResultFetchErrorType;

/**
 * Downloads job `jobId`'s result, in memory, from the gateway of a provider that revealed it
 * (`GET <gateway>/ipfs/<cid>?format=car`), verifying every block against the CID settled on chain
 * as it arrives (see fetchResultFiles). A gateway that fails or serves bad bytes is skipped for the
 * next revealer's. Runs in browsers: this is how a dapp shows a verified result.
 *
 * @example
 * const { files, gateway } = await getResultFiles(publicClient, { jobId });
 * for (const f of files) console.log(f.path, f.bytes.length);
 */
export async function getResultFiles(client: Client, parameters: GetResultFilesParameters): Promise<GetResultFilesReturnType> {
  const market = resolveMarket(client, parameters.market);
  const job = await getJob(client, { jobId: parameters.jobId, market });
  if (!job.resultCid) throw new ResultNotAvailableError({ jobId: parameters.jobId, status: job.status });
  const registry = parameters.registry ?? (await readContract(client, { address: market, abi: jobMarketAbi, functionName: "registry" }));
  const sources: { gateway: string; provider: Address | undefined }[] = (parameters.gateways ?? []).map((gateway) => ({ gateway, provider: undefined }));
  for (const slot of job.winners) {
    const { provider } = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "getSlot", args: [parameters.jobId, BigInt(slot)] });
    const gateway = await readContract(client, { address: resolveRegistry(client, registry), abi: providerRegistryAbi, functionName: "gatewayOf", args: [provider] });
    sources.push({ gateway, provider });
  }
  const attempts: { gateway: string; error: string }[] = [];
  for (const { gateway, provider } of sources) {
    try {
      const files = await fetchResultFiles({
        url: `${gateway.replace(/\/+$/, "")}/ipfs/${job.resultCid}?format=car`,
        expectedCid: job.resultCid,
        maxBytes: parameters.maxBytes,
        fetch: parameters.fetch,
        signal: parameters.signal,
        onProgress: parameters.onProgress,
      });
      return { ...files, gateway, provider };
    } catch (error) {
      if (error instanceof ResultTooLargeError || parameters.signal?.aborted) throw error; // no other gateway can fix that
      attempts.push({ gateway, error: error instanceof Error ? error.message.split("\n")[0]! : String(error) });
    }
  }
  throw new ResultFetchError({ cid: job.resultCid, attempts });
}
