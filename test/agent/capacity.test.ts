// The agent's claim budget and its in-memory bookkeeping: an agent claims no more jobs than its
// executors can finish within the commit window, leaves the rest unclaimed for other providers,
// and forgets every job it has finished with. Real agents on a local chain; the executor is a test
// double whose runs wait until the test lets them finish, so the backlog is held still.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther } from "viem";
import { startAgent, type Agent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import { ExecutionError, type Executor } from "../../agent/src/executors/types.js";
import { jobMarketAbi, registerProvider, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";

const TIMEOUT_SEC = 120;
const MARGIN_SEC = 5;
const COMMIT_WINDOW = 600;

/** A WASM executor double: each run waits for `release()`, then writes one output file; args ["fail"] fails the run. */
function gatedExecutor() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  const executor: Executor = {
    engine: "wasm",
    isAvailable: async () => true,
    validate: () => {},
    hasModule: async () => true,
    async run({ spec, outputDir, signal }) {
      started++;
      await Promise.race([gate, new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new ExecutionError("ABORTED", "test", "aborted")), { once: true }))]);
      if (spec.engine.type === "wasm" && spec.engine.args[0] === "fail") throw new ExecutionError("NON_ZERO_EXIT", "test", "the job exited with code 1");
      await writeFile(join(outputDir, "out.txt"), `job ran\n`);
      return { exitCode: 0, durationMs: 1, stdout: "", stderr: "", outputBytes: 8 };
    },
  };
  return { executor, release: () => release(), started: () => started };
}

describe("agent claim budget and per-job memory", function () {
  this.timeout(180_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let agents: Agent[] = [];
  let dir: string;
  let module: string; // a module CID: the double runs nothing
  const spec = (args: string[] = [], cpu = 1): SpecInput => ({
    version: 1, engine: { type: "wasm", module, args }, inputs: [], resources: { cpu, memoryMb: 16, timeoutSec: TIMEOUT_SEC },
  });
  const post = async (s: SpecInput) =>
    (await submitJob(chain.wallet(1), { spec: s, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, commitWindow: COMMIT_WINDOW, revealWindow: 120 })).jobId;
  const until = async (what: string, test: () => boolean | Promise<boolean>) => {
    for (let t = 0; t < 300; t++) {
      if (await test()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting until ${what}`);
  };
  const claimsBy = async (i: number) =>
    (await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "SlotClaimed", args: { provider: chain.wallet(i).account.address }, fromBlock: 0n })).map(
      (log) => log.args.jobId!,
    );
  const allTerminal = (agent: Agent, ids: readonly bigint[]) => ids.every((id) => ["settled", "refused", "failed", "lost", "abandoned"].includes(agent.store.job(id)?.state ?? ""));
  const emptyMemory = {
    busy: 0, retryAt: 0, mounted: 0, seenAt: 0, execMs: 0, waiting: 0, holding: 0, deferred: 0, readAhead: 0, ranUnclaimed: 0, claimedHere: 0, estimatesAhead: 0, cleanups: 0,
  };

  async function launch(i: number, concurrency: number, executor: Executor): Promise<Agent> {
    process.env[`SHOAL_TEST_CAPACITY_KEY_${i}`] = KEYS[i];
    const config = loadConfig({
      env: {},
      flags: {
        "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": 100,
        "keys.privateKeyEnv": `SHOAL_TEST_CAPACITY_KEY_${i}`, stateDir: join(dir, `run${Date.now()}`, `agent${i}`), "results.dir": join(dir, `results${i}-${Date.now()}`),
        "gateway.port": 0, logLevel: "silent", "policy.safetyMarginSec": MARGIN_SEC, concurrency, "engines.docker.enabled": false,
      },
    });
    // Registered before it starts: it evaluates jobs posted earlier as soon as it reads them.
    await registerProvider(chain.wallet(i), { registry: chain.registry, stake: parseEther("10"), gatewayUrl: "http://127.0.0.1:1/", capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 } });
    const agent = await startAgent(config, { logger: createLogger("silent"), executors: new Map([["wasm", executor]]) });
    agents.push(agent);
    return agent;
  }

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "shoal-capacity-"));
    module = CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode("no module"))).toString();
  });
  beforeEach(async function () {
    chain = await startLocalChain();
    agents = [];
  });
  afterEach(async function () {
    for (const a of agents) await a.stop().catch(() => {});
    await chain?.close();
  });

  it("claims only what its executors can finish within the commit window and leaves the other jobs to other providers", async function () {
    // Concurrency 1, 120 s jobs, 5 s margin, 600 s window: a job claimed behind a backlog of B
    // seconds ends by B + 125 s, so 4 slots fit (B = 360 s) and a 5th would not (B = 480 s).
    const gated = gatedExecutor();
    const a = await launch(2, 1, gated.executor);
    const ids: bigint[] = [];
    for (let j = 0; j < 10; j++) ids.push(await post(spec()));
    await until("agent A has claimed its budget and left the rest", () => a.pipeline.memory().deferred === 6 && a.pipeline.memory().holding === 4);
    assert.equal((await claimsBy(2)).length, 4, "A claimed 4 jobs");
    assert.equal((await a.metrics.registry.getSingleMetricAsString("shoal_jobs_waiting_capacity")).trim().split("\n").at(-1), "shoal_jobs_waiting_capacity 6");
    for (const id of ids.slice(4)) {
      const job = await chain.publicClient.readContract({ address: chain.market, abi: jobMarketAbi, functionName: "getJob", args: [id] });
      assert.equal(job.claimed, 0, `job ${id} left unclaimed`);
    }

    // Another provider with concurrency 2 (budget 8) takes the six A left.
    const b = await launch(3, 2, gated.executor);
    await until("agent B has claimed the six", async () => (await claimsBy(3)).length === 6).catch((error) => {
      throw new Error(`${error.message}: B's jobs ${ids.map((id) => `${id} ${b.store.job(id)?.state} ${b.store.job(id)?.reason ?? ""}`).join(", ")}; memory ${JSON.stringify(b.pipeline.memory())}`);
    });
    assert.deepEqual(new Set([...(await claimsBy(2)), ...(await claimsBy(3))]), new Set(ids), "every job claimed once");

    gated.release();
    for (const jobId of ids) await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    assert.equal((await claimsBy(2)).length, 4, "A claimed no more once its backlog drained: the jobs were taken");
    await until("both agents are done with every job", () => allTerminal(a, ids) && allTerminal(b, ids) && a.pipeline.inFlight() + b.pipeline.inFlight() === 0);
    assert.deepEqual(ids.map((id) => a.store.job(id)?.state), [...Array(4).fill("settled"), ...Array(6).fill("abandoned")]);
    assert.deepEqual(a.pipeline.memory(), emptyMemory);
    assert.deepEqual(b.pipeline.memory(), emptyMemory);
  });

  it("keeps nothing in memory about jobs that reached a terminal state: settled, refused, failed", async function () {
    const gated = gatedExecutor();
    gated.release();
    const a = await launch(2, 2, gated.executor);
    const settled = await post(spec());
    const refused = await post(spec([], 64)); // more CPUs than the policy allows
    const failed = await post(spec(["fail"]));
    const ids = [settled, refused, failed];
    await waitForResult(chain.publicClient, { jobId: settled, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    await until("every job is terminal", () => allTerminal(a, ids));
    assert.deepEqual(ids.map((id) => a.store.job(id)?.state), ["settled", "refused", "failed"]);
    await until("no step is in flight", () => a.pipeline.inFlight() === 0);
    assert.deepEqual(a.pipeline.memory(), emptyMemory);
  });
});
