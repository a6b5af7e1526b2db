import assert from "node:assert/strict";
import { setup, resultCid, Status } from "../helpers/shoal.js";
import { installFevm } from "../helpers/fevm.js";
import { at } from "../helpers/attack.js";
import { expectRevert } from "../helpers/revert.js";

// Sybil resistance: a job with `distinctMiners` takes claimants only under distinct bound miners.
describe("JobMarket distinct-miner jobs", function () {
  /**
   * Four providers. One operator runs alice and bob and controls miners f01001 and f01002; carol
   * runs f01003; dave has no miner. alice binds f01001, carol f01003.
   */
  async function fixture() {
    const s = await setup({ providerCount: 4 });
    const fevm = await installFevm(s.viem);
    const [alice, bob, carol, dave] = s.providers;
    const operator = [alice.account.address, bob.account.address];
    await fevm.addMiner(1001n, { owner: alice.account.address, controllers: operator });
    await fevm.addMiner(1002n, { owner: alice.account.address, controllers: operator });
    await fevm.addMiner(1003n, { owner: carol.account.address });
    await fevm.bindAddress(dave.account.address);
    await s.registry.write.bindMiner([1001n], { account: alice.account });
    await s.registry.write.bindMiner([1003n], { account: carol.account });
    return { s, fevm, alice, bob, carol, dave };
  }

  it("accepts claimants bound to distinct miners, records each slot's miner, and settles", async function () {
    const { s, alice, bob, carol } = await fixture();
    await s.registry.write.bindMiner([1002n], { account: bob.account });
    const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2, distinctMiners: true }));
    assert.equal((await s.job(jobId)).distinctMiners, true);
    await s.claim(jobId, 0, alice);
    await s.claim(jobId, 1, bob);
    await s.claim(jobId, 2, carol);
    assert.deepEqual(
      await Promise.all([0n, 1n, 2n].map(async (i) => (await s.market.read.getSlot([jobId, i])).minerId)),
      [1001n, 1002n, 1003n],
    );
    const cid = resultCid("distinct");
    await s.commit(jobId, 0, alice, cid);
    await s.commit(jobId, 1, bob, cid);
    await s.reveal(jobId, 0, alice, cid);
    await s.reveal(jobId, 1, bob, cid);
    assert.equal((await s.job(jobId)).status, Status.Settled);
  });

  it("refuses a claimant with no bound miner (MinerRequired, with the job and the claimant)", async function () {
    const { s, dave } = await fixture();
    const jobId = await s.submit(await s.request({ distinctMiners: true }));
    await expectRevert(s.claim(jobId, 0, dave), "MinerRequired", [jobId, dave.account.address]);
    assert.equal((await s.job(jobId)).claimed, 0);
  });

  it("refuses a second address claiming under a miner that already holds a slot, even after the first re-binds", async function () {
    const { s, alice, bob, carol } = await fixture();
    const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2, distinctMiners: true }));
    await s.claim(jobId, 0, alice); // under f01001
    // The operator moves alice to its other miner and binds the freed f01001 to bob: the slot keeps
    // the miner it was claimed under, so bob cannot take a second slot of the job through it.
    await s.registry.write.bindMiner([1002n], { account: alice.account });
    await s.registry.write.bindMiner([1001n], { account: bob.account });
    await expectRevert(s.claim(jobId, 1, bob), "MinerAlreadyInJob", [jobId, 1001n, 0n]);
    assert.equal((await s.market.read.getSlot([jobId, 0n])).minerId, 1001n);
    // A third miner is a third slot.
    await s.claim(jobId, 1, carol);
    assert.equal((await s.job(jobId)).claimed, 2);
  });

  it("lets a reopened slot go to the same miner: the silent holder no longer counts", async function () {
    const { s, alice, bob } = await fixture();
    const r = await s.request({ replicas: 1, quorum: 1, distinctMiners: true });
    const jobId = await s.submit(r);
    const claimedAt = (await s.now()) + 1;
    await at(s, claimedAt);
    await s.claim(jobId, 0, alice); // f01001, then silent
    await s.registry.write.bindMiner([1002n], { account: alice.account });
    await s.registry.write.bindMiner([1001n], { account: bob.account });
    await at(s, claimedAt + r.commitWindow);
    await s.claim(jobId, 0, bob);
    const slot = await s.market.read.getSlot([jobId, 0n]);
    assert.equal(slot.provider.toLowerCase(), bob.account.address.toLowerCase());
    assert.equal(slot.minerId, 1001n);
  });

  it("refuses a miner ID above what a slot records (MinerIdTooLarge) rather than truncating it", async function () {
    const { s, fevm, dave } = await fixture();
    const huge = 2n ** 56n;
    await fevm.addMiner(huge, { owner: dave.account.address });
    await s.registry.write.bindMiner([huge], { account: dave.account });
    const jobId = await s.submit(await s.request({ distinctMiners: true }));
    await expectRevert(s.claim(jobId, 0, dave), "MinerIdTooLarge", [huge, huge - 1n]);
  });

  it("changes nothing without the flag: no miner needed, one miner behind two addresses, no miner recorded", async function () {
    const { s, alice, bob, dave } = await fixture();
    const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
    assert.equal((await s.job(jobId)).distinctMiners, false);
    await s.claim(jobId, 0, alice);
    await s.registry.write.bindMiner([1002n], { account: alice.account });
    await s.registry.write.bindMiner([1001n], { account: bob.account });
    await s.claim(jobId, 1, bob);
    await s.claim(jobId, 2, dave);
    for (const i of [0n, 1n, 2n]) assert.equal((await s.market.read.getSlot([jobId, i])).minerId, 0n);
  });
});
