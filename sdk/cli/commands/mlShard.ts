import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pieceCid } from "../../src/index.js";
import { encodeShard, type Shard, splitDataset } from "../../src/ml/index.js";
import { loadMnist } from "../../src/node.js";
import type { GlobalOptions } from "../context.js";
import { CliError, fileProblem, UsageError } from "../errors.js";
import { note, out, outJson } from "../io.js";

export type MlShardOptions = {
  dataset: string;
  shards: number;
  nonIid?: boolean;
  seed?: number;
  trainRows?: number;
  testRows?: number;
  out: string;
};

/**
 * `shoal ml shard --dataset mnist --shards N [--non-iid] [--seed N] [--train-rows N] [--test-rows N] --out DIR`:
 * splits the dataset into N training shards and a held-out test shard (docs/ml-formats.md),
 * writes shard-<i>.bin and test.bin to DIR, and prints each file's piece CID for providers to store.
 */
export async function mlShardCommand(options: MlShardOptions, global: GlobalOptions): Promise<void> {
  if (options.dataset !== "mnist") throw new UsageError(`unknown dataset '${options.dataset}' (available: mnist)`);
  const dir = resolve(options.out);
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? [] : Promise.reject(new CliError(`cannot read ${dir}: ${fileProblem(error)}`))));
  if (existing.length > 0) throw new UsageError(`--out ${dir} is not empty`);
  const dataset = loadMnist();
  const { train, test } = splitDataset({
    dataset,
    shards: options.shards,
    nonIid: options.nonIid ?? false,
    seed: options.seed ?? 0,
    trainRows: options.trainRows,
    testRows: options.testRows,
  });
  await mkdir(dir, { recursive: true });
  const files: { name: string; shard: Shard }[] = [...train.map((shard, i) => ({ name: `shard-${i}.bin`, shard })), { name: "test.bin", shard: test }];
  const written = [];
  for (const { name, shard } of files) {
    const bytes = encodeShard(shard);
    await writeFile(join(dir, name), bytes);
    const piece = pieceCid(bytes);
    const labels = new Set(shard.labels).size;
    written.push({ file: join(dir, name), rows: shard.rows, labels, bytes: bytes.length, pieceCid: piece.v2, pieceCidV1: piece.v1, paddedSize: piece.paddedSize });
  }
  if (global.json) return outJson({ dataset: options.dataset, split: options.nonIid ? "non-iid" : "iid", seed: options.seed ?? 0, files: written });
  note(`${options.dataset}: ${train.length} ${options.nonIid ? "non-IID" : "IID"} training shard(s) and a test shard in ${dir}`);
  for (const w of written) out(`${w.file}  ${w.rows} rows, ${w.labels} labels, ${w.bytes} bytes  ${w.pieceCid}`);
}
