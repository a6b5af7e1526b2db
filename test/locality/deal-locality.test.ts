import { network } from "hardhat";
import { type Address, type Hex, encodeAbiParameters } from "viem";

import { EXIT_CODE, METHOD, installFevm, payloadOf, pieceCidV2, pieceFromBytes } from "../helpers/fevm.js";
import { expectRevert } from "../helpers/revert.js";

const MINER = 1234n;
const OTHER_MINER = 5678n;
const DEAL = 77n;

function dealProof(dealId: bigint): Hex {
  return encodeAbiParameters([{ type: "uint64" }], [dealId]);
}

describe("DealLocality", () => {
  const piece = pieceFromBytes(payloadOf("deal-input", 3000));
  const other = pieceFromBytes(payloadOf("another-input", 3000));

  async function setup() {
    const { viem, networkHelpers } = await network.create();
    const [, providerWallet, otherWallet] = await viem.getWalletClients();
    const provider = providerWallet.account.address;
    const fevm = await installFevm(viem);
    await fevm.addMiner(MINER, { owner: provider });
    await fevm.addMiner(OTHER_MINER, { owner: otherWallet.account.address });
    await fevm.addDeal(DEAL, { provider: MINER, pieceCid: piece.v1, size: piece.paddedSize });
    const adapter = await viem.deployContract("DealLocality");
    const publicClient = await viem.getPublicClient();
    const verify = (minerId: bigint, root: Hex, size: bigint, proof: Hex, claimant: Address = provider) =>
      adapter.read.verifyLocality([claimant, minerId, root, size, proof]);
    return { viem, networkHelpers, fevm, adapter, provider, publicClient, verify };
  }

  it("accepts an active deal of the provider's miner for the piece", async () => {
    const { verify, adapter, provider, publicClient } = await setup();
    await verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL));
    const gas = await publicClient.estimateContractGas({
      address: adapter.address,
      abi: adapter.abi,
      functionName: "verifyLocality",
      args: [provider, MINER, piece.root, piece.paddedSize, dealProof(DEAL)],
    });
    console.log(`      gas: DealLocality.verifyLocality (success, estimateGas incl. 21000 base, EVM emulator) = ${gas}`);
  });

  it("refuses a provider without a bound miner", async () => {
    const { verify, provider } = await setup();
    await expectRevert(verify(0n, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityNoMiner", [provider]);
  });

  it("refuses another miner's deal", async () => {
    const { verify, fevm } = await setup();
    await fevm.addDeal(78n, { provider: OTHER_MINER, pieceCid: piece.v1, size: piece.paddedSize });
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(78n)), "DealLocalityWrongProvider", [
      78n,
      OTHER_MINER,
      MINER,
    ]);
  });

  it("refuses an expired deal", async () => {
    const { verify, fevm, publicClient, networkHelpers } = await setup();
    await networkHelpers.mine(100);
    const now = await publicClient.getBlockNumber();
    await fevm.addDeal(DEAL, { provider: MINER, pieceCid: piece.v1, size: piece.paddedSize, start: now - 50n, duration: 20n, activated: now - 45n });
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityExpired", [DEAL, now - 30n]);
  });

  it("refuses a deal once its term has passed", async () => {
    const { verify, fevm, publicClient, networkHelpers } = await setup();
    const now = await publicClient.getBlockNumber();
    await fevm.addDeal(DEAL, { provider: MINER, pieceCid: piece.v1, size: piece.paddedSize, start: now, duration: 10n, activated: now });
    await verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL));
    await networkHelpers.mine(10);
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityExpired", [DEAL, now + 10n]);
  });

  it("refuses a deal the market actor has removed (expired or terminated: EX_DEAL_EXPIRED)", async () => {
    const { verify, fevm } = await setup();
    await fevm.removeDeal(DEAL);
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityDealGone", [
      DEAL,
      METHOD.MARKET_GET_DEAL_PROVIDER,
    ]);
  });

  it("refuses a terminated deal", async () => {
    const { verify, fevm, publicClient } = await setup();
    const now = await publicClient.getBlockNumber();
    await fevm.setDealActivation(DEAL, now - 1n, now);
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityTerminated", [DEAL, now]);
  });

  it("refuses a deal never activated (activation epoch -1)", async () => {
    const { verify, fevm } = await setup();
    await fevm.setDealActivation(DEAL, -1n);
    // filecoin-solidity reads the actor's -1 as 0
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityNotActivated", [DEAL, 0n]);
  });

  it("refuses a deal whose activation epoch is in the future", async () => {
    const { verify, fevm, publicClient } = await setup();
    const later = (await publicClient.getBlockNumber()) + 1000n;
    await fevm.setDealActivation(DEAL, later);
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "DealLocalityNotActivated", [DEAL, later]);
  });

  it("refuses a deal for another piece root", async () => {
    const { verify } = await setup();
    await expectRevert(verify(MINER, other.root, other.paddedSize, dealProof(DEAL)), "DealLocalityPieceMismatch", [
      DEAL,
      piece.root,
      piece.paddedSize,
    ]);
  });

  it("refuses a deal whose padded size differs", async () => {
    const { verify } = await setup();
    await expectRevert(verify(MINER, piece.root, piece.paddedSize * 2n, dealProof(DEAL)), "DealLocalityPieceMismatch", [
      DEAL,
      piece.root,
      piece.paddedSize,
    ]);
  });

  it("refuses a deal whose piece CID is not a v1 piece CID", async () => {
    const { verify, fevm } = await setup();
    await fevm.addDeal(DEAL, { provider: MINER, pieceCid: pieceCidV2(piece.root, piece.height), size: piece.paddedSize });
    // 39 bytes + the market's 0x00 = 40: read as a prefixed v1 CID whose header is wrong
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(DEAL)), "PieceKeyInvalidByte", [2n, "0x55"]);
  });

  it("refuses an unknown deal with the actor's exit code", async () => {
    const { verify } = await setup();
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, dealProof(999n)), "DealLocalityMarketCallFailed", [
      999n,
      METHOD.MARKET_GET_DEAL_PROVIDER,
      EXIT_CODE.USR_NOT_FOUND,
    ]);
  });

  it("refuses a proof that is not one uint64 word", async () => {
    const { verify } = await setup();
    const tooBig = encodeAbiParameters([{ type: "uint256" }], [1n << 64n]);
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, tooBig), "DealLocalityInvalidProof", [tooBig]);
    await expectRevert(verify(MINER, piece.root, piece.paddedSize, "0x4d"), "DealLocalityInvalidProof", ["0x4d"]);
  });

  it("fails with filecoin-solidity's ActorNotFound where no actor precompile exists", async () => {
    const { viem } = await network.create();
    const adapter = await viem.deployContract("DealLocality");
    const [, wallet] = await viem.getWalletClients();
    await expectRevert(
      adapter.read.verifyLocality([wallet.account.address, MINER, piece.root, piece.paddedSize, dealProof(DEAL)]),
      "ActorNotFound",
    );
  });
});
