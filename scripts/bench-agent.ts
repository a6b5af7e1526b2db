/**
 * Agent overhead: from the block holding JobPosted (the moment the node announces it as a new
 * head) to each agent's commit being handed to the node, minus the job's own execution time (the
 * run and the result's packing), with three agents, each a `shoal-agent` process of its own as
 * providers run them, on a local chain that mines a block every BLOCK_MS (automine off, as a real
 * chain: a transaction sent joins the pool, and is mined with the next block). The time a commit
 * was sent and the run's time come from each agent's "result sent" log line, each step's time
 * from its state changes, and the head's time from this process's own newHeads subscription.
 * Prints p50 and p95 over the commits of 20 jobs (n = 3, k = 3, the one-transaction path), and
 * the p50 of each step, side by side: agents that poll every 250 ms only, and agents that also
 * follow the node's new heads (chain.wsUrl), which start a sync pass as each block arrives
 * instead of at the next poll (their poll is the agent's default, every 2 s, a safety net).
 * Run: `npm run bench:agent` (BENCH_JOBS to change the count, BENCH_MODES=ws or poll for one
 * mode, BENCH_BLOCK_MS for the block time (default 1000), BENCH_AGENT_LOG=<dir> to keep the
 * agents' logs there).
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther } from "viem";
import { pieceCid, submitJob, waitForResult } from "../sdk/src/index.js";
import { KEYS, startLocalChain } from "../test/helpers/localChain.js";
import { freePort } from "../test/helpers/net.js";
import { demoProcesses } from "./lib/demoProcesses.js";
import { recordFigure } from "./lib/figures.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 20);
const MODES = (process.env.BENCH_MODES ?? "poll,ws").split(",") as ("ws" | "poll")[];
const POLL_MS = 250;
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 1000);
const PROVIDERS = [2, 3, 4];

async function run(mode: "ws" | "poll"): Promise<{ overhead: number; phases: number[] | undefined }[]> {
  const chain = await startLocalChain();
  const demo = demoProcesses();
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-agent-"));
  demo.owned.workDir = dir;
  const wasm = await readFile(new URL("../examples/wasm/wordfreq.wasm", import.meta.url));
  const moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();
  await mkdir(join(dir, "modules"));
  await copyFile(new URL("../examples/wasm/wordfreq.wasm", import.meta.url), join(dir, "modules", `${moduleCid}.wasm`));
  const payload = new TextEncoder().encode("a small corpus for the overhead benchmark\n".repeat(4));
  const piece = pieceCid(payload);
  await mkdir(join(dir, "pieces"));
  await writeFile(join(dir, "pieces", piece.v2), payload);

  /** Each commit the agents logged: when it was sent, the run's time to take off, and when the job passed each step. */
  const sent: { jobId: bigint; at: number; execMs: number; overheadMs: number; steps: Map<string, number> }[] = [];
  const posted = new Map<bigint, number>();
  try {
    for (const i of PROVIDERS) {
      const config = {
        chain: {
          rpcUrls: [chain.rpcUrl], ...(mode === "ws" ? { wsUrl: chain.rpcUrl.replace(/^http/, "ws") } : {}),
          // Polling only: every POLL_MS. With the subscription the poll is the agent's default
          // (2 s), a safety net for a missed head, not what the figure waits for.
          chainId: 31337, market: chain.market, registry: chain.registry, ...(mode === "poll" ? { pollIntervalMs: POLL_MS } : {}),
        },
        policy: { minPrice: "0", safetyMarginSec: 5 },
        engines: { wasm: { enabled: true, moduleDir: join(dir, "modules") }, docker: { enabled: false } },
        data: { pieceDir: join(dir, "pieces") },
        results: { dir: join(dir, `agent${i}`, "results") },
        gateway: { host: "127.0.0.1", port: await freePort() },
        stateDir: join(dir, `agent${i}`),
        logLevel: "info",
      };
      await writeFile(join(dir, `agent${i}.json`), JSON.stringify(config, null, 2));
      const agent = await demo.startAgent({ label: `agent ${i}`, config: join(dir, `agent${i}.json`), privateKey: KEYS[i]!, registerArgs: ["--stake", "100"] });
      if (process.env.BENCH_AGENT_LOG) {
        await mkdir(process.env.BENCH_AGENT_LOG, { recursive: true });
        agent.stdout!.pipe(createWriteStream(join(process.env.BENCH_AGENT_LOG, `agent${i}-${mode}.log`)));
      }
      const steps = new Map<string, Map<string, number>>();
      createInterface({ input: agent.stdout! }).on("line", (line) => {
        if (!line.includes('"jobId"')) return;
        const entry = JSON.parse(line) as { time: number; jobId: string; msg: string; to?: string; execMs?: number; overheadMs?: number };
        if (entry.to) {
          if (!steps.has(entry.jobId)) steps.set(entry.jobId, new Map());
          steps.get(entry.jobId)!.set(entry.to, entry.time);
        }
        if (entry.overheadMs === undefined) return;
        sent.push({ jobId: BigInt(entry.jobId), at: entry.time, execMs: entry.execMs!, overheadMs: entry.overheadMs, steps: steps.get(entry.jobId) ?? new Map() });
        steps.delete(entry.jobId);
      });
    }

    // When each block was announced: the head subscription, as the agents' own.
    const announced = new Map<bigint, number>();
    const heads = new WebSocket(chain.rpcUrl.replace(/^http/, "ws"));
    heads.addEventListener("message", (event) => {
      const msg = JSON.parse(String(event.data)) as { params?: { result?: { number?: string } } };
      if (msg.params?.result?.number) announced.set(BigInt(msg.params.result.number), Date.now());
    });
    await new Promise((resolve, reject) => (heads.addEventListener("open", resolve), heads.addEventListener("error", reject)));
    heads.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
    const rpc = (method: string, params: unknown[] = []) => chain.publicClient.request({ method, params } as never);
    await rpc("evm_setAutomine", [false]);
    await rpc("evm_setIntervalMining", [BLOCK_MS]);

    for (let j = 0; j < JOBS; j++) {
      const spec = {
        version: 1 as const,
        engine: { type: "wasm" as const, module: moduleCid, args: [] },
        inputs: [{ piece: piece.v2, mount: "/inputs/corpus.txt", locality: false }],
        resources: { cpu: 1, memoryMb: 64, timeoutSec: 20 },
      };
      const { jobId, hash } = await submitJob(chain.wallet(1), { spec, replicas: 3, quorum: 3, price: parseEther("0.01"), market: chain.market, commitWindow: 120, revealWindow: 120 });
      const { blockNumber } = await chain.publicClient.getTransactionReceipt({ hash });
      await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
      const at = announced.get(blockNumber);
      if (at === undefined) throw new Error(`block ${blockNumber} (job ${jobId}) was never announced on the head subscription`);
      posted.set(jobId, at);
    }
    heads.close();
    await rpc("evm_setIntervalMining", [0]);
    await rpc("evm_setAutomine", [true]);
    await new Promise((r) => setTimeout(r, 200)); // the last log lines
  } finally {
    await demo.cleanup();
    await chain.close();
  }
  return sent.flatMap(({ jobId, at, execMs, overheadMs, steps }) => {
    const t0 = posted.get(jobId);
    if (t0 === undefined) return [];
    // Where the overhead goes: the moment JobPosted was read is the "result sent" line's own
    // figure taken back; the run started its execMs before the job became executed.
    const read = at - overheadMs - execMs;
    const evaluated = steps.get("evaluated");
    const mounted = steps.get("inputs_ready");
    const executed = steps.get("executed");
    const phases =
      evaluated !== undefined && mounted !== undefined && executed !== undefined
        ? [read - t0, evaluated - read, mounted - evaluated, executed - execMs - mounted, at - executed]
        : undefined;
    return [{ overhead: at - t0 - execMs, phases }];
  });
}

const PHASES = [
  "block announced → JobPosted read (sync pass)",
  "read → evaluated (policy, chain reads)",
  "evaluated → inputs mounted (claim step, piece)",
  "inputs mounted → run started",
  "run done, result packed → commit sent",
];

const results = [];
for (const mode of MODES) {
  const commits = await run(mode);
  const phases = PHASES.map((_, i) => commits.flatMap((c) => (c.phases ? [c.phases[i]!] : [])).sort((a, b) => a - b));
  results.push({ mode, sorted: commits.map((c) => c.overhead).sort((a, b) => a - b), phases });
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
console.log(`Agent overhead, JobPosted's block announced → commit sent, excluding execution (${JOBS} jobs, ${PROVIDERS.length} agent processes, a block every ${BLOCK_MS} ms, poll ${POLL_MS} ms; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores):`);
for (const { mode, sorted } of results) {
  const label = mode === "ws" ? "head subscription" : "polling only";
  console.log(`  ${label.padEnd(18)} p50 ${String(pct(sorted, 50)).padStart(4)} ms   p95 ${String(pct(sorted, 95)).padStart(4)} ms   max ${sorted.at(-1)} ms   (${sorted.length} commits)`);
}
console.log(`Where it goes (p50 of each step, ms; the run itself and the result's packing aside):`);
console.log(`  ${"".padEnd(48)} ${results.map(({ mode }) => (mode === "ws" ? "subscription" : "polling").padStart(12)).join(" ")}`);
for (const [i, label] of PHASES.entries())
  console.log(`  ${label.padEnd(48)} ${results.map(({ phases }) => String(phases[i]!.length ? pct(phases[i]!, 50) : "-").padStart(12)).join(" ")}`);
const ws = results.find((r) => r.mode === "ws");
const poll = results.find((r) => r.mode === "poll");
if (ws || poll) {
  const main = (ws ?? poll)!;
  recordFigure({
    section: "agent", name: `agent overhead p50, JobPosted's block announced → commit sent, excl. execution, three agent processes (${main.mode === "ws" ? "head subscription" : "polling 250 ms"})`,
    value: pct(main.sorted, 50), unit: "ms", better: "lower",
    ...(ws && poll ? { baseline: { label: "polling only, 250 ms", value: pct(poll.sorted, 50) } } : {}),
    goal: { op: "<=", value: 50 }, anchor: "Lilypad polls every 15 s",
    note: `p95 ${pct(main.sorted, 95)} ms; load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  });
}
