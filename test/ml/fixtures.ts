// Small MNIST shards and synthetic shards for the ML kernel tests, written to a temp directory.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { encodeModel, encodeShard, type Model, type Shard, splitDataset } from "../../sdk/src/ml/index.js";
import { loadMnist } from "../../sdk/src/node.js";
import type { Mount } from "../../scripts/lib/mlJobs.js";

let mnist: ReturnType<typeof loadMnist> | undefined;
let fixtureDir: string | undefined;

/** Where fixture files go from now on (a test's temp directory, removed by the test). */
export function useFixtureDir(dir: string | undefined): void {
  fixtureDir = dir;
}
/** The package's MNIST digits, loaded once. */
export function mnistOnce(): ReturnType<typeof loadMnist> {
  mnist ??= loadMnist();
  return mnist;
}

/** Two 300-row MNIST training shards and a 200-row test shard (seed 3). */
export function smallMnist() {
  return splitDataset({ dataset: mnistOnce(), shards: 2, trainRows: 600, testRows: 200, seed: 3 });
}

/** A labelled f32 shard of `rows` × `features` from a fixed sequence (not from Math.random). */
export function syntheticShard(rows: number, features: number, classes: number): Shard {
  let s = 12345;
  const next = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 4294967296);
  const data = new Float32Array(rows * features).map(() => Math.fround(next() * 2 - 1));
  const labels = new Uint8Array(rows).map((_, r) => r % classes);
  return { rows, features, classes, dtype: "f32", data, labels };
}

/** Writes bytes into a fresh temp dir; returns a mount for them. */
export async function fileMount(mount: string, bytes: Uint8Array, dir?: string): Promise<Mount> {
  const at = await mkdtemp(join(dir ?? fixtureDir ?? tmpdir(), "shoal-ml-fixture-"));
  const hostPath = join(at, mount.split("/").pop()!);
  await writeFile(hostPath, bytes);
  return { mount, hostPath };
}

export const shardMount = (shard: Shard, mount = "/inputs/shard"): Promise<Mount> => fileMount(mount, encodeShard(shard));
export const modelMount = (model: Model, mount = "/inputs/model.bin"): Promise<Mount> => fileMount(mount, encodeModel(model));
