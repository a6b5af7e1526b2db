import { formatUnits } from "viem";
import { JOB_STATUS, type JobEvent, resultCidFromBytes } from "../src/index.js";

/** `amount` (in the smallest unit) with its symbol: `0.303 FIL`. */
export function amount(value: bigint, unit: { decimals: number; symbol: string }): string {
  return `${formatUnits(value, unit.decimals)} ${unit.symbol}`;
}

/** A unix time in seconds as an ISO date. */
export function isoTime(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

function cid(bytes: `0x${string}`): string {
  try {
    return resultCidFromBytes(bytes).toString();
  } catch {
    return bytes;
  }
}

/** One progress line per lifecycle event, e.g. `claimed    slot 0  0x7099…`; undefined to skip it. */
export function progressLine(event: JobEvent): string | undefined {
  const label = event.type.padEnd(10);
  switch (event.type) {
    case "claimed":
    case "committed":
      return `${label} slot ${event.slot}  ${event.provider}`;
    case "reopened":
      return `${label} slot ${event.slot}  (${event.previous} missed its commit window)`;
    case "quorum":
      return `${label} reveals due by ${isoTime(event.revealDeadline)}`;
    case "revealed":
      return `${label} slot ${event.slot}  ${event.provider}  ${cid(event.resultCid)}`;
    case "finalized": {
      const winners = [...Array(16).keys()].filter((i) => event.winnersMask & (1 << i));
      const status = JOB_STATUS[event.status] ?? String(event.status);
      return `${label} ${status}${winners.length ? `  winners: slot ${winners.join(", ")}` : ""}`;
    }
    case "expired":
    case "cancelled":
      return label.trimEnd();
    default:
      return undefined;
  }
}
