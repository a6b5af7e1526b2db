import assert from "node:assert/strict";
import { network } from "hardhat";
import { type Address, type Hex, encodeAbiParameters, getAddress, toFunctionSelector, zeroAddress } from "viem";

import { payloadOf, pieceCidV2, pieceFromBytes } from "../helpers/piece.js";
import { expectRevert } from "../helpers/revert.js";

const SET = 7n;
const PIECE = 3n;

function pdpProof(dataSetId: bigint, pieceId: bigint): Hex {
  return encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [dataSetId, pieceId]);
}

/** Epochs a data set's last proof may be old (the deployments use 5,760: two days of 30 s epochs). */
const MAX_AGE = 100n;

describe("PdpLocality", () => {
  const piece = pieceFromBytes(payloadOf("pdp-input", 3000));
  const other = pieceFromBytes(payloadOf("another-input", 3000));

  async function setup() {
    const { viem } = await network.create();
    const [, providerWallet, strangerWallet] = await viem.getWalletClients();
    const provider = providerWallet.account.address;
    const stranger = strangerWallet.account.address;
    const pdp = await viem.deployContract("PDPVerifierStandIn");
    const adapter = await viem.deployContract("PdpLocality", [pdp.address, MAX_AGE]);
    await pdp.write.setDataSet([SET, provider, true]);
    await pdp.write.setPiece([SET, PIECE, piece.v2, true]);
    const publicClient = await viem.getPublicClient();
    const verify = (claimant: Address, root: Hex, size: bigint, proof: Hex) =>
      adapter.read.verifyLocality([claimant, 0n, root, size, proof]);
    return { viem, pdp, adapter, provider, stranger, publicClient, verify };
  }

  it("accepts a live piece in the provider's live data set", async () => {
    const { verify, provider, adapter, publicClient } = await setup();
    await verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE));
    const gas = await publicClient.estimateContractGas({
      address: adapter.address,
      abi: adapter.abi,
      functionName: "verifyLocality",
      args: [provider, 0n, piece.root, piece.paddedSize, pdpProof(SET, PIECE)],
    });
    console.log(`      gas: PdpLocality.verifyLocality (success, estimateGas incl. 21000 base) = ${gas}`);
  });

  it("exposes the PDPVerifier it reads and the proof age it accepts", async () => {
    const { adapter, pdp } = await setup();
    assert.equal(await adapter.read.pdpVerifier(), getAddress(pdp.address));
    assert.equal(await adapter.read.maxProofAge(), MAX_AGE);
  });

  it("refuses a data set whose provider stopped proving: live, but its last proof older than maxProofAge", async () => {
    const { verify, provider, pdp, publicClient, viem } = await setup();
    const proven = await publicClient.getBlockNumber();
    await pdp.write.setLastProvenEpoch([SET, proven]);
    await verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)); // fresh: accepted
    const testClient = await viem.getTestClient();
    await testClient.mine({ blocks: Number(MAX_AGE) + 1 }); // the provider proves nothing more
    assert.equal(await pdp.read.dataSetLive([SET]), true, "the data set is still live");
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityProofStale", [SET, proven, MAX_AGE]);
    await pdp.write.setLastProvenEpoch([SET, await publicClient.getBlockNumber()]); // proving again
    await verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE));
  });

  it("refuses a data set that was never proven", async () => {
    const { verify, provider, pdp } = await setup();
    await pdp.write.setLastProvenEpoch([SET, 0n]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityProofStale", [SET, 0n, MAX_AGE]);
  });

  it("refuses a zero maximum proof age at deployment", async () => {
    const { viem, pdp } = await setup();
    await expectRevert(viem.deployContract("PdpLocality", [pdp.address, 0n]), "PdpLocalityZeroProofAge");
  });

  it("refuses a PDPVerifier address without code", async () => {
    const { viem } = await network.create();
    await expectRevert(viem.deployContract("PdpLocality", [zeroAddress, MAX_AGE]), "PdpLocalityVerifierNotContract", [zeroAddress]);
  });

  it("refuses another provider's data set", async () => {
    const { verify, stranger, provider } = await setup();
    await expectRevert(verify(stranger, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityNotProvider", [
      SET,
      provider,
      stranger,
    ]);
  });

  it("refuses a dead data set", async () => {
    const { verify, pdp, provider } = await setup();
    await pdp.write.setDataSet([SET, provider, false]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityDataSetNotLive", [SET]);
  });

  it("refuses a data set that never existed", async () => {
    const { verify, provider } = await setup();
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(99n, PIECE)), "PdpLocalityDataSetNotLive", [99n]);
  });

  it("refuses a dead piece", async () => {
    const { verify, pdp, provider } = await setup();
    await pdp.write.setPiece([SET, PIECE, piece.v2, false]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityPieceNotLive", [SET, PIECE]);
  });

  it("refuses a piece id not in the data set", async () => {
    const { verify, provider } = await setup();
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, 4n)), "PdpLocalityPieceNotLive", [SET, 4n]);
  });

  it("refuses a piece whose root differs", async () => {
    const { verify, provider } = await setup();
    await expectRevert(verify(provider, other.root, other.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityPieceMismatch", [
      SET,
      PIECE,
      piece.root,
      piece.paddedSize,
    ]);
  });

  it("refuses a piece whose padded size differs", async () => {
    const { verify, provider, pdp } = await setup();
    // Same root stored under a CID announcing a larger tree.
    await pdp.write.setPiece([SET, PIECE, pieceCidV2(piece.root, piece.height + 1), true]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityPieceMismatch", [
      SET,
      PIECE,
      piece.root,
      piece.paddedSize * 2n,
    ]);
    await pdp.write.setPiece([SET, PIECE, piece.v2, true]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize * 2n, pdpProof(SET, PIECE)), "PdpLocalityPieceMismatch");
  });

  it("refuses a malformed piece CID stored in the data set", async () => {
    const { verify, provider, pdp } = await setup();
    await pdp.write.setPiece([SET, PIECE, piece.v1, true]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PieceKeyInvalidByte");
  });

  it("refuses a proof that is not two words", async () => {
    const { verify, provider } = await setup();
    const short = encodeAbiParameters([{ type: "uint256" }], [SET]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, short), "PdpLocalityInvalidProof", [32n]);
  });

  it("turns a getter's DataSetNotLive revert into its own error", async () => {
    const { verify, provider, pdp } = await setup();
    await pdp.write.setGettersRevert([true]);
    await expectRevert(verify(provider, piece.root, piece.paddedSize, pdpProof(SET, PIECE)), "PdpLocalityVerifierReverted", [
      toFunctionSelector("getDataSetStorageProvider(uint256)"),
      SET,
      toFunctionSelector("DataSetNotLive()"),
    ]);
  });
});
