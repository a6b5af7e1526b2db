import assert from "node:assert/strict";
import { zeroAddress } from "viem";
import { setup, resultCid, Status, SAMPLE_SPEC, FIL, type Shoal } from "../helpers/shoal.js";
import { at, assertMarketEmpty, balance, claimAll, eventsIn, receipt, txCost, withdrawAll } from "../helpers/attack.js";

const CID = resultCid("the: 2, quick: 1, fox: 1");
const INPUTS = [{ root: `0x${"11".repeat(32)}` as const, paddedSize: 2048n }];

/** Requests a word count through the consumer from the client, paying the exact escrow. */
async function requestWordCount(s: Shoal, consumer: any, replicas = 3, quorum = 2, price = FIL("1")) {
  const deadline = (await s.now()) + 2 * 3600;
  const value = s.escrowOf({ replicas, price });
  const hash = await consumer.write.requestWordCount([SAMPLE_SPEC, INPUTS, replicas, quorum, price, FIL("0.5"), deadline], {
    account: s.client.account,
    value,
  });
  const jobId = (await s.market.read.jobCount()) as bigint;
  return { jobId, value, price, deadline, hash };
}

async function deployConsumer(s: Shoal) {
  return s.viem.deployContract("WordCountConsumer", [s.market.address]);
}

describe("ShoalConsumer", function () {
  it("requests a word count in one call, and stores the result CID the market delivers", async function () {
    const s = await setup({ providerCount: 3 });
    const consumer = await deployConsumer(s);
    const { jobId, hash } = await requestWordCount(s, consumer);
    const job = await s.job(jobId);
    assert.equal(job.client.toLowerCase(), consumer.address.toLowerCase());
    assert.equal(job.callback.toLowerCase(), consumer.address.toLowerCase());
    assert.equal(job.callbackGas, Number(await consumer.read.CALLBACK_GAS()));
    assert.equal((await consumer.read.requesterOf([jobId])).toLowerCase(), s.client.account.address.toLowerCase());
    const logs0 = (await receipt(s, hash)).logs;
    const [requested] = eventsIn(consumer.abi, logs0, "WordCountRequested");
    assert.equal(requested.args.jobId, jobId);
    const [recorded] = eventsIn(consumer.abi, logs0, "ShoalJobRequested");
    assert.equal(recorded.args.requester.toLowerCase(), s.client.account.address.toLowerCase());

    await claimAll(s, jobId, 3);
    await s.commit(jobId, 0, s.providers[0], CID);
    await s.commit(jobId, 1, s.providers[1], CID);
    await s.reveal(jobId, 0, s.providers[0], CID);
    assert.equal(await consumer.read.resultOf([jobId]), "0x");
    const settle = await s.reveal(jobId, 1, s.providers[1], CID);
    const logs = (await receipt(s, settle)).logs;
    const [called] = eventsIn(s.market.abi, logs, "CallbackCalled");
    assert.equal(called.args.success, true);
    const [received] = eventsIn(consumer.abi, logs, "WordCountReceived");
    assert.equal(received.args.resultCid, CID);
    assert.equal(await consumer.read.resultOf([jobId]), CID);
    assert.equal((await s.job(jobId)).status, Status.Settled);
  });

  it("refuses a result delivered by anyone but the market (ShoalConsumerUnauthorized)", async function () {
    const s = await setup({ providerCount: 1 });
    const consumer = await deployConsumer(s);
    const { jobId } = await requestWordCount(s, consumer, 1, 1);
    await assert.rejects(
      consumer.write.onShoalResult([jobId, CID], { account: s.outsider.account }),
      (e: Error) => /ShoalConsumerUnauthorized/.test(e.message) && e.message.toLowerCase().includes(s.outsider.account.address.slice(2).toLowerCase()),
    );
    await assert.rejects(consumer.write.onShoalResult([jobId, CID], { account: s.client.account }), /ShoalConsumerUnauthorized/);
    assert.equal(await consumer.read.resultOf([jobId]), "0x");
    // FIL from anyone but the market is refused too.
    await assert.rejects(s.outsider.sendTransaction({ to: consumer.address, value: 1n }), /ShoalConsumerUnauthorized/);
  });

  it("pays the requester the 0.0101 FIL left after an n = 3, k = 2 job at 0.01 FIL, whoever claims it, once", async function () {
    const s = await setup({ providerCount: 3 });
    const consumer = await deployConsumer(s);
    const { jobId } = await requestWordCount(s, consumer, 3, 2, FIL("0.01"));
    await assert.rejects(consumer.write.claimRefund([jobId], { account: s.outsider.account }), /NothingToWithdraw/);
    await claimAll(s, jobId, 3);
    await s.commit(jobId, 0, s.providers[0], CID);
    await s.commit(jobId, 1, s.providers[1], CID);
    await s.reveal(jobId, 0, s.providers[0], CID);
    await s.reveal(jobId, 1, s.providers[1], CID);

    // 0.0303 escrowed (3 × 0.01 + 1%), 0.0202 paid to two winners with the fee: 0.0101 to refund.
    assert.equal(s.feeBps, 100);
    assert.equal(await s.market.read.owed([jobId, consumer.address]), FIL("0.0101"));
    const before = await balance(s, s.client.account.address);
    const hash = await consumer.write.claimRefund([jobId], { account: s.outsider.account });
    assert.equal(await balance(s, s.client.account.address), before + FIL("0.0101"), "the requester paid no gas and got it all");
    const [claimed] = eventsIn(consumer.abi, (await receipt(s, hash)).logs, "ShoalRefundClaimed");
    assert.equal(claimed.args.jobId, jobId);
    assert.equal(claimed.args.requester.toLowerCase(), s.client.account.address.toLowerCase());
    assert.equal(claimed.args.amount, FIL("0.0101"));
    assert.equal(await balance(s, consumer.address), 0n);
    assert.equal(await s.market.read.owed([jobId, consumer.address]), 0n);
    await assert.rejects(consumer.write.claimRefund([jobId], { account: s.client.account }), /NothingToWithdraw/);
    await withdrawAll(s, [jobId], s.providers);
    await assertMarketEmpty(s);
  });

  it("refunds the whole escrow of a consumer's job that expires to its requester", async function () {
    const s = await setup({ providerCount: 1 });
    const consumer = await deployConsumer(s);
    const { jobId, value, deadline } = await requestWordCount(s, consumer);
    await at(s, deadline);
    await s.market.write.expire([jobId]);
    const before = await balance(s, s.client.account.address);
    const hash = await consumer.write.claimRefund([jobId], { account: s.client.account });
    assert.equal(await balance(s, s.client.account.address), before + value - (await txCost(s, hash)));
    assert.equal(await consumer.read.resultOf([jobId]), "0x");
    await assertMarketEmpty(s);
  });

  it("refuses a refund claim for a job it did not post (ShoalConsumerNoRequester)", async function () {
    const s = await setup({ providerCount: 1 });
    const consumer = await deployConsumer(s);
    const jobId = await s.submit(await s.request({ replicas: 1, quorum: 1 }));
    await assert.rejects(consumer.write.claimRefund([jobId]), /ShoalConsumerNoRequester/);
    assert.equal(await consumer.read.requesterOf([jobId]), zeroAddress);
  });

  it("posts an ERC-20 job from the consumer's balance, resets the allowance, and forwards the refund", async function () {
    const s = await setup({ providerCount: 3 });
    const token = await s.viem.deployContract("TestToken");
    const consumer = await s.viem.deployContract("TokenConsumerHarness", [s.market.address]);
    const r = await s.request({ replicas: 3, quorum: 2, token: token.address, callbackGas: 200_000, callback: s.outsider.account.address });
    const escrow = s.escrowOf(r);
    await token.write.mint([consumer.address, escrow]);
    await consumer.write.requestJob([r, escrow], { account: s.client.account });
    const jobId = (await s.market.read.jobCount()) as bigint;
    const job = await s.job(jobId);
    assert.equal(job.callback.toLowerCase(), consumer.address.toLowerCase(), "the consumer is always its own callback");
    assert.equal(await token.read.allowance([consumer.address, s.market.address]), 0n);
    assert.equal(await token.read.balanceOf([consumer.address]), 0n);

    await claimAll(s, jobId, 3);
    await s.commit(jobId, 0, s.providers[0], CID);
    await s.commit(jobId, 1, s.providers[1], CID);
    await s.reveal(jobId, 0, s.providers[0], CID);
    await s.reveal(jobId, 1, s.providers[1], CID);
    assert.equal(await consumer.read.results([jobId]), CID);

    // Posted by the client: the refund is the client's, whoever claims it.
    const refund = await s.market.read.owed([jobId, consumer.address]);
    assert.equal(refund, escrow - 2n * r.price - (2n * r.price * BigInt(s.feeBps)) / 10_000n);
    await consumer.write.claimRefund([jobId], { account: s.outsider.account });
    assert.equal(await token.read.balanceOf([s.client.account.address]), refund);
    assert.equal(await token.read.balanceOf([consumer.address]), 0n);
    // The author's own path (_withdrawRefunds) finds nothing left.
    await assert.rejects(consumer.write.withdrawTo([token.address, [jobId], s.outsider.account.address]), /NothingToWithdraw/);
    await withdrawAll(s, [jobId], s.providers, token.address);
    assert.equal(await token.read.balanceOf([s.market.address]), 0n);
  });

  it("posts a FIL job through the base with the value given, and refuses a consumer without a market", async function () {
    const s = await setup({ providerCount: 1 });
    const consumer = await s.viem.deployContract("TokenConsumerHarness", [s.market.address]);
    const r = await s.request({ replicas: 1, quorum: 1, callbackGas: 200_000 });
    await assert.rejects(consumer.write.requestJob([r, s.escrowOf(r) - 1n], { value: s.escrowOf(r) - 1n }), /IncorrectPayment/);
    await consumer.write.requestJob([r, s.escrowOf(r)], { value: s.escrowOf(r) });
    assert.equal(await balance(s, s.market.address), s.escrowOf(r));
    await assert.rejects(s.viem.deployContract("TokenConsumerHarness", [zeroAddress]), /ShoalConsumerZeroMarket/);
  });
});
