// Every error the dapp shows is one sentence that says what to do. The SDK's errors already carry
// a one-line `shortMessage` (the market's custom errors come as MarketCallError with a hint);
// viem's and wallets' are recognised by name (set explicitly, so it survives minifying) and code
// (EIP-1193 4001) through the cause chain.
import { InvalidSpecError, MarketCallError, ShoalError } from "@shoal/sdk";
import { BaseError, ContractFunctionRevertedError } from "viem";

/** What an error looked like to the matcher: its name, code, message, and those of its causes. */
type Seen = { names: string[]; codes: number[]; messages: string[] };

function collect(error: unknown): Seen {
  const seen: Seen = { names: [], codes: [], messages: [] };
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (typeof e === "object") {
      const o = e as { name?: unknown; code?: unknown; message?: unknown; shortMessage?: unknown; cause?: unknown };
      if (typeof o.name === "string") seen.names.push(o.name);
      if (typeof o.code === "number") seen.codes.push(o.code);
      if (typeof o.shortMessage === "string") seen.messages.push(o.shortMessage);
      if (typeof o.message === "string") seen.messages.push(o.message);
      e = o.cause;
    } else {
      seen.messages.push(String(e));
      break;
    }
  }
  return seen;
}

const firstLine = (s: string) => s.split("\n")[0]!.trim();
const sentence = (s: string) => {
  const line = firstLine(s).replace(/\s+/g, " ");
  const capital = line.charAt(0).toUpperCase() + line.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

/** Sentences for the market's and registry's custom errors a dapp user can meet. */
const CUSTOM: Record<string, string> = {
  MarketPaused: "The market is paused by its owner; try again later.",
  InvalidReplication: "Quorum must be between 1 and the number of replicas (at most 16); change replicas or quorum.",
  InvalidPrice: "The price per replica must be more than zero.",
  CollateralTooLow: "The collateral per slot is below the market's minimum; raise it.",
  InvalidSpecSize: "The job spec is larger than 16 KiB; shorten its arguments.",
  InvalidInputs: "A job takes at most 16 input pieces; remove some.",
  InvalidWindow: "Commit and reveal windows must be between 60 seconds and 30 days.",
  InvalidDeadline: "The deadline must be after the commit and reveal windows and within 180 days.",
  IncorrectPayment: "The escrow sent does not match replicas × price plus the fee; reload the page and submit again.",
  NothingToWithdraw: "Nothing is owed to this account for these jobs.",
  NotCancellable: "This job can no longer be cancelled: a provider has claimed it.",
  JobNotInStatus: "The job is not in the state this action needs; reload the page.",
};

/**
 * One sentence saying what went wrong and what to do: rejected signature, wrong chain,
 * insufficient funds, RPC down, a contract's custom error by name, an invalid spec.
 */
export function explainError(error: unknown): string {
  if (error === undefined || error === null) return "Something went wrong; try again.";
  const seen = collect(error);
  const has = (name: string) => seen.names.includes(name);
  const text = seen.messages.join("\n").toLowerCase();

  if (has("UserRejectedRequestError") || seen.codes.includes(4001) || /user (rejected|denied)/.test(text))
    return "You rejected the request in your wallet; nothing was sent.";
  if (has("ChainMismatchError") || has("ChainNotConfiguredError") || has("ChainNotConfiguredForConnectorError") || /does not match the target chain|chain mismatch/.test(text))
    return "Your wallet is on another chain; switch to the selected chain with the chain selector and try again.";
  if (has("ConnectorNotConnectedError") || has("ConnectorAccountNotFoundError") || has("AccountNotFoundError"))
    return "Connect a wallet first.";
  if (has("InsufficientFundsError") || has("InsufficientEscrowError") || /insufficient funds|exceeds the balance|sender doesn't have enough funds/.test(text))
    return "This account does not have enough FIL for the escrow and gas; fund it or lower the price or replicas.";
  if (error instanceof InvalidSpecError) return sentence(`The job spec is invalid: ${error.issues.map((i) => `${i.path} ${i.rule}`).join("; ")}`);
  if (error instanceof MarketCallError) return CUSTOM[error.reason] ?? sentence(error.shortMessage);
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName)
      return CUSTOM[revert.data.errorName] ?? `The contract refused the call (${revert.data.errorName}); check the values and try again.`;
  }
  if (has("HttpRequestError") || has("TimeoutError") || /failed to fetch|fetch failed|networkerror|err_connection_refused|load failed/.test(text))
    return "The chain's RPC endpoint does not answer; check your connection or that the node is running, then try again.";
  if (error instanceof ShoalError) return sentence(error.shortMessage);
  if (error instanceof BaseError) return sentence(error.shortMessage);
  if (error instanceof Error) return sentence(error.message || "Something went wrong; try again");
  if (typeof error === "string" && error.trim() !== "") return sentence(error);
  return "Something went wrong; try again.";
}
