import type { MutationOptions } from "@tanstack/react-query";
import { getConnectorClient } from "wagmi/actions";
import type { Config, Connector } from "wagmi";
import {
  submitJob,
  type SubmitJobErrorType,
  type SubmitJobParameters,
  type SubmitJobReturnType,
} from "../../src/actions/submitJob.js";

/** What `mutate` takes: the SDK's submitJob parameters, plus the chain and connector to send with. */
export type SubmitJobVariables = SubmitJobParameters & {
  chainId?: number | undefined;
  /** Connector to send from (default: the current connection's). */
  connector?: Connector | undefined;
};
export type SubmitJobData = SubmitJobReturnType;

export type SubmitJobMutationOptions<context = unknown> = MutationOptions<
  SubmitJobData,
  SubmitJobErrorType | Error,
  SubmitJobVariables,
  context
>;

export type SubmitJobMutationParameters<context = unknown> = {
  mutation?: Omit<SubmitJobMutationOptions<context>, "mutationFn" | "mutationKey"> | undefined;
};

/**
 * Mutation options that submit a job from the connected wallet (wagmi's connector client) and
 * resolve, once mined, with its job ID, transaction hash and escrow.
 *
 * @example
 * const { mutateAsync } = useMutation(submitJobMutationOptions(config));
 * const { jobId } = await mutateAsync({ spec, replicas: 3, quorum: 2, price: parseEther("0.1") });
 */
export function submitJobMutationOptions<context = unknown>(
  config: Config,
  parameters: SubmitJobMutationParameters<context> = {},
): SubmitJobMutationOptions<context> & { mutationKey: readonly ["shoal", "submitJob"] } {
  return {
    ...parameters.mutation,
    mutationKey: ["shoal", "submitJob"] as const,
    async mutationFn({ chainId, connector, ...submit }) {
      const client = await getConnectorClient(config, { chainId, connector, account: submit.account });
      return submitJob(client, submit);
    },
  };
}
