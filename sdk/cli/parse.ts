import { InvalidArgumentError } from "commander";

/** Parses a positive integer option value. */
export function parsePositiveInt(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value.trim())) throw new InvalidArgumentError("must be a positive integer");
  return Number(value.trim());
}

/** Parses a whole number from 0 to 2^32 - 1 (a seed). */
export function parseU32(value: string): number {
  const text = value.trim();
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) > 0xffffffff) throw new InvalidArgumentError("must be a whole number from 0 to 4294967295");
  return Number(text);
}

/** Parses a job ID argument. */
export function parseJobId(value: string): bigint {
  if (!/^[0-9]{1,78}$/.test(value.trim())) throw new InvalidArgumentError("must be a job ID (a whole number)");
  return BigInt(value.trim());
}

/** Checks a decimal amount (`0.1`, `12`); it becomes units once the currency's decimals are known. */
export function parseAmountText(value: string): string {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value.trim())) throw new InvalidArgumentError("must be a decimal amount such as 0.1");
  return value.trim();
}
