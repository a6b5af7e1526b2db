// `shoal ml train | sweep | infer | status`: Shoal's ML kernels as jobs next to the data.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, formatEther, zeroAddress } from "viem";
import {
  advanceFederatedRun,
  getFederatedRun,
  jobMarketAbi,
  type PieceRef,
  startFederatedRun,
  submitJob,
  toPieceRef,
  waitForResult,
} from "../../src/index.js";
import { federatedKernelSpecs, inferSpec, KERNEL_MODULES, type ModelSource, type ShardPiece, type TrainParams } from "../../src/ml/index.js";
import { fetchResult, runSweep } from "../../src/node.js";
import { FIL_UNIT, toUnits } from "../amounts.js";
import { connect, type GlobalOptions, parseAddress, type SignerContext } from "../context.js";
import { UsageError } from "../errors.js";
import { note, out, outJson } from "../io.js";
import { checkReplication, parseCollateral, parsePrice } from "../terms.js";

/** Job terms shared by the ML commands. */
export type MlJobOptions = { replicas: number; quorum: number; price: string; collateral?: string | undefined };
export type MlTrainOptions = MlJobOptions & {
  coordinator: string;
  shards: string;
  test: string;
  rounds: number;
  epochs?: number;
  lr?: string;
  batch?: number;
  hidden?: number;
  seed?: number;
  locality: boolean;
  budget?: string | undefined;
  detach?: boolean;
};
export type MlSweepOptions = MlJobOptions & { shard: string; validation: string; lr?: string; hidden?: string; epochs?: string; batch?: string; seed?: number };
export type MlInferOptions = MlJobOptions & { model: string; rows: string; out?: string | undefined };

function terms(options: MlJobOptions) {
  checkReplication(options.replicas, options.quorum);
  return { replicas: options.replicas, quorum: options.quorum, price: parsePrice(options.price, FIL_UNIT), collateral: parseCollateral(options.collateral) };
}

/** A shard given as a piece CID v2 (`bafkzcib…`). */
function shardOf(piece: string, what: string, locality: boolean): ShardPiece & { ref: PieceRef } {
  let ref: PieceRef;
  try {
    ref = toPieceRef({ piece });
  } catch {
    throw new UsageError(`${what} must be a piece CID v2 (bafkzcib…), as \`shoal ml shard\` prints it; got "${piece}"`);
  }
  return { piece, locality, ref };
}

/** A model: a job ID (that job's result holds model.bin) or a result CID. */
function modelOf(value: string): ModelSource {
  if (/^[1-9][0-9]*$/.test(value)) return { job: value };
  if (/^(bafy|Qm)/.test(value)) return { cid: value };
  throw new UsageError(`--model must be a job ID (whose result holds model.bin) or a result CID (bafy…); got "${value}"`);
}

function list<T>(value: string | undefined, parse: (item: string) => T, what: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
  if (items.length === 0) throw new UsageError(`${what} needs at least one value`);
  return items.map(parse);
}
const integer = (what: string) => (v: string) => {
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`${what} values must be whole numbers, got "${v}"`);
  return Number(v);
};
const decimal = (what: string) => (v: string) => {
  if (!/^[0-9]*\.?[0-9]+$/.test(v) || Number(v) <= 0) throw new UsageError(`${what} values must be positive decimals like 0.1, got "${v}"`);
  return v;
};

async function metricsOf(context: SignerContext, jobId: bigint): Promise<{ accuracy: number; loss: number }> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-ml-metrics-"));
  try {
    await fetchResult(context.publicClient, { jobId, outDir: join(dir, "r"), market: context.market });
    return JSON.parse(await readFile(join(dir, "r", "metrics.json"), "utf8")) as { accuracy: number; loss: number };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const pct = (a: number) => `${(a * 100).toFixed(2)} %`;

/** `shoal ml train`: a federated run on a FederatedAveraging contract, followed round by round. */
export async function mlTrainCommand(options: MlTrainOptions, global: GlobalOptions): Promise<void> {
  const coordinator = parseAddress(options.coordinator, "--coordinator");
  const t = terms(options);
  const shards = options.shards.split(",").map((p, i) => shardOf(p.trim(), `--shards item ${i + 1}`, options.locality));
  if (shards.length > 15) throw new UsageError(`--shards takes at most 15 pieces (got ${shards.length})`);
  const test = shardOf(options.test, "--test", options.locality);
  const params: TrainParams = { epochs: options.epochs, lr: options.lr === undefined ? undefined : decimal("--lr")(options.lr), batch: options.batch, hidden: options.hidden, seed: options.seed };
  const context = await connect(global, true);
  const { runId, budget } = await startFederatedRun(context.walletClient, {
    coordinator,
    shards: shards.map((s) => s.ref),
    testShard: test.ref,
    locality: options.locality,
    rounds: options.rounds,
    terms: { ...t, collateral: t.collateral ?? (await minCollateral(context)) },
    specs: federatedKernelSpecs({ modules: KERNEL_MODULES, shards, testShard: test, params }),
    budget: options.budget === undefined ? undefined : toUnits(options.budget, FIL_UNIT, "--budget"),
  });
  note(`run ${runId} started on ${coordinator} with a budget of ${formatEther(budget)} FIL`);
  if (options.detach) return context.json ? outJson({ runId: runId.toString(), budget: budget.toString() }) : out(runId.toString());
  await follow(context, coordinator, runId);
}

async function minCollateral(context: SignerContext): Promise<bigint> {
  return context.publicClient.readContract({ address: context.market, abi: jobMarketAbi, functionName: "minCollateral" });
}

/** Calls advance until the run ends, printing each round's accuracy as its evaluation settles. */
async function follow(context: SignerContext, coordinator: Address, runId: bigint): Promise<void> {
  let reported = 0;
  const rounds: { round: number; modelCid: string; metricsCid: string; accuracy: number }[] = [];
  for (;;) {
    const { ended } = await advanceFederatedRun(context.walletClient, { coordinator, runId });
    const run = await getFederatedRun(context.publicClient, { coordinator, runId });
    while (reported < run.history.length && run.history[reported]!.metricsCid) {
      const round = run.history[reported]!;
      const { accuracy } = await metricsOf(context, round.evaluateJob!);
      rounds.push({ round: reported + 1, modelCid: round.modelCid!, metricsCid: round.metricsCid!, accuracy });
      if (!context.json) out(`round ${reported + 1}: test accuracy ${pct(accuracy)}  model ${round.modelCid}`);
      reported++;
    }
    if (ended) {
      const final = await getFederatedRun(context.publicClient, { coordinator, runId });
      if (context.json) return outJson({ runId: runId.toString(), phase: final.phase, rounds });
      note(`run ${runId} ${final.phase === "Done" ? "done" : "ended " + final.phase}: the rest of the budget is owed to you (withdraw() on ${coordinator})`);
      if (final.phase !== "Done") process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, context.choice.local ? 500 : 30_000));
  }
}

/** `shoal ml status`: a run's phase and every round's jobs and CIDs. */
export async function mlStatusCommand(runId: bigint, options: { coordinator: string }, global: GlobalOptions): Promise<void> {
  const coordinator = parseAddress(options.coordinator, "--coordinator");
  const context = await connect(global);
  const run = await getFederatedRun(context.publicClient, { coordinator, runId });
  if (context.json) {
    return outJson(JSON.parse(JSON.stringify(run, (_k, v) => (typeof v === "bigint" ? v.toString() : v))));
  }
  out(`run ${runId}: ${run.phase}, round ${Math.min(run.round + 1, run.rounds)} of ${run.rounds}, ${run.shards} shards, budget left ${formatEther(run.budget)} FIL`);
  for (const [r, round] of run.history.entries()) {
    out(`  round ${r + 1}: train jobs ${round.trainJobs.join(", ") || "-"}; aggregate ${round.aggregateJob ?? "-"} → model ${round.modelCid ?? "pending"}; evaluate ${round.evaluateJob ?? "-"} → metrics ${round.metricsCid ?? "pending"}`);
  }
}

/** `shoal ml sweep`: the grid's train→evaluate pipelines over one shard, ranked. */
export async function mlSweepCommand(options: MlSweepOptions, global: GlobalOptions): Promise<void> {
  const t = terms(options);
  const shard = shardOf(options.shard, "--shard", false);
  const validation = shardOf(options.validation, "--validation", false);
  const grid = {
    lr: list(options.lr, decimal("--lr"), "--lr"),
    hidden: list(options.hidden, integer("--hidden"), "--hidden"),
    epochs: list(options.epochs, integer("--epochs"), "--epochs"),
    batch: list(options.batch, integer("--batch"), "--batch"),
  };
  const points = Object.values(grid).reduce((n, v) => n * (v?.length ?? 1), 1);
  if (points > 64) throw new UsageError(`the grid has ${points} points; a sweep runs at most 64`);
  const context = await connect(global, true);
  note(`sweep: ${points} point(s), each a train job and an evaluate job (${t.replicas} replicas, quorum ${t.quorum})`);
  const { ranking, best } = await runSweep(context.walletClient, {
    modules: KERNEL_MODULES, shard, validation, grid, base: { seed: options.seed },
    job: { replicas: t.replicas, quorum: t.quorum, price: t.price, collateral: t.collateral }, market: context.market,
    onProgress: (p) => (p.type === "settled" ? note(`  ${p.step} (job ${p.jobId}) settled`) : undefined),
  });
  if (context.json) return outJson(JSON.parse(JSON.stringify({ ranking, best }, (_k, v) => (typeof v === "bigint" ? v.toString() : v))));
  for (const [i, point] of ranking.entries()) {
    const params = Object.entries(point.params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${v}`).join(", ");
    out(`${i + 1}. ${params}: accuracy ${pct(point.accuracy)}, loss ${point.loss.toFixed(4)}, model ${point.modelCid} (job ${point.trainJob})`);
  }
  out(`best model: ${best.modelCid}`);
}

/** `shoal ml infer`: predictions for every row of a piece, next to the data. */
export async function mlInferCommand(options: MlInferOptions, global: GlobalOptions): Promise<void> {
  const t = terms(options);
  const rows = shardOf(options.rows, "--rows", false);
  const model = modelOf(options.model);
  const context = await connect(global, true);
  const { jobId } = await submitJob(context.walletClient, {
    spec: inferSpec({ module: KERNEL_MODULES.infer, rows, model }),
    replicas: t.replicas, quorum: t.quorum, price: t.price, collateral: t.collateral, market: context.market, token: zeroAddress,
  });
  note(`inference job ${jobId} posted`);
  const { resultCid } = await waitForResult(context.publicClient, { jobId, market: context.market });
  if (options.out) {
    const fetched = await fetchResult(context.publicClient, { jobId, outDir: options.out, market: context.market });
    note(`predictions in ${fetched.path} (predictions.csv, predictions.bin), verified against ${resultCid}`);
  }
  if (context.json) return outJson({ jobId: jobId.toString(), resultCid, out: options.out });
  out(resultCid);
}
