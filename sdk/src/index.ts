// Shoal SDK: viem actions, typed ABIs, deployments, job specs, piece and result CIDs and errors.
// Everything here runs in browsers and in Node: no `node:` module is reachable from this entry
// (test/sdk/browser.test.ts bundles it for the browser). What needs a file system (downloading a
// result into a directory, computing a directory's result CID, packing and unpacking CARs) lives
// in "@shoal/sdk/node".
export { jobMarketAbi } from "./abi/jobMarket.js";
export { providerRegistryAbi } from "./abi/providerRegistry.js";
export { shoalConsumerAbi } from "./abi/shoalConsumer.js";
export { federatedAveragingAbi } from "./abi/federatedAveraging.js";
export { deployments, type ShoalDeployment } from "./deployments.js";
export { computeCommitment, type Commitment } from "./commitment.js";

export { submitJob, type SubmitJobErrorType, type SubmitJobParameters, type SubmitJobReturnType } from "./actions/submitJob.js";
export { getJob, JOB_STATUS, type GetJobErrorType, type GetJobParameters, type GetJobReturnType, type JobStatus } from "./actions/getJob.js";
export { watchJob, type JobEvent, type WatchJobParameters, type WatchJobReturnType } from "./actions/watchJob.js";
export { waitForResult, type WaitForResultErrorType, type WaitForResultParameters, type WaitForResultReturnType } from "./actions/waitForResult.js";
export { getResultFiles, type GetResultFilesErrorType, type GetResultFilesParameters, type GetResultFilesReturnType } from "./actions/getResultFiles.js";
export { cancelJob, type CancelJobErrorType, type CancelJobParameters, type CancelJobReturnType } from "./actions/cancelJob.js";
export { withdraw, type WithdrawErrorType, type WithdrawParameters, type WithdrawReturnType } from "./actions/withdraw.js";
export { getLogsChunked, MAX_LOG_RANGE } from "./internal/logs.js";
export { socketFirst, SOCKET_REST_MS, SOCKET_TIMEOUT_MS, type SocketFirstOptions, type SocketFirstReturnType } from "./transport/socketFirst.js";
export { getOwedJobs, type GetOwedJobsParameters, type GetOwedJobsReturnType } from "./actions/getOwedJobs.js";
export { addStake } from "./actions/addStake.js";
export { bindMiner } from "./actions/bindMiner.js";
export { claimSlot } from "./actions/claimSlot.js";
export { commitResult } from "./actions/commitResult.js";
export { expireJob } from "./actions/expireJob.js";
export { finalizeJob } from "./actions/finalizeJob.js";
export { registerProvider } from "./actions/registerProvider.js";
export { revealResult } from "./actions/revealResult.js";
export { unbondStake } from "./actions/unbondStake.js";
export { updateProvider } from "./actions/updateProvider.js";
export { withdrawStake } from "./actions/withdrawStake.js";
export type { Capabilities } from "./actions/providerTypes.js";

export * from "./spec/index.js";
export * from "./pipeline/index.js";
export * from "./federated/index.js";
export * from "./result/index.js";
export * from "./piece/index.js";
export * from "./errors/index.js";
export {
  InsufficientEscrowError,
  type InsufficientEscrowErrorType,
  JobCancelledError,
  type JobCancelledErrorType,
  JobExpiredError,
  type JobExpiredErrorType,
  JobNotFoundError,
  type JobNotFoundErrorType,
  MarketCallError,
  type MarketCallErrorType,
  NoQuorumError,
  type NoQuorumErrorType,
  ResultFetchError,
  type ResultFetchErrorType,
  ResultNotAvailableError,
  type ResultNotAvailableErrorType,
  ShoalNotDeployedError,
  type ShoalNotDeployedErrorType,
  WaitForResultTimeoutError,
  type WaitForResultTimeoutErrorType,
} from "./errors/client.js";
