// The agent's one-transaction path: short deterministic jobs whose inputs are held here run before
// a slot is held, then claimAndCommit claims a slot with the result's commitment. Real agents on a
// local chain; the crash and the lost race are staged through the agent's own state database.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { getAbiItem, parseEther, toFunctionSelector } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import { openStore } from "../../agent/src/store/store.js";
import { jobMarketAbi, pieceCid, providerRegistryAbi, registerProvider, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { startTestAgent } from "../helpers/agent.js";
import { startLocalChain } from "../helpers/localChain.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);
const TEXT = "one transaction claims and commits\n".repeat(20);
const NEXT_FREE_SLOT = 2n ** 256n - 1n;
type Name = "claim" | "claimAndCommit" | "commit" | "reveal";
const selector = (name: Name) => toFunctionSelector(getAbiItem({ abi: jobMarketAbi, name }) as never);

describe("agent one-transaction path (claimAndCommit)", function () {
  this.timeout(180_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let agents: Agent[] = [];
  let dir: string;
  let spec: SpecInput;
  const terms = { price: parseEther("0.1"), commitWindow: 120, revealWindow: 120 } as const;

  const until = async (what: string, test: () => boolean | Promise<boolean>) => {
    for (let t = 0; t < 600; t++) {
      if (await test()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting until ${what}`);
  };
  let run = 0; // each test has its own chain (job IDs start again at 1) and its own state directories
  const stateDir = (i: number) => join(dir, `test${run}`, `agent${i}`);

  async function register(i: number, gatewayUrl = "http://127.0.0.1:1/") {
    await registerProvider(chain.wallet(i), { registry: chain.registry, stake: parseEther("10"), gatewayUrl, capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 } });
  }
  /** Agent `i`, not registered: each test registers its providers first (`register`). */
  async function launch(i: number): Promise<Agent> {
    const agent = await startTestAgent({ chain, key: i, dir, register: false, flags: { stateDir: stateDir(i), "results.dir": join(stateDir(i), "results") } });
    agents.push(agent);
    return agent;
  }
  /** The functions provider `i` called for `jobId`, in order. */
  async function sentBy(i: number, jobId: bigint): Promise<string[]> {
    const from = chain.wallet(i).account.address.toLowerCase();
    const names = Object.fromEntries((["claim", "claimAndCommit", "commit", "reveal"] as const).map((n) => [selector(n), n]));
    const sent: string[] = [];
    for (let n = 0n, head = await chain.publicClient.getBlockNumber(); n <= head; n++) {
      for (const tx of (await chain.publicClient.getBlock({ blockNumber: n, includeTransactions: true })).transactions) {
        if (tx.from.toLowerCase() !== from || tx.to?.toLowerCase() !== chain.market.toLowerCase()) continue;
        const fn = names[tx.input.slice(0, 10)];
        if (fn && BigInt(`0x${tx.input.slice(10, 74)}`) === jobId) sent.push(fn);
      }
    }
    return sent;
  }
  const lockedOf = async (i: number) =>
    (await chain.publicClient.readContract({ address: chain.registry, abi: providerRegistryAbi, functionName: "provider", args: [chain.wallet(i).account.address] })).locked;
  /** The JobPosted request as the agent stores it (bigints as strings). */
  async function postedRequest(jobId: bigint): Promise<{ request: string; block: bigint }> {
    const [log] = await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "JobPosted", args: { jobId }, fromBlock: 0n });
    return { request: JSON.stringify(log!.args.request, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), block: log!.blockNumber };
  }
  /** Writes the state a crash between the run and the send leaves: executed, result known, no slot, nothing sent. */
  async function stageExecuted(i: number, jobId: bigint, resultCid: string) {
    await mkdir(stateDir(i), { recursive: true });
    const store = openStore(join(stateDir(i), "agent.db"));
    const { request, block } = await postedRequest(jobId);
    assert.ok(store.addJob(jobId, block, request));
    for (const [from, to] of [["seen", "evaluated"], ["evaluated", "claimed"], ["claimed", "inputs_ready"]] as const) assert.ok(store.transition(jobId, from, to));
    assert.ok(store.transition(jobId, "inputs_ready", "executed", { resultCid }));
    store.close();
  }

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "shoal-onetx-"));
    const bytes = await readFile(WORDFREQ);
    const moduleCid = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    const payload = new TextEncoder().encode(TEXT);
    const piece = pieceCid(payload);
    await mkdir(join(dir, "pieces"));
    await writeFile(join(dir, "pieces", piece.v2), payload);
    spec = {
      version: 1, engine: { type: "wasm", module: moduleCid, args: [] }, inputs: [{ piece: piece.v2, mount: "/inputs/text.txt", locality: false }],
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 }, deterministic: true,
    };
  });
  beforeEach(async function () {
    chain = await startLocalChain();
    agents = [];
    run++;
  });
  afterEach(async function () {
    for (const a of agents) await a.stop().catch(() => {});
    await chain?.close();
  });

  it("settles n = 3, k = 2 with one claimAndCommit per agent and no claim or commit; nothing stays locked", async function () {
    for (const i of [2, 3, 4]) await register(i, (await launch(i)).gateway.url);
    const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 3, quorum: 2, market: chain.market, ...terms });
    await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    await until("every agent ends the job", () => agents.every((a) => ["settled", "lost"].includes(a.store.job(jobId)?.state ?? "")));
    const states = agents.map((a) => a.store.job(jobId)!.state);
    assert.equal(states.filter((s) => s === "settled").length, 2, `states: ${states}`);
    for (const i of [2, 3, 4]) {
      const sent = await sentBy(i, jobId);
      assert.ok(!sent.includes("claim") && !sent.includes("commit"), `agent ${i} sent ${sent}`);
      assert.ok(sent.filter((n) => n === "claimAndCommit").length <= 1, `agent ${i} sent ${sent}`);
      assert.equal(await lockedOf(i), 0n);
    }
    const [posted] = await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "JobPosted", args: { jobId }, fromBlock: 0n });
    const [finalized] = await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "JobFinalized", args: { jobId }, fromBlock: 0n });
    console.log(`      figure: blocks from JobPosted to JobFinalized with one transaction per block (automine): ${finalized!.blockNumber - posted!.blockNumber}`);
  });

  it("resumes a crash between the run and the send: one claimAndCommit after restart, and the job settles", async function () {
    // Agent 2 runs the job normally; agent 3 crashed after running it (state executed, nothing sent).
    await register(2, (await launch(2)).gateway.url);
    await register(3);
    const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 2, quorum: 2, market: chain.market, ...terms });
    const first = agents[0]!;
    await until("agent 2 commits", () => first.store.job(jobId)?.state === "committed");
    await stageExecuted(3, jobId, first.store.job(jobId)!.resultCid!);
    const resumed = await launch(3);
    await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    await until("the resumed agent settles", () => resumed.store.job(jobId)?.state === "settled");
    assert.deepEqual(await sentBy(3, jobId), ["claimAndCommit", "reveal"]);
    assert.ok(resumed.store.job(jobId)!.txs.claimAndCommit);
  });

  it("finds every slot taken and committed after its run: sends nothing, the job is lost, nothing is locked", async function () {
    for (const i of [2, 3, 4]) await register(i);
    const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 2, quorum: 2, market: chain.market, ...terms });
    await stageExecuted(2, jobId, "0x01551220" + "ab".repeat(32));
    for (const [slot, i] of [3, 4].entries()) {
      const claimed = await chain.wallet(i).writeContract({ address: chain.market, abi: jobMarketAbi, functionName: "claim", args: [jobId, NEXT_FREE_SLOT, [], [], []] });
      await chain.publicClient.waitForTransactionReceipt({ hash: claimed });
      // Different commitments: both slots are committed (none can reopen) and no quorum forms.
      const committed = await chain.wallet(i).writeContract({
        address: chain.market, abi: jobMarketAbi, functionName: "commit",
        args: [jobId, BigInt(slot), `0x${String(i).repeat(64)}`, `0x${String(i + 5).repeat(64)}`],
      });
      await chain.publicClient.waitForTransactionReceipt({ hash: committed });
    }
    const agent = await launch(2);
    await until("the job is lost", () => agent.store.job(jobId)?.state === "lost");
    assert.match(agent.store.job(jobId)!.reason ?? "", /every slot taken and committed/);
    assert.deepEqual(await sentBy(2, jobId), []);
    assert.equal(await lockedOf(2), 0n);
  });
});
