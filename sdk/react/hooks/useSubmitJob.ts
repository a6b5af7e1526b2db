import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import { type Config, type ResolvedRegister, useConfig } from "wagmi";
import type { SubmitJobErrorType } from "../../src/actions/submitJob.js";
import {
  type SubmitJobData,
  type SubmitJobMutationParameters,
  submitJobMutationOptions,
  type SubmitJobVariables,
} from "../query/submitJob.js";

export type UseSubmitJobParameters<context = unknown> = SubmitJobMutationParameters<context> & { config?: Config | undefined };
export type UseSubmitJobReturnType<context = unknown> = UseMutationResult<
  SubmitJobData,
  SubmitJobErrorType | Error,
  SubmitJobVariables,
  context
>;

/**
 * Submits a job from the connected wallet. `mutate` takes submitJob's parameters; `data` is
 * `{ jobId, hash, escrow }` once the transaction is mined.
 *
 * @example
 * const { mutate, data } = useSubmitJob();
 * mutate({ spec, replicas: 3, quorum: 2, price: parseEther("0.1") });
 */
export function useSubmitJob<context = unknown>(parameters: UseSubmitJobParameters<context> = {}): UseSubmitJobReturnType<context> {
  const config = useConfig<ResolvedRegister["config"]>(parameters);
  return useMutation(submitJobMutationOptions(config, parameters));
}
