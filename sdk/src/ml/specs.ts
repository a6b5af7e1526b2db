import type { SpecInput } from "../spec/schema.js";
import { templateHole } from "../federated/templates.js";

/** The raw CIDs of Shoal's four ML kernel modules (ml/modules/modules.json). */
export type KernelModules = { train: string; aggregate: string; evaluate: string; infer: string };

/**
 * The CIDs of the kernel modules this SDK version was built with (`npm run build:ml` reproduces
 * their bytes; test/ml/build.test.ts checks this list against ml/modules/modules.json). Providers
 * put the modules in their module directory; job specs name them by these CIDs.
 */
export const KERNEL_MODULES: Readonly<KernelModules> = {
  train: "bafkreielpnkhfalx4s2m3avlq3zdmtdq4ihjmflwwcyoqqrfgmnyv7ehhq",
  aggregate: "bafkreie4pyts3lx7caorscanzvc3fgcxyatbvkwxovzdcjreuyhpqz4nh4",
  evaluate: "bafkreibv4tsms4g25k2xv7zetmce73e23gh3vfwpj7lbhwjpgy4uveqny4",
  infer: "bafkreigvuopchd2rs7cqibibjimtns7emf6wzxhmhtit2izk25clqaminy",
};

/** A shard as a job input: a piece the providers store (v2 CID, or v1 with its padded size). */
export type ShardPiece = { piece: string; size?: number | undefined; locality?: boolean | undefined };

/** A model as a job input: an earlier job's result (a directory with model.bin), or a CID. */
export type ModelSource = { job: string } | { cid: string };

/** The train kernel's hyperparameters (docs/ml-formats.md); absent ones take the kernel's defaults. */
export type TrainParams = {
  epochs?: number | undefined;
  /** Learning rate, e.g. 0.1 (written as a plain decimal). */
  lr?: number | string | undefined;
  batch?: number | undefined;
  /** Hidden units; 0 = softmax regression. */
  hidden?: number | undefined;
  seed?: number | undefined;
};

/** Resources for kernel jobs (defaults fit MNIST-sized shards: 256 MiB, 300 s, 16 MiB of output). */
export type KernelResources = { memoryMb?: number; timeoutSec?: number; maxOutputBytes?: number };

const SHARD = "/inputs/shard";
const MODEL = "/inputs/model";

/** A learning rate as the kernel reads it: a plain decimal, no exponent. */
export function formatDecimal(value: number | string): string {
  if (typeof value === "string") return value;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`a learning rate must be a positive number, got ${value}`);
  const text = String(value);
  return text.includes("e") ? value.toFixed(20).replace(/0+$/, "").replace(/\.$/, "") : text;
}

function resources(r: KernelResources | undefined) {
  return { cpu: 1, memoryMb: r?.memoryMb ?? 256, timeoutSec: r?.timeoutSec ?? 300, maxOutputBytes: r?.maxOutputBytes ?? 16 << 20 };
}

function shardInput(shard: ShardPiece, mount: string) {
  return { piece: shard.piece, ...(shard.size === undefined ? {} : { size: shard.size }), mount, locality: shard.locality ?? false };
}

function modelInput(model: ModelSource, mount: string) {
  return "job" in model ? { job: model.job, mount } : { cid: model.cid, mount };
}

function trainArgs(params: TrainParams, withModel: boolean): string[] {
  const args = ["--shard", SHARD, ...(withModel ? ["--model", MODEL] : [])];
  if (params.epochs !== undefined) args.push("--epochs", String(params.epochs));
  if (params.lr !== undefined) args.push("--lr", formatDecimal(params.lr));
  if (params.batch !== undefined) args.push("--batch", String(params.batch));
  if (params.hidden !== undefined) args.push("--hidden", String(params.hidden));
  if (params.seed !== undefined) args.push("--seed", String(params.seed));
  return args;
}

/**
 * A job spec that trains the `train` kernel on a shard, from a starting model or from the seeded
 * initialisation. Its result holds `model.bin` and `metrics.json`.
 *
 * @example
 * const spec = trainSpec({ module: modules.train, shard: { piece: "bafkzcib…" }, params: { epochs: 1, lr: 0.1, hidden: 64 } });
 */
export function trainSpec(o: { module: string; shard: ShardPiece; model?: ModelSource | undefined; params?: TrainParams; resources?: KernelResources }): SpecInput {
  const inputs = [...(o.model ? [modelInput(o.model, MODEL)] : []), shardInput(o.shard, SHARD)];
  return { version: 1, engine: { type: "wasm", module: o.module, args: trainArgs(o.params ?? {}, o.model !== undefined) }, inputs, resources: resources(o.resources) };
}

/** A job spec that averages models (FedAvg, weighted by each model's samples). Its result holds `model.bin`. */
export function aggregateSpec(o: { module: string; models: readonly ModelSource[]; resources?: KernelResources }): SpecInput {
  const mounts = o.models.map((_, i) => `/inputs/u${i}`);
  return {
    version: 1,
    engine: { type: "wasm", module: o.module, args: mounts.flatMap((m) => ["--model", m]) },
    inputs: o.models.map((m, i) => modelInput(m, mounts[i]!)),
    resources: resources(o.resources),
  };
}

/** A job spec that measures a model on a labelled shard. Its result holds `metrics.json` (accuracy, loss, confusion). */
export function evaluateSpec(o: { module: string; shard: ShardPiece; model: ModelSource; resources?: KernelResources }): SpecInput {
  return {
    version: 1,
    engine: { type: "wasm", module: o.module, args: ["--shard", SHARD, "--model", MODEL] },
    inputs: [modelInput(o.model, MODEL), shardInput(o.shard, SHARD)],
    resources: resources(o.resources),
  };
}

/** A job spec that predicts a class for every row of a piece. Its result holds `predictions.csv` and `predictions.bin`. */
export function inferSpec(o: { module: string; rows: ShardPiece; model: ModelSource; resources?: KernelResources }): SpecInput {
  return {
    version: 1,
    engine: { type: "wasm", module: o.module, args: ["--shard", SHARD, "--model", MODEL] },
    inputs: [modelInput(o.model, MODEL), shardInput(o.rows, SHARD)],
    resources: resources(o.resources),
  };
}

/**
 * The four spec lists a FederatedAveraging run needs (startFederatedRun's `specs`) for Shoal's
 * kernels: round-0 training from the seeded initialisation, later rounds from the previous global
 * model, FedAvg over the round's updates, evaluation on the test shard.
 */
export function federatedKernelSpecs(o: {
  modules: KernelModules;
  shards: readonly ShardPiece[];
  testShard: ShardPiece;
  params?: TrainParams;
  resources?: KernelResources;
}) {
  const previous = { job: templateHole(0) };
  return {
    trainFirst: o.shards.map((shard) => trainSpec({ module: o.modules.train, shard, params: o.params, resources: o.resources })),
    trainNext: o.shards.map((shard) => trainSpec({ module: o.modules.train, shard, model: previous, params: o.params, resources: o.resources })),
    aggregate: aggregateSpec({ module: o.modules.aggregate, models: o.shards.map((_, i) => ({ job: templateHole(i) })), resources: o.resources }),
    evaluate: evaluateSpec({ module: o.modules.evaluate, shard: o.testShard, model: previous, resources: o.resources }),
  };
}
