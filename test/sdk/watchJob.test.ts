// watchJob over a WebSocket: each head the node pushes starts a read at once, so an event does not
// wait for the poll. The poll interval here is a minute, longer than the test: every event after
// the first read can only have come through a pushed head.
import assert from "node:assert/strict";
import { createPublicClient, fallback, http, parseEther, webSocket, type Transport } from "viem";
import { hardhat } from "viem/chains";
import { socketClientCache } from "viem/utils";
import { cancelJob, socketFirst, submitJob, watchJob, type JobEvent, type SpecInput } from "../../sdk/src/index.js";
import { startLocalChain } from "../helpers/localChain.js";

const SPEC: SpecInput = {
  version: 1,
  engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", args: [] },
  resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
};
const MINUTE = 60_000;

describe("SDK watchJob: new heads pushed over a WebSocket", function () {
  this.timeout(60_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  before(async function () {
    chain = await startLocalChain();
  });
  after(async function () {
    for (const socket of socketClientCache.values()) socket.close(); // viem keeps them open for reuse
    await chain?.close();
  });

  /** Watches a new job through `transport` and cancels it; resolves with the events seen, in order. */
  async function watchThrough(transport: Transport) {
    const client = createPublicClient({ chain: hardhat, transport, pollingInterval: MINUTE });
    const { jobId } = await submitJob(chain.wallet(1), { spec: SPEC, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
    const events: JobEvent["type"][] = [];
    let posted!: () => void;
    let ended!: () => void;
    const postedSeen = new Promise<void>((r) => (posted = r));
    const endedSeen = new Promise<void>((r) => (ended = r));
    const errors: unknown[] = [];
    const unwatch = watchJob(client, {
      jobId,
      market: chain.market,
      pollingInterval: MINUTE,
      onEvent: (e) => {
        events.push(e.type);
        if (e.type === "posted") posted();
        if (e.type === "cancelled") ended();
      },
      onError: (error) => errors.push(error),
    });
    try {
      await postedSeen; // the first read, at once
      await cancelJob(chain.wallet(1), { jobId, market: chain.market });
      const late = new Promise((_, reject) => setTimeout(() => reject(new Error(`no cancelled event within 10 s (poll every minute); saw ${events.join(", ")}`)), 10_000));
      await Promise.race([endedSeen, late]);
    } finally {
      unwatch();
    }
    assert.deepEqual(errors, []);
    return events;
  }

  it("reads as soon as a head arrives over a webSocket transport", async function () {
    assert.deepEqual(await watchThrough(webSocket(chain.rpcUrl.replace(/^http/, "ws"))), ["posted", "cancelled"]);
  });

  it("does so through a fallback transport led by a socket", async function () {
    assert.deepEqual(await watchThrough(fallback([webSocket(chain.rpcUrl.replace(/^http/, "ws")), http(chain.rpcUrl)])), ["posted", "cancelled"]);
  });

  it("does so through socketFirst (the agent's and the dapp's transport)", async function () {
    const socket = socketFirst(chain.rpcUrl.replace(/^http/, "ws"), http(chain.rpcUrl));
    try {
      assert.deepEqual(await watchThrough(socket.transport), ["posted", "cancelled"]);
    } finally {
      await socket.close();
    }
  });

  it("over HTTP alone reads at the poll interval only (the event waits for the next poll)", async function () {
    const client = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) });
    const { jobId } = await submitJob(chain.wallet(1), { spec: SPEC, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
    const events: JobEvent["type"][] = [];
    const unwatch = watchJob(client, { jobId, market: chain.market, pollingInterval: 1_500, onEvent: (e) => events.push(e.type) });
    try {
      while (events.length === 0) await new Promise((r) => setTimeout(r, 20));
      await cancelJob(chain.wallet(1), { jobId, market: chain.market });
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(events, ["posted"], "no read between polls");
      for (let t = 0; t < 100 && events.length < 2; t++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(events, ["posted", "cancelled"], "the next poll reads it");
    } finally {
      unwatch();
    }
  });
});
