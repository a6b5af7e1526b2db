import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import { submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { startTestAgent } from "../helpers/agent.js";
import { startLocalChain } from "../helpers/localChain.js";
import { startSocketProxy } from "../helpers/socketProxy.js";

// Event delivery without polling delay: with chain.wsUrl the agent subscribes to new heads (over
// Hardhat's own WebSocket server, which serves eth_subscribe on the HTTP port), so a JobPosted is
// acted on when its block arrives; when the socket dies, polling carries on and the agent resubscribes.

const ROOT = new URL("../../", import.meta.url);
type WordfreqSpec = SpecInput & { engine: { module: string }; inputs: { piece: string }[] };
const wordfreqSpec = async (): Promise<WordfreqSpec> => JSON.parse(await readFile(new URL("examples/specs/wordfreq.json", ROOT), "utf8")) as WordfreqSpec;

/** Waits (bounded) until `check` holds; returns whether it did. */
async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return true;
  return check();
}

async function passes(agent: Agent): Promise<Record<string, number>> {
  const counts: Record<string, number> = { start: 0, head: 0, poll: 0, retry: 0 };
  for (const v of (await agent.metrics.chainSyncPasses.get()).values) counts[String(v.labels.trigger)] = v.value;
  return counts;
}
const subscriptionUp = async (agent: Agent) => (await agent.metrics.chainSubscriptionUp.get()).values[0]?.value === 1;

describe("agent head subscription", function () {
  this.timeout(120_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let dir: string;
  const agents: Agent[] = [];

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-heads-"));
    const spec = await wordfreqSpec();
    await mkdir(join(dir, "pieces"), { recursive: true });
    await mkdir(join(dir, "modules"), { recursive: true });
    await copyFile(new URL("examples/data/harbor-log.txt", ROOT), join(dir, "pieces", spec.inputs[0]!.piece));
    await copyFile(new URL("examples/wasm/wordfreq.wasm", ROOT), join(dir, "modules", `${spec.engine.module}.wasm`));
  });
  after(async function () {
    for (const agent of agents) await agent.stop().catch(() => {});
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function provision(key: number, wsUrl: string, pollIntervalMs: number): Promise<Agent> {
    const agent = await startTestAgent({ chain, key, dir, flags: { "chain.wsUrl": wsUrl, "chain.pollIntervalMs": pollIntervalMs } });
    agents.push(agent);
    return agent;
  }

  it("claims a posted job from the pushed head, before the first poll would have run, and settles it", async function () {
    const ws = chain.rpcUrl.replace(/^http/, "ws");
    const agent = await provision(2, ws, 600_000); // one poll every ten minutes: only heads can wake it
    assert.ok(await until(() => subscriptionUp(agent)), "subscribed to new heads");
    const { jobId } = await submitJob(chain.wallet(1), { spec: await wordfreqSpec(), replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
    const { job } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 50 });
    assert.equal(job.status, "Settled");
    assert.ok(await until(() => agent.store.job(jobId)?.state === "settled"), `agent state ${agent.store.job(jobId)?.state}`);
    const counts = await passes(agent);
    assert.equal(counts.poll, 0, "no poll-timer pass ran: the job was seen from a head");
    assert.ok(counts.head! >= 1, "passes started by heads");
    const health = (await (await fetch(`${agent.gateway.url}/healthz`)).json()) as { details: { subscription?: { up: boolean } } };
    assert.equal(health.details.subscription?.up, true);
    await agent.stop();
  });

  it("falls back to polling while the socket is down and resubscribes when it is back", async function () {
    const proxy = await startSocketProxy(Number(new URL(chain.rpcUrl).port));
    try {
      const agent = await provision(3, `ws://127.0.0.1:${proxy.port}`, 300);
      assert.ok(await until(() => subscriptionUp(agent)), "subscribed through the proxy");
      proxy.cut();
      assert.ok(await until(async () => !(await subscriptionUp(agent))), "the dropped socket is noticed");
      const metrics = await (await fetch(`${agent.gateway.url}/metrics`)).text();
      assert.match(metrics, /^shoal_chain_subscription_up 0$/m);

      // Polling alone carries the job through while the socket is down.
      const spec = await wordfreqSpec();
      const before = await passes(agent);
      const first = await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
      assert.equal((await waitForResult(chain.publicClient, { jobId: first.jobId, market: chain.market, timeout: 60_000, pollingInterval: 50 })).job.status, "Settled");
      const during = await passes(agent);
      assert.ok(during.poll! > before.poll!, "poll passes ran while the socket was down");
      assert.ok(await until(() => agent.store.job(first.jobId)?.state === "settled"), `agent state ${agent.store.job(first.jobId)?.state}`);

      // Back: the agent reconnects (a new connection through the proxy) and heads start passes again.
      const connections = proxy.connections;
      proxy.restore();
      assert.ok(await until(() => subscriptionUp(agent), 60_000), "resubscribed");
      assert.ok(proxy.connections > connections, "a new connection");
      const headsBefore = (await passes(agent)).head!;
      const second = await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
      assert.equal((await waitForResult(chain.publicClient, { jobId: second.jobId, market: chain.market, timeout: 60_000, pollingInterval: 50 })).job.status, "Settled");
      assert.ok((await passes(agent)).head! > headsBefore, "heads start passes again");
      await agent.stop();
    } finally {
      await proxy.close();
    }
  });
});
