// Small formatting helpers shared by the pages.
import { formatEther } from "viem";

/** `0x1234…abcd`. */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** attoFIL as FIL, trimmed: `0.31 FIL`. */
export function formatFil(atto: bigint, symbol = "FIL"): string {
  return `${formatEther(atto)} ${symbol}`;
}

/** A CID shortened for tables: `bafk…wxyz` (the full value goes in a title). */
export function shortCid(cid: string): string {
  return cid.length > 20 ? `${cid.slice(0, 10)}…${cid.slice(-6)}` : cid;
}

/** Bytes as `12.3 KiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Seconds as `5 min` / `2 h` / `45 s`. */
export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A unix time as local date and time. */
export function formatTime(unix: number | bigint): string {
  return new Date(Number(unix) * 1000).toLocaleString();
}
