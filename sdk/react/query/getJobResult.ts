import type { QueryObserverOptions } from "@tanstack/react-query";
import type { Address } from "viem";
import type { Config } from "wagmi";
import type { GetJobErrorType } from "../../src/actions/getJob.js";
import type { JobEvent } from "../../src/actions/watchJob.js";
import { waitForResult, type WaitForResultErrorType, type WaitForResultReturnType } from "../../src/actions/waitForResult.js";
import { jobKeyParameters, clientOf, retryUnlessFinal } from "./utils.js";

export type GetJobResultQueryParameters<selectData = GetJobResultData> = {
  jobId?: bigint | undefined;
  /** JobMarket address (default: Shoal's deployment on the chain). */
  market?: Address | undefined;
  chainId?: number | undefined;
  /** Milliseconds between checks while waiting (default: the client's pollingInterval). */
  pollingInterval?: number | undefined;
  /** Called for each lifecycle event while waiting (claimed, committed, quorum, revealed, finalized). */
  onProgress?: ((event: JobEvent) => void) | undefined;
  query?: Omit<GetJobResultQueryOptions<selectData>, "queryKey" | "queryFn"> | undefined;
};

export type GetJobResultData = WaitForResultReturnType;
/** Expired, cancelled, no quorum (typed), or a read failure. */
export type GetJobResultErrorType = WaitForResultErrorType | GetJobErrorType;

/** `["shoal", "jobResult", { chainId, market, jobId }]`, every value a string (bigint-safe). */
export function getJobResultQueryKey(parameters: { chainId?: number | undefined; market?: Address | undefined; jobId?: bigint | undefined }) {
  return ["shoal", "jobResult", jobKeyParameters(parameters)] as const;
}
export type GetJobResultQueryKey = ReturnType<typeof getJobResultQueryKey>;

export type GetJobResultQueryOptions<selectData = GetJobResultData> = QueryObserverOptions<
  GetJobResultData,
  GetJobResultErrorType | Error,
  selectData,
  GetJobResultData,
  GetJobResultQueryKey
>;

/**
 * Query options that stay pending until job `jobId` settles, then hold its result CID for good
 * (a settled result never changes). An expired, cancelled or quorum-less job fails the query with
 * JobExpiredError, JobCancelledError or NoQuorumError, which are not retried.
 *
 * @example
 * const { resultCid } = await queryClient.fetchQuery(getJobResultQueryOptions(config, { chainId, jobId }));
 */
export function getJobResultQueryOptions<selectData = GetJobResultData>(
  config: Config,
  parameters: GetJobResultQueryParameters<selectData> = {},
): GetJobResultQueryOptions<selectData> & { enabled: boolean; queryKey: GetJobResultQueryKey } {
  return {
    retry: retryUnlessFinal,
    staleTime: Number.POSITIVE_INFINITY,
    ...parameters.query,
    enabled: Boolean(parameters.jobId !== undefined && (parameters.query?.enabled ?? true)),
    queryKey: getJobResultQueryKey(parameters),
    queryFn: async ({ queryKey: [, , { chainId, market, jobId }], signal }) => {
      if (jobId === undefined) throw new Error("jobId is required");
      const client = clientOf(config, chainId);
      return waitForResult(client, {
        jobId: BigInt(jobId),
        market,
        pollingInterval: parameters.pollingInterval,
        onProgress: parameters.onProgress,
        signal,
      });
    },
  };
}
