/**
 * The agent's job pipeline, one persisted state machine per job:
 *
 *   seen → evaluated → claimed → inputs_ready → executed → committed → revealed → settled
 *                  ↘ refused      ↘ failed / abandoned            ↘ lost
 *
 * Two paths share these states. The two-step path claims a slot (`claimed` holds it), runs the
 * job, and commits. The one-transaction path, for short deterministic jobs whose inputs are held
 * here ({@link runsBeforeClaim}), holds no slot until the end: `claimed`, `inputs_ready` and
 * `executed` have no slot yet, and the commit step sends claimAndCommit, which claims a slot with
 * the result's commitment, so the job settles two blocks after JobPosted instead of three. A row
 * on that path is one without a slot or with a recorded claimAndCommit transaction.
 *
 * Each step reads the chain first (the source of truth), does at most one transaction, and then
 * moves the job with a conditional transition in the store. A restart — even after `kill -9` —
 * resumes every job from its last state; because each step first checks whether its effect is
 * already on chain (our slot, our commit, our reveal) or waits for the transaction it recorded,
 * it never sends a duplicate or conflicting transaction. Execution runs concurrently up to
 * `concurrency`; chain ingestion never waits for it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  toHex,
  parseEventLogs,
  type ReadContractReturnType,
  zeroAddress,
} from "viem";
import {
  estimateContractGas,
  estimateFeesPerGas,
  getTransaction,
  getTransactionCount,
  readContract,
  sendRawTransaction,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";
import { describeError } from "../chain/errors.js";
import type { Heads } from "../chain/heads.js";
import { createNonces, type PendingCount } from "../chain/nonces.js";
import { waitForReceipt } from "../chain/receipts.js";
import { computeCommitment, decodeSpec, jobMarketAbi, providerRegistryAbi, resultCidBytes, type Spec } from "@shoal/sdk";
import type { MarketEvent } from "../chain/sync.js";
import type { Logger, Metrics } from "../context.js";
import { ExecutionError, type Executor, type MountedInput } from "../executors/types.js";
import { decide, runsBeforeClaim, type PolicyConfig } from "../policy/policy.js";
import { type CidSource, InputError } from "../data/index.js";
import { checkDependencies, dependencyResult } from "./dependencies.js";
import { type JobRow, type JobState, type Store, TERMINAL_STATES } from "../store/store.js";

type SpecInputEntry = Spec["inputs"][number];

/** Where the provider proves it stores a piece: PDP (kind 0) or an f05 deal (kind 1). */
export type LocalityProofConfig = { root: Hex; paddedSize: bigint; kind: 0 | 1; data: Hex };

/**
 * An input as the resolver makes it available. A piece mounted before its verification finished
 * carries the pending verdict (`verified`), and a stored file can say whether it changed since;
 * no result leaves the agent before both pass.
 */
export type ResolvedInputLike = MountedInput & { verified?: Promise<void>; checkUnchanged?(): Promise<void> };

export type InputResolverLike = {
  resolve(
    input: SpecInputEntry,
    options?: { signal?: AbortSignal; cidSources?: readonly CidSource[]; proven?: boolean },
  ): Promise<ResolvedInputLike>;
  has(input: SpecInputEntry): Promise<boolean>;
};
export type ResultStoreLike = { put(outputDir: string, maxBytes?: number): Promise<{ cid: { toString(): string } }> };

export type PipelineOptions = {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  publicClient: PublicClient;
  walletClient: WalletClient;
  account: Account;
  market: Address;
  registry: Address;
  executors: ReadonlyMap<string, Executor>;
  inputs: InputResolverLike;
  results: ResultStoreLike;
  policy: PolicyConfig;
  locality: readonly LocalityProofConfig[];
  concurrency: number;
  workDir: string;
  /** Gas headroom over the node's estimate (FEVM gas units differ from Ethereum's). */
  gasMultiplier?: number;
  /**
   * Jobs this provider holds slots in according to the chain, when the state database was new or
   * replaced: their state is rebuilt from the chain instead of evaluating them as new jobs.
   */
  adopt?: ReadonlySet<bigint>;
  /** How often a job waiting for an input job is re-checked when no event says that job ended (default 30 s). */
  dependencyPollMs?: number;
  /** New heads pushed by the node: a sent transaction's receipt is looked up on each, not only at the poll. */
  heads?: Pick<Heads, "onHead" | "up">;
  signal: AbortSignal;
};

/** The JobPosted request as stored (bigints as strings). */
type PostedRequest = {
  spec: Hex;
  inputs: { root: Hex; paddedSize: string }[];
  locality: boolean;
  replicas: number;
  quorum: number;
  token: Address;
  price: string;
  collateral: string;
  deadline: number;
  commitWindow: number;
  revealWindow: number;
  callback: Address;
  callbackGas: number;
  allowlistRoot: Hex;
  /** Absent in rows stored by agents before 0.2.0 knew the flag. */
  distinctMiners?: boolean;
};

type ChainJob = ReadContractReturnType<typeof jobMarketAbi, "getJob">;
type ProviderRecord = ReadContractReturnType<typeof providerRegistryAbi, "provider">;

const NEXT_FREE_SLOT = 2n ** 256n - 1n;
/**
 * How long fees read for one transaction serve the next ones: a few seconds, less than one
 * Filecoin block (a base fee changes once per block, by at most 12.5 %, and the estimate carries
 * 20 % headroom).
 */
const FEES_FRESH_MS = 5_000;
/** How old a job read during evaluation may be when the claim step uses it. */
const JOB_READ_FRESH_MS = 1_000;
const STATUS = ["None", "Open", "Revealing", "Settled", "Expired", "Cancelled", "Failed"] as const;

/**
 * Gas for a transaction that settles the job, or may: a reveal, or finalize. Settling costs more
 * than a plain reveal, and more with more slots (`npm run gas`, EDR: a plain reveal 48k; the
 * settling one 82k at n = 2, 92k at n = 3, 144k at n = 8, 227k at n = 16, ratio 1.7 to 4.7). A
 * reveal estimated while other reveals are still due (`othersDue`) may land after them and settle:
 * it gets (1.6 + 0.22 n) times its estimate, which covers the ratio at every n with margin and
 * scales with the chain's gas units (FEVM's are about 444 times Ethereum's), since it multiplies
 * the node's own estimate. With a callback, its exact limit and the 1/64 that EIP-150 keeps back
 * come on top. Without an estimate (the node refused to estimate), the callback's limit plus a
 * fixed allowance is all there is.
 */
function settlingGas(req: PostedRequest, estimate: bigint | undefined, othersDue: boolean): bigint {
  const limit = BigInt(req.callbackGas);
  const callback = limit === 0n ? 0n : limit + limit / 63n;
  if (estimate === undefined) return callback === 0n ? 0n : callback + 400_000n;
  const settlement = othersDue ? (estimate * (160n + 22n * BigInt(req.replicas))) / 100n : (estimate * 13n) / 10n;
  return settlement + callback;
}

function popcount(mask: bigint): number {
  let n = 0;
  for (let m = mask; m > 0n; m >>= 1n) n += Number(m & 1n);
  return n;
}

/** A step's outcome that is not a transition: try again later. */
class Later extends Error {}

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined;
}

export function createPipeline(o: PipelineOptions) {
  const me = o.account.address;
  const busy = new Set<bigint>();
  /** When a job whose step failed may be tried again (exponential backoff, in memory: a restart retries at once). */
  const retryAt = new Map<bigint, number>();
  const mounted = new Map<bigint, MountedInput[]>();
  /** When each job's JobPosted was read, and how long its run took: for the posted → commit figure, dropped once it is measured. */
  const seenAt = new Map<bigint, number>();
  const execMs = new Map<bigint, number>();
  /** Jobs waiting for an input job to settle → that job's ID (re-checked when it ends, or every `dependencyPollMs`). */
  const waiting = new Map<bigint, bigint>();
  /** Jobs holding (or claiming) a slot whose result is not computed yet → their timeout in seconds: the claim budget's backlog. */
  const holding = new Map<bigint, number>();
  /** Jobs left unclaimed for want of capacity → what deciding again needs (see {@link fitsInWindow}). */
  const deferred = new Map<bigint, { timeoutSec: number; commitWindow: number }>();
  /**
   * The job and the chain's time, read while a job is evaluated, for its claim step right after
   * (a round trip less before it runs); used only while fresh ({@link JOB_READ_FRESH_MS}).
   */
  const readAhead = new Map<bigint, { at: number; value: Promise<ChainJob> }>();
  /**
   * Jobs this process evaluated and found no slot of its own in, then ran before claiming (the
   * one-transaction path): their claimAndCommit is sent without reading the job again, and the
   * contract's refusal says what changed. After a restart the set is empty and every such job
   * takes the reading path, which finds a claimAndCommit that landed before the crash.
   */
  const ranUnclaimed = new Set<bigint>();
  /** Jobs whose slot this process claimed (two-step path): a single replica's reveal then needs no reads. */
  const claimedHere = new Set<bigint>();
  /**
   * Gas estimates of the one-transaction path's claimAndCommit, made while the job runs (with a
   * stand-in commitment of the same size: the gas does not depend on its value), and the head
   * count when each was asked. Used in place of an estimate after the run only while no new head
   * has arrived since (the subscription up throughout): the chain's state is then the one the
   * estimate ran on, so it still holds. The account's pending count is read then too (a count
   * read earlier is as good as one read later: see ../chain/nonces.ts), so the commit goes out
   * one round trip after the run.
   */
  const estimatesAhead = new Map<bigint, { heads: number; value: Promise<bigint | undefined>; count: PendingCount | undefined }>();
  /** Heads announced (and resubscriptions), while the subscription is up: a change means the state may have moved. */
  let headsSeen = 0;
  o.heads?.onHead(() => headsSeen++);
  /** Work directories of finished runs being removed (awaited before a job runs again, and at shutdown). */
  const cleanups = new Map<bigint, Promise<void>>();
  let running = 0;
  let wake: (() => void) | undefined;
  const multiplier = o.gasMultiplier ?? 1.3;
  /**
   * Fees for the transactions sent within {@link FEES_FRESH_MS}, estimated once: without them viem
   * reads the latest block and the priority fee for every transaction (two calls each, with many
   * jobs in flight). The estimate carries viem's headroom over the base fee (1.2 times), more than a
   * base fee can rise in one block. They are read again as a job is evaluated, so a transaction
   * rarely waits for them. A node that cannot estimate EIP-1559 fees leaves it to viem.
   */
  let fees: { at: number; value: Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | undefined> } | undefined;
  const currentFees = () => {
    if (!fees || Date.now() - fees.at > FEES_FRESH_MS) {
      fees = { at: Date.now(), value: estimateFeesPerGas(o.publicClient).then(({ maxFeePerGas, maxPriorityFeePerGas }) => ({ maxFeePerGas, maxPriorityFeePerGas }), () => undefined) };
    }
    return fees.value;
  };

  /** Nonces of the transactions signed here (a local account): see ../chain/nonces.ts. */
  const nonces =
    o.account.type === "local"
      ? createNonces(() => getTransactionCount(o.publicClient, { address: me, blockTag: "pending" }))
      : undefined;

  const request = (row: JobRow) => JSON.parse(row.request) as PostedRequest;
  const spec = (row: JobRow) => decodeSpec(request(row).spec);
  const chainJob = (jobId: bigint) =>
    readContract(o.publicClient, { address: o.market, abi: jobMarketAbi, functionName: "getJob", args: [jobId] });
  /** The job as the chain holds it; taken from {@link readAhead} when fresh. */
  const jobAhead = (jobId: bigint): Promise<ChainJob> => {
    const ahead = readAhead.get(jobId);
    readAhead.delete(jobId);
    if (ahead && Date.now() - ahead.at <= JOB_READ_FRESH_MS) return ahead.value;
    return chainJob(jobId);
  };
  const chainSlot = (jobId: bigint, slot: number) =>
    readContract(o.publicClient, { address: o.market, abi: jobMarketAbi, functionName: "getSlot", args: [jobId, BigInt(slot)] });
  const now = async () => Number((await o.publicClient.getBlock()).timestamp);
  /** The slot of job `jobId` this provider holds, if any (a provider holds at most one slot of a job). */
  const ourSlot = async (jobId: bigint, claimed: number): Promise<number | undefined> => {
    for (let i = 0; i < claimed; i++) if ((await chainSlot(jobId, i)).provider.toLowerCase() === me.toLowerCase()) return i;
    return undefined;
  };

  /** Drops everything kept in memory about a job: when it reaches a terminal state, or a reorg removed it. */
  const forgetJob = (jobId: bigint) => {
    retryAt.delete(jobId);
    mounted.delete(jobId);
    seenAt.delete(jobId);
    execMs.delete(jobId);
    holding.delete(jobId);
    readAhead.delete(jobId);
    ranUnclaimed.delete(jobId);
    claimedHere.delete(jobId);
    estimatesAhead.delete(jobId);
    if (waiting.delete(jobId)) o.metrics.waitingOnJobs.set(waiting.size);
    if (deferred.delete(jobId)) o.metrics.waitingForCapacity.set(deferred.size);
  };

  /**
   * The claim budget: whether a job with this timeout, claimed now behind every slot held whose
   * result is not computed yet, is sure to be run and committed within its commit window. With
   * `concurrency` runs at a time, each taking at most its timeout, a job queued behind a backlog
   * of B seconds starts within B / concurrency seconds, and ends its timeout later; the safety
   * margin covers inputs and transactions. An idle agent always fits a job the policy took (the
   * policy checked timeout + margin against the window). Claims beyond this would be abandoned
   * when their window closed, their collateral at stake; the jobs left are for other providers,
   * or for this one once its backlog drains.
   */
  const fitsInWindow = (timeoutSec: number, commitWindow: number) => {
    let backlog = 0;
    for (const t of holding.values()) backlog += t;
    return backlog / o.concurrency + timeoutSec + o.policy.safetyMarginSec <= commitWindow;
  };

  const move = (row: JobRow, to: JobState, patch: Parameters<Store["transition"]>[3] = {}) => {
    const ok = o.store.transition(row.jobId, row.state, to, patch);
    if (ok) {
      if (TERMINAL_STATES.has(to)) forgetJob(row.jobId);
      else if (to !== "claimed" && to !== "inputs_ready") holding.delete(row.jobId);
      o.metrics.jobsByState.inc({ state: to });
      o.store.resetAttempts(row.jobId);
      o.logger.info({ jobId: row.jobId.toString(), from: row.state, to, ...patch }, `job ${row.jobId}: ${row.state} → ${to}`);
    }
    return ok;
  };

  type MarketCall = "claim" | "claimAndCommit" | "commit" | "reveal" | "finalize" | "withdraw";
  /** What was read for a transaction before it was due: the node's gas estimate on the current state, the pending count. */
  type Known = { estimate?: bigint | undefined; count?: PendingCount | undefined };

  /**
   * Hands one market transaction to the node and returns its hash and gas limit. Gas: the node's
   * estimate plus headroom, and never less than `gasFor` says (a callback's limit). The estimate
   * executes the call as the simulation would, and a revert fails it with the contract's error
   * (what the steps read to decide). It is asked for the address alone: with the local account
   * viem would first prepare a whole transaction (nonce, block, priority fee), three calls thrown
   * away. Only when the node refuses to estimate does a simulation tell a revert apart from a call
   * that needs more gas than the node would estimate. The nonce's count and the fees are read at
   * the same time as the estimate, and a local account signs here, so the transaction goes out one
   * round trip after the estimate's answer.
   */
  async function transmit(functionName: MarketCall, args: readonly unknown[], gasFor?: (estimate: bigint | undefined) => bigint, known: Known = {}) {
    const call = { address: o.market, abi: jobMarketAbi, functionName, args, account: o.account, chain: o.walletClient.chain } as const;
    const count = known.count?.fresh() ? known.count : nonces?.read();
    const feesNow = currentFees();
    let estimate = known.estimate;
    if (estimate === undefined) {
      try {
        estimate = await estimateContractGas(o.publicClient, { ...call, account: o.account.address } as never);
      } catch (error) {
        if (!gasFor || gasFor(undefined) === 0n) throw error;
        await simulateContract(o.publicClient, call as never);
      }
    }
    const padded = estimate === undefined ? 0n : (estimate * BigInt(Math.round(multiplier * 100))) / 100n;
    const floor = gasFor ? gasFor(estimate) : 0n;
    const gas = padded > floor ? padded : floor;
    const fees = await feesNow;
    if (!count || !fees || !o.account.signTransaction || !o.walletClient.chain) {
      return { hash: await writeContract(o.walletClient, { ...(call as object), gas, ...fees } as never), gas };
    }
    const nonce = await count.take();
    try {
      const serializedTransaction = await o.account.signTransaction({
        type: "eip1559", chainId: o.walletClient.chain.id, nonce: nonce.nonce, to: o.market, value: 0n, gas, ...fees,
        data: encodeFunctionData({ abi: jobMarketAbi, functionName, args } as never),
      });
      const hash = await sendRawTransaction(o.walletClient, { serializedTransaction });
      nonce.answered(true);
      return { hash, gas };
    } catch (error) {
      nonce.answered(false);
      throw error;
    }
  }

  /**
   * Sends one market transaction for `row` and waits for its receipt, recording its hash before
   * waiting, so a restart waits for that transaction instead of sending another. A transaction
   * that reverted once mined (another's landed first in the same block) is simulated again at
   * its block, so the step reads the contract's error by name, as from a refused estimate.
   */
  async function send(
    row: JobRow,
    kind: string,
    functionName: MarketCall,
    args: readonly unknown[],
    gasFor?: (estimate: bigint | undefined) => bigint,
    /** Called once the node has taken the transaction, before its receipt is waited for. */
    sent?: () => void,
    known?: Known,
  ) {
    const recorded = row.txs[kind];
    // A transaction sent before a crash is waited for, not sent again; one the chain no longer
    // knows (dropped from the pool, or in a block a reorg removed) is sent again.
    if (recorded && (await getTransaction(o.publicClient, { hash: recorded as Hex }).catch(() => undefined))) {
      const receipt = await waitForTransactionReceipt(o.publicClient, { hash: recorded as Hex }).catch(() => undefined);
      if (receipt?.status === "success") return receipt;
    }
    const { hash, gas } = await transmit(functionName, args, gasFor, known);
    sent?.();
    o.store.recordTx(row.jobId, kind, hash);
    o.metrics.txSent.inc({ kind });
    const receipt = await waitForReceipt(o.publicClient, hash, o.heads);
    if (receipt.status !== "success") {
      const outOfGas = receipt.gasUsed >= gas;
      if (!outOfGas) {
        // Throws the contract's error when the call still reverts on the block's state.
        await simulateContract(o.publicClient, {
          address: o.market, abi: jobMarketAbi, functionName, args, account: o.account.address, blockNumber: receipt.blockNumber,
        } as never).catch((error: unknown) => {
          if (revertName(error) !== undefined) throw error;
        });
      }
      throw new Error(`${kind} transaction ${hash} reverted${outOfGas ? ` out of gas (used all ${gas})` : ` (used ${receipt.gasUsed} of ${gas} gas)`}`);
    }
    return receipt;
  }

  // ------------------------------------------------------------------ steps

  /**
   * Rebuilds a job this provider holds a slot in from the chain (after the state database was lost):
   * settled with our reveal → settled (pay owed is withdrawn); revealed → revealed; claimed or
   * committed → claimed, so the job runs again and the commit step commits, or finds its commit and
   * the reveal step reveals the recomputed result (a job that is not deterministic may not match:
   * then it is lost, and says so). Returns undefined when the chain shows no slot of ours after all.
   */
  async function adoptFromChain(row: JobRow): Promise<boolean | undefined> {
    const job = await chainJob(row.jobId);
    const slot = await ourSlot(row.jobId, job.claimed);
    if (slot === undefined) return undefined;
    const s = await chainSlot(row.jobId, slot);
    const status = STATUS[job.status];
    const rebuilt = "rebuilt from the chain";
    if (status === "Settled" || status === "Failed" || status === "Expired" || status === "Cancelled") {
      if (status === "Settled" && s.revealed) return move(row, "settled", { slot, reason: rebuilt });
      return move(row, "lost", { slot, reason: `${rebuilt}: job ${status} without our reveal` });
    }
    if (s.revealed) return move(row, "revealed", { slot, reason: rebuilt });
    return move(row, "claimed", { slot, reason: `${rebuilt}: running the job again to ${s.committed ? "reveal its committed result" : "commit"}` });
  }

  async function evaluate(row: JobRow) {
    if (o.adopt?.has(row.jobId)) {
      const adopted = await adoptFromChain(row);
      if (adopted !== undefined) return adopted;
    }
    const req = request(row);
    let s: Spec;
    try {
      s = spec(row);
    } catch (error) {
      o.metrics.jobsRefused.inc({ reason: "bad_spec" });
      return move(row, "refused", { reason: `bad spec: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
    }
    // The chain is read once the policy first asks for it, past its local checks (a job refused
    // for its engine, price or inputs costs no call): the registry's record of this provider (free
    // stake, bound miner), and with it what the claim step reads first (the job, dropped if the
    // policy refuses) and the fees, fresh for the transaction that follows.
    let self: Promise<ProviderRecord> | undefined;
    const chainRead = () => {
      if (self) return self;
      const ahead = { at: Date.now(), value: chainJob(row.jobId) };
      ahead.value.catch(() => {});
      readAhead.set(row.jobId, ahead);
      void currentFees();
      return (self = readContract(o.publicClient, { address: o.registry, abi: providerRegistryAbi, functionName: "provider", args: [me] }));
    };
    const decision = await decide(
      {
        spec: s, price: BigInt(req.price), token: req.token, collateral: BigInt(req.collateral), deadline: req.deadline,
        commitWindow: req.commitWindow, locality: req.locality, allowlistRoot: req.allowlistRoot,
        distinctMiners: req.distinctMiners ?? false,
        inputs: req.inputs.map((i) => ({ root: i.root, paddedSize: BigInt(i.paddedSize) })),
      },
      o.policy,
      {
        executors: o.executors,
        hasInput: (input) => o.inputs.has(input),
        hasLocalityProof: (root, size) => o.locality.some((p) => p.root.toLowerCase() === root.toLowerCase() && p.paddedSize === size),
        freeStake: async () => {
          const p = await chainRead();
          return p.active ? p.stake - p.locked : 0n;
        },
        minerId: async () => (await chainRead()).minerId,
        slotMiners: async () => {
          const job = await chainJob(row.jobId);
          return Promise.all(Array.from({ length: job.claimed }, async (_, i) => (await chainSlot(row.jobId, i)).minerId));
        },
        now: () => Math.floor(Date.now() / 1000),
      },
    );
    if (!decision.take) {
      o.metrics.jobsRefused.inc({ reason: decision.reason });
      return move(row, "refused", { reason: `${decision.reason}: ${decision.detail}` });
    }
    const deps = await checkDependencies(o.publicClient, o.market, row.jobId, s);
    if (deps.kind === "waiting") {
      if (waiting.get(row.jobId) !== deps.on) {
        o.logger.info({ jobId: row.jobId.toString(), on: deps.on.toString(), status: deps.status }, "waiting for an input job to settle");
      }
      waiting.set(row.jobId, deps.on);
      o.metrics.waitingOnJobs.set(waiting.size);
      retryAt.set(row.jobId, Date.now() + (o.dependencyPollMs ?? 30_000));
      return false;
    }
    if (waiting.delete(row.jobId)) o.metrics.waitingOnJobs.set(waiting.size);
    if (deps.kind === "refused") {
      o.metrics.jobsRefused.inc({ reason: "dependency" });
      return move(row, "refused", { reason: `dependency: ${deps.detail}` });
    }
    return move(row, "evaluated");
  }

  /**
   * Makes one input available; a job input becomes its settled result, fetched from the gateways
   * of those who revealed it. A piece input of a locality job counts as proven: the claim that
   * holds our slot carried our locality proof for it, and the chain accepted it.
   */
  async function resolveInput(row: JobRow, input: SpecInputEntry): Promise<ResolvedInputLike> {
    // Proven only once our claim, which carried the proof, is on chain (the one-transaction path runs before it).
    if (input.job === undefined) return o.inputs.resolve(input, { signal: o.signal, proven: request(row).locality && row.slot !== undefined });
    const { cid, sources } = await dependencyResult(o.publicClient, o.market, o.registry, BigInt(input.job));
    return o.inputs.resolve({ cid, mount: input.mount, locality: false }, { signal: o.signal, cidSources: sources });
  }

  /**
   * Reserves the claim budget ({@link fitsInWindow}) for a slot about to be claimed, or says the
   * job must wait: it stays `evaluated`, unclaimed, until the backlog drains (and is skipped by
   * the scheduler until then). Checked and reserved with no await between, so claims sent
   * together cannot overshoot the budget; reserved only once a free slot is known, so jobs whose
   * slots are all taken do not crowd out jobs that could be claimed.
   */
  function reserveBudget(row: JobRow, s: Spec, req: PostedRequest): boolean {
    const timeoutSec = s.resources.timeoutSec;
    if (!fitsInWindow(timeoutSec, req.commitWindow)) {
      if (!deferred.has(row.jobId)) {
        deferred.set(row.jobId, { timeoutSec, commitWindow: req.commitWindow });
        o.metrics.waitingForCapacity.set(deferred.size);
        o.logger.info({ jobId: row.jobId.toString(), holding: holding.size }, `job ${row.jobId}: left unclaimed for now: the slots held fill what the executors can finish in its commit window`);
      }
      return false;
    }
    holding.set(row.jobId, timeoutSec);
    if (deferred.delete(row.jobId)) o.metrics.waitingForCapacity.set(deferred.size);
    return true;
  }

  /** Claims a slot within the claim budget; jobs run before claiming (the one-transaction path) hold no slot while they wait, and are not limited. */
  async function claim(row: JobRow) {
    // Before any chain read: a job that cannot fit now waits without costing calls.
    if (!holding.has(row.jobId)) {
      const s = spec(row);
      const req = request(row);
      if (!runsBeforeClaim(s, req, o.policy) && !fitsInWindow(s.resources.timeoutSec, req.commitWindow)) return reserveBudget(row, s, req);
    }
    try {
      return await claimSlot(row);
    } catch (error) {
      holding.delete(row.jobId); // reserved again when the step is retried
      throw error;
    }
  }

  async function claimSlot(row: JobRow) {
    const job = await jobAhead(row.jobId);
    // Already ours? (a claim sent before a crash)
    const held = await ourSlot(row.jobId, job.claimed);
    if (held !== undefined) return move(row, "claimed", { slot: held });
    if (STATUS[job.status] !== "Open") return move(row, "abandoned", { reason: `job is ${STATUS[job.status]}` });
    // The chain's time only where a slot may reopen: a deadline passed is the claim's (or the
    // claimAndCommit's) own refusal, JobDeadlinePassed, and the policy kept the run's time before it.
    const full = job.claimed >= job.replicas;
    const chainNow = full ? await now() : 0;
    if (full && chainNow >= job.deadline) return move(row, "abandoned", { reason: "deadline passed" });
    const req = request(row);
    if (runsBeforeClaim(spec(row), req, o.policy)) {
      o.logger.info({ jobId: row.jobId.toString() }, `job ${row.jobId}: short and deterministic: running it before claiming, then claimAndCommit`);
      const moved = move(row, "claimed");
      if (moved) {
        ranUnclaimed.add(row.jobId);
        if (o.heads?.up()) {
          const heads = headsSeen;
          const value = estimateContractGas(o.publicClient, {
            address: o.market, abi: jobMarketAbi, functionName: "claimAndCommit", account: me,
            args: claimAndCommitArgs(row, NEXT_FREE_SLOT, toHex(randomBytes(36))), // a stand-in result of the same size
          }).catch(() => undefined);
          estimatesAhead.set(row.jobId, { heads, value, count: nonces?.read() });
        }
      }
      return moved;
    }
    const slot = await freeSlot(row.jobId, job, chainNow);
    if (slot === undefined) throw new Later("all slots taken; waiting for one to reopen");
    if (!holding.has(row.jobId) && !reserveBudget(row, spec(row), req)) return false;
    const { inputs, proofs } = localityArgs(req);
    // A new slot is claimed as "next free", so agents that see the job in the same block do not
    // collide on one index; the slot taken is read back from the SlotClaimed event.
    const asked = slot === job.claimed ? NEXT_FREE_SLOT : BigInt(slot);
    let receipt;
    try {
      receipt = await send(row, "claim", "claim", [row.jobId, asked, inputs, proofs, []]);
    } catch (error) {
      const name = revertName(error);
      if (name === "SlotUnavailable" || name === "AlreadyClaimed") throw new Later(`claim raced (${name})`);
      if (name === "JobNotInStatus" || name === "JobDeadlinePassed") return move(row, "abandoned", { reason: name });
      if (name === "MinerRequired" || name === "MinerAlreadyInJob") {
        // A distinct-miner job that changed since evaluation (a slot taken under our miner, or our
        // binding changed): retrying cannot help.
        o.metrics.jobsRefused.inc({ reason: "miner" });
        return move(row, "abandoned", { reason: `${name}: the job asks for distinct miners` });
      }
      throw error;
    }
    const [claimedEvent] = parseEventLogs({ abi: jobMarketAbi, eventName: "SlotClaimed", logs: receipt.logs });
    const moved = move(row, "claimed", { slot: claimedEvent ? Number(claimedEvent.args.slot) : slot });
    if (moved) claimedHere.add(row.jobId);
    return moved;
  }

  /** The next free slot, or a silent claimant's whose commit window is over, or none. */
  async function freeSlot(jobId: bigint, job: { claimed: number; replicas: number; commitWindow: number }, chainNow: number) {
    if (job.claimed < job.replicas) return job.claimed;
    for (let i = 0; i < job.claimed; i++) {
      const s = await chainSlot(jobId, i);
      if (!s.committed && chainNow >= s.claimedAt + job.commitWindow) return i;
    }
    return undefined;
  }

  /** claimAndCommit's arguments: slot `asked`, this row's locality arguments, and the commitment to `resultCid`. */
  function claimAndCommitArgs(row: JobRow, asked: bigint, resultCid: Hex) {
    const { inputs, proofs } = localityArgs(request(row));
    const { hash, seal } = computeCommitment({ jobId: row.jobId, provider: me, resultCid });
    return [row.jobId, asked, inputs, proofs, [], hash, seal] as const;
  }

  /** A claim's inputs and locality proofs (both empty unless the job asks for locality). */
  function localityArgs(req: PostedRequest) {
    const proofs = req.locality
      ? req.inputs.map((i) => {
          const p = o.locality.find((l) => l.root.toLowerCase() === i.root.toLowerCase() && l.paddedSize === BigInt(i.paddedSize))!;
          return { kind: p.kind, data: p.data };
        })
      : [];
    const inputs = req.locality ? req.inputs.map((i) => ({ root: i.root, paddedSize: BigInt(i.paddedSize) })) : [];
    return { inputs, proofs };
  }

  async function prepareInputs(row: JobRow) {
    const s = spec(row);
    const list: ResolvedInputLike[] = [];
    try {
      for (const input of s.inputs) list.push(await resolveInput(row, input));
    } catch (error) {
      o.metrics.jobsFailed.inc({ code: "INPUT" });
      return move(row, "failed", { reason: `input: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
    }
    mounted.set(row.jobId, list);
    return move(row, "inputs_ready");
  }

  async function execute(row: JobRow) {
    const s = spec(row);
    const executor = o.executors.get(s.engine.type)!;
    let inputs: ResolvedInputLike[];
    try {
      inputs = mounted.get(row.jobId) ?? (await Promise.all(s.inputs.map((input) => resolveInput(row, input))));
    } catch (error) {
      if (o.signal.aborted) throw new Later("shutting down");
      o.metrics.jobsFailed.inc({ code: "INPUT" });
      return move(row, "failed", { reason: `input: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
    }
    const outputDir = join(o.workDir, "jobs", row.jobId.toString(), "out");
    await cleanups.get(row.jobId); // an earlier attempt's directory, still being removed
    // A directory left by an attempt before a crash is emptied first (mkdir says whether it made one).
    if ((await mkdir(outputDir, { recursive: true })) === undefined) {
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(outputDir, { recursive: true });
    }
    o.metrics.running.set(running);
    const started = Date.now();
    // A piece still being verified in the background stops the run as soon as it fails.
    const run = new AbortController();
    const stop = () => run.abort(o.signal.reason);
    o.signal.addEventListener("abort", stop, { once: true });
    let inputFailure: unknown;
    for (const input of inputs)
      input.verified?.catch((error: unknown) => {
        inputFailure ??= error;
        run.abort(error);
      });
    try {
      const ran = await executor.run({ jobId: row.jobId, spec: s, inputs, outputDir, signal: run.signal });
      o.logger.info({ jobId: row.jobId.toString(), engine: s.engine.type, ms: ran.durationMs, runMs: Date.now() - started, outputBytes: ran.outputBytes }, `job ${row.jobId} ran`);
      // No result over bytes not known to be the inputs: wait for every pending verdict, and
      // refuse a stored file that changed while the job read it.
      for (const input of inputs) await input.verified;
      for (const input of inputs) await input.checkUnchanged?.();
      const { cid } = await o.results.put(outputDir, s.resources.maxOutputBytes);
      execMs.set(row.jobId, Date.now() - started);
      o.metrics.execSeconds.observe({ engine: s.engine.type }, (Date.now() - started) / 1000);
      return move(row, "executed", { resultCid: resultCidBytes(cid.toString()) });
    } catch (caught) {
      if (o.signal.aborted) throw new Later("shutting down");
      // A stored input that changed under the job (truncated: its reads fail) explains the failure better than the exit code.
      if (inputFailure === undefined && !(caught instanceof InputError))
        for (const input of inputs) await input.checkUnchanged?.().catch((error: unknown) => (inputFailure ??= error));
      const error = inputFailure ?? caught;
      if (error instanceof InputError) {
        o.metrics.jobsFailed.inc({ code: error.code });
        return move(row, "failed", { reason: `${error.code}: ${error.message.split("\n")[0]}` });
      }
      if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
        // The provider's disk, not the job: say where, and what to do. (The job cannot wait for
        // space: its commit window runs.)
        o.metrics.jobsFailed.inc({ code: "NO_SPACE" });
        const where = (error as NodeJS.ErrnoException).path ?? "the work or results directory";
        return move(row, "failed", { reason: `NO_SPACE: no space left on the device of ${where}: free disk space under results.dir and stateDir` });
      }
      const code = error instanceof ExecutionError ? error.code : "EXECUTION";
      o.metrics.jobsFailed.inc({ code });
      return move(row, "failed", { reason: `${code}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
    } finally {
      o.signal.removeEventListener("abort", stop);
      mounted.delete(row.jobId);
      // Removed off the job's path: its commit need not wait for the file system.
      const removal: Promise<void> = rm(join(o.workDir, "jobs", row.jobId.toString()), { recursive: true, force: true })
        .catch((error: unknown) => o.logger.warn({ jobId: row.jobId.toString(), err: describeError(error) }, "could not remove the job's work directory"))
        .finally(() => {
          if (cleanups.get(row.jobId) === removal) cleanups.delete(row.jobId);
        });
      cleanups.set(row.jobId, removal);
    }
  }

  /** A commit (or a single replica's reveal) was handed to the node: the overhead figure, once per job. */
  function resultSent(row: JobRow) {
    const seen = seenAt.get(row.jobId);
    if (seen === undefined) return; // counted already, or seen before a restart
    const ran = execMs.get(row.jobId) ?? 0;
    const overheadMs = Date.now() - seen - ran;
    o.metrics.postedToCommitSeconds.observe(overheadMs / 1000);
    seenAt.delete(row.jobId);
    execMs.delete(row.jobId);
    o.logger.info({ jobId: row.jobId.toString(), overheadMs, execMs: ran }, `job ${row.jobId}: result sent ${overheadMs} ms after JobPosted was read, the run's ${ran} ms aside`);
  }

  /**
   * The one-transaction path's commit: claims a slot with the commitment of the result computed.
   * The chain first: a slot of ours means the call landed (before a crash, or still after a reorg);
   * a job no longer Open, past its deadline, or with every slot taken and none to reopen, is lost
   * with nothing locked (a claimAndCommit that does not land whole locks nothing). A claimAndCommit
   * recorded and then removed by a reorg is sent again while the job still lets it.
   */
  async function claimAndCommit(row: JobRow) {
    if (ranUnclaimed.delete(row.jobId) && row.txs.claimAndCommit === undefined) {
      // Run here after reading no slot of ours, and nothing sent since: straight to the call. The
      // contract checks what the reads below would (the job Open, before its deadline, a slot
      // free), and a refusal other than a full job ends it as below; a full job may still have a
      // slot to reopen, which the reading path finds.
      const ahead = estimatesAhead.get(row.jobId);
      estimatesAhead.delete(row.jobId);
      let estimate: bigint | undefined;
      if (ahead && o.heads?.up() && ahead.heads === headsSeen) {
        estimate = await ahead.value;
        if (ahead.heads !== headsSeen) estimate = undefined; // a head came while it was computed
      }
      const committed = await sendClaimAndCommit(row, NEXT_FREE_SLOT, { estimate, count: ahead?.count });
      if (committed !== undefined) return committed;
    }
    const [job, chainNow] = await Promise.all([chainJob(row.jobId), now()]);
    const held = await ourSlot(row.jobId, job.claimed);
    if (held !== undefined) {
      if ((await chainSlot(row.jobId, held)).committed) return move(row, "committed", { slot: held });
      return commitInSlot(row, held); // a slot claimed by the two-step path before: commit in it
    }
    const status = STATUS[job.status];
    if (status !== "Open") return move(row, "lost", { reason: `job ${status} before our claimAndCommit (nothing locked)` });
    if (chainNow >= job.deadline) return move(row, "lost", { reason: "deadline passed before our claimAndCommit (nothing locked)" });
    const slot = await freeSlot(row.jobId, job, chainNow);
    if (slot === undefined) {
      // As on the two-step path: a silent claimant's slot reopens once its commit window is over.
      for (let i = 0; i < job.claimed; i++) if (!(await chainSlot(row.jobId, i)).committed) throw new Later("all slots taken; waiting for one to reopen");
      return move(row, "lost", { reason: "every slot taken and committed before our claimAndCommit (nothing locked)" });
    }
    const asked = slot === job.claimed ? NEXT_FREE_SLOT : BigInt(slot);
    return (await sendClaimAndCommit(row, asked)) ?? move(row, "lost", { reason: "SlotUnavailable: claimAndCommit refused (nothing locked)" });
  }

  /**
   * Sends claimAndCommit for slot `asked` (or the next free one: NEXT_FREE_SLOT) and records the
   * slot its SlotClaimed event names. Returns the step's outcome, or undefined when the contract
   * said the slot is taken (SlotUnavailable): the caller decides whether that loses the job.
   */
  async function sendClaimAndCommit(row: JobRow, asked: bigint, known?: Known): Promise<boolean | undefined> {
    let receipt;
    try {
      receipt = await send(row, "claimAndCommit", "claimAndCommit", claimAndCommitArgs(row, asked, row.resultCid as Hex), undefined, () => resultSent(row), known);
    } catch (error) {
      const name = revertName(error);
      if (name === "SlotUnavailable") return undefined;
      // Raced: the quorum formed, or the deadline passed while we ran. The call reverted whole:
      // nothing is locked, and the job is lost to us.
      if (name === "JobNotInStatus" || name === "JobDeadlinePassed" || name === "MinerRequired" || name === "MinerAlreadyInJob") {
        return move(row, "lost", { reason: `${name}: claimAndCommit refused (nothing locked)` });
      }
      throw error;
    }
    const [claimedEvent] = parseEventLogs({ abi: jobMarketAbi, eventName: "SlotClaimed", logs: receipt.logs });
    if (!claimedEvent) throw new Error(`claimAndCommit transaction ${receipt.transactionHash} succeeded without a SlotClaimed event`);
    return move(row, "committed", { slot: Number(claimedEvent.args.slot) });
  }

  async function commit(row: JobRow) {
    const req = request(row);
    if (row.slot === undefined || row.txs.claimAndCommit !== undefined) return claimAndCommit(row);
    if (req.replicas === 1) return move(row, "committed"); // single replica: reveals directly
    return commitInSlot(row, row.slot);
  }

  async function commitInSlot(row: JobRow, slot: number) {
    const s = await chainSlot(row.jobId, slot);
    if (s.provider.toLowerCase() !== me.toLowerCase()) return move(row, "lost", { reason: "slot reopened before our commit" });
    if (!s.committed) {
      const job = await chainJob(row.jobId);
      if (STATUS[job.status] !== "Open") return move(row, "lost", { reason: `quorum reached without us (${STATUS[job.status]})` });
      const { hash, seal } = computeCommitment({ jobId: row.jobId, provider: me, resultCid: row.resultCid as Hex });
      try {
        await send(row, "commit", "commit", [row.jobId, BigInt(slot), hash, seal], undefined, () => resultSent(row));
      } catch (error) {
        const name = revertName(error);
        if (name === "JobNotInStatus" || name === "CommitWindowClosed" || name === "JobDeadlinePassed") {
          return move(row, "lost", { reason: name });
        }
        throw error;
      }
    }
    return move(row, "committed", { slot });
  }

  async function reveal(row: JobRow) {
    const req = request(row);
    const slot = row.slot!;
    if (claimedHere.delete(row.jobId) && req.replicas === 1 && row.txs.reveal === undefined) {
      // Claimed by this process, run, and nothing sent since: a single replica reveals directly,
      // and the contract refuses what the reads below would catch (JobNotInStatus, a closed window).
      return sendReveal(row, req, slot, true, false);
    }
    const [job, s] = await Promise.all([chainJob(row.jobId), chainSlot(row.jobId, slot)]);
    const status = STATUS[job.status];
    if (s.revealed) return move(row, "revealed");
    const direct = req.replicas === 1 && status === "Open";
    if (status === "Open" && !direct) {
      if ((await now()) >= job.deadline) return move(row, "lost", { reason: "no quorum by the deadline" });
      throw new Later("waiting for quorum");
    }
    if (status !== "Revealing" && !direct) return move(row, "lost", { reason: `job ${status} before our reveal` });
    // The quorum-th reveal settles and runs the callback. Reveals still due from others may land
    // first (in the same block), making ours the settling one: then it needs the settling gas.
    const othersDue = !direct && popcount(BigInt(job.revealedMask)) < req.quorum - 1;
    return sendReveal(row, req, slot, direct, othersDue);
  }

  async function sendReveal(row: JobRow, req: PostedRequest, slot: number, direct: boolean, othersDue: boolean) {
    let receipt;
    try {
      receipt = await send(row, "reveal", "reveal", [row.jobId, BigInt(slot), row.resultCid as Hex], (estimate) => settlingGas(req, estimate, othersDue), direct ? () => resultSent(row) : undefined);
    } catch (error) {
      const name = revertName(error);
      if (name === "NotInQuorum" || name === "RevealMismatch") return move(row, "lost", { reason: "our result is not the agreed one" });
      if (name === "RevealWindowClosed" || name === "JobNotInStatus") return move(row, "lost", { reason: name });
      throw error;
    }
    // Our reveal settled the job (the quorum-th, or a single replica's): settled now, without the
    // settle step's read.
    const settled = parseEventLogs({ abi: jobMarketAbi, eventName: "JobFinalized", logs: receipt.logs }).some(
      (e) => e.args.jobId === row.jobId && STATUS[e.args.status] === "Settled",
    );
    if (!move(row, "revealed")) return false;
    return settled ? move({ ...row, state: "revealed" }, "settled") : true;
  }

  async function settle(row: JobRow) {
    const job = await chainJob(row.jobId);
    const status = STATUS[job.status];
    if (status === "Settled") return move(row, "settled");
    if (status === "Revealing") {
      if ((await now()) < job.consensusAt + job.revealWindow) throw new Later("waiting for the other reveals");
      const req = request(row);
      await send(row, "finalize", "finalize", [row.jobId], (estimate) => settlingGas(req, estimate, false));
      return move(row, "settled");
    }
    return move(row, "lost", { reason: `job ${status}` });
  }

  const STEPS: Partial<Record<JobState, (row: JobRow) => Promise<boolean>>> = {
    seen: evaluate,
    evaluated: claim,
    claimed: prepareInputs,
    executed: commit,
    committed: reveal,
    revealed: settle,
  };

  async function advance(row: JobRow) {
    busy.add(row.jobId);
    try {
      // Run steps back to back while the job keeps moving.
      let current: JobRow | undefined = row;
      while (current && !TERMINAL_STATES.has(current.state) && !o.signal.aborted) {
        let moved: boolean;
        if (current.state === "inputs_ready") {
          // Reserve an execution slot synchronously, so parallel steps cannot overshoot the limit.
          if (running >= o.concurrency) break;
          running++;
          try {
            moved = await execute(current);
          } finally {
            running--;
            o.metrics.running.set(running);
          }
        } else {
          moved = await STEPS[current.state]!(current);
        }
        if (!moved) break;
        current = o.store.job(row.jobId);
      }
    } catch (error) {
      if (!(error instanceof Later)) {
        const attempts = o.store.bumpAttempts(row.jobId);
        const delayMs = retryDelayMs(attempts);
        retryAt.set(row.jobId, Date.now() + delayMs);
        o.logger.warn({ jobId: row.jobId.toString(), state: row.state, attempts, retryInMs: delayMs, err: describeError(error) }, "step failed; will retry");
        if (attempts >= 10) {
          const fresh = o.store.job(row.jobId);
          if (fresh) move(fresh, "abandoned", { reason: `gave up after ${attempts} attempts: ${describeError(error)}` });
        }
      }
    } finally {
      busy.delete(row.jobId);
      wake?.();
    }
  }

  /** One scheduling pass: starts every non-terminal job not already in progress. */
  function tick() {
    const open = o.store.jobsIn(["seen", "evaluated", "claimed", "inputs_ready", "executed", "committed", "revealed"]);
    const now = Date.now();
    // Jobs waiting for capacity are started only as far as the budget freed allows (counted here
    // as they start, since each reserves only after its chain reads).
    let backlog = 0;
    for (const t of holding.values()) backlog += t;
    for (const row of open) {
      if (busy.has(row.jobId)) continue;
      // A slot held since before a restart counts in the claim budget.
      if (row.slot !== undefined && (row.state === "claimed" || row.state === "inputs_ready") && !holding.has(row.jobId))
        holding.set(row.jobId, spec(row).resources.timeoutSec);
      const waitsForCapacity = row.state === "evaluated" ? deferred.get(row.jobId) : undefined;
      if (waitsForCapacity) {
        if (backlog / o.concurrency + waitsForCapacity.timeoutSec + o.policy.safetyMarginSec > waitsForCapacity.commitWindow) continue;
        backlog += waitsForCapacity.timeoutSec;
      }
      const due = retryAt.get(row.jobId);
      if (due !== undefined) {
        if (due > now) continue;
        retryAt.delete(row.jobId);
      }
      void advance(row);
    }
  }

  return {
    /** Feeds confirmed market events: new jobs are recorded; any event wakes the scheduler. */
    onEvents(events: MarketEvent[]) {
      for (const e of events) {
        if (e.eventName === "JobFinalized" || e.eventName === "JobExpired" || e.eventName === "JobCancelled") {
          // A job others wait for has ended: re-evaluate them now rather than at their next poll.
          for (const [jobId, on] of waiting) if (on === e.args.jobId) retryAt.delete(jobId);
          continue;
        }
        if (e.eventName !== "JobPosted") continue;
        const req = e.args.request;
        const stored = JSON.stringify(req, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
        if (o.store.addJob(e.args.jobId, e.blockNumber ?? 0n, stored)) {
          o.metrics.jobsSeen.inc();
          seenAt.set(e.args.jobId, Date.now());
        }
      }
      tick();
    },
    tick,
    /** Drops what is kept in memory about jobs a reorg removed (the store has forgotten them). */
    forget(jobIds: readonly bigint[]) {
      for (const jobId of jobIds) forgetJob(jobId);
      tick();
    },
    /** Runs the scheduler until the signal aborts; wakes on events, on finished steps, and every `intervalMs`. */
    async run(intervalMs: number) {
      while (!o.signal.aborted) {
        tick();
        // One abort listener per wait, removed after it: one added per pass and never removed
        // grew the signal's listener list by one per finished step, for the life of the agent.
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            o.signal.removeEventListener("abort", done);
            resolve();
          };
          const t = setTimeout(done, intervalMs);
          wake = done;
          o.signal.addEventListener("abort", done, { once: true });
        });
        wake = undefined;
      }
      while (busy.size) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(cleanups.values());
    },
    /** Withdraws everything settled jobs owe this provider, in one transaction per token. */
    async withdrawEarnings(): Promise<bigint> {
      const settled = o.store.jobsIn(["settled"]);
      const owed: bigint[] = [];
      let total = 0n;
      for (const row of settled) {
        const amount = await readContract(o.publicClient, { address: o.market, abi: jobMarketAbi, functionName: "owed", args: [row.jobId, me] });
        if (amount > 0n && request(row).token === zeroAddress) (owed.push(row.jobId), (total += amount));
      }
      if (owed.length === 0) return 0n;
      // Through the pipeline's own nonces, so it never takes one a job's transaction holds.
      const { hash } = await transmit("withdraw", [zeroAddress, owed]);
      await waitForTransactionReceipt(o.publicClient, { hash });
      o.metrics.txSent.inc({ kind: "withdraw" });
      return total;
    },
    /** Jobs in progress (for status and health). */
    inFlight: () => busy.size,
    /**
     * How many jobs each in-memory table holds (for tests and debugging): every one is empty once
     * every job the agent has seen is in a terminal state, so memory stays flat however many it ran.
     */
    memory: () => ({
      busy: busy.size, retryAt: retryAt.size, mounted: mounted.size, seenAt: seenAt.size, execMs: execMs.size,
      waiting: waiting.size, holding: holding.size, deferred: deferred.size, readAhead: readAhead.size,
      ranUnclaimed: ranUnclaimed.size, claimedHere: claimedHere.size, estimatesAhead: estimatesAhead.size, cleanups: cleanups.size,
    }),
  };
}
export type Pipeline = ReturnType<typeof createPipeline>;

/**
 * How long a job waits after its `attempts`-th failed step: 0.5 s, doubling, at most 60 s. Ten
 * failures (when the job is abandoned) then span about four minutes, long enough to ride out an
 * RPC outage or a full disk being cleared, instead of ten retries in a few milliseconds.
 */
export function retryDelayMs(attempts: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempts - 1), 60_000);
}
