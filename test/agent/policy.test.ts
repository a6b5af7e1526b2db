import assert from "node:assert/strict";
import { buildSpec } from "../../sdk/src/index.js";
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
