import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { type Config, type ResolvedRegister, useChainId, useClient, useConfig } from "wagmi";
import { useQuery, type UseQueryReturnType } from "wagmi/query";
import type { GetJobErrorType } from "../../src/actions/getJob.js";
import { type JobEvent, watchJob } from "../../src/actions/watchJob.js";
import { type GetJobData, type GetJobQueryParameters, getJobQueryOptions } from "../query/getJob.js";
import { isTerminalStatus } from "../query/utils.js";

export type UseJobParameters<selectData = GetJobData> = Omit<GetJobQueryParameters<selectData>, "pollingInterval"> & {
  config?: Config | undefined;
  /** Refetch on the job's events (default), or poll every `pollingInterval` when `false`. */
  watch?: boolean | undefined;
  /** Milliseconds between event scans or reads (default: the client's pollingInterval). */
  pollingInterval?: number | undefined;
  /** Called with each lifecycle event seen while watching (past ones are replayed first). */
  onEvent?: ((event: JobEvent) => void) | undefined;
};
export type UseJobReturnType<selectData = GetJobData> = UseQueryReturnType<selectData, GetJobErrorType | Error>;

/**
 * Job `jobId`, kept live: refetched whenever the market emits one of its events (or polled with
 * `watch: false`) until it is Settled, Expired, Cancelled or Failed. The event watcher stops by
 * itself after the terminal event (JobFinalized, JobExpired, JobCancelled), so `onEvent` sees
 * every step, the last one included.
 *
 * @example
 * const { data: job } = useJob({ jobId });
 * return job?.status === "Settled" ? job.resultCid : job?.status;
 */
export function useJob<selectData = GetJobData>(parameters: UseJobParameters<selectData> = {}): UseJobReturnType<selectData> {
  const config = useConfig<ResolvedRegister["config"]>(parameters);
  const connectedChainId = useChainId({ config });
  const chainId = parameters.chainId ?? connectedChainId;
  const client = useClient({ config, chainId });
  const queryClient = useQueryClient();
  const watch = parameters.watch ?? true;
  const interval = parameters.pollingInterval ?? client?.pollingInterval;
  const options = getJobQueryOptions(config, { ...parameters, chainId, pollingInterval: watch ? false : interval });
  const query = useQuery(options);

  const onEvent = useRef(parameters.onEvent);
  onEvent.current = parameters.onEvent;
  const keyHash = JSON.stringify(options.queryKey); // strings only
  useEffect(() => {
    if (!watch || !client || !options.enabled || parameters.jobId === undefined) return;
    // A job already known to be terminal needs no watching, unless someone wants its events.
    const cached = queryClient.getQueryData<GetJobData>(options.queryKey);
    if (isTerminalStatus(cached?.status) && !onEvent.current) return;
    let pending = false; // events of one scan arrive together: refetch once for all of them
    return watchJob(client, {
      jobId: parameters.jobId,
      market: options.queryKey[2].market,
      pollingInterval: interval,
      onEvent(event) {
        onEvent.current?.(event);
        if (pending) return;
        pending = true;
        queueMicrotask(() => {
          pending = false;
          void queryClient.invalidateQueries({ queryKey: options.queryKey, exact: true });
        });
      },
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyHash stands for queryKey and jobId
  }, [watch, client, options.enabled, keyHash, interval, queryClient]);
  return query;
}
