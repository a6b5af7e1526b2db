import assert from "node:assert/strict";
import { createPublicClient, custom, fallback, http, type EIP1193Provider } from "viem";
import { hardhat } from "viem/chains";
import { runSync, syncOnce, type MarketEvent } from "../../agent/src/chain/sync.js";
import { createLogger } from "../../agent/src/context.js";
import { openStore } from "../../agent/src/store/store.js";
import { setup } from "../helpers/shoal.js";

describe("agent chain sync", function () {
  async function fixture() {
    const s = await setup({ providerCount: 1 });
    const provider = s.connection.provider as unknown as EIP1193Provider;
    const client = createPublicClient({ chain: hardhat, transport: custom(provider) });
    const store = openStore(":memory:");
    const posted: bigint[] = [];
    const options = (extra: Partial<Parameters<typeof syncOnce>[0]> = {}) => ({
      client, market: s.market.address, store, logger: createLogger("silent"), confirmations: 0, fromBlock: 0n,
      pollIntervalMs: 20, signal: new AbortController().signal,
      onEvents: (events: MarketEvent[]) => {
        for (const e of events) if (e.eventName === "JobPosted" && store.addJob(e.args.jobId, e.blockNumber!, "{}")) posted.push(e.args.jobId);
      },
      ...extra,
    });
    return { s, client, store, posted, options, provider };
  }

  it("backfills every job posted while it was down, in ranges no larger than maxRange", async function () {
    const { s, store, posted, options } = await fixture();
    for (let i = 0; i < 3; i++) await s.submit(await s.request());
    const head = await s.publicClient.getBlockNumber();
    const cursor = await syncOnce(options({ maxRange: 2n }));
    assert.equal(cursor, head);
    assert.equal(store.cursor(), head);
    assert.deepEqual(posted, [1n, 2n, 3n]);
    // Nothing new: nothing delivered twice.
    await syncOnce(options({ maxRange: 2n }));
    assert.deepEqual(posted, [1n, 2n, 3n]);
  });

  it("waits for the configured confirmations before delivering a job", async function () {
    const { s, posted, options } = await fixture();
    await s.submit(await s.request());
    await syncOnce(options({ confirmations: 2 }));
    assert.deepEqual(posted, []);
    await s.networkHelpers.mine(2);
    await syncOnce(options({ confirmations: 2 }));
    assert.deepEqual(posted, [1n]);
  });

  it("detects a reorg by block hash, forgets the job that vanished and picks up the one that replaced it", async function () {
    const { s, store, posted, options } = await fixture();
    const snapshot = await s.networkHelpers.takeSnapshot();
    await s.submit(await s.request({ price: 1n }));
    await syncOnce(options());
    assert.ok(store.job(1n), "job 1 seen");
    const reorgs: bigint[] = [];
    await snapshot.restore();
    await s.networkHelpers.mine(1); // a different block at the same height
    await s.submit(await s.request({ price: 2n }));
    await syncOnce(options({ onReorg: (a: bigint) => reorgs.push(a) }));
    assert.equal(reorgs.length, 1);
    const job = store.job(1n);
    assert.ok(job, "the replacing job 1 is recorded");
    assert.equal(posted.length, 2, "the replacing JobPosted was delivered");
  });

  it("keeps going through RPC failures, using a fallback RPC", async function () {
    const { s, store, posted, provider } = await fixture();
    await s.submit(await s.request());
    let failures = 0;
    const flaky = custom({
      async request(args: { method: string; params?: unknown }) {
        if (failures < 3) {
          failures++;
          throw new Error("connection refused");
        }
        return provider.request(args as never);
      },
    });
    const client = createPublicClient({
      chain: hardhat,
      transport: fallback([http("http://127.0.0.1:1"), flaky], { retryCount: 0 }),
    });
    const controller = new AbortController();
    const running = runSync({
      client, market: s.market.address, store, logger: createLogger("silent"), confirmations: 0, fromBlock: 0n, pollIntervalMs: 20,
      signal: controller.signal,
      onEvents: (events) => {
        for (const e of events) if (e.eventName === "JobPosted" && store.addJob(e.args.jobId, e.blockNumber!, "{}")) posted.push(e.args.jobId);
      },
    });
    for (let i = 0; i < 200 && posted.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    controller.abort();
    await running;
    assert.deepEqual(posted, [1n]);
    assert.ok(failures >= 3);
  });
});
