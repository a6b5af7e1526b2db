// The one-transaction path: claimAndCommit claims a slot and records its commitment in one call,
// with the checks and events of claim + commit, so a job settles two blocks after JobPosted.
import assert from "node:assert/strict";
import { parseEventLogs, zeroHash, type Hex } from "viem";
import { jobMarketAbi } from "../../sdk/src/abi/jobMarket.js";
import { computeCommitment } from "../../sdk/src/commitment.js";
import { setup, resultCid, Status, FIL, type Shoal } from "../helpers/shoal.js";
import { at, junk, receipt } from "../helpers/attack.js";

const NEXT_FREE_SLOT = 2n ** 256n - 1n;
type Wallet = Shoal["wallets"][number];

/** Sent with a fixed gas limit, so transactions queued for one block are not estimated against each other. */
function claimAndCommit(s: Shoal, jobId: bigint, slot: bigint, from: Wallet, cid: Hex) {
  const { hash, seal } = computeCommitment({ jobId, provider: from.account.address, resultCid: cid });
  return s.market.write.claimAndCommit([jobId, slot, [], [], [], hash, seal], { account: from.account, gas: 1_000_000n });
}

const locked = async (s: Shoal, who: Wallet) => (await s.registry.read.provider([who.account.address])).locked;

describe("JobMarket claimAndCommit", function () {
  it("settles n = 3, k = 2 two blocks after JobPosted: two claimAndCommits in one block, the reveals in the next", async function () {
    const s = await setup({ providerCount: 3 });
    const r = await s.request({ replicas: 3, quorum: 2 });
    const jobId = await s.submit(r);
    const posted = await s.publicClient.getBlockNumber();
    const cid = resultCid("word counts");

    await s.connection.provider.request({ method: "evm_setAutomine", params: [false] });
    const sent = [await claimAndCommit(s, jobId, NEXT_FREE_SLOT, s.providers[0], cid), await claimAndCommit(s, jobId, NEXT_FREE_SLOT, s.providers[1], cid)];
    await s.connection.provider.request({ method: "evm_mine", params: [] });
    const receipts = await Promise.all(sent.map((hash) => receipt(s, hash)));
    assert.deepEqual(receipts.map((x) => x.status), ["success", "success"]);
    assert.equal(receipts[0].blockNumber, posted + 1n);
    assert.equal(receipts[1].blockNumber, posted + 1n);

    // The same story as claim + commit: SlotClaimed then ResultCommitted, and QuorumReached from the second.
    const first = parseEventLogs({ abi: jobMarketAbi, logs: receipts[0].logs }).map((e) => e.eventName);
    assert.deepEqual(first, ["SlotClaimed", "ResultCommitted"]);
    const second = parseEventLogs({ abi: jobMarketAbi, logs: receipts[1].logs });
    assert.deepEqual(second.map((e) => e.eventName), ["SlotClaimed", "ResultCommitted", "QuorumReached"]);
    const claimed = second[0] as unknown as { args: { slot: bigint; provider: Hex } };
    assert.equal(claimed.args.slot, 1n);
    assert.equal(claimed.args.provider.toLowerCase(), s.providers[1].account.address.toLowerCase());
    assert.equal((await s.job(jobId)).status, Status.Revealing);
    assert.equal(await locked(s, s.providers[0]), r.collateral);

    const reveal = (slot: number, from: Wallet) => s.market.write.reveal([jobId, BigInt(slot), cid], { account: from.account, gas: 1_000_000n });
    const reveals = [await reveal(0, s.providers[0]), await reveal(1, s.providers[1])];
    await s.connection.provider.request({ method: "evm_mine", params: [] });
    await s.connection.provider.request({ method: "evm_setAutomine", params: [true] });
    const settled = await Promise.all(reveals.map((hash) => receipt(s, hash)));
    assert.deepEqual(settled.map((x) => [x.status, x.blockNumber]), [["success", posted + 2n], ["success", posted + 2n]]);

    const job = await s.job(jobId);
    assert.equal(job.status, Status.Settled);
    assert.equal(job.resultCid, cid);
    assert.equal(job.claimed, 2);
    for (const p of s.providers.slice(0, 2)) {
      assert.equal(await s.market.read.owed([jobId, p.account.address]), r.price);
      assert.equal(await locked(s, p), 0n);
    }
    // The third provider, too late: the job is Revealing, its whole call reverts and locks nothing.
    await assert.rejects(claimAndCommit(s, jobId, NEXT_FREE_SLOT, s.providers[2], cid), /JobNotInStatus|reverted/);
    assert.equal(await locked(s, s.providers[2]), 0n);
  });

  it("mixes with the two-step path: a commit already on chain and a claimAndCommit reach quorum together", async function () {
    const s = await setup({ providerCount: 3 });
    const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
    const cid = resultCid("mixed");
    await s.claim(jobId, 0, s.providers[0]);
    await s.commit(jobId, 0, s.providers[0], cid);
    const rc = await receipt(s, await claimAndCommit(s, jobId, 1n, s.providers[1], cid));
    const names = parseEventLogs({ abi: jobMarketAbi, logs: rc.logs }).map((e) => e.eventName);
    assert.ok(names.includes("QuorumReached"));
    const slot = await s.market.read.getSlot([jobId, 1n]);
    assert.equal(slot.committed, true);
    assert.equal(slot.provider.toLowerCase(), s.providers[1].account.address.toLowerCase());
    // A different result does not count towards the quorum.
    const s2 = await setup({ providerCount: 3 });
    const job2 = await s2.submit(await s2.request({ replicas: 3, quorum: 2 }));
    await claimAndCommit(s2, job2, NEXT_FREE_SLOT, s2.providers[0], cid);
    await claimAndCommit(s2, job2, NEXT_FREE_SLOT, s2.providers[1], resultCid("another"));
    assert.equal((await s2.job(job2)).status, Status.Open);
  });

  it("refuses what claim or commit refuses, as a whole: nothing is claimed and no collateral locked", async function () {
    const s = await setup({ providerCount: 3 });
    const jobId = await s.submit(await s.request({ replicas: 2, quorum: 2 }));
    const cid = resultCid("x");
    const [a, b, c] = s.providers;
    // A zero commitment half.
    await assert.rejects(
      s.market.write.claimAndCommit([jobId, NEXT_FREE_SLOT, [], [], [], zeroHash, junk("seal")], { account: a.account }),
      /InvalidCommitment/,
    );
    assert.equal((await s.job(jobId)).claimed, 0);
    assert.equal(await locked(s, a), 0n);
    // A provider that already holds a slot.
    await s.claim(jobId, 0, a);
    await assert.rejects(claimAndCommit(s, jobId, NEXT_FREE_SLOT, a, cid), /AlreadyClaimed/);
    // A slot index that is neither next nor reopenable.
    await assert.rejects(claimAndCommit(s, jobId, 0n, b, cid), /SlotUnavailable/);
    await claimAndCommit(s, jobId, NEXT_FREE_SLOT, b, cid);
    // All slots taken: the race an agent loses. The call reverts whole.
    await assert.rejects(claimAndCommit(s, jobId, NEXT_FREE_SLOT, c, cid), /SlotUnavailable/);
    assert.equal(await locked(s, c), 0n);
    // Not registered.
    await assert.rejects(claimAndCommit(s, await s.submit(await s.request({ replicas: 2, quorum: 2 })), NEXT_FREE_SLOT, s.outsider, cid), /RegistryNotRegistered/);
  });

  it("refuses after the deadline", async function () {
    const s = await setup({ providerCount: 1 });
    const r = await s.request({ replicas: 2, quorum: 2 });
    const jobId = await s.submit(r);
    await at(s, r.deadline);
    await assert.rejects(claimAndCommit(s, jobId, NEXT_FREE_SLOT, s.providers[0], resultCid("x")), /JobDeadlinePassed/);
  });

  it("reopens a silent claimant's slot and commits in it; the silent one is slashed", async function () {
    const s = await setup({ providerCount: 3 });
    const r = await s.request({ replicas: 2, quorum: 2 });
    const jobId = await s.submit(r);
    const cid = resultCid("reopen");
    await s.claim(jobId, 0, s.providers[0]);
    const claimedAt = (await s.market.read.getSlot([jobId, 0n])).claimedAt;
    await at(s, BigInt(claimedAt) + BigInt(r.commitWindow));
    const rc = await receipt(s, await claimAndCommit(s, jobId, 0n, s.providers[2], cid));
    const names = parseEventLogs({ abi: jobMarketAbi, logs: rc.logs }).map((e) => e.eventName);
    assert.deepEqual(names.filter((n) => n === "SlotReopened" || n === "SlotClaimed" || n === "ResultCommitted"), ["SlotReopened", "SlotClaimed", "ResultCommitted"]);
    const silent = await s.registry.read.provider([s.providers[0].account.address]);
    assert.equal(silent.locked, 0n);
    assert.equal(silent.stake, FIL("10") - r.collateral);
    assert.equal((await s.market.read.getSlot([jobId, 0n])).committed, true);
    await claimAndCommit(s, jobId, NEXT_FREE_SLOT, s.providers[1], cid);
    assert.equal((await s.job(jobId)).status, Status.Revealing);
    await s.reveal(jobId, 0, s.providers[2], cid);
    await s.reveal(jobId, 1, s.providers[1], cid);
    assert.equal((await s.job(jobId)).status, Status.Settled);
  });

  it("keeps copying useless: a copied commitment cannot reveal", async function () {
    const s = await setup({ providerCount: 3 });
    const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
    const cid = resultCid("honest");
    await claimAndCommit(s, jobId, NEXT_FREE_SLOT, s.providers[0], cid);
    // The copier takes the honest hash and seal from the event and sends them as its own.
    const { hash, seal } = computeCommitment({ jobId, provider: s.providers[0].account.address, resultCid: cid });
    await s.market.write.claimAndCommit([jobId, NEXT_FREE_SLOT, [], [], [], hash, seal], { account: s.providers[1].account });
    assert.equal((await s.job(jobId)).status, Status.Revealing);
    await s.reveal(jobId, 0, s.providers[0], cid);
    await assert.rejects(s.reveal(jobId, 1, s.providers[1], cid), /RevealMismatch/);
  });
});
