import { type Address, erc20Abi, parseUnits, zeroAddress } from "viem";
import type { Context } from "./context.js";
import { CliError, UsageError } from "./errors.js";

/** How amounts of a job's currency are written: FIL, or an ERC-20's decimals and symbol. */
export type Unit = { token: Address; decimals: number; symbol: string };

export const FIL_UNIT: Unit = { token: zeroAddress, decimals: 18, symbol: "FIL" };

/** The unit of `token` (address(0) = FIL), read from the token contract. */
export async function unitOf(context: Context, token: Address): Promise<Unit> {
  if (token === zeroAddress) return FIL_UNIT;
  try {
    const [decimals, symbol] = await Promise.all([
      context.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "decimals" }),
      context.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "symbol" }),
    ]);
    return { token, decimals, symbol };
  } catch {
    throw new CliError(`token ${token} is not an ERC-20 on ${context.choice.label}: check --token`);
  }
}

/** `text` in the smallest unit of `unit`; fails if it has more decimals than the unit. */
export function toUnits(text: string, unit: Pick<Unit, "decimals" | "symbol">, what: string): bigint {
  const fraction = text.split(".")[1] ?? "";
  if (fraction.length > unit.decimals) throw new UsageError(`${what} has more than ${unit.decimals} decimals for ${unit.symbol}`);
  return parseUnits(text, unit.decimals);
}
