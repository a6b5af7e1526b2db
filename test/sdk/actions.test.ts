import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, zeroAddress } from "viem";
import { cancelJob, claimSlot, getResultFiles, commitResult, expireJob, finalizeJob, getJob, getOwedJobs, InsufficientEscrowError, JobCancelledError, JobExpiredError, JobNotFoundError, MarketCallError, NoQuorumError, resultCidBytes, revealResult, submitJob, waitForResult, withdraw, type JobEvent, type SpecInput } from "../../sdk/src/index.js";
import { computeResultCid, fetchResult, packResult } from "../../sdk/src/node.js";
import { setup } from "../helpers/shoal.js";

const SPEC: SpecInput = {
  version: 1,
  engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", args: ["/inputs"] },
  outputs: { path: "/outputs" },
  resources: { cpu: 1, memoryMb: 128, timeoutSec: 30 },
  network: "none",
  deterministic: true,
};

async function resultDir(text: string) {
  const dir = await mkdtemp(join(tmpdir(), "shoal-result-"));
  await mkdir(join(dir, "sub"));
  await writeFile(join(dir, "counts.json"), text);
  await writeFile(join(dir, "sub", "note.txt"), "deterministic");
  return dir;
}

/** A gateway serving `car` for `cid` at /ipfs/<cid>?format=car (or junk, to test the fallback). */
async function gateway(cid: string, body: Uint8Array): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === `/ipfs/${cid}?format=car`) {
      res.writeHead(200, { "content-type": "application/vnd.ipld.car" });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describe("SDK actions on the local chain", function () {
  it("submits, watches progress, waits for the result and downloads it verified from a provider's gateway", async function () {
    const s = await setup({ providerCount: 3 });
    const market = s.market.address;
    const { jobId, escrow } = await submitJob(s.client, { spec: SPEC, replicas: 3, quorum: 2, price: parseEther("0.1"), market });
    assert.equal(escrow, s.escrowOf({ replicas: 3, price: parseEther("0.1") }));
    assert.equal((await getJob(s.publicClient, { jobId, market })).status, "Open");

    const dir = await resultDir('{"the":2}');
    const { cid, carBytes: car } = await packResult(dir);
    assert.equal(cid.toString(), (await computeResultCid(dir)).toString());
    const binary = resultCidBytes(cid);

    const events: JobEvent["type"][] = [];
    const txs: `0x${string}`[] = [];
    const waiting = waitForResult(s.publicClient, { jobId, market, pollingInterval: 50, timeout: 60_000, onProgress: (e) => (events.push(e.type), txs.push(e.transactionHash)) });
    for (const [i, p] of s.providers.slice(0, 3).entries()) await claimSlot(p, { jobId, slot: i, market });
    for (const i of [0, 1]) await commitResult(s.providers[i], { jobId, slot: i, resultCid: binary, provider: s.providers[i].account.address, market });
    for (const i of [0, 1]) await revealResult(s.providers[i], { jobId, slot: i, resultCid: binary, market });
    const { resultCid } = await waiting;
    assert.equal(resultCid, cid.toString());
    for (const step of ["claimed", "committed", "quorum", "revealed", "finalized"] as const) assert.ok(events.includes(step), step);
    // Each event names the transaction it came from (the dapp reads each step's gas from its receipt).
    for (const hash of txs) assert.equal((await s.publicClient.getTransactionReceipt({ hash })).status, "success");
    assert.equal(new Set(txs).size, 1 + 3 + 2 + 2); // submit, three claims, two commits, two reveals (quorum and settlement come with a commit and a reveal)

    // Provider 0 serves junk; provider 1 serves the real CAR: fetchResult skips the first.
    const junk = await gateway(cid.toString(), new TextEncoder().encode("not a car"));
    const good = await gateway(cid.toString(), car);
    try {
      const caps = { engines: 1, cpus: 1, memoryMb: 1024, gpus: 0 };
      await s.registry.write.update([junk.url, caps], { account: s.providers[0].account });
      await s.registry.write.update([good.url, caps], { account: s.providers[1].account });
      const out = join(await mkdtemp(join(tmpdir(), "shoal-out-")), "result");
      const fetched = await fetchResult(s.publicClient, { jobId, outDir: out, market });
      assert.equal(fetched.gateway, good.url);
      assert.equal(await readFile(join(out, "counts.json"), "utf8"), '{"the":2}');
      assert.equal(await readFile(join(out, "sub", "note.txt"), "utf8"), "deterministic");

      // The same in memory, as a browser does it: the junk gateway is skipped, every block verified.
      const inMemory = await getResultFiles(s.publicClient, { jobId, market });
      assert.equal(inMemory.gateway, good.url);
      assert.equal(inMemory.provider?.toLowerCase(), s.providers[1].account.address.toLowerCase());
      assert.equal(inMemory.carSize, car.length);
      assert.deepEqual(
        inMemory.files.map((f) => [f.path, new TextDecoder().decode(f.bytes)]),
        [["counts.json", '{"the":2}'], ["sub/note.txt", "deterministic"]],
      );
    } finally {
      junk.server.close();
      good.server.close();
    }

    // Winners and the client withdraw without listing jobs: they are found from events.
    const owed = await getOwedJobs(s.publicClient, { account: s.providers[0].account.address, market });
    assert.deepEqual(owed, [{ jobId, amount: parseEther("0.1") }]);
    const paid = await withdraw(s.providers[0], { market });
    assert.equal(paid.amount, parseEther("0.1"));
    assert.equal((await withdraw(s.providers[0], { market })).amount, 0n);
    assert.ok((await withdraw(s.client, { market })).amount > 0n);
  });

  it("rejects waitForResult with typed errors for cancelled, expired and unrevealed jobs", async function () {
    const s = await setup({ providerCount: 2 });
    const market = s.market.address;
    const base = { spec: SPEC, replicas: 2, quorum: 2, price: parseEther("0.1"), market } as const;

    const cancelled = await submitJob(s.client, base);
    await cancelJob(s.client, { jobId: cancelled.jobId, market });
    await assert.rejects(waitForResult(s.publicClient, { jobId: cancelled.jobId, market, pollingInterval: 20 }), JobCancelledError);

    const expiring = await submitJob(s.client, { ...base, ttl: 700 });
    await s.networkHelpers.time.increase(800);
    await assert.rejects(waitForResult(s.publicClient, { jobId: expiring.jobId, market, pollingInterval: 20 }), JobExpiredError);
    await expireJob(s.outsider, { jobId: expiring.jobId, market });

    const silent = await submitJob(s.client, base);
    const dir = await resultDir("x");
    const binary = resultCidBytes(await computeResultCid(dir));
    for (const i of [0, 1]) await claimSlot(s.providers[i], { jobId: silent.jobId, slot: i, market });
    for (const i of [0, 1]) await commitResult(s.providers[i], { jobId: silent.jobId, slot: i, resultCid: binary, provider: s.providers[i].account.address, market });
    await s.networkHelpers.time.increase(700);
    await finalizeJob(s.outsider, { jobId: silent.jobId, market });
    await assert.rejects(waitForResult(s.publicClient, { jobId: silent.jobId, market, pollingInterval: 20 }), NoQuorumError);

    // Every refund comes back in one withdrawal.
    const refund = await withdraw(s.client, { market });
    assert.equal(refund.jobIds.length, 3);
  });

  it("says what to fix: unknown job, too little money, bad replication", async function () {
    const s = await setup({ providerCount: 1 });
    const market = s.market.address;
    await assert.rejects(getJob(s.publicClient, { jobId: 99n, market }), JobNotFoundError);
    await assert.rejects(
      submitJob(s.client, { spec: SPEC, replicas: 1, quorum: 1, price: parseEther("1000000"), market }),
      (e: unknown) => e instanceof InsufficientEscrowError && /send at least 1010000 FIL/.test(e.shortMessage),
    );
    await assert.rejects(
      submitJob(s.client, { spec: SPEC, replicas: 2, quorum: 3, price: 1n, market }),
      (e: unknown) => e instanceof MarketCallError && e.reason === "InvalidReplication" && /quorum must be between 1 and replicas/.test(e.message),
    );
    assert.equal(zeroAddress, (await getJob(s.publicClient, { jobId: (await submitJob(s.client, { spec: SPEC, replicas: 1, quorum: 1, price: 1n, market })).jobId, market })).token);
  });
});
