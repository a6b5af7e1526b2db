// The job terms every posting command takes (--replicas, --quorum, --price, --collateral), checked
// locally against the market's limits so a bad value fails in one line before any transaction.
import { FIL_UNIT, toUnits, type Unit } from "./amounts.js";
import { UsageError } from "./errors.js";

/** The market's limits (JobMarket: n ≤ 16; price and collateral are uint80). */
const MAX_REPLICAS = 16;
const MAX_AMOUNT = 2n ** 80n;

/** Fails unless 1 ≤ quorum ≤ replicas ≤ 16 (commander already refused values below 1). */
export function checkReplication(replicas: number, quorum: number): void {
  if (replicas > MAX_REPLICAS) throw new UsageError(`--replicas must be 1..${MAX_REPLICAS} (got ${replicas})`);
  if (quorum > replicas) throw new UsageError(`--quorum (${quorum}) cannot exceed --replicas (${replicas})`);
}

/** --price in the smallest unit of `unit`: more than 0 and below 2^80. */
export function parsePrice(text: string, unit: Pick<Unit, "decimals" | "symbol">): bigint {
  const price = toUnits(text, unit, "--price");
  if (price === 0n) throw new UsageError("--price must be more than 0");
  if (price >= MAX_AMOUNT) throw new UsageError(`--price must be below 2^80 units of ${unit.symbol}`);
  return price;
}

/** --collateral in attoFIL, below 2^80; undefined when not given (the market's minimum applies). */
export function parseCollateral(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const collateral = toUnits(text, FIL_UNIT, "--collateral");
  if (collateral >= MAX_AMOUNT) throw new UsageError("--collateral must be below 2^80 attoFIL");
  return collateral;
}
