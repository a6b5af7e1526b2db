import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import { buildSpec, submitJob, type SpecInput } from "../../sdk/src/index.js";
import { startTestAgent } from "../helpers/agent.js";
import { startFaultProxy, type FaultProxy } from "../helpers/faultProxy.js";
import { startLocalChain } from "../helpers/localChain.js";
import { decide, type JobFacts, type PolicyConfig, type PolicyEnvironment } from "../../agent/src/policy/policy.js";
import type { Executor } from "../../agent/src/executors/types.js";

// The policy on its own: a job every check accepts, then the distinct-miner checks.
describe("agent policy: distinct-miner jobs", function () {
  const spec = buildSpec({
    version: 1,
    engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", args: [] },
    inputs: [],
    resources: { cpu: 1, memoryMb: 64, timeoutSec: 10 },
  });
  /** Test double: a WASM executor that runs anything. */
  const wasm: Executor = {
    engine: "wasm",
    isAvailable: async () => true,
    validate: () => {},
    run: async () => {
      throw new Error("not run in this test");
    },
  } as unknown as Executor;
  const config: PolicyConfig = { minPrice: 1n, maxCpu: 4, maxMemoryMb: 4096, gpus: 0, maxTimeoutSec: 600, safetyMarginSec: 5 };
  const job = (distinctMiners: boolean): JobFacts => ({
    spec, price: 10n, token: "0x0000000000000000000000000000000000000000", collateral: 1n, deadline: 10_000, commitWindow: 600,
    locality: false, allowlistRoot: `0x${"00".repeat(32)}`, distinctMiners, inputs: [],
  });
  const env = (minerId: bigint, slotMiners: bigint[]): PolicyEnvironment & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      executors: new Map([["wasm", wasm]]),
      hasInput: async () => true,
      hasLocalityProof: () => false,
      freeStake: async () => 10n,
      minerId: async () => (asked.push("minerId"), minerId),
      slotMiners: async () => (asked.push("slotMiners"), slotMiners),
      now: () => 1_000,
    };
  };

  it("takes a distinct-miner job when its miner holds no slot of it", async function () {
    assert.deepEqual(await decide(job(true), config, env(1001n, [1003n, 0n])), { take: true });
  });

  it("refuses it without a bound miner, saying how to bind one", async function () {
    const decision = await decide(job(true), config, env(0n, []));
    assert.equal(decision.take, false);
    assert.equal(decision.take || decision.reason, "miner");
    assert.match(decision.take ? "" : decision.detail, /no miner bound: shoal-agent bind-miner <id>/);
  });

  it("refuses it when a slot is already held under its miner, naming the slot and the miner", async function () {
    const decision = await decide(job(true), config, env(1001n, [1003n, 1001n]));
    assert.equal(decision.take || decision.reason, "miner");
    assert.match(decision.take ? "" : decision.detail, /slot 1 is already held under this provider's miner f01001/);
  });

  it("does not look at miners for a job without the flag", async function () {
    const e = env(0n, [1001n]);
    assert.deepEqual(await decide(job(false), config, e), { take: true });
    assert.deepEqual(e.asked, []);
  });
});

// Through a whole agent: the chain is read once the policy's local checks have passed.
describe("agent policy: a job refused for a local reason", function () {
  this.timeout(120_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let proxy: FaultProxy;
  let agent: Agent | undefined;
  const calls = new Map<string, number>();
  let spec: SpecInput & { engine: { type: "wasm" } };

  before(async function () {
    const example = JSON.parse(await readFile(new URL("../../examples/specs/wordfreq.json", import.meta.url), "utf8")) as typeof spec;
    spec = { ...example, inputs: [] };
    chain = await startLocalChain();
    proxy = await startFaultProxy(chain.rpcUrl);
    proxy.plan = (method) => void calls.set(method, (calls.get(method) ?? 0) + 1);
    const dir = await mkdtemp(join(tmpdir(), "shoal-policy-"));
    await mkdir(join(dir, "modules"));
    await copyFile(new URL("../../examples/wasm/wordfreq.wasm", import.meta.url), join(dir, "modules", `${spec.engine.module}.wasm`));
    agent = await startTestAgent({ chain, key: 3, dir, rpcUrl: proxy.url, flags: { "policy.minPrice": "0.01" } });
  });

  after(async function () {
    await agent?.stop().catch(() => {});
    await proxy?.close();
    await chain?.close();
  });

  it("is refused without a single eth_call, gas estimate or fee read", async function () {
    const cases: [string, Partial<Parameters<typeof submitJob>[1]>, RegExp][] = [
      ["a module this agent does not hold", { spec: { ...spec, engine: { ...spec.engine, module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku" } } }, /^module_unavailable/],
      ["a price under the agent's minimum", { price: parseEther("0.001") }, /^price/],
      ["more CPUs than the agent allows", { spec: { ...spec, resources: { ...spec.resources, cpu: 64 } } }, /^resources/],
    ];
    for (const [what, extra, reason] of cases) {
      calls.clear();
      const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, ...extra });
      let row = agent!.store.job(jobId);
      for (let t = 0; t < 200 && row?.state !== "refused"; t++) {
        await new Promise((r) => setTimeout(r, 50));
        row = agent!.store.job(jobId);
      }
      assert.equal(row?.state, "refused", `${what}: ${row?.state}`);
      assert.match(row.reason ?? "", reason, what);
      const reads = ["eth_call", "eth_estimateGas", "eth_maxPriorityFeePerGas", "eth_gasPrice"].filter((m) => calls.get(m));
      assert.deepEqual(reads, [], `${what}: ${JSON.stringify(Object.fromEntries(calls))}`);
      assert.ok((calls.get("eth_getLogs") ?? 0) > 0, "the agent read the JobPosted log through the proxy");
    }
  });
});
