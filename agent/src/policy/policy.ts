/**
 * Whether to take a job. All must hold: the engine is supported and available, the image or
 * module is allowed, the spec is within the provider's limits, the price is at least the minimum,
 * the inputs are held locally (and, for locality jobs, a proof of storage is configured for each),
 * the windows leave time to run, the collateral fits the free stake, and, for a job that asks for
 * distinct miners, this provider has a miner bound that holds no slot of the job yet. Each refusal has a short
 * machine reason (a metrics label) and a sentence for the log.
 */
import type { Spec } from "@shoal/sdk";
import type { Executor } from "../executors/types.js";

export type PolicyConfig = {
  /** Lowest price per replica accepted, in attoFIL (FIL jobs) — token jobs need `tokens`. */
  minPrice: bigint;
  /** ERC-20 tokens accepted, with their minimum price (lower-case address → minimum). */
  tokens?: Record<string, bigint> | undefined;
  maxCpu: number;
  maxMemoryMb: number;
  gpus: number;
  maxTimeoutSec: number;
  /** Seconds kept free around execution: inputs, packing, transactions. */
  safetyMarginSec: number;
  /**
   * Longest job timeout (seconds) the agent runs before holding a slot, then claims with its
   * commitment in one transaction (see {@link runsBeforeClaim}); 0 turns that path off. Default 60.
   */
  oneTxMaxTimeoutSec?: number;
};

export type JobFacts = {
  spec: Spec;
  price: bigint;
  token: string;
  collateral: bigint;
  deadline: number;
  commitWindow: number;
  locality: boolean;
  allowlistRoot: string;
  /** Claimants must be bound to distinct miners (Sybil resistance). */
  distinctMiners: boolean;
  /** Input piece keys (the JobPosted request's `inputs`). */
  inputs: readonly { root: string; paddedSize: bigint }[];
};

export type PolicyEnvironment = {
  executors: ReadonlyMap<string, Executor>;
  /** Is this piece (or CID) available locally? */
  hasInput: (input: Spec["inputs"][number]) => Promise<boolean>;
  /** Is a locality proof configured for this piece key? */
  hasLocalityProof: (root: string, paddedSize: bigint) => boolean;
  /** Free stake, in attoFIL. */
  freeStake: () => Promise<bigint>;
  /** This provider's miner bound in the registry (0n: none). Asked only for distinct-miner jobs. */
  minerId: () => Promise<bigint>;
  /** The miner recorded for each slot of the job held now (distinct-miner jobs only). */
  slotMiners: () => Promise<readonly bigint[]>;
  now: () => number;
};

export type Decision = { take: true } | { take: false; reason: string; detail: string };

const refuse = (reason: string, detail: string): Decision => ({ take: false, reason, detail });

export async function decide(job: JobFacts, config: PolicyConfig, env: PolicyEnvironment): Promise<Decision> {
  const { spec } = job;
  const executor = env.executors.get(spec.engine.type);
  if (!executor) return refuse("engine_unsupported", `engine ${spec.engine.type} is not enabled on this agent`);
  if (!(await executor.isAvailable())) return refuse("engine_unavailable", `the ${spec.engine.type} engine is not reachable`);
  try {
    executor.validate(spec);
  } catch (error) {
    return refuse("not_allowed", error instanceof Error ? error.message : String(error));
  }
  if (executor.hasModule && !(await executor.hasModule(spec))) {
    const name = spec.engine.type === "wasm" ? spec.engine.module : spec.engine.image;
    return refuse("module_unavailable", `${spec.engine.type} ${name} is not available here`);
  }
  const r = spec.resources;
  if (r.cpu > config.maxCpu) return refuse("resources", `asks ${r.cpu} CPUs, limit ${config.maxCpu}`);
  if (r.memoryMb > config.maxMemoryMb) return refuse("resources", `asks ${r.memoryMb} MB, limit ${config.maxMemoryMb}`);
  if (r.gpu > config.gpus) return refuse("resources", `asks ${r.gpu} GPUs, this agent has ${config.gpus}`);
  if (r.timeoutSec > config.maxTimeoutSec) return refuse("resources", `timeout ${r.timeoutSec} s over the limit ${config.maxTimeoutSec} s`);

  const token = job.token.toLowerCase();
  const minimum = token === "0x0000000000000000000000000000000000000000" ? config.minPrice : config.tokens?.[token];
  if (minimum === undefined) return refuse("token", `payment token ${job.token} is not accepted`);
  if (job.price < minimum) return refuse("price", `price ${job.price} below the minimum ${minimum}`);

  if (job.allowlistRoot !== "0x0000000000000000000000000000000000000000000000000000000000000000") {
    return refuse("allowlist", "the job is restricted to an allowlist this agent has no proof for");
  }
  const needed = r.timeoutSec + config.safetyMarginSec;
  if (job.commitWindow < needed) return refuse("window", `commit window ${job.commitWindow} s is shorter than the run (${needed} s)`);
  if (job.deadline - env.now() < needed) return refuse("window", `the deadline is ${job.deadline - env.now()} s away; the run needs ${needed} s`);

  for (const input of spec.inputs) {
    if (!(await env.hasInput(input))) return refuse("input_missing", `input ${input.piece ?? input.cid} is not held locally`);
  }
  if (job.locality) {
    for (const piece of job.inputs) {
      if (!env.hasLocalityProof(piece.root, piece.paddedSize)) {
        return refuse("locality", `no PDP data set or f05 deal configured for piece ${piece.root}`);
      }
    }
  }
  if (job.distinctMiners) {
    const miner = await env.minerId();
    if (miner === 0n) {
      return refuse("miner", "the job asks for distinct miners and this provider has no miner bound: shoal-agent bind-miner <id>");
    }
    const slot = (await env.slotMiners()).indexOf(miner);
    if (slot >= 0) return refuse("miner", `the job asks for distinct miners and slot ${slot} is already held under this provider's miner f0${miner}`);
  }
  const free = await env.freeStake();
  if (free < job.collateral) return refuse("stake", `collateral ${job.collateral} exceeds the free stake ${free}`);
  return { take: true };
}

/** Default of {@link PolicyConfig.oneTxMaxTimeoutSec}: two Filecoin blocks. */
export const ONE_TX_MAX_TIMEOUT_SEC = 60;

/**
 * Whether to run a job before holding a slot and then claim it with the result's commitment in one
 * transaction (claimAndCommit): the job then settles two blocks after JobPosted instead of three.
 * Running first risks the work (the slots may fill, or the quorum form, while the job runs: then
 * claimAndCommit reverts whole, nothing is locked, and the job is lost), never collateral. So only
 * where that risk is small and the gain real:
 * - more than one replica (a single replica's holder reveals directly after its claim: two blocks already);
 * - a deterministic run (the result must match the others' to count);
 * - every input held here (no input is another job's result, fetched from its providers);
 * - short: a timeout of at most `oneTxMaxTimeoutSec` (default 60 s, two Filecoin blocks), and with
 *   the safety margin at most half the commit window, so two-step claimants cannot have filled and
 *   committed every slot long before we land.
 * Every other job takes the two-step path: claim (locking the slot), run, commit.
 */
export function runsBeforeClaim(spec: Spec, job: { replicas: number; commitWindow: number }, config: PolicyConfig): boolean {
  const limit = config.oneTxMaxTimeoutSec ?? ONE_TX_MAX_TIMEOUT_SEC;
  const timeout = spec.resources.timeoutSec;
  return (
    job.replicas > 1 &&
    spec.deterministic &&
    spec.inputs.every((input) => input.job === undefined) &&
    timeout <= limit &&
    2 * (timeout + config.safetyMarginSec) <= job.commitWindow
  );
}
