import assert from "node:assert/strict";
import { toFunctionSelector, type Address, type Hex } from "viem";
import { setup, resultCid, Status, type Shoal } from "../helpers/shoal.js";
import { assertMarketEmpty, claimAll, eventsIn, receipt, revealClosesAt, stakeOf, withdrawAll, at } from "../helpers/attack.js";

const CID = resultCid("callback result");
const REENTRANCY = toFunctionSelector("ReentrancyGuardReentrantCall()");

/** Posts a single-replica job with `target` as callback, claims it and returns its ID. */
async function singleJob(s: Shoal, target: Address, callbackGas: number) {
  const r = await s.request({ replicas: 1, quorum: 1, callback: target, callbackGas });
  const jobId = await s.submit(r);
  await s.claim(jobId, 0, s.providers[0]);
  return { jobId, r };
}

/** The settling reveal of a single-replica job, sent with an explicit gas limit. */
function revealWithGas(s: Shoal, jobId: bigint, gas: bigint) {
  return s.market.write.reveal([jobId, 0n, CID], { account: s.providers[0].account, gas });
}

/** The CallbackCalled events of a receipt. */
function callbacksIn(s: Shoal, logs: Awaited<ReturnType<typeof receipt>>["logs"]) {
  return eventsIn(s.market.abi, logs, "CallbackCalled");
}

/**
 * On a fresh chain (so addresses and storage are identical between runs), deploys `contract`,
 * settles a single-replica job calling it with `callbackGas`, and returns the settling receipt.
 */
async function settleOnFreshChain(contract: string, callbackGas: number, configure?: (target: any) => Promise<unknown>) {
  const s = await setup({ providerCount: 1 });
  const target = await s.viem.deployContract(contract as any);
  if (configure) await configure(target);
  const { jobId } = await singleJob(s, target.address, callbackGas);
  const rc = await receipt(s, await revealWithGas(s, jobId, BigInt(callbackGas) + 500_000n));
  assert.equal((await s.job(jobId)).status, Status.Settled);
  return { s, rc, target, success: callbacksIn(s, rc.logs)[0].args.success };
}

describe("JobMarket callbacks", function () {
  describe("gas", function () {
    it("hands the callback exactly its gas limit, measured at the target's entry", async function () {
      const s = await setup({ providerCount: 1 });
      const probe = await s.viem.deployContract("GasProbeTarget");
      const callbackGas = 300_000;
      const { jobId } = await singleJob(s, probe.address, callbackGas);
      await revealWithGas(s, jobId, 2_000_000n); // far more than needed: the target still gets only its limit
      const seen = await probe.read.gasAtEntry();
      assert.equal(await probe.read.calls(), 1n);
      assert.ok(seen < BigInt(callbackGas) && seen > BigInt(callbackGas) - 500n, `callback entered with ${seen} gas`);
    });

    it("gives a gas-burning target exactly its callback gas and still settles", async function () {
      const callbackGas = 1_000_000;
      const burner = await settleOnFreshChain("GasBurnerTarget", callbackGas);
      const silent = await settleOnFreshChain("SilentTarget", callbackGas);
      assert.equal(burner.success, false);
      assert.equal(silent.success, true);
      // Same chain state and calldata: the difference is what the targets consumed.
      const extra = burner.rc.gasUsed - silent.rc.gasUsed;
      assert.ok(extra <= BigInt(callbackGas) && extra > BigInt(callbackGas) - 2_000n, `burner cost ${extra} more`);
      // The job settled and pays out as usual.
      const s = burner.s;
      assert.equal(await s.market.read.owed([1n, s.providers[0].account.address]), (await s.job(1n)).price);
      await withdrawAll(s, [1n], [s.client, ...s.providers]);
      await assertMarketEmpty(s);
    });

    it("reverts a settlement sent with too little gas to honour the callback, instead of settling without it", async function () {
      const s = await setup({ providerCount: 1 });
      const burner = await s.viem.deployContract("GasBurnerTarget");
      const callbackGas = 1_000_000;
      const { jobId } = await singleJob(s, burner.address, callbackGas);
      // Enough for everything but the callback's full limit.
      await assert.rejects(revealWithGas(s, jobId, 900_000n), /InsufficientGasForCallback/);
      const job = await s.job(jobId);
      assert.equal(job.status, Status.Open);
      assert.equal(job.revealedMask, 0);
      // With enough gas the same reveal settles, and the failed callback does not block it.
      const rc = await receipt(s, await revealWithGas(s, jobId, 1_300_000n));
      assert.equal((await s.job(jobId)).status, Status.Settled);
      assert.equal(callbacksIn(s, rc.logs)[0].args.success, false);
      assert.ok(rc.gasUsed > BigInt(callbackGas));
    });

    it("never settles with a callback starved of gas: at the lowest gas that settles, the callback got its full limit", async function () {
      const s = await setup({ providerCount: 1 });
      const probe = await s.viem.deployContract("GasProbeTarget");
      const callbackGas = 1_000_000;
      const { jobId } = await singleJob(s, probe.address, callbackGas);
      const snapshot = await s.networkHelpers.takeSnapshot();
      const tryGas = async (gas: bigint) => {
        await snapshot.restore();
        try {
          await revealWithGas(s, jobId, gas);
          return undefined;
        } catch (e) {
          return e as Error;
        }
      };
      // Binary search for the lowest gas limit that settles.
      let lo = 50_000n; // fails
      let hi = 2_000_000n; // settles
      assert.ok(await tryGas(lo));
      assert.equal(await tryGas(hi), undefined);
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if ((await tryGas(mid)) === undefined) hi = mid;
        else lo = mid;
      }
      // One unit less fails on the market's own check (not an out-of-gas in the callback).
      assert.match(String((await tryGas(lo))?.message), /InsufficientGasForCallback/);
      assert.equal(await tryGas(hi), undefined);
      assert.equal((await s.job(jobId)).status, Status.Settled);
      const seen = await probe.read.gasAtEntry();
      assert.ok(seen > BigInt(callbackGas) - 500n, `at the minimum the callback got ${seen} of ${callbackGas}`);
    });
  });

  describe("hostile and odd targets", function () {
    it("settles when the callback target reverts, reporting CallbackCalled(success=false)", async function () {
      const s = await setup({ providerCount: 3 });
      const target = await s.viem.deployContract("RevertingTarget");
      const r = await s.request({ replicas: 3, quorum: 2, callback: target.address, callbackGas: 100_000 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      await s.reveal(jobId, 0, s.providers[0], CID);
      const hash = await s.market.write.reveal([jobId, 1n, CID], { account: s.providers[1].account, gas: 1_000_000n });
      const events = callbacksIn(s, (await receipt(s, hash)).logs);
      assert.equal(events.length, 1);
      assert.equal(events[0].args.success, false);
      assert.equal(events[0].args.target!.toLowerCase(), target.address.toLowerCase());
      const job = await s.job(jobId);
      assert.equal(job.status, Status.Settled);
      assert.equal(job.resultCid, CID);
      await withdrawAll(s, [jobId], [s.client, ...s.providers]);
      await assertMarketEmpty(s);
    });

    it("settles through finalize when the callback target reverts", async function () {
      const s = await setup({ providerCount: 3 });
      const target = await s.viem.deployContract("RevertingTarget");
      const r = await s.request({ replicas: 3, quorum: 2, callback: target.address, callbackGas: 100_000 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      await s.reveal(jobId, 0, s.providers[0], CID);
      await at(s, await revealClosesAt(s, jobId));
      const hash = await s.market.write.finalize([jobId], { account: s.outsider.account, gas: 1_000_000n });
      assert.equal(callbacksIn(s, (await receipt(s, hash)).logs)[0].args.success, false);
      assert.equal((await s.job(jobId)).status, Status.Settled);
      await withdrawAll(s, [jobId], [s.client, ...s.providers]);
      await assertMarketEmpty(s);
    });

    it("settles with an EOA as callback target, reporting CallbackCalled(success=true)", async function () {
      const s = await setup({ providerCount: 1 });
      const { jobId } = await singleJob(s, s.outsider.account.address, 50_000);
      const rc = await receipt(s, await revealWithGas(s, jobId, 500_000n));
      assert.equal(callbacksIn(s, rc.logs)[0].args.success, true);
      assert.equal((await s.job(jobId)).status, Status.Settled);
    });

    it("does not pay for huge return data: a 1 MB return costs no more than the same work ending in an empty revert", async function () {
      const size = 1n << 20n;
      const callbackGas = 3_000_000; // the target pays ~2.2M gas to expand its memory to 1 MB
      const configure = (mode: number) => (t: any) => t.write.configure([mode, size]);
      const returned = await settleOnFreshChain("HugeReturnTarget", callbackGas, configure(0));
      const revertedHuge = await settleOnFreshChain("HugeReturnTarget", callbackGas, configure(1));
      const revertedEmpty = await settleOnFreshChain("HugeReturnTarget", callbackGas, configure(2));
      assert.equal(returned.success, true);
      assert.equal(revertedHuge.success, false);
      assert.equal(revertedEmpty.success, false);
      // Copying 1 MB into the market's memory would cost millions of gas; the difference is a few hundred.
      for (const run of [returned, revertedHuge]) {
        const diff = run.rc.gasUsed - revertedEmpty.rc.gasUsed;
        assert.ok(diff < 1_000n && diff > -1_000n, `huge return data cost ${diff} more gas`);
      }
      assert.ok(returned.rc.gasUsed > 2_000_000n, "the target did expand its memory");
    });

    it("settles when the callback target self-destructs, and calls it again on the next job", async function () {
      const s = await setup({ providerCount: 1 });
      const target = await s.viem.deployContract("SelfDestructTarget");
      for (const expected of [1n, 2n]) {
        const { jobId } = await singleJob(s, target.address, 100_000);
        const rc = await receipt(s, await revealWithGas(s, jobId, 1_000_000n));
        assert.equal(callbacksIn(s, rc.logs)[0].args.success, true);
        assert.equal((await s.job(jobId)).status, Status.Settled);
        // Since Cancun the code stays (EIP-6780): the contract keeps answering.
        assert.equal(await target.read.calls(), expected);
      }
      await withdrawAll(s, [1n, 2n], [s.client, ...s.providers]);
      await assertMarketEmpty(s);
    });

    it("calls no callback when the job fails with no reveal", async function () {
      const s = await setup({ providerCount: 2 });
      const probe = await s.viem.deployContract("GasProbeTarget");
      const r = await s.request({ replicas: 2, quorum: 2, callback: probe.address, callbackGas: 100_000 });
      const jobId = await s.submit(r);
      await claimAll(s, jobId, 2);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      await at(s, await revealClosesAt(s, jobId));
      const rc = await receipt(s, await s.market.write.finalize([jobId], { account: s.outsider.account }));
      assert.equal(callbacksIn(s, rc.logs).length, 0);
      assert.equal(await probe.read.calls(), 0n);
      assert.equal((await s.job(jobId)).status, Status.Failed);
    });
  });

  describe("re-entry from the callback", function () {
    async function reentrantJob(s: Shoal) {
      const attacker = await s.viem.deployContract("ReentrantClient", [s.market.address]);
      const r = await s.request({ replicas: 3, quorum: 2, callback: attacker.address, callbackGas: 500_000 });
      await attacker.write.submit([r], { account: s.client.account, value: s.escrowOf(r) });
      const jobId = (await s.market.read.jobCount()) as bigint;
      assert.equal((await s.job(jobId)).client.toLowerCase(), attacker.address.toLowerCase());
      await claimAll(s, jobId, 3);
      await s.commit(jobId, 0, s.providers[0], CID);
      await s.commit(jobId, 1, s.providers[1], CID);
      return { attacker, r, jobId };
    }

    async function assertBlocked(s: Shoal, attacker: any, jobId: bigint, r: { price: bigint; replicas: number }) {
      assert.equal(await attacker.read.calls(), 1n, "the callback ran");
      for (const [reverted, selector] of [
        [attacker.read.finalizeReverted(), attacker.read.finalizeError()],
        [attacker.read.withdrawReverted(), attacker.read.withdrawError()],
        [attacker.read.claimReverted(), attacker.read.claimError()],
      ] as const) {
        assert.equal(await reverted, true);
        assert.equal(await selector, REENTRANCY);
      }
      assert.equal((await s.job(jobId)).status, Status.Settled);
      // The refund the callback tried to take is still owed, and can be pulled once, afterwards.
      const refund = await s.market.read.owed([jobId, attacker.address]);
      assert.ok(refund > 0n);
      await attacker.write.withdraw([[jobId]]);
      assert.equal(await s.market.read.owed([jobId, attacker.address]), 0n);
      assert.equal(await s.publicClient.getBalance({ address: attacker.address }), refund);
      await withdrawAll(s, [jobId], [...s.providers]);
      await assertMarketEmpty(s);
      for (const p of s.providers.slice(0, 3)) assert.equal((await stakeOf(s, p)).locked, 0n);
    }

    it("blocks re-entry into finalize, withdraw and claim from a callback made by the last reveal; settlement completes", async function () {
      const s = await setup({ providerCount: 3 });
      const { attacker, r, jobId } = await reentrantJob(s);
      await s.reveal(jobId, 0, s.providers[0], CID);
      await s.market.write.reveal([jobId, 1n, CID], { account: s.providers[1].account, gas: 2_000_000n });
      await assertBlocked(s, attacker, jobId, r);
    });

    it("blocks re-entry into finalize, withdraw and claim from a callback made by finalize; settlement completes", async function () {
      const s = await setup({ providerCount: 3 });
      const { attacker, r, jobId } = await reentrantJob(s);
      await s.reveal(jobId, 0, s.providers[0], CID);
      await at(s, await revealClosesAt(s, jobId));
      await s.market.write.finalize([jobId], { account: s.outsider.account, gas: 2_000_000n });
      await assertBlocked(s, attacker, jobId, r);
    });
  });
});
