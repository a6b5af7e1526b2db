import { formatEther } from "viem";
import { ShoalError } from "./base.js";

/** Shoal has no known deployment on the client's chain, and no address was passed. */
export class ShoalNotDeployedError extends ShoalError {
  constructor({ chainId, contract }: { chainId: number | undefined; contract: "jobMarket" | "providerRegistry" }) {
    super(`Shoal's ${contract} is not deployed on chain ${chainId ?? "(none)"}.`, {
      metaMessages: [`Pass its address (\`${contract === "jobMarket" ? "market" : "registry"}\`), or use a chain Shoal is deployed on.`],
      docsPath: "README.md#deploying-to-filecoin",
      name: "ShoalNotDeployedError",
    });
  }
}
export type ShoalNotDeployedErrorType = ShoalNotDeployedError & { name: "ShoalNotDeployedError" };

/** No job has this ID. */
export class JobNotFoundError extends ShoalError {
  readonly jobId: bigint;
  constructor({ jobId }: { jobId: bigint }) {
    super(`Job ${jobId} does not exist.`, {
      metaMessages: ["Check the job ID and that the client points at the right market and chain."],
      name: "JobNotFoundError",
    });
    this.jobId = jobId;
  }
}
export type JobNotFoundErrorType = JobNotFoundError & { name: "JobNotFoundError" };

/** The account cannot pay the escrow. */
export class InsufficientEscrowError extends ShoalError {
  readonly required: bigint;
  readonly balance: bigint;
  constructor({ required, balance, symbol = "FIL" }: { required: bigint; balance: bigint; symbol?: string }) {
    super(`Insufficient escrow: send at least ${formatEther(required)} ${symbol} (the account has ${formatEther(balance)} ${symbol}).`, {
      metaMessages: ["Escrow = replicas × price + the protocol fee, plus gas. Fund the account or lower the price or replicas."],
      name: "InsufficientEscrowError",
    });
    this.required = required;
    this.balance = balance;
  }
}
export type InsufficientEscrowErrorType = InsufficientEscrowError & { name: "InsufficientEscrowError" };

/** The job reached no quorum by its deadline and was (or can be) expired; the escrow is refundable. */
export class JobExpiredError extends ShoalError {
  readonly jobId: bigint;
  constructor({ jobId, claimed }: { jobId: bigint; claimed: number }) {
    super(`Job ${jobId} expired: no quorum of matching results before its deadline.`, {
      metaMessages: [
        `${claimed} slot(s) were claimed.`,
        "The whole escrow is refundable: `shoal withdraw` (or the withdraw action) once the job is expired.",
      ],
      name: "JobExpiredError",
    });
    this.jobId = jobId;
  }
}
export type JobExpiredErrorType = JobExpiredError & { name: "JobExpiredError" };

/** The client cancelled the job. */
export class JobCancelledError extends ShoalError {
  readonly jobId: bigint;
  constructor({ jobId }: { jobId: bigint }) {
    super(`Job ${jobId} was cancelled.`, { metaMessages: ["Its escrow is refundable with withdraw."], name: "JobCancelledError" });
    this.jobId = jobId;
  }
}
export type JobCancelledErrorType = JobCancelledError & { name: "JobCancelledError" };

/** A quorum agreed on a hash but none of its providers revealed: no result, escrow refundable. */
export class NoQuorumError extends ShoalError {
  readonly jobId: bigint;
  constructor({ jobId }: { jobId: bigint }) {
    super(`Job ${jobId} failed: the agreeing providers never revealed a result.`, {
      metaMessages: ["They were slashed; the whole escrow is refundable with withdraw. Submit the job again."],
      name: "NoQuorumError",
    });
    this.jobId = jobId;
  }
}
export type NoQuorumErrorType = NoQuorumError & { name: "NoQuorumError" };

/** waitForResult gave up before the job settled. */
export class WaitForResultTimeoutError extends ShoalError {
  readonly jobId: bigint;
  constructor({ jobId, timeout, status }: { jobId: bigint; timeout: number; status: string }) {
    super(`Timed out after ${Math.round(timeout / 1000)} s waiting for job ${jobId} (status: ${status}).`, {
      metaMessages: ["The job goes on: wait again, or check it with getJob / `shoal job status`."],
      name: "WaitForResultTimeoutError",
    });
    this.jobId = jobId;
  }
}
export type WaitForResultTimeoutErrorType = WaitForResultTimeoutError & { name: "WaitForResultTimeoutError" };

/** The job has no result yet. */
export class ResultNotAvailableError extends ShoalError {
  readonly jobId: bigint;
  constructor({ jobId, status }: { jobId: bigint; status: string }) {
    super(`Job ${jobId} has no result yet (status: ${status}).`, {
      metaMessages: ["Wait for it with waitForResult, then fetch it."],
      name: "ResultNotAvailableError",
    });
    this.jobId = jobId;
  }
}
export type ResultNotAvailableErrorType = ResultNotAvailableError & { name: "ResultNotAvailableError" };

/** Every provider that revealed the result failed to serve a CAR that verifies. */
export class ResultFetchError extends ShoalError {
  readonly attempts: readonly { gateway: string; error: string }[];
  constructor({ cid, attempts }: { cid: string; attempts: readonly { gateway: string; error: string }[] }) {
    super(`Could not download result ${cid} from any provider.`, {
      metaMessages: attempts.map((a) => `- ${a.gateway}: ${a.error}`),
      name: "ResultFetchError",
    });
    this.attempts = attempts;
  }
}
export type ResultFetchErrorType = ResultFetchError & { name: "ResultFetchError" };

/** The market refused a call; `reason` is its custom error, `hint` says what to do. */
export class MarketCallError extends ShoalError {
  readonly reason: string;
  readonly args: readonly unknown[];
  constructor({ reason, args, hint, cause }: { reason: string; args: readonly unknown[]; hint: string; cause: unknown }) {
    super(`${reason}: ${hint}`, { cause, name: "MarketCallError" });
    this.reason = reason;
    this.args = args;
  }
}
export type MarketCallErrorType = MarketCallError & { name: "MarketCallError" };
