// A reference model of JobMarket + ProviderRegistry (native FIL only, no locality, allowlist or
// callback), used by the invariant test as an oracle: for every action it predicts whether the
// transaction succeeds and what it leaves behind. It mirrors the contracts' rules as documented
// in IJobMarket/DESIGN.md, written independently of their storage packing.
import { encodeAbiParameters, keccak256, sha256, toHex, concatHex, type Address, type Hex } from "viem";

export const S = { None: 0, Open: 1, Revealing: 2, Settled: 3, Expired: 4, Cancelled: 5, Failed: 6 } as const;
export const isTerminal = (status: number) => status >= S.Settled;

const MAX_REPLICAS = 16;
const MIN_WINDOW = 60;
const MAX_WINDOW = 30 * 86_400;
const MAX_DEADLINE = 180 * 86_400;
const MAX_FEE_BPS = 1_000;
const MASK128 = (1n << 128n) - 1n;

/** `minerId`: the holder's miner recorded at claim (distinct-miner jobs only, else 0n). */
export type MSlot = { provider: Address; claimedAt: number; collected: boolean; minerId: bigint };
/** What the test knows about a commit (the contract keeps only a truncated word). */
export type MCommit = { hash: Hex; seal: Hex; cid: Hex | null };

export type MJob = {
  id: bigint;
  client: Address;
  status: number;
  replicas: number;
  quorum: number;
  price: bigint;
  collateral: bigint;
  deadline: number;
  commitWindow: number;
  revealWindow: number;
  feeBps: number;
  claimed: number;
  revealedMask: number;
  consensusAt: number;
  anchorSlot: number;
  codec: number; // 0 until the first reveal, then 1 raw / 2 dag-pb / 3 dag-cbor
  refundCollected: boolean;
  distinctMiners: boolean;
  slots: MSlot[];
  /** The stored commit word per slot: hash[0:16] ‖ seal[0:16], later the result digest for the anchor. */
  words: bigint[];
  commits: (MCommit | null)[];
};

export type MProvider = { active: boolean; stake: bigint; locked: bigint; unbonding: bigint; unbondingEndsAt: number; minerId: bigint };

export type Model = {
  /** Timestamp of the last block. */
  t: number;
  /** Timestamp the next transaction will carry (>= t + 1); time jumps move it. */
  nextTs: number;
  nextJobId: bigint;
  jobs: MJob[];
  feeBps: number;
  paused: boolean;
  minCollateral: bigint;
  unbondingDelay: number;
  fees: bigint;
  slashed: bigint;
  providers: Record<string, MProvider>;
  /** Which provider each miner is bound to (miner ID as a decimal string → lower-case address). */
  minerOwner: Record<string, string>;
};

export type Outcome = { ok: true } | { ok: false; reason: string };
const ok: Outcome = { ok: true };
const no = (reason: string): Outcome => ({ ok: false, reason });

const key = (a: Address) => a.toLowerCase();
export function prov(m: Model, a: Address): MProvider {
  return m.providers[key(a)] ?? { active: false, stake: 0n, locked: 0n, unbonding: 0n, unbondingEndsAt: 0, minerId: 0n };
}
function provMut(m: Model, a: Address): MProvider {
  return (m.providers[key(a)] ??= { active: false, stake: 0n, locked: 0n, unbonding: 0n, unbondingEndsAt: 0, minerId: 0n });
}
export const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();
export const jobOf = (m: Model, id: bigint) => m.jobs.find((j) => j.id === id);
export const popcount = (x: number) => {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
};

// ------------------------------------------------------------------ hashes (as the SDK computes them)

export const digestOf = (cid: Hex) => keccak256(cid);
export const hashOf = (jobId: bigint, cid: Hex) =>
  keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], [jobId, digestOf(cid)]));
export const sealOf = (provider: Address, jobId: bigint, cid: Hex) =>
  keccak256(
    encodeAbiParameters([{ type: "address" }, { type: "uint256" }, { type: "bytes32" }], [provider, jobId, digestOf(cid)]),
  );
const hi16 = (x: Hex | bigint) => (typeof x === "bigint" ? x : BigInt(x)) >> 128n;
const word = (hash: Hex, seal: Hex) => (hi16(hash) << 128n) | hi16(seal);

/** A binary CIDv1 with sha2-256 over `content` and the given codec. */
export function cidOf(content: string, codec = 0x55): Hex {
  return concatHex([toHex(new Uint8Array([0x01, codec, 0x12, 0x20])), sha256(toHex(content))]);
}
function parseCid(cid: Hex): { codecBits: number; sha: bigint } | null {
  const b = cid.slice(2);
  if (b.length !== 72) return null;
  const byte = (i: number) => parseInt(b.slice(2 * i, 2 * i + 2), 16);
  if (byte(0) !== 0x01 || byte(1) >= 0x80 || byte(2) !== 0x12 || byte(3) !== 0x20) return null;
  const codecBits = { 0x55: 1, 0x70: 2, 0x71: 3 }[byte(1)] ?? 0;
  if (codecBits === 0) return null;
  return { codecBits, sha: BigInt("0x" + b.slice(8)) };
}

// ------------------------------------------------------------------ money

export function escrowOf(replicas: number, price: bigint, feeBps: number) {
  const work = BigInt(replicas) * price;
  return work + (work * BigInt(feeBps)) / 10_000n;
}
export function refundOf(j: MJob) {
  const escrow = escrowOf(j.replicas, j.price, j.feeBps);
  if (j.status !== S.Settled) return escrow;
  const paid = BigInt(popcount(j.revealedMask)) * j.price;
  return escrow - paid - (paid * BigInt(j.feeBps)) / 10_000n;
}
export function owedOf(j: MJob, account: Address) {
  if (!isTerminal(j.status)) return 0n;
  let amount = 0n;
  if (same(j.client, account) && !j.refundCollected) amount += refundOf(j);
  for (let i = 0; i < j.claimed; i++) {
    if (j.revealedMask & (1 << i) && same(j.slots[i].provider, account) && !j.slots[i].collected) amount += j.price;
  }
  return amount;
}

// ------------------------------------------------------------------ registry effects

function release(m: Model, who: Address, amount: bigint) {
  const p = provMut(m, who);
  p.locked -= amount;
  if (p.locked < 0n) throw new Error(`model: released more than locked for ${who}`);
}
function slash(m: Model, who: Address, amount: bigint) {
  const p = provMut(m, who);
  p.locked -= amount;
  p.stake -= amount;
  if (p.locked < 0n || p.stake < 0n) throw new Error(`model: slashed more than locked/staked for ${who}`);
  m.slashed += amount;
}

// ------------------------------------------------------------------ transitions
// Each function takes the block timestamp `ts` of the transaction, returns whether it succeeds,
// and mutates the model only when it does.

export type SubmitArgs = {
  replicas: number;
  quorum: number;
  price: bigint;
  collateral: bigint;
  deadline: number;
  commitWindow: number;
  revealWindow: number;
  distinctMiners: boolean;
};

export function submit(m: Model, ts: number, from: Address, r: SubmitArgs, value: bigint): Outcome {
  if (m.paused) return no("MarketPaused");
  if (r.replicas === 0 || r.replicas > MAX_REPLICAS || r.quorum === 0 || r.quorum > r.replicas) return no("InvalidReplication");
  if (r.price === 0n) return no("InvalidPrice");
  if (r.collateral < m.minCollateral) return no("CollateralTooLow");
  for (const w of [r.commitWindow, r.revealWindow]) if (w < MIN_WINDOW || w > MAX_WINDOW) return no("InvalidWindow");
  if (r.deadline < ts + r.commitWindow || r.deadline > ts + MAX_DEADLINE) return no("InvalidDeadline");
  const escrow = escrowOf(r.replicas, r.price, m.feeBps);
  if (value !== escrow) return no("IncorrectPayment");
  m.jobs.push({
    id: m.nextJobId,
    client: from,
    status: S.Open,
    ...r,
    feeBps: m.feeBps,
    claimed: 0,
    revealedMask: 0,
    consensusAt: 0,
    anchorSlot: 0,
    codec: 0,
    refundCollected: false,
    slots: [],
    words: [],
    commits: [],
  });
  m.nextJobId += 1n;
  return ok;
}

export function claim(m: Model, ts: number, from: Address, id: bigint, slot: number): Outcome {
  const j = jobOf(m, id);
  if (!j || j.status !== S.Open) return no("JobNotInStatus");
  if (ts >= j.deadline) return no("JobDeadlinePassed");
  let previous: Address | null = null;
  if (slot === j.claimed && slot < j.replicas) {
    // next free slot
  } else if (slot < j.claimed) {
    if (j.words[slot] !== 0n || ts < j.slots[slot].claimedAt + j.commitWindow) return no("SlotUnavailable");
    previous = j.slots[slot].provider;
  } else return no("SlotUnavailable");
  for (let i = 0; i < j.claimed; i++) if (same(j.slots[i].provider, from)) return no("AlreadyClaimed");
  const p = prov(m, from);
  if (!p.active) return no("RegistryNotRegistered");
  if (j.collateral > p.stake - p.locked) return no("RegistryInsufficientFreeStake");
  if (j.distinctMiners) {
    // The claimant's miner must exist and must not hold another slot (the one reopened does not count).
    if (p.minerId === 0n) return no("MinerRequired");
    for (let i = 0; i < j.claimed; i++) if (i !== slot && j.slots[i].minerId === p.minerId) return no("MinerAlreadyInJob");
  }
  if (previous) slash(m, previous, j.collateral);
  provMut(m, from).locked += j.collateral;
  if (slot === j.claimed) {
    j.claimed++;
    j.words.push(0n);
    j.commits.push(null);
  }
  j.slots[slot] = { provider: from, claimedAt: ts, collected: false, minerId: j.distinctMiners ? p.minerId : 0n };
  return ok;
}

function checkOpenSlot(j: MJob, ts: number, slot: number, from: Address): Outcome {
  if (ts >= j.deadline) return no("JobDeadlinePassed");
  if (slot >= j.claimed || !same(j.slots[slot].provider, from)) return no("NotSlotHolder");
  if (ts >= j.slots[slot].claimedAt + j.commitWindow) return no("CommitWindowClosed");
  return ok;
}

export function commit(m: Model, ts: number, from: Address, id: bigint, slot: number, c: MCommit): Outcome {
  const j = jobOf(m, id);
  if (!j || j.status !== S.Open) return no("JobNotInStatus");
  const open = checkOpenSlot(j, ts, slot, from);
  if (!open.ok) return open;
  if (j.words[slot] !== 0n) return no("AlreadyCommitted");
  if (hi16(c.hash) === 0n || hi16(c.seal) === 0n) return no("InvalidCommitment");
  j.words[slot] = word(c.hash, c.seal);
  j.commits[slot] = c;
  let agreeing = 1;
  for (let i = 0; i < j.claimed; i++) if (i !== slot && j.words[i] >> 128n === hi16(c.hash)) agreeing++;
  if (agreeing >= j.quorum) {
    j.status = S.Revealing;
    j.consensusAt = ts;
    j.anchorSlot = slot;
  }
  return ok;
}

/**
 * claimAndCommit: the claim's checks and effects, then the commit's, or nothing. The commitment is
 * checked first; after a claim the commit cannot fail (the slot is the caller's, its window just
 * opened, and a reopened slot never committed).
 */
export function claimAndCommit(m: Model, ts: number, from: Address, id: bigint, slot: number, c: MCommit): Outcome {
  if (hi16(c.hash) === 0n || hi16(c.seal) === 0n) return no("InvalidCommitment");
  const j = jobOf(m, id);
  const taken = j && slot === j.claimed ? j.claimed : slot;
  const claimed = claim(m, ts, from, id, slot);
  if (!claimed.ok) return claimed;
  const committed = commit(m, ts, from, id, taken, c);
  if (!committed.ok) throw new Error(`model: claimAndCommit claimed slot ${taken} of job ${id} but could not commit (${committed.reason})`);
  return ok;
}

export function reveal(m: Model, ts: number, from: Address, id: bigint, slot: number, cid: Hex): Outcome {
  const parsed = parseCid(cid);
  if (!parsed) return no("UnsupportedResultCid");
  const j = jobOf(m, id);
  if (!j) return no("JobNotInStatus");
  const bit = 1 << (slot & 15);
  let consensusAt = j.consensusAt;
  if (j.status === S.Open && j.replicas === 1) {
    const open = checkOpenSlot(j, ts, slot, from);
    if (!open.ok) return open;
    consensusAt = ts;
  } else {
    if (j.status !== S.Revealing) return no("JobNotInStatus");
    if (ts >= j.consensusAt + j.revealWindow) return no("RevealWindowClosed");
    if (slot >= j.claimed || !same(j.slots[slot].provider, from)) return no("NotSlotHolder");
    if (j.revealedMask & bit) return no("AlreadyRevealed");
    const committed = j.words[slot];
    const h = hi16(hashOf(id, cid));
    let agreed: bigint;
    if (j.codec === 0) {
      agreed = j.words[j.anchorSlot] >> 128n;
      if (committed >> 128n !== agreed) return no("NotInQuorum");
    } else {
      if (committed >> 128n !== h) return no("NotInQuorum");
      agreed = h;
      if (parsed.codecBits !== j.codec || parsed.sha !== j.words[j.anchorSlot]) return no("RevealMismatch");
    }
    if (h !== agreed || (committed & MASK128) !== hi16(sealOf(from, id, cid))) return no("RevealMismatch");
  }
  j.consensusAt = consensusAt;
  j.revealedMask |= bit;
  if (j.codec === 0) {
    j.anchorSlot = slot;
    j.codec = parsed.codecBits;
    j.words[slot] = parsed.sha;
  }
  if (popcount(j.revealedMask) >= j.quorum) settle(m, j);
  return ok;
}

function settle(m: Model, j: MJob) {
  for (let i = 0; i < j.claimed; i++) {
    const s = j.slots[i];
    if (j.revealedMask & (1 << i)) release(m, s.provider, j.collateral);
    else if (j.words[i] !== 0n || s.claimedAt + j.commitWindow <= j.consensusAt) slash(m, s.provider, j.collateral);
    else release(m, s.provider, j.collateral);
  }
  const winners = popcount(j.revealedMask);
  j.status = winners === 0 ? S.Failed : S.Settled;
  m.fees += (BigInt(winners) * j.price * BigInt(j.feeBps)) / 10_000n;
}

export function finalize(m: Model, ts: number, id: bigint): Outcome {
  const j = jobOf(m, id);
  if (!j || j.status !== S.Revealing) return no("JobNotInStatus");
  if (ts < j.consensusAt + j.revealWindow) return no("RevealWindowOpen");
  settle(m, j);
  return ok;
}

export function expire(m: Model, ts: number, id: bigint): Outcome {
  const j = jobOf(m, id);
  if (!j || j.status !== S.Open) return no("JobNotInStatus");
  if (ts < j.deadline) return no("JobDeadlineNotReached");
  for (let i = 0; i < j.claimed; i++) {
    const s = j.slots[i];
    if (j.words[i] === 0n && s.claimedAt + j.commitWindow <= j.deadline) slash(m, s.provider, j.collateral);
    else release(m, s.provider, j.collateral);
  }
  j.status = S.Expired;
  return ok;
}

export function cancel(m: Model, from: Address, id: bigint): Outcome {
  const j = jobOf(m, id);
  if (!j || j.status !== S.Open || !same(j.client, from) || j.claimed !== 0) return no("NotCancellable");
  j.status = S.Cancelled;
  return ok;
}

/** Returns the amount paid out on success. */
export function withdraw(m: Model, from: Address, ids: bigint[]): Outcome & { amount?: bigint } {
  // Dry run on copies first: the contract's effects happen only if the total is non-zero.
  let total = 0n;
  const touched: Array<() => void> = [];
  const refunded = new Set<bigint>();
  const collected = new Set<string>();
  for (const id of ids) {
    const j = jobOf(m, id);
    if (!j || !isTerminal(j.status)) continue;
    if (same(j.client, from) && !j.refundCollected && !refunded.has(id)) {
      refunded.add(id);
      total += refundOf(j);
      touched.push(() => (j.refundCollected = true));
    }
    for (let i = 0; i < j.claimed; i++) {
      if (!(j.revealedMask & (1 << i))) continue;
      const s = j.slots[i];
      if (same(s.provider, from) && !s.collected && !collected.has(`${id}:${i}`)) {
        collected.add(`${id}:${i}`);
        total += j.price;
        touched.push(() => (s.collected = true));
      }
    }
  }
  if (total === 0n) return no("NothingToWithdraw");
  for (const f of touched) f();
  return { ok: true, amount: total };
}

export function withdrawFees(m: Model): Outcome {
  if (m.fees === 0n) return no("NothingToWithdraw");
  m.fees = 0n;
  return ok;
}

export function setFee(m: Model, fee: number): Outcome {
  if (fee > MAX_FEE_BPS) return no("FeeTooHigh");
  m.feeBps = fee;
  return ok;
}

export function setPaused(m: Model, paused: boolean): Outcome {
  m.paused = paused;
  return ok;
}

/** Every miner in the test is real, has power and is controlled by every provider: only bindings decide. */
export function bindMiner(m: Model, from: Address, minerId: bigint): Outcome {
  const p = prov(m, from);
  if (!p.active) return no("RegistryNotRegistered");
  if (m.minerOwner[minerId.toString()] !== undefined) return no("RegistryMinerAlreadyBound");
  const q = provMut(m, from);
  if (q.minerId !== 0n) delete m.minerOwner[q.minerId.toString()];
  q.minerId = minerId;
  m.minerOwner[minerId.toString()] = key(from);
  return ok;
}

export function addStake(m: Model, from: Address, value: bigint): Outcome {
  const p = prov(m, from);
  if (!p.active) return no("RegistryNotRegistered");
  if (value === 0n) return no("RegistryInvalidAmount");
  provMut(m, from).stake += value;
  return ok;
}

export function startUnbonding(m: Model, ts: number, from: Address, amount: bigint): Outcome {
  const p = prov(m, from);
  if (amount === 0n) return no("RegistryInvalidAmount");
  if (amount > p.stake - p.locked) return no("RegistryInsufficientFreeStake");
  const q = provMut(m, from);
  q.stake -= amount;
  q.unbonding += amount;
  q.unbondingEndsAt = ts + m.unbondingDelay;
  return ok;
}

export function withdrawUnbonded(m: Model, ts: number, from: Address): Outcome & { amount?: bigint } {
  const p = prov(m, from);
  if (p.unbonding === 0n || ts < p.unbondingEndsAt) return no("RegistryUnbondingNotReady");
  const amount = p.unbonding;
  const q = provMut(m, from);
  q.unbonding = 0n;
  q.unbondingEndsAt = 0;
  return { ok: true, amount };
}

export function withdrawSlashed(m: Model, byOwner: boolean): Outcome {
  if (!byOwner) return no("OwnableUnauthorizedAccount");
  m.slashed = 0n;
  return ok;
}

/** The earliest time at which every non-terminal job has a permissionless exit (expire or finalize). */
export function exitTime(m: Model): number {
  let t = 0;
  for (const j of m.jobs) {
    if (j.status === S.Open) t = Math.max(t, j.deadline);
    if (j.status === S.Revealing) t = Math.max(t, j.consensusAt + j.revealWindow);
  }
  return t;
}
