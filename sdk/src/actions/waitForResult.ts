import type { Address, Client, Hex } from "viem";
import { getBlock } from "viem/actions";
import {
  JobCancelledError,
  type JobCancelledErrorType,
  JobExpiredError,
  type JobExpiredErrorType,
  NoQuorumError,
  type NoQuorumErrorType,
  WaitForResultTimeoutError,
  type WaitForResultTimeoutErrorType,
} from "../errors/client.js";
import { getJob, type GetJobReturnType } from "./getJob.js";
import { type JobEvent, watchJob } from "./watchJob.js";

export type WaitForResultParameters = {
  jobId: bigint;
  /** Milliseconds to wait before giving up (default: no limit). */
  timeout?: number | undefined;
  /** Called for each lifecycle event (claimed, committed, quorum, revealed, finalized). */
  onProgress?: ((event: JobEvent) => void) | undefined;
  pollingInterval?: number | undefined;
  /** First block to read events from (e.g. the submit receipt's block; default: the deployment block). */
  fromBlock?: bigint | undefined;
  /** Stops waiting (rejecting with the signal's reason) when aborted, e.g. when a component unmounts. */
  signal?: AbortSignal | undefined;
  market?: Address | undefined;
};
export type WaitForResultReturnType = { resultCid: string; resultCidBytes: Hex; job: GetJobReturnType };
export type WaitForResultErrorType =
  | JobExpiredErrorType
  | JobCancelledErrorType
  | NoQuorumErrorType
  | WaitForResultTimeoutErrorType;

/**
 * Waits until job `jobId` settles and resolves with its result CID, or rejects with a typed error
 * when it expires, is cancelled, fails without a reveal, or `timeout` passes. A job whose
 * deadline passed without quorum counts as expired even before anyone calls `expire`.
 *
 * @example
 * const { resultCid } = await waitForResult(publicClient, {
 *   jobId, timeout: 10 * 60_000, onProgress: (e) => console.log(e.type),
 * });
 */
export function waitForResult(client: Client, parameters: WaitForResultParameters): Promise<WaitForResultReturnType> {
  const { jobId, market } = parameters;
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unwatch = () => {};
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      unwatch();
      if (timer) clearTimeout(timer);
      fn();
    };
    const check = async () => {
      const job = await getJob(client, { jobId, market });
      if (job.status === "Settled") finish(() => resolve({ resultCid: job.resultCid!, resultCidBytes: job.resultCidBytes!, job }));
      else if (job.status === "Cancelled") finish(() => reject(new JobCancelledError({ jobId })));
      else if (job.status === "Failed") finish(() => reject(new NoQuorumError({ jobId })));
      else if (job.status === "Expired") finish(() => reject(new JobExpiredError({ jobId, claimed: job.claimed })));
      return job;
    };
    const onEvent = (event: JobEvent) => {
      parameters.onProgress?.(event);
      if (event.type === "finalized" || event.type === "expired" || event.type === "cancelled") void check().catch(fail);
    };
    const fail = (error: unknown) => finish(() => reject(error));
    if (parameters.signal?.aborted) return fail(parameters.signal.reason);
    parameters.signal?.addEventListener("abort", () => fail(parameters.signal!.reason), { once: true });
    if (parameters.timeout !== undefined) {
      const timeout = parameters.timeout;
      timer = setTimeout(() => {
        void getJob(client, { jobId, market })
          .then((job) => fail(new WaitForResultTimeoutError({ jobId, timeout, status: job.status })))
          .catch(fail);
      }, timeout);
    }
    // An Open job past its deadline will never settle: report it as expired without waiting.
    const deadlineWatch = async () => {
      while (!settled) {
        // Terminal statuses arrive through the watcher, after every earlier event was reported.
        const job = await getJob(client, { jobId, market });
        if (settled) return;
        const block = await getBlock(client);
        if (job.status === "Open" && Number(block.timestamp) >= job.deadline) {
          return finish(() => reject(new JobExpiredError({ jobId, claimed: job.claimed })));
        }
        await new Promise((r) => setTimeout(r, parameters.pollingInterval ?? client.pollingInterval ?? 4_000));
      }
    };
    check()
      .then(() => {
        if (settled) return;
        unwatch = watchJob(client, { jobId, market, onEvent, onError: fail, pollingInterval: parameters.pollingInterval, fromBlock: parameters.fromBlock });
        void deadlineWatch().catch(fail);
      })
      .catch(fail);
  });
}
