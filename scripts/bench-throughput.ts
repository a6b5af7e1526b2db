/**
 * Throughput: one agent (a separate `shoal-agent` process, default concurrency) and 200 no-op WASM
 * jobs (a 60-byte module whose _start returns at once; one replica) posted at once, each carried
 * to settlement. Prints jobs/s from the first submit to the last settlement, and the agent's RSS
 * (VmRSS, and its peak VmHWM, from /proc) before and after. Before the batch, a few single jobs
 * measure the claim latency: from the submit's receipt to the agent's SlotClaimed on chain. Runs
 * once with the head subscription (chain.wsUrl) and once polling only.
 * Run: `npm run bench:throughput` (BENCH_JOBS to change the count, BENCH_MODES=ws or poll for one mode).
 * Above about 300 jobs the local chain's clock (one second per automined block) outruns the
 * default 600 s commit window while claimed jobs queue for the two execution slots: the agent
 * claims every job it sees at once, and the last ones are abandoned (CommitWindowClosed).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { createWalletClient, http, parseEther, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { createWriteStream } from "node:fs";
import { hardhat } from "viem/chains";
import { jobMarketAbi, submitJob } from "../sdk/src/index.js";
import { KEYS, startLocalChain } from "../test/helpers/localChain.js";
import { freePort } from "../test/helpers/net.js";
import { demoProcesses } from "./lib/demoProcesses.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const MODES = (process.env.BENCH_MODES ?? "ws,poll").split(",") as ("ws" | "poll")[];
const PROBES = 5;
const POLL_MS = 2_000; // the agent's default chain.pollIntervalMs

/** A WASI command that does nothing: (memory 1) and an empty _start, both exported. */
const NOOP_WASM = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
  0x07, 0x13, 0x02, 0x06, ...new TextEncoder().encode("memory"), 0x02, 0x00, 0x06, ...new TextEncoder().encode("_start"), 0x00, 0x00, // exports
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section: empty body
]);

const memory = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(/^(\w+):\s+(\d+)/m.exec(status.split("\n").find((l) => l.startsWith(key)) ?? "")?.[2] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const agent = await demo.startAgent({ label: "agent", config: join(dir, "shoal-agent.json"), privateKey: KEYS[2]!, registerArgs: ["--stake", "1000"] });
    const pid = agent.pid!;
    // BENCH_AGENT_LOG=<file>: the agent's log, to see where the time goes.
    if (process.env.BENCH_AGENT_LOG) agent.stdout!.pipe(createWriteStream(`${process.env.BENCH_AGENT_LOG}.${mode}`));
    const provider = privateKeyToAccount(KEYS[2]! as Hex).address;

    // One nonce manager for the client, so submits can be in flight together.
    const client = createWalletClient({ chain: hardhat, transport: http(chain.rpcUrl, { timeout: 120_000, retryCount: 0 }), account: privateKeyToAccount(KEYS[1]! as Hex, { nonceManager: createNonceManager({ source: jsonRpc() }) }) });
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
    const before = await memory(pid);

    // The batch: submits in flight 25 at a time (more at once overruns the node's queue and a
    // failed send leaves a nonce gap), then wait for every settlement.
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
    const after = await memory(pid);
    const sorted = [...latencies].sort((a, b) => a - b);
    return { mode, settled, jobs: ids.size, seconds, postedMs, before, after, peak, latencyMs: sorted[Math.floor(sorted.length / 2)]!, latencies };
  } finally {
    await demo.cleanup();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`Throughput: ${JOBS} no-op WASM jobs (1 replica) posted at once against one agent process (default concurrency 2, poll ${POLL_MS} ms)`);
for (const mode of MODES) {
  const r = await run(mode);
  const label = mode === "ws" ? "head subscription" : "polling only";
  console.log(`  ${label.padEnd(18)} ${r.settled}/${r.jobs} settled in ${r.seconds.toFixed(1)} s: ${(r.settled / r.seconds).toFixed(1)} jobs/s end to end (submits took ${(r.postedMs / 1000).toFixed(1)} s)`);
  console.log(`  ${"".padEnd(18)} claim latency, submit receipt → SlotClaimed: median ${r.latencyMs} ms (${r.latencies.join(", ")} ms)`);
  console.log(
    `  ${"".padEnd(18)} agent RSS ${r.before.rss.toFixed(0)} MB before, ${r.after.rss.toFixed(0)} MB after (peak seen ${r.peak.toFixed(0)} MB; VmHWM ${r.before.hwm.toFixed(0)} → ${r.after.hwm.toFixed(0)} MB)`,
  );
}
