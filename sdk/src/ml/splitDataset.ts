import { InvalidSplitError } from "../errors/ml.js";
import type { Shard } from "./shard.js";

/** A labelled dataset of u8 rows (MNIST: 28 × 28 pixels, 10 classes). */
export type Dataset = {
  rows: number;
  features: number;
  classes: number;
  /** rows × features pixels, row-major. */
  pixels: Uint8Array;
  labels: Uint8Array;
};

export type SplitDatasetParameters = {
  dataset: Dataset;
  /** Training shards to make (1..64). */
  shards: number;
  /** Rows held out for the test shard (default: a fifth of the dataset). */
  testRows?: number | undefined;
  /** Rows shared among the training shards (default: all rows not held out). */
  trainRows?: number | undefined;
  /** Label-skewed shards instead of IID ones (default false). */
  nonIid?: boolean | undefined;
  /** Seed of the split (a u32; default 0): the same seed gives the same shards. */
  seed?: number | undefined;
};

export type SplitDatasetReturnType = { train: Shard[]; test: Shard };
export type SplitDatasetErrorType = InvalidSplitError;

/**
 * Splits a dataset into `shards` training shards and one held-out test shard, deterministically
 * from `seed`. The rows are shuffled once; the first `testRows` become the test shard and the
 * next `trainRows` are dealt to the training shards: IID as contiguous runs of the shuffled rows
 * (shard sizes differ by at most one), or non-IID (label skew, McMahan et al. 2017) by sorting
 * those rows by label, cutting them into 2 × `shards` runs and giving each shard two runs
 * chosen by the seed, so each shard sees only a few labels.
 *
 * @example
 * const { train, test } = splitDataset({ dataset, shards: 3, testRows: 2000, seed: 1 });
 * const files = [...train, test].map(encodeShard);
 */
export function splitDataset(parameters: SplitDatasetParameters): SplitDatasetReturnType {
  const { dataset, shards, nonIid = false, seed = 0 } = parameters;
  const bad = (reason: string): never => {
    throw new InvalidSplitError({ reason });
  };
  if (!Number.isInteger(shards) || shards < 1 || shards > 64) bad(`shards must be 1..64, got ${shards}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) bad(`seed must be a u32, got ${seed}`);
  if (dataset.pixels.length !== dataset.rows * dataset.features || dataset.labels.length !== dataset.rows)
    bad("the dataset's pixels or labels do not match its rows");
  const testRows = parameters.testRows ?? Math.floor(dataset.rows / 5);
  if (!Number.isInteger(testRows) || testRows < 1) bad(`test rows must be at least 1, got ${testRows}`);
  const trainRows = parameters.trainRows ?? dataset.rows - testRows;
  if (!Number.isInteger(trainRows) || trainRows < 1) bad(`train rows must be at least 1, got ${trainRows}`);
  if (testRows + trainRows > dataset.rows) bad(`${testRows} test rows and ${trainRows} train rows need ${testRows + trainRows}, the dataset has ${dataset.rows}`);
  const perShard = nonIid ? 2 : 1;
  if (trainRows < shards * perShard) bad(`${trainRows} train rows are too few for ${shards} shards`);

  const random = mulberry32(seed);
  const order = shuffled(dataset.rows, random);
  const test = pick(dataset, order.slice(0, testRows));
  const pool = order.slice(testRows, testRows + trainRows);
  const train: Shard[] = [];
  if (!nonIid) {
    for (let s = 0; s < shards; s++) train.push(pick(dataset, pool.slice(Math.floor((s * trainRows) / shards), Math.floor(((s + 1) * trainRows) / shards))));
  } else {
    const byLabel = [...pool].sort((a, b) => dataset.labels[a]! - dataset.labels[b]! || a - b);
    const runs = 2 * shards;
    const runOf = (r: number): number[] => byLabel.slice(Math.floor((r * trainRows) / runs), Math.floor(((r + 1) * trainRows) / runs));
    const assignment = shuffled(runs, random);
    for (let s = 0; s < shards; s++) {
      const rows = [...runOf(assignment[2 * s]!), ...runOf(assignment[2 * s + 1]!)];
      const mixed = shuffled(rows.length, random).map((i) => rows[i]!);
      train.push(pick(dataset, mixed));
    }
  }
  return { train, test };
}

function pick(dataset: Dataset, rows: number[]): Shard {
  const { features } = dataset;
  const data = new Uint8Array(rows.length * features);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    data.set(dataset.pixels.subarray(r * features, (r + 1) * features), i * features);
    labels[i] = dataset.labels[r]!;
  });
  return { rows: rows.length, features, classes: dataset.classes, dtype: "u8", data, labels };
}

/** 0..n-1 in a seeded Fisher–Yates order. */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
