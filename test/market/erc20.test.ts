import assert from "node:assert/strict";
import { parseUnits, zeroAddress, type Address } from "viem";
import { setup, resultCid, Status, type Shoal } from "../helpers/shoal.js";
import { assertMarketEmpty, assertRegistrySolvent, claimAll, withdrawAll } from "../helpers/attack.js";

const USD = (x: string) => parseUnits(x, 18);
const CID = resultCid("token job");

/** Mints `amount` of `token` to the client and lets the market pull it. */
async function fund(s: Shoal, token: any, amount: bigint) {
  await token.write.mint([s.client.account.address, amount]);
  await token.write.approve([s.market.address, amount], { account: s.client.account });
}

/** Runs job `jobId` (n=3, k=2) to settlement with providers 0 and 1 winning. */
async function settle(s: Shoal, jobId: bigint) {
  await claimAll(s, jobId, 3);
  await s.commit(jobId, 0, s.providers[0], CID);
  await s.commit(jobId, 1, s.providers[1], CID);
  await s.reveal(jobId, 0, s.providers[0], CID);
  await s.reveal(jobId, 1, s.providers[1], CID);
  assert.equal((await s.job(jobId)).status, Status.Settled);
}

const tokenBalance = (token: any, who: Address) => token.read.balanceOf([who]) as Promise<bigint>;

describe("JobMarket with ERC-20 payment", function () {
  it("runs a job paid in a plain ERC-20 end to end, and leaves no token in the market", async function () {
    const s = await setup({ providerCount: 3 });
    const token = await s.viem.deployContract("TestToken");
    const r = await s.request({ replicas: 3, quorum: 2, token: token.address, price: USD("5") });
    const escrow = s.escrowOf(r);
    await fund(s, token, escrow);
    const jobId = await s.submit(r);
    assert.equal((await s.job(jobId)).token.toLowerCase(), token.address.toLowerCase());
    assert.equal(await tokenBalance(token, s.market.address), escrow);
    assert.equal(await tokenBalance(token, s.client.account.address), 0n);
    assert.equal(await s.publicClient.getBalance({ address: s.market.address }), 0n, "no FIL taken for a token job");

    await settle(s, jobId);
    // Wrong token: the job is paid in `token`, not FIL.
    await assert.rejects(s.market.write.withdraw([zeroAddress, [jobId]], { account: s.providers[0].account }), /WrongToken/);

    const paid = 2n * r.price;
    const fee = (paid * BigInt(s.feeBps)) / 10_000n;
    assert.equal(await s.market.read.feesAccrued([token.address]), fee);
    await withdrawAll(s, [jobId], [s.client, ...s.providers], token.address);
    for (const p of s.providers.slice(0, 2)) assert.equal(await tokenBalance(token, p.account.address), r.price);
    assert.equal(await tokenBalance(token, s.providers[2].account.address), 0n);
    assert.equal(await tokenBalance(token, s.client.account.address), escrow - paid - fee);
    assert.equal(await tokenBalance(token, s.admin.account.address), fee, "the treasury (admin) got the fee");
    assert.equal(await tokenBalance(token, s.market.address), 0n);
    await assertMarketEmpty(s);
    await assertRegistrySolvent(s);
  });

  it("refuses FIL sent along an ERC-20 job (IncorrectPayment)", async function () {
    const s = await setup({ providerCount: 1 });
    const token = await s.viem.deployContract("TestToken");
    const r = await s.request({ token: token.address });
    await fund(s, token, s.escrowOf(r));
    await assert.rejects(s.market.write.submit([r], { account: s.client.account, value: 1n }), /IncorrectPayment/);
  });

  it("refuses a fee-on-transfer token (TokenTransferShortfall)", async function () {
    const s = await setup({ providerCount: 1 });
    const token = await s.viem.deployContract("FeeOnTransferToken");
    const r = await s.request({ token: token.address });
    await fund(s, token, s.escrowOf(r));
    await assert.rejects(s.submit(r), /TokenTransferShortfall/);
    assert.equal(await s.market.read.jobCount(), 0n);
    assert.equal(await tokenBalance(token, s.market.address), 0n);
  });

  it("refuses a job whose token reverts on transferFrom", async function () {
    const s = await setup({ providerCount: 1 });
    const token = await s.viem.deployContract("RevertingToken");
    const r = await s.request({ token: token.address });
    await fund(s, token, s.escrowOf(r));
    await token.write.setFailing([true]);
    await assert.rejects(s.submit(r), /RevertingTokenDisabled/);
    assert.equal(await s.market.read.jobCount(), 0n);
  });

  it("keeps what is owed when the token starts reverting after settlement, and pays it once the token works again", async function () {
    const s = await setup({ providerCount: 3 });
    const token = await s.viem.deployContract("RevertingToken");
    const r = await s.request({ replicas: 3, quorum: 2, token: token.address });
    await fund(s, token, s.escrowOf(r));
    const jobId = await s.submit(r);
    await settle(s, jobId);

    await token.write.setFailing([true]);
    const winner = s.providers[0];
    await assert.rejects(s.market.write.withdraw([token.address, [jobId]], { account: winner.account }), /RevertingTokenDisabled/);
    await assert.rejects(s.market.write.withdraw([token.address, [jobId]], { account: s.client.account }), /RevertingTokenDisabled/);
    await assert.rejects(s.market.write.withdrawFees([token.address]), /RevertingTokenDisabled/);
    // Nothing was lost: the amounts are still owed and the tokens still held.
    assert.equal(await s.market.read.owed([jobId, winner.account.address]), r.price);
    assert.ok((await s.market.read.owed([jobId, s.client.account.address])) > 0n);
    assert.equal(await tokenBalance(token, s.market.address), s.escrowOf(r));

    await token.write.setFailing([false]);
    await withdrawAll(s, [jobId], [s.client, ...s.providers], token.address);
    assert.equal(await tokenBalance(token, winner.account.address), r.price);
    assert.equal(await tokenBalance(token, s.market.address), 0n);
  });

  it("keeps FIL and token accounts apart when both kinds of job settle", async function () {
    const s = await setup({ providerCount: 3 });
    const token = await s.viem.deployContract("TestToken");
    const rToken = await s.request({ replicas: 3, quorum: 2, token: token.address });
    await fund(s, token, s.escrowOf(rToken));
    const tokenJob = await s.submit(rToken);
    const filJob = await s.submit(await s.request({ replicas: 3, quorum: 2 }));
    await settle(s, tokenJob);
    await settle(s, filJob);
    await assert.rejects(s.market.write.withdraw([token.address, [tokenJob, filJob]], { account: s.providers[0].account }), /WrongToken/);
    await withdrawAll(s, [tokenJob], [s.client, ...s.providers], token.address);
    await withdrawAll(s, [filJob], [s.client, ...s.providers]);
    assert.equal(await tokenBalance(token, s.market.address), 0n);
    await assertMarketEmpty(s);
  });
});
