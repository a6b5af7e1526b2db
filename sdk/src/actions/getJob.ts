import type { Address, Client, Hex } from "viem";
import { readContract } from "viem/actions";
import { getJobAbi } from "../abi/fragments.js";
import { JobNotFoundError, type JobNotFoundErrorType, type ShoalNotDeployedErrorType } from "../errors/client.js";
import { resolveMarket } from "../internal/contracts.js";
import { resultCidString } from "../result/resultCidString.js";

/** The job statuses, by their on-chain value. */
export const JOB_STATUS = ["None", "Open", "Revealing", "Settled", "Expired", "Cancelled", "Failed"] as const;
export type JobStatus = (typeof JOB_STATUS)[number];

export type GetJobParameters = {
  jobId: bigint;
  /** JobMarket address (default: the deployment on the client's chain). */
  market?: Address | undefined;
};

export type GetJobReturnType = {
  id: bigint;
  status: JobStatus;
  client: Address;
  /** address(0) for FIL. */
  token: Address;
  replicas: number;
  quorum: number;
  claimed: number;
  locality: boolean;
  /** Claimants must be bound to distinct miners (Sybil resistance). */
  distinctMiners: boolean;
  feeBps: number;
  price: bigint;
  collateral: bigint;
  deadline: number;
  commitWindow: number;
  revealWindow: number;
  /** When the quorum was reached (0 if not yet). */
  consensusAt: number;
  /** Slots whose providers revealed the accepted result (they are paid). */
  winners: number[];
  refundCollected: boolean;
  callback: Address;
  callbackGas: number;
  allowlistRoot: Hex;
  inputsHash: Hex;
  /** The result CID (string) once settled. */
  resultCid: string | undefined;
  /** The binary result CID as stored on chain. */
  resultCidBytes: Hex | undefined;
};

export type GetJobErrorType = JobNotFoundErrorType | ShoalNotDeployedErrorType;

/**
 * Reads job `jobId` from the market.
 *
 * @example
 * const job = await getJob(publicClient, { jobId: 1n });
 * console.log(job.status, job.resultCid);
 */
export async function getJob(client: Client, { jobId, market }: GetJobParameters): Promise<GetJobReturnType> {
  const j = await readContract(client, {
    address: resolveMarket(client, market),
    abi: getJobAbi,
    functionName: "getJob",
    args: [jobId],
  });
  if (j.status === 0) throw new JobNotFoundError({ jobId });
  const winners: number[] = [];
  for (let i = 0; i < j.claimed; i++) if (j.revealedMask & (1 << i)) winners.push(i);
  const hasResult = j.resultCid !== "0x";
  return {
    id: jobId,
    status: JOB_STATUS[j.status] ?? "None",
    client: j.client,
    token: j.token,
    replicas: j.replicas,
    quorum: j.quorum,
    claimed: j.claimed,
    locality: j.locality,
    distinctMiners: j.distinctMiners,
    feeBps: j.feeBps,
    price: j.price,
    collateral: j.collateral,
    deadline: j.deadline,
    commitWindow: j.commitWindow,
    revealWindow: j.revealWindow,
    consensusAt: j.consensusAt,
    winners,
    refundCollected: j.refundCollected,
    callback: j.callback,
    callbackGas: j.callbackGas,
    allowlistRoot: j.allowlistRoot,
    inputsHash: j.inputsHash,
    resultCid: hasResult ? resultCidString(j.resultCid) : undefined,
    resultCidBytes: hasResult ? j.resultCid : undefined,
  };
}
