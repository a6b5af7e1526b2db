/**
 * Agent overhead: from the JobPosted event (the client's submit receipt) to each agent's commit
 * transaction being sent, minus the job's own execution time, on the local chain with three
 * in-process agents. Prints p50 and p95 over the commits of 20 jobs, side by side: agents that
 * poll every 250 ms only, and agents that also follow the node's new heads (chain.wsUrl), which
 * start a sync pass and receipt lookups as each block arrives instead of at the next poll.
 * Run: `npm run bench:agent` (BENCH_JOBS to change the count, BENCH_MODES=ws or poll for one mode).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther } from "viem";
import { startAgent, type Agent } from "../agent/src/agent.js";
import { loadConfig } from "../agent/src/config/config.js";
import { createLogger } from "../agent/src/context.js";
import { pieceCid, registerProvider, submitJob, waitForResult } from "../sdk/src/index.js";
import { KEYS, startLocalChain } from "../test/helpers/localChain.js";
import { recordFigure } from "./lib/figures.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 20);
const MODES = (process.env.BENCH_MODES ?? "poll,ws").split(",") as ("ws" | "poll")[];
const POLL_MS = 250;

async function run(mode: "ws" | "poll"): Promise<number[]> {
  const chain = await startLocalChain();
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-"));
  const wasm = await readFile(new URL("../examples/wasm/wordfreq.wasm", import.meta.url));
  const moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();
  await mkdir(join(dir, "modules"));
  await copyFile(new URL("../examples/wasm/wordfreq.wasm", import.meta.url), join(dir, "modules", `${moduleCid}.wasm`));
  const payload = new TextEncoder().encode("a small corpus for the overhead benchmark\n".repeat(4));
  const piece = pieceCid(payload);
  await mkdir(join(dir, "pieces"));
  await writeFile(join(dir, "pieces", piece.v2), payload);

  const posted = new Map<bigint, number>();
  const samples: number[] = [];
  const agents: Agent[] = [];
  try {
    for (const i of [2, 3, 4]) {
      process.env[`SHOAL_BENCH_KEY_${i}`] = KEYS[i];
      const config = loadConfig({
        env: {},
        flags: {
          "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": POLL_MS,
          ...(mode === "ws" ? { "chain.wsUrl": chain.rpcUrl.replace(/^http/, "ws") } : {}),
          "keys.privateKeyEnv": `SHOAL_BENCH_KEY_${i}`, "engines.wasm.moduleDir": join(dir, "modules"), "data.pieceDir": join(dir, "pieces"),
          stateDir: join(dir, `agent${i}`), "results.dir": join(dir, `agent${i}`, "results"), "gateway.port": 0, "policy.safetyMarginSec": 5,
        },
      });
      const agent = await startAgent(config, {
        logger: createLogger("silent"),
        onResultSent: ({ jobId, at, execMs }) => {
          const t0 = posted.get(jobId);
          if (t0 !== undefined) samples.push(at - t0 - execMs);
        },
      });
      agents.push(agent);
      await registerProvider(chain.wallet(i), { registry: chain.registry, stake: parseEther("100"), gatewayUrl: agent.gateway.url, capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 } });
    }

    for (let j = 0; j < JOBS; j++) {
      const spec = {
        version: 1 as const,
        engine: { type: "wasm" as const, module: moduleCid, args: [] },
        inputs: [{ piece: piece.v2, mount: "/inputs/corpus.txt", locality: false }],
        resources: { cpu: 1, memoryMb: 64, timeoutSec: 20 },
      };
      const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 3, quorum: 3, price: parseEther("0.01"), market: chain.market, commitWindow: 120, revealWindow: 120 });
      posted.set(jobId, Date.now());
      await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 50 });
    }
  } finally {
    for (const a of agents) await a.stop();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  }
  return samples;
}

const results = [];
for (const mode of MODES) results.push({ mode, sorted: (await run(mode)).sort((a, b) => a - b) });
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
console.log(`Agent overhead, JobPosted → commit sent, excluding execution (${JOBS} jobs, 3 agents, poll ${POLL_MS} ms; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores):`);
for (const { mode, sorted } of results) {
  const label = mode === "ws" ? "head subscription" : "polling only";
  console.log(`  ${label.padEnd(18)} p50 ${String(pct(sorted, 50)).padStart(4)} ms   p95 ${String(pct(sorted, 95)).padStart(4)} ms   max ${sorted.at(-1)} ms   (${sorted.length} commits)`);
}
const ws = results.find((r) => r.mode === "ws");
const poll = results.find((r) => r.mode === "poll");
if (ws || poll) {
  const main = (ws ?? poll)!;
  recordFigure({
    section: "agent", name: `agent overhead p50, JobPosted → commit sent, excl. execution (${main.mode === "ws" ? "head subscription" : "polling 250 ms"})`,
    value: pct(main.sorted, 50), unit: "ms", better: "lower",
    ...(ws && poll ? { baseline: { label: "polling only, 250 ms", value: pct(poll.sorted, 50) } } : {}),
    goal: { op: "<=", value: 50 }, anchor: "Lilypad polls every 15 s",
    note: `p95 ${pct(main.sorted, 95)} ms; load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  });
}
