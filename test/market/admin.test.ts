import assert from "node:assert/strict";
import { zeroAddress } from "viem";
import { setup, resultCid, Status, FIL } from "../helpers/shoal.js";
import { at, assertMarketEmpty, balance, claimAll, revealClosesAt, withdrawAll } from "../helpers/attack.js";

const CID = resultCid("admin");

describe("JobMarket admin changes", function () {
  it("settles an open job with the fee it was posted with after setFee, and charges the new fee to new jobs", async function () {
    const s = await setup({ providerCount: 3, feeBps: 100 });
    const r = await s.request({ replicas: 3, quorum: 2 });
    const jobId = await s.submit(r);
    await claimAll(s, jobId, 3);
    await s.commit(jobId, 0, s.providers[0], CID);

    await s.market.write.setFee([1_000]);
    assert.equal((await s.job(jobId)).feeBps, 100);

    await s.commit(jobId, 1, s.providers[1], CID);
    await s.reveal(jobId, 0, s.providers[0], CID);
    await s.reveal(jobId, 1, s.providers[1], CID);
    const paid = 2n * r.price;
    const oldFee = (paid * 100n) / 10_000n;
    assert.equal(await s.market.read.feesAccrued([zeroAddress]), oldFee);
    assert.equal(await s.market.read.owed([jobId, s.client.account.address]), s.escrowOf(r, 100) - paid - oldFee);

    // A new job pays the new fee: sending the old escrow is refused.
    const r2 = await s.request({ replicas: 3, quorum: 2 });
    await assert.rejects(s.market.write.submit([r2], { account: s.client.account, value: s.escrowOf(r2, 100) }), /IncorrectPayment/);
    await s.market.write.submit([r2], { account: s.client.account, value: s.escrowOf(r2, 1_000) });
    assert.equal((await s.job(2n)).feeBps, 1_000);

    await withdrawAll(s, [jobId], [s.client, ...s.providers]);
    await s.market.write.cancel([2n], { account: s.client.account });
    await withdrawAll(s, [2n], [s.client]);
    await assertMarketEmpty(s);
  });

  it("lets an open job keep its collateral after setMinCollateral raises the minimum, and refuses new jobs below it", async function () {
    const s = await setup({ providerCount: 2 });
    const r = await s.request({ replicas: 2, quorum: 2, collateral: FIL("0.1") });
    const jobId = await s.submit(r);
    await s.market.write.setMinCollateral([FIL("1")]);
    await claimAll(s, jobId, 2);
    for (const p of s.providers) assert.equal((await s.registry.read.provider([p.account.address])).locked, FIL("0.1"));
    await assert.rejects(s.submit(await s.request({ collateral: FIL("0.5") })), /CollateralTooLow/);
    await s.commit(jobId, 0, s.providers[0], CID);
    await s.commit(jobId, 1, s.providers[1], CID);
    await s.reveal(jobId, 0, s.providers[0], CID);
    await s.reveal(jobId, 1, s.providers[1], CID);
    assert.equal((await s.job(jobId)).status, Status.Settled);
  });

  it("refuses new submissions while paused (MarketPaused) but keeps claims, commits, reveals, finalize, expire, cancel and withdraw working", async function () {
    const s = await setup({ providerCount: 3 });
    const r = await s.request({ replicas: 3, quorum: 2 });
    const settling = await s.submit(r);
    const failing = await s.submit(r);
    const expiring = await s.submit(r);
    const cancelling = await s.submit(r);

    await s.market.write.setPaused([true]);
    assert.equal(await s.market.read.paused(), true);
    await assert.rejects(s.submit(await s.request()), /MarketPaused/);

    await claimAll(s, settling, 3); // claims
    await s.commit(settling, 0, s.providers[0], CID); // commits
    await s.commit(settling, 1, s.providers[1], CID);
    await s.reveal(settling, 0, s.providers[0], CID); // reveals
    await s.reveal(settling, 1, s.providers[1], CID);
    assert.equal((await s.job(settling)).status, Status.Settled);

    await claimAll(s, failing, 2);
    await s.commit(failing, 0, s.providers[0], CID);
    await s.commit(failing, 1, s.providers[1], CID);
    await at(s, await revealClosesAt(s, failing));
    await s.market.write.finalize([failing], { account: s.outsider.account }); // finalize
    assert.equal((await s.job(failing)).status, Status.Failed);

    await s.market.write.cancel([cancelling], { account: s.client.account }); // cancel
    await at(s, r.deadline);
    await s.market.write.expire([expiring], { account: s.outsider.account }); // expire
    assert.equal((await s.job(expiring)).status, Status.Expired);

    const jobs = [settling, failing, expiring, cancelling];
    await withdrawAll(s, jobs, [s.client, ...s.providers]); // withdraw and withdrawFees
    await assertMarketEmpty(s);

    await s.market.write.setPaused([false]);
    await s.submit(await s.request());
  });

  it("restricts admin functions to the owner and bounds the fee", async function () {
    const s = await setup({ providerCount: 1 });
    const outsider = { account: s.outsider.account };
    await assert.rejects(s.market.write.setFee([5], outsider), /OwnableUnauthorizedAccount/);
    await assert.rejects(s.market.write.setPaused([true], outsider), /OwnableUnauthorizedAccount/);
    await assert.rejects(s.market.write.setMinCollateral([0n], outsider), /OwnableUnauthorizedAccount/);
    await assert.rejects(s.market.write.setTreasury([s.outsider.account.address], outsider), /OwnableUnauthorizedAccount/);
    await assert.rejects(s.market.write.setFee([1_001]), /FeeTooHigh/);
    await assert.rejects(s.market.write.setTreasury([zeroAddress]), /ZeroAddress/);
    await s.market.write.setFee([1_000]);
    assert.equal(await s.market.read.feeBps(), 1_000);
    // The minimum is stored with a job collateral's width (uint80): a wider one could admit no job.
    await assert.rejects(s.market.write.setMinCollateral([2n ** 80n]), /MinCollateralTooHigh/);
    await s.market.write.setMinCollateral([2n ** 80n - 1n]);
    assert.equal(await s.market.read.minCollateral(), 2n ** 80n - 1n);
  });

  it("sends accrued fees to the treasury current at withdrawal time", async function () {
    const s = await setup({ providerCount: 1 });
    const r = await s.request({ replicas: 1, quorum: 1 });
    const jobId = await s.submit(r);
    await s.claim(jobId, 0, s.providers[0]);
    await s.reveal(jobId, 0, s.providers[0], CID);
    const fee = (r.price * BigInt(s.feeBps)) / 10_000n;
    assert.ok(fee > 0n);
    await s.market.write.setTreasury([s.outsider.account.address]);
    const before = await balance(s, s.outsider.account.address);
    await s.market.write.withdrawFees([zeroAddress], { account: s.client.account }); // anyone may trigger it
    assert.equal(await balance(s, s.outsider.account.address), before + fee);
    await assert.rejects(s.market.write.withdrawFees([zeroAddress]), /NothingToWithdraw/);
  });
});
