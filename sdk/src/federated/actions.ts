import type { Account, Address, Chain, Client, Hash, Hex, Transport } from "viem";
import { parseEventLogs } from "viem";
import { estimateContractGas, readContract } from "viem/actions";
import { federatedAveragingAbi } from "../abi/federatedAveraging.js";
import { jobMarketAbi } from "../abi/jobMarket.js";
import type { MarketCallErrorType } from "../errors/client.js";
import { writeAndWait } from "../internal/write.js";
import type { PieceRef } from "../piece/toPieceRef.js";
import { resultCidFromBytes } from "../result/resultCidBytes.js";
import type { SpecInput } from "../spec/schema.js";
import { specTemplate } from "./templates.js";

/** The coordinator's ABI with the market's errors, so a revert inside `submit` is named too. */
const abi = [...federatedAveragingAbi, ...jobMarketAbi.filter((item) => item.type === "error")] as const;

export const RUN_PHASES = ["None", "Training", "Aggregating", "Finishing", "Done", "Failed"] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** Terms of every job a run posts (FIL). */
export type FederatedJobTerms = {
  replicas: number;
  quorum: number;
  /** attoFIL per replica whose result is accepted. */
  price: bigint;
  /** attoFIL each claimant locks (at least the market's minimum). */
  collateral: bigint;
  /** Seconds from posting to each job's deadline (default 3600). */
  ttl?: number | undefined;
  commitWindow?: number | undefined;
  revealWindow?: number | undefined;
  /** Gas the market gives the coordinator's callback (default 150,000: it uses about 102,000 at most; see `npm run bench:ml`). */
  callbackGas?: number | undefined;
};

export type StartFederatedRunParameters = {
  /** A FederatedAveraging contract. */
  coordinator: Address;
  /** The shard pieces, one training job per shard per round (1..15). */
  shards: readonly PieceRef[];
  testShard: PieceRef;
  /** Whether claimants must prove they store their shard (default true). */
  locality?: boolean | undefined;
  rounds: number;
  /** Posts per step before the run fails (default 3). */
  maxAttempts?: number | undefined;
  terms: FederatedJobTerms;
  /** Paid from the budget to whoever calls `advance` when it posts (default 0). */
  tip?: bigint | undefined;
  /**
   * The specs, with `templateHole(i)` where a job ID goes: `trainFirst[i]` (shard i, round 0, no
   * hole), `trainNext[i]` (shard i, later rounds, hole 0 = the previous global model's
   * aggregation job), `aggregate` (hole i = shard i's training job), `evaluate` (hole 0 = the
   * aggregation job).
   */
  specs: { trainFirst: readonly SpecInput[]; trainNext: readonly SpecInput[]; aggregate: SpecInput; evaluate: SpecInput };
  /** attoFIL sent (default: one attempt of every step, plus half again for re-posts; the rest comes back at the end). */
  budget?: bigint | undefined;
  account?: Account | Address | undefined;
};
export type StartFederatedRunReturnType = { runId: bigint; hash: Hash; budget: bigint; firstJobs: bigint[] };
export type StartFederatedRunErrorType = MarketCallErrorType;

const DEFAULT_CALLBACK_GAS = 150_000;

function termsOf(terms: FederatedJobTerms) {
  return {
    replicas: terms.replicas,
    quorum: terms.quorum,
    price: terms.price,
    collateral: terms.collateral,
    ttl: terms.ttl ?? 3600,
    commitWindow: terms.commitWindow ?? 600,
    revealWindow: terms.revealWindow ?? 600,
    callbackGas: terms.callbackGas ?? DEFAULT_CALLBACK_GAS,
  };
}

/**
 * Starts a federated training run on a FederatedAveraging contract and posts its first round.
 * The specs are cut into templates here ({@link specTemplate}); the contract fills in job IDs.
 *
 * @example
 * const { runId } = await startFederatedRun(walletClient, { coordinator, shards, testShard, rounds: 3, terms, specs });
 */
export async function startFederatedRun<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: StartFederatedRunParameters,
): Promise<StartFederatedRunReturnType> {
  const n = parameters.shards.length;
  const { specs } = parameters;
  if (specs.trainFirst.length !== n || specs.trainNext.length !== n) {
    throw new RangeError(`specs.trainFirst and specs.trainNext need one spec per shard (${n}); got ${specs.trainFirst.length} and ${specs.trainNext.length}`);
  }
  const templates: Hex[][] = [
    ...specs.trainFirst.map((spec) => specTemplate(spec, 0)),
    ...specs.trainNext.map((spec) => specTemplate(spec, 1)),
    specTemplate(specs.aggregate, n),
    specTemplate(specs.evaluate, 1),
  ];
  const terms = termsOf(parameters.terms);
  const tip = parameters.tip ?? 0n;
  const escrow = await readContract(client, { address: parameters.coordinator, abi, functionName: "escrowOf", args: [terms] });
  const needed = BigInt(n + 2) * (escrow + tip) * BigInt(parameters.rounds);
  const budget = parameters.budget ?? needed + needed / 2n;
  const receipt = await writeAndWait(client as Client, {
    address: parameters.coordinator,
    abi,
    functionName: "start",
    args: [
      {
        shards: [...parameters.shards],
        testShard: parameters.testShard,
        locality: parameters.locality ?? true,
        rounds: parameters.rounds,
        maxAttempts: parameters.maxAttempts ?? 3,
        terms,
        tip,
        templates,
      },
    ],
    value: budget,
    account: parameters.account,
  });
  const events = parseEventLogs({ abi, logs: receipt.logs });
  const started = events.find((e) => e.eventName === "RunStarted");
  if (!started || started.eventName !== "RunStarted") throw new Error(`transaction ${receipt.transactionHash} started no run`);
  const firstJobs = events.flatMap((e) => (e.eventName === "StepPosted" ? [e.args.jobId] : []));
  return { runId: started.args.runId, hash: receipt.transactionHash, budget, firstJobs };
}

export type AdvanceFederatedRunParameters = { coordinator: Address; runId: bigint; account?: Account | Address | undefined };
export type AdvanceFederatedRunReturnType = { hash: Hash; posted: bigint[]; ended: boolean };

/**
 * Calls the coordinator's permissionless `advance`: collects what ended, re-posts failures, posts
 * what is due. Anyone may call it; the outcome does not depend on who does.
 */
export async function advanceFederatedRun<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  { coordinator, runId, account }: AdvanceFederatedRunParameters,
): Promise<AdvanceFederatedRunReturnType> {
  // What advance does depends on the jobs' states when it is mined, not when it is estimated: a
  // job that settles in between makes it post more. So it gets half again its estimate, and a
  // call that still runs out of gas (the state moved a lot) is estimated and sent again.
  let receipt;
  for (let attempt = 1; ; attempt++) {
    const from = account ?? client.account;
    const estimate = await estimateContractGas(client as Client, {
      address: coordinator, abi, functionName: "advance", args: [runId], account: from as Account | Address,
    }).catch(() => undefined);
    try {
      receipt = await writeAndWait(client as Client, {
        address: coordinator, abi, functionName: "advance", args: [runId], account, gas: estimate === undefined ? undefined : (estimate * 3n) / 2n,
      });
      break;
    } catch (error) {
      if (attempt >= 3 || !/reverted|out of gas/i.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
  const events = parseEventLogs({ abi, logs: receipt.logs });
  return {
    hash: receipt.transactionHash,
    posted: events.flatMap((e) => (e.eventName === "StepPosted" ? [e.args.jobId] : [])),
    ended: events.some((e) => e.eventName === "RunEnded"),
  };
}

export type FederatedRound = {
  trainJobs: bigint[];
  aggregateJob: bigint | undefined;
  evaluateJob: bigint | undefined;
  /** The global model after this round: the aggregation job's result CID (a directory holding model.bin). */
  modelCid: string | undefined;
  /** The evaluation of that model: a directory holding metrics.json. */
  metricsCid: string | undefined;
};
export type GetFederatedRunParameters = { coordinator: Address; runId: bigint };
export type GetFederatedRunReturnType = {
  owner: Address;
  phase: RunPhase;
  shards: number;
  rounds: number;
  /** The round in training or aggregation (== rounds once all are aggregated). */
  round: number;
  budget: bigint;
  /** Every round started so far. */
  history: FederatedRound[];
};

/** Reads a run and every round it has started, with the model and metrics CIDs recorded on chain. */
export async function getFederatedRun(client: Client, { coordinator, runId }: GetFederatedRunParameters): Promise<GetFederatedRunReturnType> {
  const run = await readContract(client, { address: coordinator, abi, functionName: "getRun", args: [runId] });
  const started = Math.min(run.round + 1, run.rounds);
  const history = await Promise.all(
    Array.from({ length: started }, async (_, r) => {
      const round = await readContract(client, { address: coordinator, abi, functionName: "getRound", args: [runId, BigInt(r)] });
      return {
        trainJobs: [...round.trainJobs],
        aggregateJob: round.aggregateJob === 0n ? undefined : round.aggregateJob,
        evaluateJob: round.evaluateJob === 0n ? undefined : round.evaluateJob,
        modelCid: round.modelCid === "0x" ? undefined : resultCidFromBytes(round.modelCid).toString(),
        metricsCid: round.metricsCid === "0x" ? undefined : resultCidFromBytes(round.metricsCid).toString(),
      };
    }),
  );
  return {
    owner: run.owner, phase: RUN_PHASES[run.phase]!, shards: run.shardCount, rounds: run.rounds, round: run.round, budget: run.budget, history,
  };
}
