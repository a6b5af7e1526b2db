import { BaseError, ContractFunctionRevertedError, formatEther, type Address, type Client } from "viem";
import { deployments } from "../deployments.js";
import { MarketCallError, ShoalNotDeployedError } from "../errors/client.js";

/** The market address: the one given, or the deployment on the client's chain. */
export function resolveMarket(client: Client, market?: Address): Address {
  if (market) return market;
  const found = deployments[client.chain?.id ?? -1]?.jobMarket;
  if (!found) throw new ShoalNotDeployedError({ chainId: client.chain?.id, contract: "jobMarket" });
  return found;
}

/** The registry address: the one given, or the deployment on the client's chain. */
export function resolveRegistry(client: Client, registry?: Address): Address {
  if (registry) return registry;
  const found = deployments[client.chain?.id ?? -1]?.providerRegistry;
  if (!found) throw new ShoalNotDeployedError({ chainId: client.chain?.id, contract: "providerRegistry" });
  return found;
}

/** What to do about each custom error of the market and the registry (some read the error's arguments). */
const HINTS: Record<string, string | ((args: readonly unknown[]) => string)> = {
  RegistryStakeTooLow: ([sent, minimum]) => `stake at least ${fil(minimum)} FIL (this sent ${fil(sent)} FIL)`,
  RegistryAlreadyRegistered: "this account is already registered: add stake or change its gateway instead",
  RegistryNotRegistered: "register this account as a provider first",
  RegistryInvalidGatewayUrl: ([, maxLength]) => `use a gateway URL of 1..${String(maxLength)} bytes`,
  RegistryInsufficientFreeStake: ([, free, needed]) => `free stake is ${fil(free)} FIL and ${fil(needed)} FIL is needed: add stake or wait for open jobs to settle`,
  RegistryUnbondingNotReady: ([, endsAt]) => `the stake unbonds at ${new Date(Number(endsAt) * 1000).toISOString()}; try again then`,
  RegistryInvalidAmount: "the amount must be more than 0 and at most the free stake",
  RegistryNotAMiner: "that actor is not a miner known to the power actor",
  RegistryNotMinerController: "your f410 address must be the miner's owner, worker or a control address",
  RegistryMinerAlreadyBound: ([, boundTo]) => `that miner is already bound to ${String(boundTo)}`,
  MarketPaused: "the market is paused for new jobs; try later",
  InvalidReplication: "quorum must be between 1 and replicas, and replicas between 1 and 16",
  InvalidPrice: "the price per replica must be positive",
  CollateralTooLow: "raise the collateral to the market's minimum",
  InvalidSpecSize: "the encoded spec must be 1..16384 bytes",
  InvalidInputs: "use at most 16 inputs with padded sizes that are powers of two (>= 128); locality jobs need inputs",
  InvalidWindow: "commit and reveal windows must be between 60 s and 30 days",
  InvalidDeadline: "the deadline must leave at least one commit window and be within 180 days",
  InvalidCallback: "a callback needs a target and a gas limit within the market's maximum",
  IncorrectPayment: "send exactly the escrow (replicas × price + fee) for FIL jobs, and no FIL for token jobs",
  TokenTransferShortfall: "fee-on-transfer tokens are not supported",
  JobNotInStatus: "the job is not in a state that allows this",
  JobDeadlinePassed: "the job's deadline has passed",
  JobDeadlineNotReached: "the job's deadline has not passed yet",
  NotCancellable: "only the client can cancel, and only before any slot is claimed",
  NothingToWithdraw: "these jobs owe this account nothing in this token",
  WrongToken: "list only jobs paid in the token you withdraw",
  SlotUnavailable: "that slot is taken; claim the next free one",
  AlreadyClaimed: "this provider already holds a slot of the job",
  NotAllowlisted: "the job only accepts providers on its allowlist",
  CommitWindowClosed: "the commit window of this slot is over",
  RevealWindowClosed: "the reveal window is over",
  RevealWindowOpen: "wait until the reveal window is over",
  InsufficientGasForCallback: "send the transaction with more gas: the callback's limit must be honoured",
};

const fil = (value: unknown): string => (typeof value === "bigint" ? formatEther(value) : String(value));

function hintFor(reason: string, args: readonly unknown[]): string {
  const hint = HINTS[reason];
  return typeof hint === "function" ? hint(args) : (hint ?? "the contract refused the call");
}

/**
 * Turns a viem contract error into a {@link MarketCallError} naming the contract's custom error
 * and what to do, or returns it unchanged.
 */
export function toMarketError(error: unknown): unknown {
  if (!(error instanceof BaseError)) return error;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
    const reason = revert.data.errorName;
    return new MarketCallError({
      reason,
      args: revert.data.args ?? [],
      hint: hintFor(reason, revert.data.args ?? []),
      cause: error,
    });
  }
  return error;
}
