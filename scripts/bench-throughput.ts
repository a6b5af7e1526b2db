/**
 * Throughput: one agent (a separate `shoal-agent` process, default concurrency) and batches of 200
 * no-op WASM jobs (a 60-byte module whose _start returns at once; one replica), each batch posted
 * at once and carried to settlement. Prints jobs/s from the first submit to the last settlement,
 * and the agent's RSS (VmRSS, and its peak VmHWM, from /proc) before and after each batch, and
 * after each batch once more after a full garbage collection of the agent's main thread (asked by
 * a signal: scripts/lib/gcProbe.mjs, the agent run with --expose-gc). Memory is flat when the RSS
 * after collection is no higher after the second batch than after the first (within a few MB; the
 * first batch grows the heap to its working size). Without the collection RSS also counts garbage
 * V8 has not collected yet: it grows batch after batch until V8's next full collection. Before the batches, a few single jobs
 * measure the claim latency: from the submit's receipt to the agent's SlotClaimed on chain. Runs
 * once with the head subscription (chain.wsUrl) and once polling only.
 * Run: `npm run bench:throughput` (BENCH_JOBS to change the count, BENCH_BATCHES (default 2),
 * BENCH_MODES=ws or poll for one mode, BENCH_RPC_COUNT=1 for the agent's JSON-RPC calls per job,
 * BENCH_PROFILE=<dir> for a CPU profile of the agent, BENCH_AGENT_LOG=<file> for its log,
 * BENCH_AGENT_NODE_OPTIONS for more Node options to the agent process).
 * The agent claims only what it can run within the commit window (its claim budget), so large
 * batches queue unclaimed instead of being claimed and abandoned; on the local chain the clock
 * moves one second per automined block, faster than the wall clock.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { type Address, createWalletClient, type Hex, http, parseEther, parseTransaction, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { NonceManager } from "viem/nonce";
import { createWriteStream } from "node:fs";
import { hardhat } from "viem/chains";
import { jobMarketAbi, submitJob } from "../sdk/src/index.js";
import { KEYS, startLocalChain } from "../test/helpers/localChain.js";
import { freePort } from "../test/helpers/net.js";
import { demoProcesses } from "./lib/demoProcesses.js";
import { recordFigure } from "./lib/figures.js";
import { NOOP_WASM } from "./lib/noopWasm.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const MODES = (process.env.BENCH_MODES ?? "ws,poll").split(",") as ("ws" | "poll")[];
const BATCHES = Number(process.env.BENCH_BATCHES ?? 2);
const PROBES = 5;
const POLL_MS = 2_000; // the agent's default chain.pollIntervalMs
/**
 * glibc's malloc arenas for the agent process, as the shipped service files set them
 * (agent/deploy: MALLOC_ARENA_MAX=2). BENCH_MALLOC_ARENA_MAX=<n>, or "default" for glibc's own
 * (8 per core). With the default, freed memory piles up in the arenas of the WASM worker threads:
 * with a worker per job RSS climbed about 20 MB per batch to some 270 MB before falling back (two
 * arenas: 170–211 MB); with workers reused, 195 → 201 → 204 MB after collection (two: 194 → 194 → 198).
 */
const ARENAS = process.env.BENCH_MALLOC_ARENA_MAX ?? "2";

const memory = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(/^(\w+):\s+(\d+)/m.exec(status.split("\n").find((l) => l.startsWith(key)) ?? "")?.[2] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
};
type Memory = Awaited<ReturnType<typeof memory>>;
/** `collected`: RSS after a full collection, and the live heap then (MB). */
type Batch = { settled: number; jobs: number; seconds: number; postedMs: number; before: Memory; after: Memory; collected: { rss: number; heap: number }; peak: number };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GC_PROBE = fileURLToPath(new URL("./lib/gcProbe.mjs", import.meta.url));

/** Has the agent run a full collection (see gcProbe.mjs) and reads its RSS and live heap then. */
async function collected(pid: number, file: string): Promise<{ rss: number; heap: number }> {
  await rm(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const usage = JSON.parse(text) as { heapUsed: number };
    await sleep(1_000); // V8 frees the collected pages in the background
    return { rss: (await memory(pid)).rss, heap: usage.heapUsed / 1_048_576 };
  }
  throw new Error("the agent did not answer the garbage collection probe (scripts/lib/gcProbe.mjs) within 10 s");
}

/**
 * The benchmark client's nonces and sends, for submits in flight together: nonces are handed out
 * here in call order from the pending count, and each eth_sendRawTransaction waits until the one
 * before it was answered. The node automines, and automining refuses a nonce above the next one
 * it expects (it cannot queue it), so submits sent over parallel HTTP requests must still reach
 * it in order (viem's nonce manager gave the nonces, but not the order: one run in several failed
 * with "Nonce provided for the transaction is higher than the next one expected"). A nonce whose
 * transaction never came (its preparation failed) holds the next one at most 2 s.
 */
async function nonceOrdered(url: string, address: Address, publicClient: { getTransactionCount(a: { address: Address; blockTag: "pending" }): Promise<number> }) {
  let next = await publicClient.getTransactionCount({ address, blockTag: "pending" });
  let sendable = next; // the lowest nonce not answered yet
  const waiters = new Set<() => void>();
  const nonceManager: NonceManager = {
    consume: async () => next++,
    increment: () => {},
    get: async () => next,
    reset: () => {},
  };
  const base = http(url, { timeout: 120_000, retryCount: 0 });
  const transport: Transport = (params) => {
    const t = base(params);
    const request = (async (args: { method: string; params?: unknown }) => {
      if (args.method !== "eth_sendRawTransaction") return t.request(args as never);
      const nonce = parseTransaction((args.params as [Hex])[0]).nonce ?? 0;
      const giveUp = Date.now() + 2_000;
      while (nonce > sendable && Date.now() < giveUp) await new Promise<void>((r) => (waiters.add(r), setTimeout(r, 50)));
      try {
        return await t.request(args as never);
      } finally {
        sendable = Math.max(sendable, nonce + 1);
        for (const wake of waiters) wake();
        waiters.clear();
      }
    }) as typeof t.request;
    return { ...t, request };
  };
  return { transport, nonceManager };
}

async function run(mode: "ws" | "poll") {
  const chain = await startLocalChain();
  const demo = demoProcesses();
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-throughput-"));
  demo.owned.workDir = dir;
  try {
    const moduleCid = CID.create(1, raw.code, await sha256.digest(NOOP_WASM)).toString();
    await mkdir(join(dir, "modules"), { recursive: true });
    await writeFile(join(dir, "modules", `${moduleCid}.wasm`), NOOP_WASM);
    const config = {
      chain: {
        rpcUrls: [chain.rpcUrl], ...(mode === "ws" ? { wsUrl: chain.rpcUrl.replace(/^http/, "ws") } : {}),
        chainId: 31337, market: chain.market, registry: chain.registry, pollIntervalMs: POLL_MS,
      },
      policy: { minPrice: "0", safetyMarginSec: 10 },
      engines: { wasm: { enabled: true, moduleDir: join(dir, "modules") }, docker: { enabled: false } },
      results: { dir: join(dir, "results") },
      gateway: { host: "127.0.0.1", port: await freePort() },
      stateDir: join(dir, "state"),
      logLevel: process.env.BENCH_AGENT_LOG ? "info" : "warn",
    };
    await writeFile(join(dir, "shoal-agent.json"), JSON.stringify(config, null, 2));
    // BENCH_PROFILE=<dir>: a V8 CPU profile of the agent (open in Chrome DevTools); BENCH_RPC_COUNT=1:
    // the JSON-RPC calls the agent sends, by method.
    const rpcFile = process.env.BENCH_RPC_COUNT ? join(tmpdir(), `shoal-bench-rpc-${process.pid}-${mode}.json`) : undefined;
    const gcFile = join(dir, "gc-probe.json");
    const nodeOptions = [
      `--expose-gc --import=${GC_PROBE}`,
      ...(process.env.BENCH_PROFILE ? [`--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE} --cpu-prof-name=agent-${mode}.cpuprofile`] : []),
      ...(rpcFile ? [`--import=${fileURLToPath(new URL("./lib/countRpc.mjs", import.meta.url))}`] : []),
      ...(process.env.BENCH_AGENT_NODE_OPTIONS ? [process.env.BENCH_AGENT_NODE_OPTIONS] : []),
    ].join(" ");
    const agent = await demo.startAgent({
      label: "agent", config: join(dir, "shoal-agent.json"), privateKey: KEYS[2]!, registerArgs: ["--stake", "1000"],
      runEnv: {
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
        ...(rpcFile ? { SHOAL_RPC_COUNT_FILE: rpcFile } : {}),
        SHOAL_GC_PROBE_FILE: gcFile,
        ...(ARENAS === "default" ? {} : { MALLOC_ARENA_MAX: ARENAS }),
      },
    });
    const pid = agent.pid!;
    // BENCH_AGENT_LOG=<file>: the agent's log, to see where the time goes.
    if (process.env.BENCH_AGENT_LOG) agent.stdout!.pipe(createWriteStream(`${process.env.BENCH_AGENT_LOG}.${mode}`));
    const provider = privateKeyToAccount(KEYS[2]! as Hex).address;

    // Submits in flight together: nonces counted here, and sent in their order (see nonceOrdered).
    const ordered = await nonceOrdered(chain.rpcUrl, privateKeyToAccount(KEYS[1]! as Hex).address, chain.publicClient);
    const client = createWalletClient({ chain: hardhat, transport: ordered.transport, account: privateKeyToAccount(KEYS[1]! as Hex, { nonceManager: ordered.nonceManager }) });
    const spec = { version: 1 as const, engine: { type: "wasm" as const, module: moduleCid, args: [] }, inputs: [], resources: { cpu: 1, memoryMb: 16, timeoutSec: 10 } };
    const submit = () => submitJob(client, { spec, replicas: 1, quorum: 1, price: parseEther("0.001"), market: chain.market });
    const claimed = async (jobId: bigint, fromBlock: bigint) =>
      (await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "SlotClaimed", args: { jobId, provider }, fromBlock })).length > 0;

    // Claim latency, one job at a time on an idle agent.
    const latencies: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      const { jobId, hash } = await submit();
      const t0 = Date.now();
      const block = (await chain.publicClient.getTransactionReceipt({ hash })).blockNumber;
      while (!(await claimed(jobId, block))) await sleep(5);
      latencies.push(Date.now() - t0);
      await sleep(300);
    }
    await sleep(POLL_MS); // let the probes settle

    // The batches: submits in flight 25 at a time (more at once overruns the node's queue and a
    // failed send leaves a nonce gap), then wait for every settlement. The second batch shows
    // whether memory is flat: its RSS after should be no higher than the first's.
    const batches: Batch[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const before = await memory(pid);
      const fromBlock = await chain.publicClient.getBlockNumber();
      const started = Date.now();
      const ids = new Set<bigint>();
      for (let i = 0; i < JOBS; i += 25) for (const s of await Promise.all(Array.from({ length: Math.min(25, JOBS - i) }, submit))) ids.add(s.jobId);
      const postedMs = Date.now() - started;
      let settled = 0;
      let peak = before.rss;
      const deadline = Date.now() + 600_000;
      while (settled < ids.size && Date.now() < deadline) {
        await sleep(100);
        const logs = await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "JobFinalized", fromBlock });
        settled = logs.filter((l) => ids.has(l.args.jobId!)).length;
        peak = Math.max(peak, (await memory(pid)).rss);
      }
      const seconds = (Date.now() - started) / 1000;
      // The agent finishes its last steps (settle, bookkeeping) after the chain settles: then RSS.
      await sleep(POLL_MS);
      const after = await memory(pid);
      batches.push({ settled, jobs: ids.size, seconds, postedMs, before, after, collected: await collected(pid, gcFile), peak });
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    await demo.cleanup(); // the agent writes its CPU profile and RPC counts as it exits
    const rpc = rpcFile ? (JSON.parse(await readFile(rpcFile, "utf8")) as Record<string, number>) : undefined;
    return { mode, batches, latencyMs: sorted[Math.floor(sorted.length / 2)]!, latencies, rpc };
  } finally {
    await demo.cleanup();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`Throughput: ${BATCHES} batches of ${JOBS} no-op WASM jobs (1 replica), each posted at once, against one agent process (default concurrency 2, poll ${POLL_MS} ms, MALLOC_ARENA_MAX ${ARENAS}); load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
const runs: Awaited<ReturnType<typeof run>>[] = [];
for (const mode of MODES) {
  const r = await run(mode);
  runs.push(r);
  const label = mode === "ws" ? "head subscription" : "polling only";
  console.log(`  ${label}: claim latency, submit receipt → SlotClaimed: median ${r.latencyMs} ms (${r.latencies.join(", ")} ms)`);
  r.batches.forEach((b, i) => {
    console.log(
      `    batch ${i + 1}: ${b.settled}/${b.jobs} settled in ${b.seconds.toFixed(1)} s: ${(b.settled / b.seconds).toFixed(1)} jobs/s end to end (submits took ${(b.postedMs / 1000).toFixed(1)} s); ` +
        `agent RSS ${b.before.rss.toFixed(0)} → ${b.after.rss.toFixed(0)} MB, ${b.collected.rss.toFixed(0)} MB after a full collection (live heap ${b.collected.heap.toFixed(0)} MB; peak seen ${b.peak.toFixed(0)} MB, VmHWM ${b.after.hwm.toFixed(0)} MB)`,
    );
  });
  if (r.batches.length > 1) {
    const signed = (mb: number) => `${mb >= 0 ? "+" : ""}${mb.toFixed(0)} MB`;
    const growth = r.batches.at(-1)!.collected.rss - r.batches[0]!.collected.rss;
    const raw = r.batches.at(-1)!.after.rss - r.batches[0]!.after.rss;
    console.log(`    RSS after the last batch minus after the first, each after a full collection: ${signed(growth)} (flat means within a few MB; goal ≤ 5); without the collection ${signed(raw)}`);
  }
  if (r.rpc) {
    const jobs = PROBES + r.batches.reduce((n, b) => n + b.jobs, 0);
    const total = Object.values(r.rpc).reduce((a, b) => a + b, 0);
    const top = Object.entries(r.rpc).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${(n / jobs).toFixed(1)}`).join(", ");
    console.log(`    agent JSON-RPC calls per job: ${(total / jobs).toFixed(1)} (${top})`);
  }
}
console.log(`  load average after: ${loadavg()[0]!.toFixed(1)}`);
const rate = (r: (typeof runs)[number]) => r.batches[0]!.settled / r.batches[0]!.seconds;
const ws = runs.find((r) => r.mode === "ws");
const poll = runs.find((r) => r.mode === "poll");
const headline = ws ?? poll;
if (headline) {
  const conditions = `${JOBS} jobs posted at once, first batch; load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
  recordFigure({
    section: "throughput", name: `throughput, no-op WASM jobs through one agent to settlement (${headline === ws ? "head subscription" : "polling"})`,
    value: Number(rate(headline).toFixed(1)), unit: "jobs/s", better: "higher",
    ...(ws && poll ? { baseline: { label: "polling only", value: Number(rate(poll).toFixed(1)) } } : {}),
    goal: { op: ">=", value: 10 }, anchor: "Bacalhau ≈ 630 ms per no-op job", note: conditions,
  });
  if (headline.batches.length > 1) {
    recordFigure({
      section: "throughput", name: "agent RSS after the last batch minus after the first, each after a full collection", value: Math.round(headline.batches.at(-1)!.collected.rss - headline.batches[0]!.collected.rss),
      unit: "MB", better: "lower", goal: { op: "<=", value: 5 },
      note: `flat memory; after the first batch ${headline.batches[0]!.collected.rss.toFixed(0)} MB (live heap ${headline.batches[0]!.collected.heap.toFixed(0)} MB); without the collection ${headline.batches[0]!.after.rss.toFixed(0)} → ${headline.batches.at(-1)!.after.rss.toFixed(0)} MB; MALLOC_ARENA_MAX ${ARENAS}, as the service files set it`,
    });
  }
}
