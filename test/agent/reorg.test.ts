// Reorgs and nodes that lag, against one real agent: blocks holding a JobPosted, the agent's claim
// and its commit are dropped (evm_snapshot / evm_revert) and replaced by different blocks that
// post another job under the same ID; a node that reports a head behind what the agent has read.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther, toHex } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import { encodeSpec, buildSpec, getJob, pieceCid, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { startTestAgent } from "../helpers/agent.js";
import { startFaultProxy, type FaultProxy } from "../helpers/faultProxy.js";
import { startLocalChain } from "../helpers/localChain.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);

describe("agent and reorgs: what vanished is forgotten, the new chain is acted on", function () {
  this.timeout(120_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let proxy: FaultProxy;
  let agent: Agent;
  let dir: string;
  let spec: (words: string) => SpecInput;
  const rpc = (method: string, params: unknown[] = []) => chain.publicClient.request({ method: method as never, params: params as never });
  const until = async (what: string, test: () => boolean | Promise<boolean>, tries = 300) => {
    for (let t = 0; t < tries; t++) {
      if (await test()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting until ${what}`);
  };

  before(async function () {
    chain = await startLocalChain();
    proxy = await startFaultProxy(chain.rpcUrl);
    dir = await mkdtemp(join(tmpdir(), "shoal-reorg-"));
    const moduleCid = CID.create(1, raw.code, await sha256.digest(await readFile(WORDFREQ))).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    await mkdir(join(dir, "pieces"));
    const pieces = new Map<string, string>();
    for (const words of ["old chain words ", "new chain words "]) {
      const payload = words.repeat(10);
      const piece = pieceCid(new TextEncoder().encode(payload));
      await writeFile(join(dir, "pieces", piece.v2), payload);
      pieces.set(words, piece.v2);
    }
    spec = (words) => ({
      version: 1, engine: { type: "wasm", module: moduleCid, args: [] }, inputs: [{ piece: pieces.get(words)!, mount: "/inputs/t.txt" }],
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
    });
    agent = await startTestAgent({ chain, key: 2, dir, rpcUrl: proxy.url });
  });

  after(async function () {
    await agent?.stop().catch(() => {});
    await proxy?.close();
    await chain?.close();
  });

  it("forgets a job whose JobPosted, claim and commit vanished, and runs the different job the new chain posts under the same ID", async function () {
    const terms = { price: parseEther("0.01"), market: chain.market, commitWindow: 120, revealWindow: 120 } as const;
    const snapshot = await rpc("evm_snapshot");
    // Old chain: a 2-replica job this single agent claims, runs and commits, then waits for a quorum.
    const { jobId } = await submitJob(chain.wallet(1), { spec: spec("old chain words "), replicas: 2, quorum: 2, ...terms });
    await until("the agent committed on the old chain", () => agent.store.job(jobId)?.state === "committed");
    const oldHead = await chain.publicClient.getBlockNumber();
    await until("the agent read past its commit", () => (agent.store.cursor() ?? 0n) >= oldHead);

    // The reorg: those blocks vanish; the new chain posts another job, which gets the same ID.
    assert.equal(await rpc("evm_revert", [snapshot]), true);
    const forkBlock = await chain.publicClient.getBlockNumber();
    const { jobId: newId } = await submitJob(chain.wallet(1), { spec: spec("new chain words "), replicas: 1, quorum: 1, ...terms });
    assert.equal(newId, jobId);
    await rpc("hardhat_mine", [toHex(Number(oldHead - forkBlock) + 2)]); // the new chain grows past the old one
    const { resultCid } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    await until("the agent settled the new job", () => agent.store.job(jobId)?.state === "settled");

    const row = agent.store.job(jobId)!;
    assert.equal(JSON.parse(row.request).spec, toHex(encodeSpec(buildSpec(spec("new chain words ")))), "the row holds the new chain's job");
    assert.equal((await getJob(chain.publicClient, { jobId, market: chain.market })).resultCid, resultCid);
    // On the new chain the agent sent exactly a claim and a reveal (one replica), no stale commit.
    const head = await chain.publicClient.getBlockNumber();
    const sent: string[] = [];
    for (let n = forkBlock + 1n; n <= head; n++) {
      for (const tx of (await chain.publicClient.getBlock({ blockNumber: n, includeTransactions: true })).transactions) {
        if (tx.from.toLowerCase() === agent.account.address.toLowerCase()) sent.push(tx.input.slice(0, 10));
      }
    }
    console.log(`      figure: agent transactions on the new chain: ${sent.length} (claim + reveal expected)`);
    assert.equal(sent.length, 2);
  });

  it("waits, keeping its state, while the node reports a head behind what it has read; resumes when the node catches up", async function () {
    const read = agent.store.cursor()!;
    proxy.head = () => read - 3n; // a node that is behind (or a stale `latest`)
    // A poll that read the real head before the lag began may still advance the cursor; let it land
    // (ten poll intervals), then hold the agent to the cursor it has from there on.
    await new Promise((r) => setTimeout(r, 1_000));
    const cursor = agent.store.cursor()!;
    assert.ok(cursor >= read, "the cursor does not move backwards");
    const rows = agent.store.allJobs().length;
    const { jobId } = await submitJob(chain.wallet(1), { spec: spec("new chain words "), replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, commitWindow: 120, revealWindow: 120 });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(agent.store.job(jobId), undefined, "nothing past the lagging head is acted on");
    assert.equal(agent.store.allJobs().length, rows, "no job forgotten: nothing vanished");
    assert.equal(agent.store.cursor(), cursor, "the cursor does not move backwards");
    proxy.head = undefined;
    await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    await until("the agent settled the job posted while its node lagged", () => agent.store.job(jobId)?.state === "settled");
  });
});
