import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { getAbiItem, parseEther, toFunctionSelector } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import { jobMarketAbi, pieceCid, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { fetchResult } from "../../sdk/src/node.js";
import { startTestAgent } from "../helpers/agent.js";
import { startLocalChain } from "../helpers/localChain.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);
const TEXT = "the quick brown fox jumps over the lazy dog\nthe dog sleeps\n".repeat(20);

describe("agent pipeline, three agents in process on a local chain", function () {
  this.timeout(180_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  const agents: Agent[] = [];
  let dir: string;
  let moduleCid: string;
  let piece: ReturnType<typeof pieceCid>;

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-pipeline-"));
    const bytes = await readFile(WORDFREQ);
    moduleCid = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    const payload = new TextEncoder().encode(TEXT);
    piece = pieceCid(payload);
    await mkdir(join(dir, "pieces"));
    await writeFile(join(dir, "pieces", piece.v2), payload);
  });

  after(async function () {
    for (const a of agents) await a.stop().catch(() => {});
    await chain?.close();
  });


  it("runs a WASM job to quorum: each agent claims, executes, commits; two reveal; the client downloads the verified result", async function () {
    const started: Agent[] = [];
    for (const i of [2, 3, 4]) {
      const agent = await startTestAgent({ chain, key: i, dir });
      agents.push(agent);
      started.push(agent);
    }
    const spec: SpecInput = {
      version: 1,
      engine: { type: "wasm", module: moduleCid, args: [] },
      inputs: [{ piece: piece.v2, mount: "/inputs/text.txt", locality: false }],
      outputs: { path: "/outputs" },
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 30, maxOutputBytes: 1 << 20 },
      network: "none",
      deterministic: true,
    };
    const client = chain.wallet(1);
    const { jobId } = await submitJob(client, { spec, replicas: 3, quorum: 2, price: parseEther("0.1"), market: chain.market, commitWindow: 120, revealWindow: 120 });
    const steps: string[] = [];
    const { resultCid } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100, onProgress: (e) => steps.push(e.type) });
    for (const step of ["claimed", "committed", "quorum", "revealed", "finalized"]) assert.ok(steps.includes(step), `saw ${step}`);

    const out = join(dir, "download");
    await fetchResult(chain.publicClient, { jobId, outDir: out, market: chain.market });
    const freq = JSON.parse(await readFile(join(out, "wordfreq.json"), "utf8"));
    assert.equal(freq.words.the, 60);
    assert.equal(freq.words.dog, 40);
    assert.ok(resultCid.startsWith("bafy"));

    // Every agent ends in a terminal state; the two revealers are paid.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && started.some((a) => !["settled", "lost"].includes(a.store.job(jobId)?.state ?? ""))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const states = started.map((a) => a.store.job(jobId)?.state);
    assert.equal(states.filter((s) => s === "settled").length, 2, `states: ${states}`);
    let earned = 0n;
    for (const a of started) earned += await a.pipeline.withdrawEarnings();
    assert.equal(earned, parseEther("0.2"));
  });

  it("reveals from three agents in one block settle the job with no reverted transaction (any reveal that may settle gets the settling gas)", async function () {
    // Blocks every 400 ms instead of one per transaction, as on a real chain: the three agents see
    // the quorum together and their reveals share a block, so the one ordered last settles although
    // it was estimated when no other reveal had landed.
    const rpc = (method: string, params: unknown[]) => chain.publicClient.request({ method: method as never, params: params as never });
    const from = await chain.publicClient.getBlockNumber();
    await rpc("evm_setAutomine", [false]);
    await rpc("evm_setIntervalMining", [400]);
    try {
      const spec: SpecInput = {
        version: 1, engine: { type: "wasm", module: moduleCid, args: [] },
        inputs: [{ piece: piece.v2, mount: "/inputs/text.txt", locality: false }], resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
      };
      const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 3, quorum: 3, price: parseEther("0.1"), market: chain.market, commitWindow: 120, revealWindow: 120 });
      await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    } finally {
      await rpc("evm_setIntervalMining", [0]);
      await rpc("evm_setAutomine", [true]);
    }
    const to = await chain.publicClient.getBlockNumber();
    const providers = new Set(agents.map((a) => a.account.address.toLowerCase()));
    const revealSelector = toFunctionSelector(getAbiItem({ abi: jobMarketAbi, name: "reveal" }));
    let sent = 0;
    const reverted: string[] = [];
    const revealBlocks: bigint[] = [];
    for (let n = from + 1n; n <= to; n++) {
      const block = await chain.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        if (!providers.has(tx.from.toLowerCase())) continue;
        sent++;
        if (tx.input.startsWith(revealSelector)) revealBlocks.push(n);
        const receipt = await chain.publicClient.getTransactionReceipt({ hash: tx.hash });
        if (receipt.status !== "success") reverted.push(`${tx.input.slice(0, 10)} in block ${n} (gas limit ${tx.gas}, used ${receipt.gasUsed})`);
      }
    }
    console.log(`      figure: ${sent} agent transactions, ${revealBlocks.length} reveals in ${new Set(revealBlocks).size} block(s), ${reverted.length} reverted`);
    assert.equal(revealBlocks.length, 3);
    assert.ok(new Set(revealBlocks).size < 3, "at least two reveals shared a block (the race under test)");
    assert.deepEqual(reverted, []);
  });

  it("refuses or fails hostile jobs with a specific reason, counts them, and keeps serving the next good job", async function () {
    const [agent] = agents;
    const client = chain.wallet(1);
    const base = { replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, commitWindow: 120, revealWindow: 120 } as const;
    const good: SpecInput = {
      version: 1, engine: { type: "wasm", module: moduleCid, args: [] },
      inputs: [{ piece: piece.v2, mount: "/inputs/text.txt", locality: false }], resources: { cpu: 1, memoryMb: 64, timeoutSec: 10 },
    };
    const other = pieceCid(new TextEncoder().encode("bytes no provider stores, long enough for a piece CID of their own ".repeat(2)));
    const hostile: [string, Parameters<typeof submitJob>[1]["spec"], RegExp, { distinctMiners?: boolean }?][] = [
      ["malformed spec", new TextEncoder().encode('{"version":1, "engine": '), /bad spec/],
      ["unknown engine", new TextEncoder().encode('{"engine":{"type":"jvm"},"version":1}'), /bad spec/],
      ["missing input", { ...good, inputs: [{ piece: other.v2, mount: "/inputs/text.txt", locality: false }] }, /input_missing/],
      ["module nobody has", { ...good, engine: { type: "wasm", module: "bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", args: [] } }, /module_unavailable/],
      ["oversized resources", { ...good, resources: { cpu: 64, memoryMb: 64, timeoutSec: 10 } }, /resources/],
      // These agents have no miner bound.
      ["distinct miners asked", good, /miner: the job asks for distinct miners and this provider has no miner bound/, { distinctMiners: true }],
    ];
    const ids: bigint[] = [];
    for (const [, spec, , extra] of hostile) {
      ids.push((await submitJob(client, { ...base, ...extra, spec: spec as never }).catch(async (error) => {
        // A spec the SDK itself refuses is posted raw, as a hostile client would.
        if (!(error instanceof Error)) throw error;
        return submitJob(client, { ...base, ...extra, spec: new TextEncoder().encode(JSON.stringify(spec)) });
      })).jobId);
    }
    const { jobId: after } = await submitJob(client, { ...base, spec: good });
    await waitForResult(chain.publicClient, { jobId: after, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    // Each hostile job ends refused or failed, with its reason, at the agents that looked at it
    // (with one replica, one agent may claim it while the others wait for the slot); none settles.
    for (const [n, [what, , reason]] of hostile.entries()) {
      let reasons: string[] = [];
      for (let t = 0; t < 150; t++) {
        const rows = agents.map((a) => a.store.job(ids[n]!));
        reasons = rows.filter((r) => r && ["refused", "failed"].includes(r.state)).map((r) => r!.reason ?? "");
        assert.ok(rows.every((r) => r?.state !== "settled"), `${what} must not settle`);
        if (reasons.some((r) => reason.test(r))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(reasons.some((r) => reason.test(r)), `${what}: ${reasons.join("; ") || "no refusal yet"}`);
    }
    const metrics = await agent!.metrics.registry.getSingleMetricAsString("shoal_jobs_refused_total");
    assert.match(metrics, /reason="bad_spec"/);
    assert.match(metrics, /reason="input_missing"/);
    assert.match(metrics, /reason="module_unavailable"/);
    assert.match(metrics, /reason="miner"/);
  });
});
