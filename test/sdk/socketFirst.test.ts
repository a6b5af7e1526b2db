// The SDK's socketFirst transport (what a running agent with chain.wsUrl and the dapp with a wsUrl
// use): calls over the node's socket first, HTTP for whatever the socket does not answer, and the
// node's own errors passed through as over HTTP.
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { BaseError, ContractFunctionRevertedError, createPublicClient, fallback, http, parseEther, type PublicClient } from "viem";
import { simulateContract } from "viem/actions";
import { hardhat } from "viem/chains";
import { jobMarketAbi, socketFirst, SOCKET_TIMEOUT_MS } from "../../sdk/src/index.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { startSocketProxy } from "../helpers/socketProxy.js";
import { privateKeyToAccount } from "viem/accounts";

/** Counts the HTTP requests that reach the chain (the fallback's share). */
function countingHttp(url: string) {
  const counter = { requests: 0 };
  const transport = fallback([
    http(url, {
      retryCount: 0,
      onFetchRequest: () => {
        counter.requests++;
      },
    }),
  ]);
  return { counter, transport };
}

describe("SDK socketFirst transport: the socket first, HTTP when it does not answer", function () {
  this.timeout(60_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  before(async function () {
    chain = await startLocalChain();
  });
  after(async function () {
    await chain?.close();
  });

  it("sends calls over the socket while it answers, and HTTP takes them when it is cut", async function () {
    const port = Number(new URL(chain.rpcUrl).port);
    const proxy = await startSocketProxy(port);
    const { counter, transport } = countingHttp(chain.rpcUrl);
    const socket = socketFirst(`ws://127.0.0.1:${proxy.port}`, transport);
    const client = createPublicClient({ chain: hardhat, transport: socket.transport }) as PublicClient;
    try {
      const head = await client.getBlockNumber({ cacheTime: 0 });
      for (let i = 0; i < 5; i++) assert.equal(await client.getBlockNumber({ cacheTime: 0 }), head);
      assert.equal(counter.requests, 0, "every call went over the socket");
      assert.equal(proxy.connections, 1);

      proxy.cut();
      const started = Date.now();
      assert.equal(await client.getBlockNumber({ cacheTime: 0 }), head);
      assert.ok(counter.requests >= 1, "HTTP answered while the socket is down");
      assert.ok(Date.now() - started < SOCKET_TIMEOUT_MS, `a closed socket hands over at once (${Date.now() - started} ms)`);
      const before = counter.requests;
      await client.getBlockNumber({ cacheTime: 0 });
      assert.equal(counter.requests, before + 1, "the socket is left alone after it failed");
    } finally {
      await socket.close();
      await proxy.close();
    }
  });

  it("a socket that accepts and never answers costs one call the timeout, then HTTP answers", async function () {
    const held: Socket[] = [];
    const silent = createServer((s) => void held.push(s)); // accepts, never completes the handshake
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { counter, transport } = countingHttp(chain.rpcUrl);
    const socket = socketFirst(`ws://127.0.0.1:${(silent.address() as { port: number }).port}`, transport);
    const client = createPublicClient({ chain: hardhat, transport: socket.transport }) as PublicClient;
    try {
      let started = Date.now();
      const head = await client.getBlockNumber({ cacheTime: 0 });
      assert.equal(head, await chain.publicClient.getBlockNumber());
      assert.equal(counter.requests, 1);
      assert.ok(Date.now() - started < SOCKET_TIMEOUT_MS + 11_000, `answered in ${Date.now() - started} ms`);
      started = Date.now();
      await client.getBlockNumber({ cacheTime: 0 });
      assert.ok(Date.now() - started < 1_000, "later calls go straight to HTTP");
    } finally {
      await socket.close();
      for (const s of held) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("passes the node's own errors through: a reverted call reads the contract's error by name", async function () {
    const { counter, transport } = countingHttp(chain.rpcUrl);
    const socket = socketFirst(chain.rpcUrl.replace(/^http/, "ws"), transport);
    const client = createPublicClient({ chain: hardhat, transport: socket.transport }) as PublicClient;
    try {
      const account = privateKeyToAccount(KEYS[2]!).address;
      // Job 999 does not exist: the market refuses the claim with its own error.
      const refused = await simulateContract(client, {
        address: chain.market, abi: jobMarketAbi, functionName: "claim", account,
        args: [999n, 0n, [], [], []], value: parseEther("0"),
      } as never).then(() => undefined, (error: Error) => error);
      assert.ok(refused instanceof BaseError, "the call reverts");
      const revert = refused.walk((e) => e instanceof ContractFunctionRevertedError);
      assert.ok(revert instanceof ContractFunctionRevertedError, String(refused).split("\n")[0]);
      assert.equal(revert.data?.errorName, "JobNotInStatus");
      assert.equal(counter.requests, 0, "the revert came over the socket; HTTP was not asked");
    } finally {
      await socket.close();
    }
  });
});
