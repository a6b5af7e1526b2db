/**
 * Blocks from JobPosted to settlement, as a client on Filecoin waits for them: three in-process
 * agents (the head subscription on, defaults otherwise) and a local chain that mines one block
 * every BLOCK_MS (automine off, as a real chain), n = 3, k = 2 word-count jobs. Counted on chain:
 * the block of JobFinalized minus the block of JobPosted, per job, and which path each agent took
 * (claimAndCommit, or claim then commit). The agents' first job after start (module compiled,
 * piece verified) is printed but not counted.
 * Run: `npm run bench:blocks` (BENCH_JOBS jobs, default 5; BENCH_BLOCK_MS, default 2000;
 * BENCH_LOG=info or debug prints the first agent's log).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { decodeFunctionData, parseEther } from "viem";
import { startAgent, type Agent } from "../agent/src/agent.js";
import { loadConfig } from "../agent/src/config/config.js";
import { createLogger } from "../agent/src/context.js";
import { jobMarketAbi, pieceCid, registerProvider, submitJob, waitForResult } from "../sdk/src/index.js";
import { KEYS, startLocalChain } from "../test/helpers/localChain.js";
import { recordFigure } from "./lib/figures.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 5);
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 2000);
const chain = await startLocalChain();
const dir = await mkdtemp(join(tmpdir(), "shoal-bench-blocks-"));
let agents: Agent[] = [];
try {
  const wasm = await readFile(new URL("../examples/wasm/wordfreq.wasm", import.meta.url));
  const moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();
  await mkdir(join(dir, "modules"));
  await copyFile(new URL("../examples/wasm/wordfreq.wasm", import.meta.url), join(dir, "modules", `${moduleCid}.wasm`));
  const payload = new TextEncoder().encode("blocks are what a client waits for on filecoin\n".repeat(8));
  const piece = pieceCid(payload);
  await mkdir(join(dir, "pieces"));
  await writeFile(join(dir, "pieces", piece.v2), payload);
  const rpc = (method: string, params: unknown[] = []) => chain.publicClient.request({ method, params } as never);

  for (const i of [2, 3, 4]) {
    await registerProvider(chain.wallet(i), { registry: chain.registry, stake: parseEther("100"), gatewayUrl: "http://127.0.0.1:1/", capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 } });
  }

  /** Starts three agents (`oneTx` false: the one-transaction path off), runs JOBS jobs on a clock, stops them. */
  async function measure(label: string, oneTx: boolean): Promise<{ median: number; blocks: number[]; calls: string }> {
    for (const i of [2, 3, 4]) {
      process.env[`SHOAL_BENCH_KEY_${i}`] = KEYS[i];
      const config = loadConfig({
        env: {},
        flags: {
          "chain.rpcUrls": [chain.rpcUrl], "chain.wsUrl": chain.rpcUrl.replace(/^http/, "ws"), "chain.market": chain.market, "chain.registry": chain.registry,
          "keys.privateKeyEnv": `SHOAL_BENCH_KEY_${i}`, "engines.wasm.moduleDir": join(dir, "modules"), "data.pieceDir": join(dir, "pieces"),
          stateDir: join(dir, label, `agent${i}`), "results.dir": join(dir, label, `agent${i}`, "results"), "gateway.port": 0, "policy.safetyMarginSec": 5,
          ...(oneTx ? {} : { "policy.oneTxMaxTimeoutSec": 0 }),
        },
      });
      agents.push(await startAgent(config, { logger: createLogger(i === 2 && process.env.BENCH_LOG ? (process.env.BENCH_LOG as "info") : "silent") }));
    }
    // The chain mines on a clock from here, as Filecoin does (one block per 30 s epoch there).
    await rpc("evm_setAutomine", [false]);
    await rpc("evm_setIntervalMining", [BLOCK_MS]);
    const blocks: number[] = [];
    const calls = new Map<string, number>();
    const timelines: string[] = [];
    // Job 0 is the agents' first after start (module compiled, piece verified, workers started):
    // printed, not counted.
    for (let j = 0; j <= JOBS; j++) {
      const spec = {
        version: 1 as const,
        engine: { type: "wasm" as const, module: moduleCid, args: [] },
        inputs: [{ piece: piece.v2, mount: "/inputs/corpus.txt", locality: false }],
        resources: { cpu: 1, memoryMb: 64, timeoutSec: 20 },
      };
      const { jobId, hash } = await submitJob(chain.wallet(1), { spec, replicas: 3, quorum: 2, price: parseEther("0.01"), market: chain.market, commitWindow: 300, revealWindow: 300 });
      const receipt = await chain.publicClient.getTransactionReceipt({ hash });
      await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
      const logs = await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "JobFinalized", args: { jobId }, fromBlock: receipt.blockNumber });
      const settled = logs[0]?.blockNumber;
      if (settled === undefined) throw new Error(`job ${jobId} has a result but no JobFinalized log`);
      if (j > 0) blocks.push(Number(settled - receipt.blockNumber));
      timelines.push("");
      // The calls the agents made for this job, read from the blocks in between.
      const steps: string[] = [];
      for (let n = receipt.blockNumber + 1n; n <= settled; n++) {
        for (const tx of (await chain.publicClient.getBlock({ blockNumber: n, includeTransactions: true })).transactions) {
          if (tx.to?.toLowerCase() !== chain.market.toLowerCase()) continue;
          const { functionName, args } = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
          if ((args as readonly unknown[] | undefined)?.[0] !== jobId) continue;
          const { status } = await chain.publicClient.getTransactionReceipt({ hash: tx.hash });
          const key = status === "success" ? functionName : `${functionName} (reverted)`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
          steps.push(`${functionName}${status === "success" ? "" : "✗"} +${n - receipt.blockNumber}`);
        }
      }
      timelines[timelines.length - 1] = `${steps.join(", ")} (blocks after JobPosted; ✗ reverted)`;
    }
    await rpc("evm_setIntervalMining", [0]);
    await rpc("evm_setAutomine", [true]);
    for (const [j, line] of timelines.entries()) console.log(`  ${label} job ${j}${j === 0 ? " (first after start, not counted)" : ""}: ${line}`);
    for (const a of agents) await a.stop();
    agents = [];
    const sorted = [...blocks].sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)]!, blocks, calls: [...calls].map(([name, count]) => `${name} × ${count}`).join(", ") };
  }

  const fast = await measure("one-tx", true);
  const twoStep = await measure("two-step", false);
  console.log(`Blocks from JobPosted to JobFinalized, n = 3, k = 2, 3 agents, one block every ${BLOCK_MS} ms, ${JOBS} jobs each:`);
  console.log(`  agents' default (claimAndCommit for short jobs): per job ${fast.blocks.join(", ")}; median ${fast.median}; calls: ${fast.calls}`);
  console.log(`  two-step path only (policy.oneTxMaxTimeoutSec 0): per job ${twoStep.blocks.join(", ")}; median ${twoStep.median}; calls: ${twoStep.calls}`);
  recordFigure({
    section: "blocks", name: "blocks from JobPosted to settlement, n = 3, k = 2, three agents", value: fast.median, unit: "blocks", better: "lower",
    baseline: { label: "two-step path", value: twoStep.median }, goal: { op: "<=", value: 2 },
    anchor: "Filecoin mines one block per 30 s", note: `median of ${JOBS} jobs, a block every ${BLOCK_MS} ms`,
  });
} finally {
  for (const a of agents) await a.stop().catch(() => {});
  await chain.close();
  await rm(dir, { recursive: true, force: true });
}
