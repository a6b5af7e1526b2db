// The ML commands end to end: `shoal ml sweep`, `shoal ml infer` and `shoal ml train` (a federated
// run on the FederatedAveraging contract) against a local chain with two real agents that store
// small MNIST shards and run Shoal's kernel modules.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "viem";
import { startAgent, type Agent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import { federatedAveragingAbi, getJob, pieceCid, registerProvider } from "../../sdk/src/index.js";
import { encodeShard, KERNEL_MODULES } from "../../sdk/src/ml/index.js";
import { deployArtifact } from "../../scripts/lib/deploy-viem.js";
import { runCli } from "../cli/harness.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { smallMnist } from "./fixtures.js";

describe("shoal ml sweep / infer / train with real agents", function () {
  this.timeout(300_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  const agents: Agent[] = [];
  let dir: string;
  let shards: ReturnType<typeof pieceCid>[];
  let split: ReturnType<typeof smallMnist>;
  let cli: (args: string[]) => ReturnType<typeof runCli>;
  const job = ["--replicas", "2", "--quorum", "2", "--price", "0.01"];

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-ml-jobs-"));
    split = smallMnist();
    const files = [...split.train, split.test].map((s) => encodeShard(s));
    shards = files.map((f) => pieceCid(f));
    for (const i of [2, 3]) {
      const home = join(dir, `sp${i}`);
      await mkdir(join(home, "pieces"), { recursive: true });
      await mkdir(join(home, "modules"), { recursive: true });
      for (const [k, f] of files.entries()) await writeFile(join(home, "pieces", shards[k]!.v2), f);
      for (const name of ["train", "aggregate", "evaluate", "infer"] as const) {
        await copyFile(new URL(`../../ml/modules/${name}.wasm`, import.meta.url), join(home, "modules", `${KERNEL_MODULES[name]}.wasm`));
      }
      process.env[`SHOAL_TEST_ML_KEY_${i}`] = KEYS[i];
      const config = loadConfig({
        env: {},
        flags: {
          "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": 100,
          "keys.privateKeyEnv": `SHOAL_TEST_ML_KEY_${i}`, "engines.wasm.moduleDir": join(home, "modules"), "data.pieceDir": join(home, "pieces"),
          stateDir: join(home, "state"), "results.dir": join(home, "results"), "gateway.port": 0, logLevel: "silent", "policy.safetyMarginSec": 5,
        },
      });
      const agent = await startAgent(config, { logger: createLogger("silent") });
      agents.push(agent);
      await registerProvider(chain.wallet(i), {
        registry: chain.registry, stake: parseEther("10"), gatewayUrl: agent.gateway.url, capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 },
      });
    }
    cli = (args) => runCli(["--rpc", chain.rpcUrl, "--market", chain.market, ...args], { SHOAL_PRIVATE_KEY: KEYS[1] });
  });

  after(async function () {
    for (const a of agents) await a.stop().catch(() => {});
    await chain?.close();
  });

  it("sweep ranks the grid by verified accuracy; infer predicts with the best model next to the data", async function () {
    const sweep = await cli(["ml", "sweep", "--shard", shards[0]!.v2, "--validation", shards[2]!.v2, "--lr", "0.05,0.5", "--hidden", "0", "--epochs", "2", ...job, "--json"]);
    assert.equal(sweep.code, 0, sweep.stderr);
    const { ranking, best } = JSON.parse(sweep.stdout) as { ranking: { params: { lr: string }; accuracy: number; modelCid: string; trainJob: string }[]; best: { modelCid: string; trainJob: string; accuracy: number } };
    assert.equal(ranking.length, 2);
    assert.deepEqual(ranking.map((p) => p.params.lr).sort(), ["0.05", "0.5"]);
    assert.ok(ranking[0]!.accuracy >= ranking[1]!.accuracy);
    assert.ok(best.accuracy > 0.5, `a softmax on 300 digits beats chance by far (got ${best.accuracy})`);
    assert.equal((await getJob(chain.publicClient, { jobId: BigInt(best.trainJob), market: chain.market })).resultCid, best.modelCid);

    const out = join(dir, "predictions");
    const infer = await cli(["ml", "infer", "--model", best.trainJob, "--rows", shards[2]!.v2, ...job, "-o", out]);
    assert.equal(infer.code, 0, infer.stderr);
    assert.match(infer.stdout.trim(), /^bafy/);
    const predicted = await readFile(join(out, "predictions.bin"));
    assert.equal(predicted.length, split.test.rows);
    let correct = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === split.test.labels![i]) correct++;
    assert.equal(correct / predicted.length, best.accuracy, "infer's predictions score what evaluate measured for the same model");
  });

  it("train runs a federated run on the coordinator and reports each round's accuracy and model CID", async function () {
    const coordinator = await deployArtifact(chain.wallet(0), chain.publicClient, "contracts/ml/FederatedAveraging.sol/FederatedAveraging.json", [chain.market]);
    const train = await cli([
      "ml", "train", "--coordinator", coordinator, "--shards", `${shards[0]!.v2},${shards[1]!.v2}`, "--test", shards[2]!.v2,
      "--rounds", "2", "--epochs", "1", "--lr", "0.3", "--hidden", "16", "--no-locality", ...job, "--json",
    ]);
    assert.equal(train.code, 0, train.stderr);
    const result = JSON.parse(train.stdout) as { runId: string; phase: string; rounds: { round: number; modelCid: string; accuracy: number }[] };
    assert.equal(result.phase, "Done");
    assert.deepEqual(result.rounds.map((r) => r.round), [1, 2]);
    for (const r of result.rounds) assert.ok(r.accuracy > 0.3 && r.modelCid.startsWith("bafy"));
    const round = await chain.publicClient.readContract({ address: coordinator, abi: federatedAveragingAbi, functionName: "getRound", args: [BigInt(result.runId), 1n] });
    assert.equal((await getJob(chain.publicClient, { jobId: round.aggregateJob, market: chain.market })).resultCid, result.rounds[1]!.modelCid);

    const status = await cli(["ml", "status", result.runId, "--coordinator", coordinator]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /run 1: Done/);
    assert.match(status.stdout, new RegExp(`model ${result.rounds[1]!.modelCid}`));
  });

  it("refuses bad ML command input in one line with exit code 2", async function () {
    for (const [args, message] of [
      [["ml", "infer", "--model", "abc", "--rows", shards[2]!.v2, ...job], /--model must be a job ID/],
      [["ml", "infer", "--model", "1", "--rows", "not-a-piece", ...job], /--rows must be a piece CID v2/],
      [["ml", "sweep", "--shard", shards[0]!.v2, "--validation", shards[2]!.v2, "--lr", "fast", ...job], /--lr values must be positive decimals/],
      [["ml", "train", "--coordinator", "0x12", "--shards", shards[0]!.v2, "--test", shards[2]!.v2, "--rounds", "1", ...job], /--coordinator must be a 0x address/],
    ] as const) {
      const run = await cli([...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 1);
    }
  });
});
