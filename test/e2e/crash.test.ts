/**
 * kill -9, again and again: one agent process is killed with SIGKILL at random moments while it
 * works through jobs on a chain that mines every 400 ms (so it is often between sending a
 * transaction and its receipt, or mid-execution), and restarted each time. Every job must settle,
 * with exactly one successful claim and one reveal from the agent per job, and no collateral left
 * locked. Prints the figures.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeFunctionData, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getJob, jobMarketAbi, providerRegistryAbi, registerProvider, submitJob, type SpecInput } from "../../sdk/src/index.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { freePort } from "../helpers/net.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const AGENT_BIN = join(root, "agent/bin/shoal-agent.mjs");
const KILLS = 20;
const JOBS = 8;

describe("end to end: an agent killed with SIGKILL 20 times while it works", function () {
  this.timeout(300_000);

  it("loses no job, sends nothing twice and leaves no collateral locked", async function () {
    const chain = await startLocalChain();
    const dir = await mkdtemp(join(tmpdir(), "shoal-crash-"));
    const rpc = (method: string, params: unknown[]) => chain.publicClient.request({ method: method as never, params: params as never });
    let child: ChildProcess | undefined;
    try {
      const spec = JSON.parse(await readFile(join(root, "examples/specs/wordfreq.json"), "utf8")) as SpecInput & { engine: { module: string }; inputs: { piece: string }[] };
      await mkdir(join(dir, "pieces"));
      await mkdir(join(dir, "modules"));
      await copyFile(join(root, "examples/data/harbor-log.txt"), join(dir, "pieces", spec.inputs[0]!.piece));
      await copyFile(join(root, "examples/wasm/wordfreq.wasm"), join(dir, "modules", `${spec.engine.module}.wasm`));
      const port = await freePort();
      const config = join(dir, "shoal-agent.json");
      await writeFile(config, JSON.stringify({
        chain: { rpcUrls: [chain.rpcUrl], chainId: 31337, market: chain.market, registry: chain.registry, pollIntervalMs: 100 },
        policy: { minPrice: "0", maxCpu: 2, maxMemoryMb: 2048, gpus: 0, maxTimeoutSec: 120, safetyMarginSec: 5 },
        engines: { wasm: { enabled: true, moduleDir: "./modules" } },
        data: { pieceDir: "./pieces" },
        results: { dir: "./results" }, gateway: { host: "127.0.0.1", port }, stateDir: "./state", concurrency: 2, logLevel: "warn",
      }));
      const provider = privateKeyToAccount(KEYS[2]!).address;
      await registerProvider(chain.wallet(2), { registry: chain.registry, stake: parseEther("10"), gatewayUrl: `http://127.0.0.1:${port}`, capabilities: { engines: 1, cpus: 2, memoryMb: 2048, gpus: 0 } });

      const log: string[] = [];
      const start = async () => {
        child = spawn(process.execPath, [AGENT_BIN, "run", "-c", config], { env: { ...process.env, SHOAL_AGENT_PRIVATE_KEY: KEYS[2] }, stdio: ["ignore", "pipe", "pipe"] });
        const mine: string[] = [];
        child.stdout!.on("data", (d) => (mine.push(String(d)), log.push(String(d))));
        child.stderr!.on("data", (d) => log.push(String(d)));
        // Up to 30 s: a start on a loaded 2-core machine (Node, viem, sqlite, the chain read back) can take several.
        for (let t = 0; t < 1200 && !mine.join("").includes("running"); t++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(mine.join("").includes("running"), `agent did not start: ${log.slice(-5).join("")}`);
      };

      // Blocks every 400 ms: transactions wait for their block, as on a real chain.
      await rpc("evm_setAutomine", [false]);
      await rpc("evm_setIntervalMining", [400]);
      const from = await chain.publicClient.getBlockNumber();
      const jobs: bigint[] = [];
      for (let i = 0; i < JOBS; i++) jobs.push((await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, ttl: 3600 })).jobId);

      await start();
      let kills = 0;
      const settled = async () => (await Promise.all(jobs.map((jobId) => getJob(chain.publicClient, { jobId, market: chain.market })))).filter((j) => j.status === "Settled").length;
      while (kills < KILLS) {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 600)));
        const exited = new Promise((r) => child!.once("exit", r));
        child!.kill("SIGKILL");
        await exited;
        kills++;
        await start();
        // Keep work in flight: post another job whenever all have settled.
        if ((await settled()) === jobs.length && kills < KILLS) {
          jobs.push((await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, ttl: 3600 })).jobId);
        }
      }
      for (let t = 0; t < 600 && (await settled()) < jobs.length; t++) await new Promise((r) => setTimeout(r, 200));
      const lost = jobs.length - (await settled());

      // What the agent got mined, per job and function; reverted ones are reported apart.
      const to = await chain.publicClient.getBlockNumber();
      const calls = new Map<string, number>();
      let reverted = 0;
      for (let b = from + 1n; b <= to; b++) {
        const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
        for (const tx of block.transactions) {
          if (tx.from.toLowerCase() !== provider.toLowerCase() || tx.to?.toLowerCase() !== chain.market.toLowerCase()) continue;
          if ((await chain.publicClient.getTransactionReceipt({ hash: tx.hash })).status !== "success") {
            reverted++;
            continue;
          }
          const { functionName, args } = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
          const key = `${functionName} ${String(args?.[0])}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
        }
      }
      const duplicates = [...calls.values()].filter((n) => n > 1).length;
      const { locked } = await chain.publicClient.readContract({ address: chain.registry, abi: providerRegistryAbi, functionName: "provider", args: [provider] });
      console.log(`      figure: ${kills} kills, ${jobs.length} jobs: lost ${lost}, duplicate transactions ${duplicates}, reverted ${reverted}, collateral left locked ${locked}`);
      assert.equal(lost, 0, log.slice(-10).join(""));
      assert.equal(duplicates, 0, JSON.stringify([...calls]));
      for (const jobId of jobs) assert.equal(calls.get(`reveal ${jobId}`), 1, `job ${jobId} revealed once`);
      assert.equal(locked, 0n);
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }
      await rpc("evm_setIntervalMining", [0]).catch(() => {});
      await rpc("evm_setAutomine", [true]).catch(() => {});
      await chain.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
