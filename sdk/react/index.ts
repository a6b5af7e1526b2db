// Shoal for React dapps: wagmi hooks and the TanStack Query options behind them.
export { useSubmitJob, type UseSubmitJobParameters, type UseSubmitJobReturnType } from "./hooks/useSubmitJob.js";
export { useJob, type UseJobParameters, type UseJobReturnType } from "./hooks/useJob.js";
export { useJobResult, type UseJobResultParameters, type UseJobResultReturnType } from "./hooks/useJobResult.js";

export {
  type SubmitJobData,
  type SubmitJobMutationOptions,
  type SubmitJobMutationParameters,
  submitJobMutationOptions,
  type SubmitJobVariables,
} from "./query/submitJob.js";
export {
  type GetJobData,
  getJobQueryKey,
  type GetJobQueryKey,
  getJobQueryOptions,
  type GetJobQueryOptions,
  type GetJobQueryParameters,
} from "./query/getJob.js";
export {
  type GetJobResultData,
  type GetJobResultErrorType,
  getJobResultQueryKey,
  type GetJobResultQueryKey,
  getJobResultQueryOptions,
  type GetJobResultQueryOptions,
  type GetJobResultQueryParameters,
} from "./query/getJobResult.js";
