// The state database deleted, or corrupted, while the agent is stopped: on restart it rebuilds its
// jobs from the chain (the slots it holds, its commits, the pay it is owed), finishes them, and
// sends no transaction twice.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { getAbiItem, parseEther, toFunctionSelector, type Hex } from "viem";
import { startAgent, type Agent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import { jobMarketAbi, pieceCid, registerProvider, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { freePort } from "../helpers/net.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);

describe("agent state database lost or corrupt while stopped", function () {
  this.timeout(180_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let dir: string;
  let spec: SpecInput;
  const running: Agent[] = [];
  const terms = { price: parseEther("0.01"), commitWindow: 120, revealWindow: 120 } as const;
  const until = async (what: string, test: () => boolean | Promise<boolean>) => {
    for (let t = 0; t < 300; t++) {
      if (await test()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting until ${what}`);
  };

  /** `twoStep`: never run before claiming (policy.oneTxMaxTimeoutSec 0), so the job is claimed, then committed. */
  async function start(key: number, twoStep = false, port = 0): Promise<Agent> {
    process.env[`SHOAL_TEST_REBUILD_KEY_${key}`] = KEYS[key];
    const config = loadConfig({
      env: {},
      flags: {
        "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": 100,
        "keys.privateKeyEnv": `SHOAL_TEST_REBUILD_KEY_${key}`, "engines.wasm.moduleDir": join(dir, "modules"), "data.pieceDir": join(dir, "pieces"),
        stateDir: join(dir, `state${key}`), "results.dir": join(dir, `results${key}`), "gateway.port": port, logLevel: "silent", "policy.safetyMarginSec": 5,
        ...(twoStep ? { "policy.oneTxMaxTimeoutSec": 0 } : {}),
      },
    });
    const agent = await startAgent(config, { logger: createLogger("silent") });
    running.push(agent);
    return agent;
  }
  async function stop(agent: Agent) {
    await agent.stop();
    running.splice(running.indexOf(agent), 1);
  }
  /** The selectors of every transaction `from` sent, in order. */
  async function sentBy(from: string): Promise<string[]> {
    const head = await chain.publicClient.getBlockNumber();
    const sent: string[] = [];
    for (let n = 0n; n <= head; n++) {
      for (const tx of (await chain.publicClient.getBlock({ blockNumber: n, includeTransactions: true })).transactions) {
        if (tx.from.toLowerCase() === from.toLowerCase()) sent.push(`${tx.input.slice(0, 10)}:${BigInt(`0x${tx.input.slice(10, 74) || "0"}`)}`);
      }
    }
    return sent;
  }
  const selector = (name: "claim" | "claimAndCommit" | "commit" | "reveal") => toFunctionSelector(getAbiItem({ abi: jobMarketAbi, name }) as never);

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-rebuild-"));
    const moduleCid = CID.create(1, raw.code, await sha256.digest(await readFile(WORDFREQ))).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    await mkdir(join(dir, "pieces"));
    const payload = "rebuild me from the chain ".repeat(10);
    const piece = pieceCid(new TextEncoder().encode(payload));
    await writeFile(join(dir, "pieces", piece.v2), payload);
    spec = { version: 1, engine: { type: "wasm", module: moduleCid, args: [] }, inputs: [{ piece: piece.v2, mount: "/inputs/t.txt" }], resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 } };
  });

  after(async function () {
    for (const a of running) await a.stop().catch(() => {});
    await chain?.close();
  });

  // The deleted case commits by the one-transaction path (claimAndCommit), the corrupted one by the two-step path.
  for (const damage of ["deleted", "corrupted"] as const) {
    it(`${damage}: finishes the committed job, withdraws the settled one's pay, sends nothing twice (${damage === "deleted" ? "claimAndCommit" : "claim, commit"})`, async function () {
      const key = damage === "deleted" ? 2 : 3;
      const helper = damage === "deleted" ? 4 : 5;
      const twoStep = damage === "corrupted";
      const agent = await start(key, twoStep);
      await registerProvider(chain.wallet(key), {
        registry: chain.registry, stake: parseEther("10"), gatewayUrl: agent.gateway.url, capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 },
      });
      // One job settles (pay owed, not withdrawn); another waits for a quorum after our commit.
      const client = chain.wallet(1);
      const { jobId: settled } = await submitJob(client, { spec, replicas: 1, quorum: 1, market: chain.market, ...terms });
      await waitForResult(chain.publicClient, { jobId: settled, market: chain.market, timeout: 60_000, pollingInterval: 100 });
      const { jobId: pending } = await submitJob(client, { spec, replicas: 2, quorum: 2, market: chain.market, ...terms });
      await until("our commit", () => agent.store.job(pending)?.state === "committed");
      await stop(agent);

      const db = join(dir, `state${key}`, "agent.db");
      if (damage === "deleted") {
        for (const suffix of ["", "-wal", "-shm"]) await rm(db + suffix, { force: true });
      } else {
        await rm(`${db}-wal`, { force: true });
        await rm(`${db}-shm`, { force: true });
        await writeFile(db, Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(8192, 0x5a)]));
      }

      const again = await start(key, twoStep);
      if (damage === "corrupted") {
        const aside = (await readdir(join(dir, `state${key}`))).filter((name) => name.startsWith("agent.db.corrupt-"));
        assert.equal(aside.length, 1, "the corrupt database is kept, moved aside");
      }
      await until("the settled job is rebuilt as settled", () => again.store.job(settled)?.state === "settled");
      assert.match(again.store.job(settled)!.reason ?? "", /rebuilt from the chain/);
      assert.equal(await again.pipeline.withdrawEarnings(), terms.price, "the pay owed is found and withdrawn");

      // A second provider takes the other slot: the quorum forms and the rebuilt agent reveals the recomputed result.
      // Registered before it starts: an agent refuses, for want of stake, the jobs it sees before its registration lands.
      const port = await freePort();
      await registerProvider(chain.wallet(helper), {
        registry: chain.registry, stake: parseEther("10"), gatewayUrl: `http://127.0.0.1:${port}`, capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 },
      });
      const other = await start(helper, false, port);
      await waitForResult(chain.publicClient, { jobId: pending, market: chain.market, timeout: 60_000, pollingInterval: 100 });
      await until("the rebuilt agent settles the pending job", () => again.store.job(pending)?.state === "settled");

      const sent = await sentBy(again.account.address);
      const count = (name: "claim" | "claimAndCommit" | "commit" | "reveal", jobId: bigint) => sent.filter((s) => s === `${selector(name)}:${jobId}`).length;
      console.log(`      figure (${damage}): claims ${count("claim", pending)}, commits ${count("commit", pending)}, claimAndCommits ${count("claimAndCommit", pending)}, reveals ${count("reveal", pending)} for the rebuilt job; ${sent.length} transactions in all`);
      // A single replica is claimed then revealed directly, on either path.
      assert.equal(count("claim", settled), 1);
      assert.equal(count("reveal", settled), 1);
      assert.equal(count("claim", pending), twoStep ? 1 : 0);
      assert.equal(count("commit", pending), twoStep ? 1 : 0);
      assert.equal(count("claimAndCommit", pending), twoStep ? 0 : 1);
      assert.equal(count("reveal", pending), 1);
      await stop(again);
      await stop(other);
    });
  }
});
