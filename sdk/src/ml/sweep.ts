import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account, Address, Chain, Client, Transport } from "viem";
import { fetchResult } from "../actions/fetchResult.js";
import { submitPipeline, type PipelineProgress, type PipelineStep } from "../pipeline/submitPipeline.js";
import { waitForPipeline } from "../pipeline/waitForPipeline.js";
import { evaluateSpec, type KernelModules, type KernelResources, type ShardPiece, type TrainParams, trainSpec } from "./specs.js";

/** Values to try for each hyperparameter; the sweep runs every combination (the Cartesian product). */
export type SweepGrid = { [K in keyof TrainParams]?: readonly NonNullable<TrainParams[K]>[] };

export type RunSweepParameters = {
  modules: KernelModules;
  /** The training shard, and the held-out shard each trained model is evaluated on. */
  shard: ShardPiece;
  validation: ShardPiece;
  grid: SweepGrid;
  /** Hyperparameters every point shares (the grid's values override them). */
  base?: TrainParams | undefined;
  /** Terms of every job (train and evaluate). */
  job: Omit<PipelineStep, "spec">;
  resources?: KernelResources | undefined;
  onProgress?: ((progress: PipelineProgress) => void) | undefined;
  timeout?: number | undefined;
  pollingInterval?: number | undefined;
  market?: Address | undefined;
  account?: Account | Address | undefined;
};

export type SweepPoint = {
  params: TrainParams;
  trainJob: bigint;
  evaluateJob: bigint;
  /** The trained model: the train job's result (a directory holding model.bin). */
  modelCid: string;
  accuracy: number;
  loss: number;
};
export type RunSweepReturnType = { ranking: SweepPoint[]; best: SweepPoint };

/** Every combination of the grid's values, in a fixed order (the first key varies slowest). */
export function gridPoints(grid: SweepGrid, base: TrainParams = {}): TrainParams[] {
  let points: TrainParams[] = [{ ...base }];
  for (const [key, values] of Object.entries(grid) as [keyof TrainParams, readonly (string | number)[]][]) {
    if (!values || values.length === 0) continue;
    points = points.flatMap((point) => values.map((value) => ({ ...point, [key]: value })));
  }
  return points;
}

/**
 * A hyperparameter sweep next to the data: for every grid point, a train job on `shard` and an
 * evaluate job of its model on `validation` (a two-step pipeline per point, all posted at once).
 * Waits for every job, reads each evaluation's verified `metrics.json`, and ranks the points by
 * accuracy (then by lower loss). The shards never move; only models and metrics do.
 *
 * @example
 * const { best, ranking } = await runSweep(walletClient, {
 *   modules, shard, validation, grid: { lr: [0.05, 0.1, 0.3], hidden: [0, 64] },
 *   job: { replicas: 2, quorum: 2, price: parseEther("0.01") },
 * });
 */
export async function runSweep<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: RunSweepParameters,
): Promise<RunSweepReturnType> {
  const points = gridPoints(parameters.grid, parameters.base);
  if (points.length > 64) throw new RangeError(`the grid has ${points.length} points; a sweep runs at most 64`);
  const steps: Record<string, PipelineStep> = {};
  points.forEach((params, i) => {
    steps[`train-${i}`] = { ...parameters.job, spec: trainSpec({ module: parameters.modules.train, shard: parameters.shard, params, resources: parameters.resources }) };
    // The evaluate spec with its model input taken from this point's train step (bound to its job ID when posted).
    const evaluate = evaluateSpec({ module: parameters.modules.evaluate, shard: parameters.validation, model: { job: "1" }, resources: parameters.resources });
    steps[`evaluate-${i}`] = {
      ...parameters.job,
      spec: { ...evaluate, inputs: (evaluate.inputs ?? []).map((input) => (input.job === undefined ? input : { step: `train-${i}`, mount: input.mount })) },
    };
  });
  const { jobs } = await submitPipeline(client, { steps, onProgress: parameters.onProgress, market: parameters.market, account: parameters.account });
  const results = await waitForPipeline(client as Client, {
    jobs, onProgress: parameters.onProgress, timeout: parameters.timeout, pollingInterval: parameters.pollingInterval, market: parameters.market,
  });
  const scratch = await mkdtemp(join(tmpdir(), "shoal-sweep-"));
  try {
    const ranking: SweepPoint[] = [];
    for (const [i, params] of points.entries()) {
      const evaluateJob = jobs[`evaluate-${i}`]!;
      const out = join(scratch, String(i));
      await fetchResult(client as Client, { jobId: evaluateJob, outDir: out, market: parameters.market });
      const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8")) as { accuracy: number; loss: number };
      ranking.push({ params, trainJob: jobs[`train-${i}`]!, evaluateJob, modelCid: results[`train-${i}`]!.resultCid, accuracy: metrics.accuracy, loss: metrics.loss });
    }
    ranking.sort((a, b) => b.accuracy - a.accuracy || a.loss - b.loss);
    return { ranking, best: ranking[0]! };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
