import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import { getJob, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { startTestAgent } from "../helpers/agent.js";
import { startFaultProxy } from "../helpers/faultProxy.js";
import { startLocalChain } from "../helpers/localChain.js";

// Faults of the provider's own machine. A full results disk: the job fails with a reason that says
// so, nothing is committed for it, and the agent goes on serving the next job once there is room.

const ROOT = new URL("../../", import.meta.url);

type WordfreqSpec = SpecInput & { engine: { module: string }; inputs: { piece: string }[] };

const wordfreqSpec = async (): Promise<WordfreqSpec> => JSON.parse(await readFile(new URL("examples/specs/wordfreq.json", ROOT), "utf8")) as WordfreqSpec;

/** An agent with the example piece and module in `dir`, talking to `rpcUrl`, registered with Hardhat account `key`. */
async function provisionAgent(o: { chain: Awaited<ReturnType<typeof startLocalChain>>; dir: string; key: number; rpcUrl?: string; resultsDir?: string }): Promise<Agent> {
  const spec = await wordfreqSpec();
  await mkdir(join(o.dir, "pieces"), { recursive: true });
  await mkdir(join(o.dir, "modules"), { recursive: true });
  await copyFile(new URL("examples/data/harbor-log.txt", ROOT), join(o.dir, "pieces", spec.inputs[0]!.piece));
  await copyFile(new URL("examples/wasm/wordfreq.wasm", ROOT), join(o.dir, "modules", `${spec.engine.module}.wasm`));
  return startTestAgent({ chain: o.chain, key: o.key, dir: o.dir, rpcUrl: o.rpcUrl, flags: o.resultsDir === undefined ? {} : { "results.dir": o.resultsDir } });
}

describe("agent faults: a full results filesystem", function () {
  this.timeout(120_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let dir: string;
  let results: string;
  let agent: Agent | undefined;
  let mounted = false;

  before(async function () {
    if (process.getuid?.() !== 0) {
      if (process.env.CI) assert.fail("CI runs as root: this test mounts a tmpfs");
      this.skip(); // mounting a small tmpfs needs root
    }
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-faults-"));
    results = join(dir, "results");
    await mkdir(results);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", results]);
    mounted = true;
  });

  after(async function () {
    await agent?.stop().catch(() => {});
    if (mounted) execFileSync("umount", [results]);
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fails the job with NO_SPACE and commits nothing; after space is freed the next job settles", async function () {
    const spec = await wordfreqSpec();
    agent = await provisionAgent({ chain, dir, key: 2, resultsDir: results });

    // Fill the results filesystem but for 1 KiB: the ~2 KiB result CAR cannot be written.
    const { bavail, bsize } = await statfs(results);
    await writeFile(join(results, "filler"), Buffer.alloc(Number(bavail) * Number(bsize) - 1024));
    const client = chain.wallet(1);
    const first = await submitJob(client, { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
    let row = agent.store.job(first.jobId);
    for (let t = 0; t < 200 && row?.state !== "failed"; t++) {
      await new Promise((r) => setTimeout(r, 100));
      row = agent.store.job(first.jobId);
    }
    assert.equal(row?.state, "failed", `job state ${row?.state}`);
    assert.match(row.reason ?? "", /^NO_SPACE: no space left .* free disk space/);
    const onChain = await getJob(chain.publicClient, { jobId: first.jobId, market: chain.market });
    assert.equal(onChain.status, "Open", "nothing was revealed for it");
    const metrics = await (await fetch(`${agent.gateway.url}/metrics`)).text();
    assert.match(metrics, /^shoal_jobs_failed_total\{code="NO_SPACE"\} 1$/m);

    // The agent kept running: with room again, the next job settles.
    await rm(join(results, "filler"));
    const second = await submitJob(client, { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market });
    const { job } = await waitForResult(chain.publicClient, { jobId: second.jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    assert.equal(job.status, "Settled");
  });
});

describe("agent faults: an RPC that fails in every way a node or a proxy can", function () {
  this.timeout(180_000);

  it("settles jobs through HTTP 500s, 429s with Retry-After, truncated answers (also after a transaction was sent) and stalls, with no duplicate transaction", async function () {
    const chain = await startLocalChain();
    const dir = await mkdtemp(join(tmpdir(), "shoal-rpc-faults-"));
    const proxy = await startFaultProxy(chain.rpcUrl);
    let agent: Agent | undefined;
    try {
      const spec = await wordfreqSpec();
      agent = await provisionAgent({ chain, dir, key: 3, rpcUrl: proxy.url });
      // From now on, one request in three fails, cycling through the faults; sent transactions too.
      const faults = ["http500", "http429", "truncated", "truncatedAfterForwarding", "stall"] as const;
      let n = 0;
      proxy.plan = (_method, index) => (index % 3 === 0 ? faults[n++ % faults.length] : undefined);
      const from = await chain.publicClient.getBlockNumber();
      const jobs: bigint[] = [];
      for (let i = 0; i < 3; i++) jobs.push((await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market })).jobId);
      for (const jobId of jobs) {
        const { job } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 200 });
        assert.equal(job.status, "Settled");
      }
      proxy.plan = () => undefined;
      // Every transaction the agent got mined: one claim and one reveal per job, none twice, none reverted.
      const to = await chain.publicClient.getBlockNumber();
      const me = agent.account.address.toLowerCase();
      let mined = 0;
      let reverted = 0;
      for (let b = from + 1n; b <= to; b++) {
        const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
        for (const tx of block.transactions) {
          if (tx.from.toLowerCase() !== me) continue;
          mined++;
          if ((await chain.publicClient.getTransactionReceipt({ hash: tx.hash })).status !== "success") reverted++;
        }
      }
      console.log(`      figure: ${proxy.requests} RPC requests, faults injected ${JSON.stringify(proxy.injected)}; agent transactions mined ${mined}, reverted ${reverted}`);
      assert.equal(mined, 2 * jobs.length, "one claim and one reveal per job");
      assert.equal(reverted, 0);
    } finally {
      await agent?.stop().catch(() => {});
      await proxy.close();
      await chain.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
