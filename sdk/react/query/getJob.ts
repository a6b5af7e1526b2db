import type { QueryObserverOptions } from "@tanstack/react-query";
import type { Address } from "viem";
import type { Config } from "wagmi";
import { getJob, type GetJobErrorType, type GetJobReturnType } from "../../src/actions/getJob.js";
import { isTerminalStatus, jobKeyParameters, clientOf, retryUnlessFinal } from "./utils.js";

export type GetJobQueryParameters<selectData = GetJobData> = {
  jobId?: bigint | undefined;
  /** JobMarket address (default: Shoal's deployment on the chain). */
  market?: Address | undefined;
  chainId?: number | undefined;
  /**
   * Milliseconds between reads while the job can still change; `false` never polls (for
   * callers that refetch on the job's events instead). Polling stops once the job is terminal.
   */
  pollingInterval?: number | false | undefined;
  query?: Omit<GetJobQueryOptions<selectData>, "queryKey" | "queryFn"> | undefined;
};

export type GetJobData = GetJobReturnType;

/** `["shoal", "job", { chainId, market, jobId }]`, every value a string (bigint-safe). */
export function getJobQueryKey(parameters: { chainId?: number | undefined; market?: Address | undefined; jobId?: bigint | undefined }) {
  return ["shoal", "job", jobKeyParameters(parameters)] as const;
}
export type GetJobQueryKey = ReturnType<typeof getJobQueryKey>;

export type GetJobQueryOptions<selectData = GetJobData> = QueryObserverOptions<
  GetJobData,
  GetJobErrorType | Error,
  selectData,
  GetJobData,
  GetJobQueryKey
>;

/**
 * Query options for job `jobId`: enabled once a job ID is given, polled while the job can still
 * change and never after it is terminal; not-found is not retried.
 *
 * @example
 * const job = await queryClient.fetchQuery(getJobQueryOptions(config, { chainId: 314159, jobId: 1n }));
 */
export function getJobQueryOptions<selectData = GetJobData>(
  config: Config,
  parameters: GetJobQueryParameters<selectData> = {},
): GetJobQueryOptions<selectData> & { enabled: boolean; queryKey: GetJobQueryKey } {
  const interval = parameters.pollingInterval ?? 4_000;
  return {
    retry: retryUnlessFinal,
    refetchInterval: interval === false ? false : (query) => (isTerminalStatus(query.state.data?.status) ? false : interval),
    ...parameters.query,
    enabled: Boolean(parameters.jobId !== undefined && (parameters.query?.enabled ?? true)),
    queryKey: getJobQueryKey(parameters),
    queryFn: async ({ queryKey: [, , { chainId, market, jobId }] }) => {
      if (jobId === undefined) throw new Error("jobId is required");
      const client = clientOf(config, chainId);
      return getJob(client, { jobId: BigInt(jobId), market });
    },
  };
}
