import type { Address, Client } from "viem";
import { waitForResult, type WaitForResultReturnType } from "../actions/waitForResult.js";
import { PipelineStepFailedError, type PipelineStepFailedErrorType } from "../errors/pipeline.js";
import type { PipelineProgress } from "./submitPipeline.js";

export type WaitForPipelineParameters = {
  /** Step name → job ID (submitPipeline's `jobs`). */
  jobs: Readonly<Record<string, bigint>>;
  /** Milliseconds to wait for the whole pipeline (default: no limit). */
  timeout?: number | undefined;
  onProgress?: ((progress: PipelineProgress) => void) | undefined;
  pollingInterval?: number | undefined;
  /** First block to read events from (e.g. the first step's submit block). */
  fromBlock?: bigint | undefined;
  signal?: AbortSignal | undefined;
  market?: Address | undefined;
};
export type WaitForPipelineReturnType = Record<string, WaitForResultReturnType>;
export type WaitForPipelineErrorType = PipelineStepFailedErrorType;

/**
 * Waits until every step's job settles and resolves with each step's result. The first step that
 * ends without a result (expired, cancelled, failed, or past `timeout`) rejects with
 * PipelineStepFailedError naming it; the other waits stop.
 *
 * @example
 * const results = await waitForPipeline(publicClient, { jobs, onProgress: (p) => console.log(p.step, p.type) });
 * console.log(results.evaluate.resultCid);
 */
export async function waitForPipeline(client: Client, parameters: WaitForPipelineParameters): Promise<WaitForPipelineReturnType> {
  const stop = new AbortController();
  const signals = [stop.signal, ...(parameters.signal ? [parameters.signal] : [])];
  const signal = AbortSignal.any(signals);
  const waits = Object.entries(parameters.jobs).map(async ([step, jobId]) => {
    try {
      const result = await waitForResult(client, {
        jobId,
        timeout: parameters.timeout,
        pollingInterval: parameters.pollingInterval,
        fromBlock: parameters.fromBlock,
        market: parameters.market,
        signal,
        onProgress: (event) => parameters.onProgress?.({ step, jobId, type: "event", event }),
      });
      parameters.onProgress?.({ step, jobId, type: "settled", resultCid: result.resultCid });
      return [step, result] as const;
    } catch (cause) {
      if (stop.signal.aborted) throw cause; // another step failed first
      if (parameters.signal?.aborted) throw parameters.signal.reason;
      throw new PipelineStepFailedError({ step, jobId, cause });
    }
  });
  try {
    return Object.fromEntries(await Promise.all(waits));
  } finally {
    stop.abort(new Error("pipeline wait ended"));
    await Promise.allSettled(waits);
  }
}
