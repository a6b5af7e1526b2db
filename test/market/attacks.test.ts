import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { zeroAddress } from "viem";
import { setup, resultCid, Status, FIL, type Shoal } from "../helpers/shoal.js";
import {
  at, assertMarketEmpty, assertRegistrySolvent, balance, claimAll, commitmentOf, commitRaw, eventsIn, junk, receipt,
  revealClosesAt, stakeOf, txCost, withdrawAll,
} from "../helpers/attack.js";

const CID = resultCid("honest result");
const STAKE = FIL("10");

/** Settles job `jobId` through finalize once its reveal window has closed, from an outsider. */
async function finalizeAfterWindow(s: Shoal, jobId: bigint) {
  const closesAt = await revealClosesAt(s, jobId);
  await at(s, closesAt - 1);
  await assert.rejects(s.market.write.finalize([jobId], { account: s.outsider.account }), /RevealWindowOpen/);
  await at(s, closesAt);
  const hash = await s.market.write.finalize([jobId], { account: s.outsider.account });
  const [event] = eventsIn(s.market.abi, (await receipt(s, hash)).logs, "JobFinalized");
  return event.args;
}

describe("JobMarket attacks", function () {
  describe("copying a result", function () {
    for (const copySeal of [false, true]) {
      const what = copySeal ? "hash and seal" : "hash with a made-up seal";
      it(`refuses a copier that commits another provider's ${what}: it cannot reveal and is slashed at finalize`, async function () {
        const s = await setup({ providerCount: 3 });
        const [honest, copier, idle] = s.providers;
        const r = await s.request({ replicas: 3, quorum: 2 });
        const jobId = await s.submit(r);
        await claimAll(s, jobId, 3);
        await s.commit(jobId, 0, honest, CID);
        const { hash, seal } = commitmentOf(jobId, honest, CID);
        await commitRaw(s, jobId, 1, copier, hash, copySeal ? seal : junk("made-up seal"));
        assert.equal((await s.job(jobId)).status, Status.Revealing, "the copied hash counted towards the quorum");

        await s.reveal(jobId, 0, honest, CID);
        // Even knowing the CID once revealed, the copier cannot reveal it: the seal binds it to the honest provider.
        await assert.rejects(s.reveal(jobId, 1, copier, CID), /RevealMismatch/);
        await assert.rejects(s.reveal(jobId, 1, copier, resultCid("something else")), /NotInQuorum/);
        await assert.rejects(s.commit(jobId, 2, idle, CID), /JobNotInStatus/);

        const finalized = await finalizeAfterWindow(s, jobId);
        assert.equal(finalized.status, Status.Settled);
        assert.equal(finalized.winnersMask, 0b001);
        assert.equal(finalized.slashedMask, 0b010);
        assert.equal((await s.job(jobId)).resultCid, CID);
        assert.equal(await s.market.read.owed([jobId, honest.account.address]), r.price);
        assert.equal(await s.market.read.owed([jobId, copier.account.address]), 0n);
        assert.deepEqual([(await stakeOf(s, copier)).stake, (await stakeOf(s, copier)).locked], [STAKE - r.collateral, 0n]);
        assert.deepEqual([(await stakeOf(s, honest)).stake, (await stakeOf(s, honest)).locked], [STAKE, 0n]);
        assert.deepEqual([(await stakeOf(s, idle)).stake, (await stakeOf(s, idle)).locked], [STAKE, 0n], "committed nothing, window open: released");
        assert.equal(await s.registry.read.slashed(), r.collateral);

        const fee = (r.price * BigInt(s.feeBps)) / 10_000n;
        assert.equal(await s.market.read.owed([jobId, s.client.account.address]), s.escrowOf(r) - r.price - fee);
        await withdrawAll(s, [jobId], [s.client, ...s.providers]);
        await assertMarketEmpty(s);
        await assertRegistrySolvent(s);
      });
    }
  });

  describe("commits", function () {
    it("refuses a second commit from the same slot (AlreadyCommitted)", async function () {
      const s = await setup({ providerCount: 3 });
      const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await assert.rejects(s.commit(jobId, 0, s.providers[0], CID), /AlreadyCommitted/);
      await assert.rejects(s.commit(jobId, 0, s.providers[0], resultCid("changed my mind")), /AlreadyCommitted/);
    });

    it("refuses a commit once the quorum is reached (JobNotInStatus)", async function () {
      const s = await setup({ providerCount: 3 });
      const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      await assert.rejects(s.commit(jobId, 2, s.providers[2], CID), /JobNotInStatus/);
      await assert.rejects(s.claim(jobId, 2, s.providers[3] ?? s.outsider), /JobNotInStatus/);
    });

    it("refuses a commit from a provider that does not hold the slot (NotSlotHolder)", async function () {
      const s = await setup({ providerCount: 3 });
      const jobId = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
      await claimAll(s, jobId, 2);
      await assert.rejects(s.commit(jobId, 0, s.providers[1], CID), /NotSlotHolder/);
      await assert.rejects(s.commit(jobId, 2, s.providers[2], CID), /NotSlotHolder/);
    });
  });

  describe("withheld reveals", function () {
    it("pays the revealer and slashes the silent member of the quorum at finalize", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 3, quorum: 2 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      await s.reveal(jobId, 0, s.providers[0], CID);

      const finalized = await finalizeAfterWindow(s, jobId);
      assert.equal(finalized.status, Status.Settled);
      assert.equal(finalized.winnersMask, 0b001);
      assert.equal(finalized.slashedMask, 0b010);
      assert.equal(await s.market.read.owed([jobId, s.providers[0].account.address]), r.price);
      assert.equal((await stakeOf(s, s.providers[1])).stake, STAKE - r.collateral);
      assert.equal((await stakeOf(s, s.providers[2])).stake, STAKE);
      for (const p of s.providers) assert.equal((await stakeOf(s, p)).locked, 0n);
      await withdrawAll(s, [jobId], [s.client, ...s.providers]);
      await assertMarketEmpty(s);
      await assertRegistrySolvent(s);
    });

    it("fails the job, refunds the client in full and slashes every committer when nobody reveals", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 3, quorum: 2 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);

      const finalized = await finalizeAfterWindow(s, jobId);
      assert.equal(finalized.status, Status.Failed);
      assert.equal(finalized.winnersMask, 0);
      assert.equal(finalized.slashedMask, 0b011);
      assert.equal(finalized.fee, 0n);
      const job = await s.job(jobId);
      assert.equal(job.status, Status.Failed);
      assert.equal(job.resultCid, "0x");
      assert.equal(await s.market.read.owed([jobId, s.client.account.address]), s.escrowOf(r), "escrow and fee refunded");
      assert.equal((await stakeOf(s, s.providers[0])).stake, STAKE - r.collateral);
      assert.equal((await stakeOf(s, s.providers[1])).stake, STAKE - r.collateral);
      assert.equal((await stakeOf(s, s.providers[2])).stake, STAKE, "had not committed when the quorum came: released");
      assert.equal(await s.market.read.feesAccrued([zeroAddress]), 0n);

      const before = await balance(s, s.client.account.address);
      const hash = await s.market.write.withdraw([zeroAddress, [jobId]], { account: s.client.account });
      assert.equal(await balance(s, s.client.account.address), before + s.escrowOf(r) - (await txCost(s, hash)));
      await assertMarketEmpty(s);
      await assertRegistrySolvent(s);
    });
  });

  describe("deadlines at their exact boundaries", function () {
    it("accepts a claim at deadline-1 and refuses one at the deadline (JobDeadlinePassed)", async function () {
      const s = await setup({ providerCount: 2 });
      const r = await s.request({ replicas: 2, quorum: 2 });
      const jobId = await s.submit(r);
      await at(s, r.deadline - 1);
      await s.claim(jobId, 0, s.providers[0]);
      await at(s, r.deadline);
      await assert.rejects(s.claim(jobId, 1, s.providers[1]), /JobDeadlinePassed/);
    });

    it("accepts a commit at deadline-1 and refuses one at the deadline (JobDeadlinePassed)", async function () {
      const s = await setup({ providerCount: 2 });
      const r = await s.request({ replicas: 2, quorum: 2 });
      const jobId = await s.submit(r);
      await at(s, r.deadline - 100);
      await s.claim(jobId, 0, s.providers[0]);
      await at(s, r.deadline - 99);
      await s.claim(jobId, 1, s.providers[1]);
      await at(s, r.deadline - 1);
      await s.commit(jobId, 0, s.providers[0], CID);
      await at(s, r.deadline);
      await assert.rejects(s.commit(jobId, 1, s.providers[1], CID), /JobDeadlinePassed/);
      // Expired: the committer did its part and the other's commit window had not closed by the deadline.
      await s.market.write.expire([jobId], { account: s.outsider.account });
      for (const p of s.providers) assert.deepEqual([(await stakeOf(s, p)).stake, (await stakeOf(s, p)).locked], [STAKE, 0n]);
    });

    it("refuses expire at deadline-1 (JobDeadlineNotReached) and accepts it at the deadline", async function () {
      const s = await setup({ providerCount: 1 });
      const r = await s.request({ replicas: 2, quorum: 2 });
      const jobId = await s.submit(r);
      await at(s, r.deadline - 1);
      await assert.rejects(s.market.write.expire([jobId], { account: s.outsider.account }), /JobDeadlineNotReached/);
      await at(s, r.deadline);
      await s.market.write.expire([jobId], { account: s.outsider.account });
      assert.equal((await s.job(jobId)).status, Status.Expired);
      await assert.rejects(s.market.write.expire([jobId], { account: s.outsider.account }), /JobNotInStatus/);
      await withdrawAll(s, [jobId], [s.client]);
      await assertMarketEmpty(s);
    });

    it("closes a claimant's commit window at claimedAt + commitWindow, and only then lets another provider take the slot", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 2, quorum: 2 });
      const jobId = await s.submit(r);
      const t0 = (await s.now()) + 10;
      await at(s, t0);
      await s.claim(jobId, 0, s.providers[0]);
      await at(s, t0 + 1);
      await s.claim(jobId, 1, s.providers[1]);
      await at(s, t0 + r.commitWindow - 1);
      await s.commit(jobId, 0, s.providers[0], CID); // last second of slot 0's window
      await at(s, t0 + 1 + r.commitWindow - 1);
      await assert.rejects(s.claim(jobId, 1, s.providers[2]), /SlotUnavailable/);
      await at(s, t0 + 1 + r.commitWindow);
      await assert.rejects(s.commit(jobId, 1, s.providers[1], CID), /CommitWindowClosed/);
      await at(s, t0 + 1 + r.commitWindow);
      await s.claim(jobId, 1, s.providers[2]);
      assert.equal((await s.market.read.getSlot([jobId, 1n])).provider.toLowerCase(), s.providers[2].account.address.toLowerCase());
    });

    it("accepts a reveal at consensusAt + revealWindow - 1 and refuses one at the window's end (RevealWindowClosed)", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 3, quorum: 3 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      for (let i = 0; i < 3; i++) await s.commit(jobId, i, s.providers[i], CID);
      const closesAt = await revealClosesAt(s, jobId);
      await at(s, closesAt - 1);
      await s.reveal(jobId, 0, s.providers[0], CID);
      await at(s, closesAt);
      await assert.rejects(s.reveal(jobId, 1, s.providers[1], CID), /RevealWindowClosed/);
      await at(s, closesAt);
      await s.market.write.finalize([jobId], { account: s.outsider.account });
      assert.equal((await s.job(jobId)).revealedMask, 0b001);
    });

    it("refuses finalize at the reveal window's end - 1 (RevealWindowOpen) and settles at its end", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 3, quorum: 2 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      await s.reveal(jobId, 1, s.providers[1], CID);
      const finalized = await finalizeAfterWindow(s, jobId); // checks end-1 refused, end accepted
      assert.equal(finalized.status, Status.Settled);
      await assert.rejects(s.market.write.finalize([jobId]), /JobNotInStatus/);
    });
  });

  describe("parties that disappear", function () {
    it("settles and pays the providers without any action from a client that disappeared", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 3, quorum: 3 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      for (let i = 0; i < 3; i++) await s.commit(jobId, i, s.providers[i], CID);
      await s.reveal(jobId, 0, s.providers[0], CID);
      await s.reveal(jobId, 1, s.providers[1], CID);
      // The third revealer is gone too: anyone finalizes.
      await finalizeAfterWindow(s, jobId);
      const paid = await withdrawAll(s, [jobId], s.providers);
      assert.equal(paid.size, 2);
      // Only the absent client's refund is left in the market.
      const refund = await s.market.read.owed([jobId, s.client.account.address]);
      assert.equal(await balance(s, s.market.address), refund);
      assert.equal(refund, s.escrowOf(r) - 2n * r.price - (2n * r.price * BigInt(s.feeBps)) / 10_000n);
    });

    it("reopens a silent claimant's slot to another provider after its commit window, slashing the silent one", async function () {
      const s = await setup({ providerCount: 3 });
      const [a, silent, late] = s.providers;
      const r = await s.request({ replicas: 2, quorum: 2 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 2);
      await s.commit(jobId, 0, a, CID);
      const claimedAt = (await s.market.read.getSlot([jobId, 1n])).claimedAt;
      await at(s, claimedAt + r.commitWindow);
      const rc = await receipt(s, await s.claim(jobId, 1, late));
      const [reopened] = eventsIn(s.market.abi, rc.logs, "SlotReopened");
      assert.equal(reopened.args.previous!.toLowerCase(), silent.account.address.toLowerCase());
      assert.deepEqual([(await stakeOf(s, silent)).stake, (await stakeOf(s, silent)).locked], [STAKE - r.collateral, 0n]);
      assert.equal((await stakeOf(s, late)).locked, r.collateral);
      await assert.rejects(s.commit(jobId, 1, silent, CID), /NotSlotHolder/);

      await s.commit(jobId, 1, late, CID);
      await s.reveal(jobId, 0, a, CID);
      await s.reveal(jobId, 1, late, CID);
      assert.equal((await s.job(jobId)).status, Status.Settled);
      assert.equal(await s.market.read.owed([jobId, late.account.address]), r.price);
      assert.equal(await s.market.read.owed([jobId, silent.account.address]), 0n);
      await withdrawAll(s, [jobId], [s.client, ...s.providers]);
      await assertMarketEmpty(s);
      await assertRegistrySolvent(s);
    });

    it("expires a job whose claimants never commit, refunding the client in full and slashing them", async function () {
      const s = await setup({ providerCount: 2 });
      const r = await s.request({ replicas: 2, quorum: 2 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 2);
      await at(s, r.deadline);
      const rc = await receipt(s, await s.market.write.expire([jobId], { account: s.outsider.account }));
      const [expired] = eventsIn(s.market.abi, rc.logs, "JobExpired");
      assert.equal(expired.args.slashedMask, 0b11);
      assert.equal(expired.args.refund, s.escrowOf(r));
      for (const p of s.providers) assert.deepEqual([(await stakeOf(s, p)).stake, (await stakeOf(s, p)).locked], [STAKE - r.collateral, 0n]);
      assert.equal(await s.market.read.owed([jobId, s.client.account.address]), s.escrowOf(r));
      await withdrawAll(s, [jobId], [s.client]);
      await assertMarketEmpty(s);
      await assertRegistrySolvent(s);
    });
  });

  describe("replication", function () {
    it("refuses a quorum above the replica count, a zero quorum and replica counts out of range (InvalidReplication)", async function () {
      const s = await setup({ providerCount: 1 });
      for (const [replicas, quorum] of [[2, 3], [3, 0], [0, 0], [17, 1]]) {
        await assert.rejects(s.submit(await s.request({ replicas, quorum })), /InvalidReplication/, `n=${replicas} k=${quorum}`);
      }
      assert.equal(await s.market.read.jobCount(), 0n);
    });

    for (const winner of ["X", "Y"] as const) {
      it(`settles on group ${winner} when it reaches the quorum first among two competing results, slashing the other group`, async function () {
        const s = await setup({ providerCount: 4 });
        const [A, B, C, D] = s.providers;
        const X = resultCid("X");
        const Y = resultCid("Y");
        const r = await s.request({ replicas: 4, quorum: 2 });
        const jobId = await s.submit(r);
        await claimAll(s, jobId, 4);
        await s.commit(jobId, 0, A, X);
        await s.commit(jobId, 2, C, Y);
        const [winners, losers, idle] = winner === "X" ? [[0, 1], [2], 3] : [[2, 3], [0], 1];
        const cid = winner === "X" ? X : Y;
        await s.commit(jobId, winners[1], s.providers[winners[1]], cid);
        assert.equal((await s.job(jobId)).status, Status.Revealing);
        await assert.rejects(s.commit(jobId, idle, s.providers[idle], winner === "X" ? Y : X), /JobNotInStatus/);
        // The losing group cannot reveal its result.
        await assert.rejects(s.reveal(jobId, losers[0], s.providers[losers[0]], winner === "X" ? Y : X), /NotInQuorum/);
        await s.reveal(jobId, winners[0], s.providers[winners[0]], cid);
        const hash = await s.reveal(jobId, winners[1], s.providers[winners[1]], cid);
        const [fin] = eventsIn(s.market.abi, (await receipt(s, hash)).logs, "JobFinalized");
        assert.equal(fin.args.status, Status.Settled);
        assert.equal(fin.args.resultCid, cid);
        assert.equal(fin.args.winnersMask, (1 << winners[0]) | (1 << winners[1]));
        assert.equal(fin.args.slashedMask, 1 << losers[0]);
        assert.equal((await stakeOf(s, s.providers[losers[0]])).stake, STAKE - r.collateral);
        assert.equal((await stakeOf(s, s.providers[idle])).stake, STAKE, "had not committed: released");
        for (const p of [A, B, C, D]) assert.equal((await stakeOf(s, p)).locked, 0n);
        await withdrawAll(s, [jobId], [s.client, ...s.providers]);
        await assertMarketEmpty(s);
        await assertRegistrySolvent(s);
      });
    }
  });

  describe("pull payments", function () {
    it("credits several payouts and pays them in one withdrawal; a second withdrawal has nothing to take", async function () {
      const s = await setup({ providerCount: 2 });
      const [winner] = s.providers;
      const r = await s.request({ replicas: 2, quorum: 1 });
      const jobs: bigint[] = [];
      for (let j = 0; j < 3; j++) {
        const jobId = await s.submit(r);
        await s.claim(jobId, 0, winner);
        await s.commit(jobId, 0, winner, CID);
        await s.reveal(jobId, 0, winner, CID);
        jobs.push(jobId);
      }
      const open = await s.submit(r); // still open: listed, but owes nothing yet
      await s.claim(open, 0, winner);
      for (const id of jobs) assert.equal(await s.market.read.owed([id, winner.account.address]), r.price);

      const before = await balance(s, winner.account.address);
      const hash = await s.market.write.withdraw([zeroAddress, [...jobs, open]], { account: winner.account });
      const [event] = eventsIn(s.market.abi, (await receipt(s, hash)).logs, "Withdrawn");
      assert.equal(event.args.amount, 3n * r.price);
      assert.equal(await balance(s, winner.account.address), before + 3n * r.price - (await txCost(s, hash)));
      await assert.rejects(
        s.market.write.withdraw([zeroAddress, [...jobs, open]], { account: winner.account }),
        /NothingToWithdraw/,
      );
      // Listing a job twice pays it once.
      await assert.rejects(s.market.write.withdraw([zeroAddress, [jobs[0], jobs[0]]], { account: winner.account }), /NothingToWithdraw/);

      // The open job pays later, and then everything leaves the market.
      await s.commit(open, 0, winner, CID);
      await s.reveal(open, 0, winner, CID);
      await withdrawAll(s, [...jobs, open], [s.client, winner]);
      await assertMarketEmpty(s);
    });

    it("keeps the market's FIL equal to the escrow of open jobs plus what terminal jobs still owe", async function () {
      const s = await setup({ providerCount: 3 });
      const r = await s.request({ replicas: 3, quorum: 2 });
      const settled = await s.submit(r);
      const open = await s.submit(r);
      const cancelled = await s.submit(r);
      await claimAll(s, settled, 3);
      await s.claim(open, 0, s.providers[0]);
      await s.market.write.cancel([cancelled], { account: s.client.account });
      await s.commit(settled, 0, s.providers[0], CID);
      await s.commit(settled, 1, s.providers[1], CID);
      await s.reveal(settled, 0, s.providers[0], CID);
      await s.reveal(settled, 1, s.providers[1], CID);
      await withdrawAll(s, [settled, cancelled], [s.client, ...s.providers]);
      assert.equal(await balance(s, s.market.address), s.escrowOf(r), "only the open job's escrow remains");
      await at(s, r.deadline);
      await s.market.write.expire([open]);
      await withdrawAll(s, [open], [s.client]);
      await assertMarketEmpty(s);
      await assertRegistrySolvent(s);
    });
  });

  describe("source", function () {
    it("never reads tx.origin in any contract outside contracts/test", async function () {
      const root = path.resolve("contracts");
      const files = (await readdir(root, { recursive: true }))
        .filter((f) => f.endsWith(".sol") && !f.split(path.sep).includes("test"))
        .map((f) => path.join(root, f));
      assert.ok(files.some((f) => f.endsWith("JobMarket.sol")) && files.some((f) => f.endsWith("ProviderRegistry.sol")));
      for (const file of files) {
        // Comments may mention it; code may not.
        const code = (await readFile(file, "utf8")).replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
        assert.doesNotMatch(code, /\btx\s*\.\s*origin\b/, `${path.relative(process.cwd(), file)} uses tx.origin`);
      }
    });
  });
});
