/**
 * Agent overhead: from the JobPosted event (the client's submit receipt) to each agent's commit
 * transaction being sent, minus the job's own execution time, on the local chain with three
 * in-process agents polling every 250 ms. Prints p50 and p95 over the commits of 20 jobs.
 * Run: `npm run bench:agent`.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
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

const JOBS = Number(process.env.BENCH_JOBS ?? 20);
const POLL_MS = 250;
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
for (const i of [2, 3, 4]) {
  process.env[`SHOAL_BENCH_KEY_${i}`] = KEYS[i];
  const config = loadConfig({
    env: {},
    flags: {
      "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": POLL_MS,
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
for (const a of agents) await a.stop();
await chain.close();

const sorted = [...samples].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
console.log(`Agent overhead, JobPosted → commit sent, excluding execution (${sorted.length} commits, ${JOBS} jobs, 3 agents, poll ${POLL_MS} ms):`);
console.log(`  p50 ${pct(50)} ms   p95 ${pct(95)} ms   max ${sorted.at(-1)} ms`);
