import assert from "node:assert/strict";
import { encodeAbiParameters, type Hex } from "viem";
import { setup, resultCid, Status } from "../helpers/shoal.js";
import { payloadOf, pieceFromBytes } from "../helpers/piece.js";

const pdpProof = (setId: bigint, pieceId: bigint) =>
  ({ kind: 0, data: encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [setId, pieceId]) }) as const;
const dealProof = (dealId: bigint) => ({ kind: 1, data: encodeAbiParameters([{ type: "uint64" }], [dealId]) }) as const;

describe("JobMarket locality claims", function () {
  const piece = pieceFromBytes(payloadOf("dataset.csv", 5000));
  const other = pieceFromBytes(payloadOf("other.csv", 5000));
  const inputs = [{ root: piece.root, paddedSize: piece.paddedSize }];

  async function fixture() {
    const s = await setup({ providerCount: 3, locality: true });
    const { fevm, pdp } = s.locality!;
    const [pdpSp, dealSp, stranger] = s.providers;
    // pdpSp keeps the piece in PDP data set 1; dealSp's miner f01234 has deal 77 for it.
    await pdp.write.setDataSet([1n, pdpSp.account.address, true]);
    await pdp.write.setPiece([1n, 0n, piece.v2, true]);
    await pdp.write.setDataSet([2n, stranger.account.address, true]);
    await pdp.write.setPiece([2n, 0n, other.v2, true]);
    await fevm.addMiner(1234n, { owner: dealSp.account.address });
    await s.registry.write.bindMiner([1234n], { account: dealSp.account });
    await fevm.addDeal(77n, { provider: 1234n, pieceCid: piece.v1, size: piece.paddedSize });
    const r = await s.request({ replicas: 2, quorum: 2, locality: true, inputs });
    const jobId = await s.submit(r);
    const claim = (from: (typeof s.providers)[number], slot: number, proof: { kind: number; data: Hex }, ins = inputs) =>
      s.market.write.claim([jobId, BigInt(slot), ins, [proof], []], { account: from.account });
    return { s, pdpSp, dealSp, stranger, jobId, claim };
  }

  it("accepts one provider proving the input through PDP and another through an f05 deal, and settles", async function () {
    const { s, pdpSp, dealSp, jobId, claim } = await fixture();
    await claim(pdpSp, 0, pdpProof(1n, 0n));
    await claim(dealSp, 1, dealProof(77n));
    const cid = resultCid("stats");
    await s.commit(jobId, 0, pdpSp, cid);
    await s.commit(jobId, 1, dealSp, cid);
    await s.reveal(jobId, 0, pdpSp, cid);
    await s.reveal(jobId, 1, dealSp, cid);
    assert.equal((await s.job(jobId)).status, Status.Settled);
  });

  it("refuses a claim without proofs, with other inputs than posted, or with an unknown proof kind", async function () {
    const { s, pdpSp, jobId, claim } = await fixture();
    await assert.rejects(
      s.market.write.claim([jobId, 0n, inputs, [], []], { account: pdpSp.account }),
      /LocalityInputsMismatch/,
    );
    await assert.rejects(
      claim(pdpSp, 0, pdpProof(1n, 0n), [{ root: other.root, paddedSize: other.paddedSize }]),
      /LocalityInputsMismatch/,
    );
    await assert.rejects(claim(pdpSp, 0, { kind: 7, data: "0x" }), /UnknownLocalityKind/);
  });

  it("refuses another provider's data set, and another miner's deal", async function () {
    const { stranger, claim } = await fixture();
    await assert.rejects(claim(stranger, 0, pdpProof(1n, 0n)), /PdpLocalityNotProvider/);
    await assert.rejects(claim(stranger, 0, dealProof(77n)), /DealLocalityNoMiner/);
  });

  it("refuses the claimant's own data set when it holds a different piece (wrong piece CID)", async function () {
    const { stranger, claim } = await fixture();
    await assert.rejects(claim(stranger, 0, pdpProof(2n, 0n)), /PdpLocalityPieceMismatch/);
  });

  it("refuses a claim once the piece's data set is no longer live", async function () {
    const { s, pdpSp, claim } = await fixture();
    await s.locality!.pdp.write.setDataSet([1n, pdpSp.account.address, false]);
    await assert.rejects(claim(pdpSp, 0, pdpProof(1n, 0n)), /PdpLocalityDataSetNotLive/);
  });

  it("refuses a claim through a deal that was never activated", async function () {
    const { s, dealSp, claim } = await fixture();
    await s.locality!.fevm.setDealActivation(77n, -1n);
    await assert.rejects(claim(dealSp, 0, dealProof(77n)), /DealLocalityNotActivated/);
  });
});
