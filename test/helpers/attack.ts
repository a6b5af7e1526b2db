// Helpers for the adversarial market tests: exact timestamps, raw commits, gas, and draining
// every balance to show no FIL or token stays behind.
import assert from "node:assert/strict";
import { keccak256, parseEventLogs, toHex, zeroAddress, type Abi, type Address, type Hex, type Log } from "viem";
import { computeCommitment } from "../../sdk/src/commitment.js";
import type { Shoal } from "./shoal.js";

type Wallet = Shoal["wallets"][number];

/** Makes the next transaction's block carry timestamp `t`. */
export async function at(s: Shoal, t: number | bigint): Promise<void> {
  await s.networkHelpers.time.setNextBlockTimestamp(BigInt(t));
}

/** The receipt of `hash`. */
export async function receipt(s: Shoal, hash: Hex) {
  return s.publicClient.waitForTransactionReceipt({ hash });
}

/** What transaction `hash` cost its sender in FIL. */
export async function txCost(s: Shoal, hash: Hex): Promise<bigint> {
  const r = await receipt(s, hash);
  return r.gasUsed * r.effectiveGasPrice;
}

/** The FIL balance of `address`. */
export async function balance(s: Shoal, address: Address): Promise<bigint> {
  return s.publicClient.getBalance({ address });
}

/** A made-up bytes32 (non-zero in its first 16 bytes). */
export function junk(label: string): Hex {
  return keccak256(toHex(label));
}

/** The commitment `provider` would make for `cid` in job `jobId`. */
export function commitmentOf(jobId: bigint, provider: Wallet, cid: Hex) {
  return computeCommitment({ jobId, provider: provider.account.address, resultCid: cid });
}

/** Commits an arbitrary `hash` and `seal` (for copiers). */
export async function commitRaw(s: Shoal, jobId: bigint, slot: number, from: Wallet, hash: Hex, seal: Hex) {
  return s.market.write.commit([jobId, BigInt(slot), hash, seal], { account: from.account });
}

/** Claims slots 0..count-1 of `jobId` for providers 0..count-1. */
export async function claimAll(s: Shoal, jobId: bigint, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await s.claim(jobId, i, s.providers[i]);
}

/** The job's reveal window end (consensusAt + revealWindow). */
export async function revealClosesAt(s: Shoal, jobId: bigint): Promise<number> {
  const job = await s.job(jobId);
  return Number(job.consensusAt) + Number(job.revealWindow);
}

/** A provider's registry record. */
export async function stakeOf(s: Shoal, who: Wallet) {
  return s.registry.read.provider([who.account.address]);
}

/**
 * Every account in `accounts` withdraws whatever `jobIds` owe it in `token`, then the fees are
 * sent to the treasury. Returns what each one received.
 */
export async function withdrawAll(
  s: Shoal,
  jobIds: readonly bigint[],
  accounts: readonly Wallet[],
  token: Address = zeroAddress,
): Promise<Map<Address, bigint>> {
  const got = new Map<Address, bigint>();
  for (const w of accounts) {
    let owed = 0n;
    for (const id of jobIds) owed += await s.market.read.owed([id, w.account.address]);
    if (owed === 0n) continue;
    await s.market.write.withdraw([token, [...jobIds]], { account: w.account });
    for (const id of jobIds) assert.equal(await s.market.read.owed([id, w.account.address]), 0n);
    got.set(w.account.address, owed);
  }
  if ((await s.market.read.feesAccrued([token])) > 0n) await s.market.write.withdrawFees([token]);
  return got;
}

/** Asserts the market holds no FIL (every terminal job fully paid out, fees sent). */
export async function assertMarketEmpty(s: Shoal): Promise<void> {
  assert.equal(await balance(s, s.market.address), 0n, "FIL left in the market");
}

/** Asserts the registry holds exactly every stake, every unbonding amount and the slashed pot. */
export async function assertRegistrySolvent(s: Shoal, accounts: readonly Wallet[] = s.providers): Promise<void> {
  let sum = await s.registry.read.slashed();
  for (const w of accounts) {
    const p = await stakeOf(s, w);
    sum += p.stake + p.unbonding;
  }
  assert.equal(await balance(s, s.registry.address), sum, "registry balance != stakes + unbonding + slashed");
}

/** The decoded `eventName` events among `logs` (args loosely typed: the fixture's contracts are untyped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function eventsIn(abi: unknown, logs: readonly Log[], eventName: string): Array<{ args: Record<string, any> }> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return parseEventLogs({ abi: abi as Abi, logs: logs as Log[], eventName }) as any;
}
