import type { Address, Client } from "viem";
import type { Config } from "wagmi";
import { getClient } from "wagmi/actions";
import type { JobStatus } from "../../src/actions/getJob.js";
import { deployments } from "../../src/deployments.js";
import { JobCancelledError, JobExpiredError, JobNotFoundError, NoQuorumError } from "../../src/errors/client.js";

/** Statuses a job never leaves. */
const TERMINAL: ReadonlySet<JobStatus> = new Set(["Settled", "Expired", "Cancelled", "Failed"]);

/** Whether a job in `status` can still change (undefined: not read yet, so it can). */
export function isTerminalStatus(status: JobStatus | undefined): boolean {
  return status !== undefined && TERMINAL.has(status);
}

/**
 * The part of a query key that names one job: chain, market and job ID, all as strings so the
 * key hashes without a bigint replacer and equal jobs share one cache entry whatever the
 * address case. The market defaults to Shoal's deployment on the chain.
 */
export function jobKeyParameters(p: { chainId?: number | undefined; market?: Address | undefined; jobId?: bigint | undefined }) {
  const market = p.market ?? (p.chainId === undefined ? undefined : deployments[p.chainId]?.jobMarket);
  return {
    chainId: p.chainId?.toString(),
    market: market?.toLowerCase() as Address | undefined,
    jobId: p.jobId?.toString(),
  };
}

/** Errors that the same call would raise again: retrying them only delays the answer. */
export function isFinalError(error: unknown): boolean {
  return (
    error instanceof JobNotFoundError ||
    error instanceof JobCancelledError ||
    error instanceof JobExpiredError ||
    error instanceof NoQuorumError
  );
}

/** TanStack `retry`: up to three times, never for a final answer. */
export function retryUnlessFinal(failureCount: number, error: unknown): boolean {
  return failureCount < 3 && !isFinalError(error);
}

/** wagmi's client for `chainId` (a key string; default: the current chain). */
export function clientOf(config: Config, chainId: string | undefined): Client {
  const client = getClient(config, { chainId: chainId === undefined ? undefined : Number(chainId) });
  if (!client) throw new Error(`Chain ${chainId} is not in wagmi's config: add it to \`chains\` and \`transports\`.`);
  return client;
}
