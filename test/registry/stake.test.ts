import assert from "node:assert/strict";
import { setup, resultCid, FIL } from "../helpers/shoal.js";
import { at, assertRegistrySolvent, balance, eventsIn, receipt, stakeOf, txCost } from "../helpers/attack.js";

const DELAY = 7 * 24 * 3600;
const CID = resultCid("stake");

describe("ProviderRegistry stake", function () {
  it("tops up a registered provider's stake", async function () {
    const s = await setup({ providerCount: 1 });
    const [p] = s.providers;
    const hash = await s.registry.write.addStake({ account: p.account, value: FIL("2.5") });
    const [added] = eventsIn(s.registry.abi, (await receipt(s, hash)).logs, "StakeAdded");
    assert.equal(added.args.amount, FIL("2.5"));
    assert.equal(added.args.stake, FIL("12.5"));
    assert.equal((await stakeOf(s, p)).stake, FIL("12.5"));
    await assert.rejects(s.registry.write.addStake({ account: p.account, value: 0n }), /RegistryInvalidAmount/);
    await assert.rejects(s.registry.write.addStake({ account: s.outsider.account, value: FIL("1") }), /RegistryNotRegistered/);
    await assertRegistrySolvent(s);
  });

  it("pays unbonded stake only once the unbonding delay has passed (RegistryUnbondingNotReady before)", async function () {
    const s = await setup({ providerCount: 1 });
    const [p] = s.providers;
    await assert.rejects(s.registry.write.withdrawUnbonded({ account: p.account }), /RegistryUnbondingNotReady/);
    const t = (await s.now()) + 5;
    await at(s, t);
    await s.registry.write.startUnbonding([FIL("4")], { account: p.account });
    const rec = await stakeOf(s, p);
    assert.deepEqual([rec.stake, rec.unbonding, Number(rec.unbondingEndsAt)], [FIL("6"), FIL("4"), t + DELAY]);

    await at(s, t + DELAY - 1);
    await assert.rejects(s.registry.write.withdrawUnbonded({ account: p.account }), /RegistryUnbondingNotReady/);
    await at(s, t + DELAY);
    const before = await balance(s, p.account.address);
    const hash = await s.registry.write.withdrawUnbonded({ account: p.account });
    assert.equal(await balance(s, p.account.address), before + FIL("4") - (await txCost(s, hash)));
    assert.equal((await stakeOf(s, p)).unbonding, 0n);
    await assert.rejects(s.registry.write.withdrawUnbonded({ account: p.account }), /RegistryUnbondingNotReady/);
    await assertRegistrySolvent(s);
  });

  it("never unbonds collateral locked by an open job, even past the unbonding delay (RegistryInsufficientFreeStake)", async function () {
    const s = await setup({ providerCount: 1 });
    const [p] = s.providers;
    const day = 24 * 3600;
    const r = await s.request({
      replicas: 1, quorum: 1, collateral: FIL("3"),
      deadline: (await s.now()) + 20 * day, commitWindow: 10 * day,
    });
    const jobId = await s.submit(r);
    await s.claim(jobId, 0, p);
    assert.equal((await stakeOf(s, p)).locked, FIL("3"));

    await assert.rejects(s.registry.write.startUnbonding([FIL("10")], { account: p.account }), /RegistryInsufficientFreeStake/);
    await assert.rejects(s.registry.write.startUnbonding([FIL("7") + 1n], { account: p.account }), /RegistryInsufficientFreeStake/);
    await s.registry.write.startUnbonding([FIL("7")], { account: p.account });
    // Nothing free is left: the locked collateral can neither leave nor back another claim.
    await assert.rejects(s.registry.write.startUnbonding([1n], { account: p.account }), /RegistryInsufficientFreeStake/);
    const second = await s.submit(await s.request({ replicas: 1, quorum: 1, collateral: FIL("0.1") }));
    await assert.rejects(s.claim(second, 0, p), /RegistryInsufficientFreeStake/);

    // Past the unbonding delay only the free part comes out; the collateral stays locked.
    await s.networkHelpers.time.increase(DELAY);
    await s.registry.write.withdrawUnbonded({ account: p.account });
    let rec = await stakeOf(s, p);
    assert.deepEqual([rec.stake, rec.locked, rec.unbonding], [FIL("3"), FIL("3"), 0n]);
    await assert.rejects(s.registry.write.startUnbonding([1n], { account: p.account }), /RegistryInsufficientFreeStake/);

    // The job, still open, settles and releases the collateral, which can then unbond.
    await s.reveal(jobId, 0, p, CID);
    rec = await stakeOf(s, p);
    assert.deepEqual([rec.stake, rec.locked], [FIL("3"), 0n]);
    await s.registry.write.startUnbonding([FIL("3")], { account: p.account });
    await assertRegistrySolvent(s);
  });

  it("releases collateral at settlement so the provider can unbond all its stake", async function () {
    const s = await setup({ providerCount: 1 });
    const [p] = s.providers;
    const jobId = await s.submit(await s.request({ replicas: 1, quorum: 1, collateral: FIL("3") }));
    await s.claim(jobId, 0, p);
    await s.reveal(jobId, 0, p, CID);
    assert.equal((await stakeOf(s, p)).locked, 0n);
    await s.registry.write.startUnbonding([FIL("10")], { account: p.account });
    await s.networkHelpers.time.increase(DELAY);
    await s.registry.write.withdrawUnbonded({ account: p.account });
    assert.equal((await stakeOf(s, p)).stake, 0n);
    await assertRegistrySolvent(s);
  });

  it("lets only the market lock, release or slash collateral (RegistryUnauthorizedMarket)", async function () {
    const s = await setup({ providerCount: 1 });
    const p = s.providers[0].account.address;
    for (const from of [s.admin, s.outsider, s.providers[0]]) {
      const account = { account: from.account };
      await assert.rejects(s.registry.write.lockCollateral([p, FIL("1")], account), /RegistryUnauthorizedMarket/);
      await assert.rejects(s.registry.write.releaseCollateral([[p], FIL("1")], account), /RegistryUnauthorizedMarket/);
      await assert.rejects(s.registry.write.slashCollateral([[p], FIL("1")], account), /RegistryUnauthorizedMarket/);
    }
    assert.deepEqual([(await stakeOf(s, s.providers[0])).stake, (await stakeOf(s, s.providers[0])).locked], [FIL("10"), 0n]);
  });

  it("sets the market only once, and only from the owner (RegistryMarketAlreadySet)", async function () {
    const s = await setup({ providerCount: 0 });
    assert.equal((await s.registry.read.market()).toLowerCase(), s.market.address.toLowerCase());
    await assert.rejects(s.registry.write.setMarket([s.outsider.account.address]), /RegistryMarketAlreadySet/);
    await assert.rejects(
      s.registry.write.setMarket([s.outsider.account.address], { account: s.outsider.account }),
      /OwnableUnauthorizedAccount/,
    );
    const fresh = await s.viem.deployContract("ProviderRegistry", [s.admin.account.address, FIL("1"), BigInt(DELAY)]);
    await assert.rejects(
      fresh.write.setMarket([s.outsider.account.address], { account: s.outsider.account }),
      /OwnableUnauthorizedAccount/,
    );
    await fresh.write.setMarket([s.market.address]);
    await assert.rejects(fresh.write.setMarket([s.market.address]), /RegistryMarketAlreadySet/);
  });

  it("sends slashed stake to the owner's chosen treasury, keeping the registry solvent", async function () {
    const s = await setup({ providerCount: 1 });
    const [p] = s.providers;
    const r = await s.request({ replicas: 1, quorum: 1, collateral: FIL("2") });
    const jobId = await s.submit(r);
    await s.claim(jobId, 0, p);
    await at(s, r.deadline);
    await s.market.write.expire([jobId]);
    assert.equal(await s.registry.read.slashed(), FIL("2"));
    await assertRegistrySolvent(s);
    await assert.rejects(
      s.registry.write.withdrawSlashed([s.outsider.account.address], { account: s.outsider.account }),
      /OwnableUnauthorizedAccount/,
    );
    const before = await balance(s, s.outsider.account.address);
    await s.registry.write.withdrawSlashed([s.outsider.account.address]);
    assert.equal(await balance(s, s.outsider.account.address), before + FIL("2"));
    assert.equal(await s.registry.read.slashed(), 0n);
    await assertRegistrySolvent(s);
  });
});
