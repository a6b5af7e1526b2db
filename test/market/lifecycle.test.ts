import assert from "node:assert/strict";
import { zeroAddress } from "viem";
import { setup, resultCid, Status, FIL } from "../helpers/shoal.js";

describe("JobMarket lifecycle", function () {
  const cases: Array<[number, number]> = [
    [1, 1], [2, 1], [2, 2], [3, 2], [3, 3], [4, 3], [5, 3], [6, 4], [7, 4], [7, 7],
  ];

  for (const [n, k] of cases) {
    it(`settles a job with ${n} replicas and quorum ${k}, paying the ${k} revealers and refunding the rest`, async function () {
      const s = await setup({ providerCount: n });
      const r = await s.request({ replicas: n, quorum: k });
      const jobId = await s.submit(r);
      const marketBalance0 = await s.publicClient.getBalance({ address: s.market.address });
      assert.equal(marketBalance0, s.escrowOf(r));

      for (let i = 0; i < n; i++) await s.claim(jobId, i, s.providers[i]);
      for (const p of s.providers) assert.equal((await s.registry.read.provider([p.account.address])).locked, r.collateral);

      const cid = resultCid("word counts");
      for (let i = 0; i < k; i++) await s.commit(jobId, i, s.providers[i], cid);
      assert.equal((await s.job(jobId)).status, Status.Revealing);
      // Providers that had not committed when quorum came can no longer commit.
      if (n > k) {
        await assert.rejects(s.commit(jobId, k, s.providers[k], cid), /JobNotInStatus/);
      }
      for (let i = 0; i < k; i++) await s.reveal(jobId, i, s.providers[i], cid);

      const job = await s.job(jobId);
      assert.equal(job.status, Status.Settled);
      assert.equal(job.resultCid, cid);
      const paid = BigInt(k) * r.price;
      const fee = (paid * BigInt(s.feeBps)) / 10_000n;
      for (let i = 0; i < n; i++) {
        const p = s.providers[i].account.address;
        assert.equal(await s.market.read.owed([jobId, p]), i < k ? r.price : 0n);
        const rec = await s.registry.read.provider([p]);
        assert.equal(rec.locked, 0n, "collateral released");
        assert.equal(rec.stake, FIL("10"), "nobody slashed");
      }
      assert.equal(await s.market.read.feesAccrued([zeroAddress]), fee);
      assert.equal(await s.market.read.owed([jobId, s.client.account.address]), s.escrowOf(r) - paid - fee);

      // Everybody pulls; nothing stays behind in the market.
      for (const w of [s.client, ...s.providers.slice(0, k)]) {
        if ((await s.market.read.owed([jobId, w.account.address])) === 0n) continue;
        await s.market.write.withdraw([zeroAddress, [jobId]], { account: w.account });
        assert.equal(await s.market.read.owed([jobId, w.account.address]), 0n);
      }
      await s.market.write.withdrawFees([zeroAddress]);
      assert.equal(await s.publicClient.getBalance({ address: s.market.address }), 0n);
    });
  }

  it("records the result and emits each transition with what an agent needs", async function () {
    const s = await setup({ providerCount: 1 });
    const r = await s.request({ replicas: 1, quorum: 1 });
    const jobId = await s.submit(r);
    const posted = await s.market.getEvents.JobPosted({ jobId }, { fromBlock: 0n });
    assert.equal(posted.length, 1);
    assert.equal(posted[0].args.request!.spec, r.spec);
    assert.equal(posted[0].args.request!.replicas, 1);
    assert.equal(posted[0].args.client!.toLowerCase(), s.client.account.address.toLowerCase());

    const cid = resultCid("x");
    await s.claim(jobId, 0, s.providers[0]);
    await s.commit(jobId, 0, s.providers[0], cid);
    assert.equal((await s.job(jobId)).status, Status.Revealing);
    await s.reveal(jobId, 0, s.providers[0], cid);
    const finalized = await s.market.getEvents.JobFinalized({ jobId }, { fromBlock: 0n });
    assert.equal(finalized.length, 1);
    assert.equal(finalized[0].args.resultCid, cid);
    assert.equal(finalized[0].args.winnersMask, 1);
    assert.equal(finalized[0].args.status, Status.Settled);
  });

  it("lets the only holder of a single-replica job reveal without a commit, since nobody can copy it", async function () {
    const s = await setup({ providerCount: 2 });
    const r = await s.request({ replicas: 1, quorum: 1 });
    const jobId = await s.submit(r);
    const cid = resultCid("direct");
    await s.claim(jobId, 0, s.providers[0]);
    await assert.rejects(s.reveal(jobId, 0, s.providers[1], cid), /NotSlotHolder/);
    await s.reveal(jobId, 0, s.providers[0], cid);
    const job = await s.job(jobId);
    assert.equal(job.status, Status.Settled);
    assert.equal(job.resultCid, cid);
    assert.equal(await s.market.read.owed([jobId, s.providers[0].account.address]), r.price);
  });
});

describe("JobMarket claims in one block", function () {
  it("gives each of several same-block claims for the next free slot its own slot", async function () {
    const s = await setup({ providerCount: 3 });
    const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
    const NEXT = await s.market.read.NEXT_FREE_SLOT();
    const testClient = await s.viem.getTestClient();
    await testClient.setAutomine(false);
    const hashes = [];
    for (const p of s.providers) {
      hashes.push(await s.market.write.claim([jobId, NEXT, [], [], []], { account: p.account, gas: 300_000n }));
    }
    await testClient.mine({ blocks: 1 });
    await testClient.setAutomine(true);
    const receipts = await Promise.all(hashes.map((hash) => s.publicClient.waitForTransactionReceipt({ hash })));
    assert.equal(new Set(receipts.map((r) => r.blockNumber)).size, 1, "all in one block");
    assert.ok(receipts.every((r) => r.status === "success"));
    const slots = await Promise.all([0, 1, 2].map((i) => s.market.read.getSlot([jobId, BigInt(i)])));
    assert.deepEqual(
      slots.map((x) => x.provider.toLowerCase()).sort(),
      s.providers.map((p) => p.account.address.toLowerCase()).sort(),
    );
    // A fourth claim for the next free slot finds none.
    await assert.rejects(s.market.write.claim([jobId, NEXT, [], [], []], { account: s.outsider.account }), /SlotUnavailable/);
  });
});
