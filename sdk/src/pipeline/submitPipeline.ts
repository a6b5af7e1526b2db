import type { Account, Address, Chain, Client, Transport } from "viem";
import { submitJob, type SubmitJobParameters, type SubmitJobReturnType } from "../actions/submitJob.js";
import type { JobEvent } from "../actions/watchJob.js";
import { PipelineSubmitError, type InvalidPipelineErrorType, type PipelineSubmitErrorType } from "../errors/pipeline.js";
import type { InvalidSpecErrorType } from "../errors/spec.js";
import { buildSpec } from "../spec/buildSpec.js";
import { bindSpec, type PipelineSpecInput, topologicalOrder } from "./graph.js";

/** One step: a job whose spec may take other steps' results (`{ step, mount }` inputs). */
export type PipelineStep = Omit<SubmitJobParameters, "spec" | "market" | "account"> & { spec: PipelineSpecInput };

/** What a pipeline run reports: a step posted, then its job's events, then its result. */
export type PipelineProgress =
  | { step: string; jobId: bigint; type: "posted"; hash: `0x${string}` }
  | { step: string; jobId: bigint; type: "event"; event: JobEvent }
  | { step: string; jobId: bigint; type: "settled"; resultCid: string };

export type SubmitPipelineParameters = {
  /** The steps by name. Declaration order breaks ties between steps that could be posted in either order. */
  steps: Readonly<Record<string, PipelineStep>>;
  onProgress?: ((progress: PipelineProgress) => void) | undefined;
  market?: Address | undefined;
  account?: Account | Address | undefined;
};
export type SubmitPipelineReturnType = {
  /** Every step's job ID. */
  jobs: Record<string, bigint>;
  /** The steps in the order they were posted (each after the steps it takes results from). */
  order: string[];
  /** Escrow paid in total (in the steps' payment token; mixing tokens adds unlike units). */
  escrow: bigint;
};
export type SubmitPipelineErrorType = InvalidPipelineErrorType | InvalidSpecErrorType | PipelineSubmitErrorType;

/**
 * Posts a DAG of jobs in dependency order: a step that takes another step's result
 * (`inputs: [{ step: "train", mount: "/inputs/model" }]`) is posted after it, with that input
 * bound to its job ID (`{ job: "<id>", mount }`). Providers claim a step once the jobs it takes
 * results from have settled, and fetch those results from the gateways of the providers that
 * revealed them. Every spec is validated before the first transaction; a failed post throws
 * PipelineSubmitError listing the jobs already posted.
 *
 * @example
 * const { jobs } = await submitPipeline(walletClient, {
 *   steps: {
 *     train: { spec: trainSpec, replicas: 3, quorum: 2, price },
 *     evaluate: { spec: { ...evalSpec, inputs: [{ step: "train", mount: "/inputs/model" }, test] }, replicas: 3, quorum: 2, price },
 *   },
 * });
 */
export async function submitPipeline<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: SubmitPipelineParameters,
): Promise<SubmitPipelineReturnType> {
  const { steps } = parameters;
  const order = topologicalOrder(steps);
  // Every spec is checked (with placeholder job IDs) before anything is posted.
  for (const name of order) buildSpec(bindSpec(steps[name]!.spec, () => 1n));

  const jobs: Record<string, bigint> = {};
  let escrow = 0n;
  for (const name of order) {
    const step = steps[name]!;
    let posted: SubmitJobReturnType;
    try {
      posted = await submitJob(client, {
        ...step,
        spec: bindSpec(step.spec, (dep) => jobs[dep]!),
        market: parameters.market,
        account: parameters.account,
      });
    } catch (cause) {
      throw new PipelineSubmitError({ step: name, posted: { ...jobs }, cause });
    }
    jobs[name] = posted.jobId;
    escrow += posted.escrow;
    parameters.onProgress?.({ step: name, jobId: posted.jobId, type: "posted", hash: posted.hash });
  }
  return { jobs, order, escrow };
}
