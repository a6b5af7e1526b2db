import { type Config, type ResolvedRegister, useChainId, useConfig } from "wagmi";
import { useQuery, type UseQueryReturnType } from "wagmi/query";
import {
  type GetJobResultData,
  type GetJobResultErrorType,
  type GetJobResultQueryParameters,
  getJobResultQueryOptions,
} from "../query/getJobResult.js";

export type UseJobResultParameters<selectData = GetJobResultData> = GetJobResultQueryParameters<selectData> & {
  config?: Config | undefined;
};
export type UseJobResultReturnType<selectData = GetJobResultData> = UseQueryReturnType<selectData, GetJobResultErrorType | Error>;

/**
 * The result of job `jobId`: pending while the job runs, then `{ resultCid, resultCidBytes, job }`
 * once it settles; `error` is a JobExpiredError, JobCancelledError or NoQuorumError when it never
 * will.
 *
 * @example
 * const { data, error } = useJobResult({ jobId });
 * if (error instanceof JobCancelledError) return "cancelled: withdraw the escrow";
 * return data?.resultCid ?? "running…";
 */
export function useJobResult<selectData = GetJobResultData>(
  parameters: UseJobResultParameters<selectData> = {},
): UseJobResultReturnType<selectData> {
  const config = useConfig<ResolvedRegister["config"]>(parameters);
  const chainId = useChainId({ config });
  return useQuery(getJobResultQueryOptions(config, { ...parameters, chainId: parameters.chainId ?? chainId }));
}
