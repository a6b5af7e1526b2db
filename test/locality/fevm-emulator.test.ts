import assert from "node:assert/strict";
import { network } from "hardhat";
import { type Hex, concat } from "viem";

import {
  ACTOR_ID,
  EXIT_CODE,
  METHOD,
  NATIVE_TYPE,
  PRECOMPILE,
  f410Address,
  idAddress,
  installFevm,
  maskedIdAddress,
  payloadOf,
  pieceFromBytes,
} from "../helpers/fevm.js";

const CBOR = 0x51n;
const MINER = 1234n;
const DEAL = 77n;

// Expected bytes are the serde/fvm_ipld_encoding encodings of builtin-actors' types, written out by hand.
describe("FEVM emulator", () => {
  const piece = pieceFromBytes(payloadOf("emulator", 3000)); // 4 KiB piece

  async function setup() {
    const { viem } = await network.create();
    const [, ownerWallet, controllerWallet, strangerWallet] = await viem.getWalletClients();
    const owner = ownerWallet.account.address;
    const controller = controllerWallet.account.address;
    const stranger = strangerWallet.account.address;
    const fevm = await installFevm(viem);
    await fevm.addMiner(MINER, { owner, controllers: [controller], rawPower: 32n << 30n });
    await fevm.addDeal(DEAL, {
      provider: MINER,
      pieceCid: piece.v1,
      size: piece.paddedSize,
      start: 100n,
      duration: 518_400n,
      activated: -1n,
    });
    const probe = await viem.deployContract("FevmProbe");
    const api = await viem.deployContract("FilecoinApiHarness");
    const call = (actor: bigint, method: bigint, params: Hex, codec = CBOR) =>
      probe.simulate.callActor([actor, method, codec, params]).then((r) => r.result);
    return { viem, fevm, probe, api, call, owner, controller, stranger };
  }

  describe("call_actor_id answers with the builtin actors' CBOR", () => {
    it("market GetDealProvider: the provider ID", async () => {
      const { call } = await setup();
      // params: uint 77 = 18 4d; return: uint 1234 = 19 04d2
      assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_PROVIDER, "0x184d"), [0n, CBOR, "0x1904d2"]);
    });

    it("market GetDealDataCommitment: [dag-cbor link with 0x00 prefix, padded size]", async () => {
      const { call } = await setup();
      const expected = concat(["0x82", "0xd82a", "0x5828", "0x00", piece.v1, "0x191000"]);
      assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_DATA_COMMITMENT, "0x184d"), [0n, CBOR, expected]);
    });

    it("market GetDealTerm: [start, duration]", async () => {
      const { call } = await setup();
      assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_TERM, "0x184d"), [0n, CBOR, "0x8218641a0007e900"]);
    });

    it("market GetDealActivation: [-1, -1] for a deal never activated", async () => {
      const { call } = await setup();
      assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_ACTIVATION, "0x184d"), [0n, CBOR, "0x822020"]);
    });

    it("market: USR_NOT_FOUND for an unknown deal, EX_DEAL_EXPIRED for a removed one", async () => {
      const { call, fevm } = await setup();
      assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_PROVIDER, "0x184e"), [EXIT_CODE.USR_NOT_FOUND, 0n, "0x"]);
      await fevm.removeDeal(DEAL);
      assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_TERM, "0x184d"), [EXIT_CODE.EX_DEAL_EXPIRED, 0n, "0x"]);
    });

    it("market: USR_SERIALIZATION for params that are not a canonical uint, USR_UNHANDLED_MESSAGE for other methods", async () => {
      const { call } = await setup();
      for (const bad of ["0x", "0x4100", "0x1800", "0x184d00"] as Hex[]) {
        assert.deepEqual(await call(ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_PROVIDER, bad), [EXIT_CODE.USR_SERIALIZATION, 0n, "0x"]);
      }
      assert.deepEqual(await call(ACTOR_ID.MARKET, 46363526n, "0x184d"), [EXIT_CODE.USR_UNHANDLED_MESSAGE, 0n, "0x"]);
    });

    it("power MinerRawPower: [BigInt bytes, meets minimum]; USR_ILLEGAL_ARGUMENT for a miner without a claim", async () => {
      const { call } = await setup();
      // params: uint 1234; return: [bytes 00 0800000000 (32 GiB), true]
      assert.deepEqual(await call(ACTOR_ID.POWER, METHOD.POWER_MINER_RAW_POWER, "0x1904d2"), [0n, CBOR, "0x8246000800000000f5"]);
      assert.deepEqual(await call(ACTOR_ID.POWER, METHOD.POWER_MINER_RAW_POWER, "0x1904d3"), [EXIT_CODE.USR_ILLEGAL_ARGUMENT, 0n, "0x"]);
    });

    it("miner GetOwner: [owner ID address, null]", async () => {
      const { call, fevm, owner } = await setup();
      const ownerId = fevm.actorIdOf(owner)!;
      const f0 = idAddress(ownerId); // 00 e807 for 1000
      assert.equal(f0, "0x00e807");
      assert.deepEqual(await call(MINER, METHOD.MINER_GET_OWNER, "0x", 0n), [0n, CBOR, concat(["0x82", "0x43", f0, "0xf6"])]);
    });

    it("miner IsControllingAddress: true for owner and controllers, false otherwise", async () => {
      const { call, owner, controller, stranger } = await setup();
      const param = (a: Hex) => concat(["0x56", f410Address(a)]); // bytes(22)
      assert.deepEqual(await call(MINER, METHOD.MINER_IS_CONTROLLING_ADDRESS, param(owner)), [0n, CBOR, "0xf5"]);
      assert.deepEqual(await call(MINER, METHOD.MINER_IS_CONTROLLING_ADDRESS, param(controller)), [0n, CBOR, "0xf5"]);
      assert.deepEqual(await call(MINER, METHOD.MINER_IS_CONTROLLING_ADDRESS, param(stranger)), [0n, CBOR, "0xf4"]);
    });

    it("SYS_INVALID_RECEIVER for an actor that does not exist", async () => {
      const { call } = await setup();
      assert.deepEqual(await call(7777n, METHOD.MINER_GET_OWNER, "0x", 0n), [EXIT_CODE.SYS_INVALID_RECEIVER, 0n, "0x"]);
    });

    it("fails like the real precompile when called directly or with invalid input", async () => {
      const { viem, probe } = await setup();
      const publicClient = await viem.getPublicClient();
      await assert.rejects(publicClient.call({ to: PRECOMPILE.CALL_ACTOR_ID, data: "0x" }));
      // codec 0 with params, and a reserved method number
      await assert.rejects(probe.simulate.callActor([ACTOR_ID.MARKET, METHOD.MARKET_GET_DEAL_PROVIDER, 0n, "0x184d"]));
      await assert.rejects(probe.simulate.callActor([ACTOR_ID.MARKET, 2n, CBOR, "0x184d"]));
    });
  });

  describe("filecoin-solidity decodes the emulated answers", () => {
    it("MinerAPI.isControllingAddress and getOwner", async () => {
      const { api, fevm, owner, controller, stranger } = await setup();
      assert.deepEqual(await api.read.isControllingAddress([MINER, owner]), [0n, true]);
      assert.deepEqual(await api.read.isControllingAddress([MINER, controller]), [0n, true]);
      assert.deepEqual(await api.read.isControllingAddress([MINER, stranger]), [0n, false]);
      assert.deepEqual(await api.read.getOwner([MINER]), [0n, idAddress(fevm.actorIdOf(owner)!), "0x"]);
    });

    it("PowerAPI.minerRawPower, and a non-zero exit code for an unknown miner", async () => {
      const { api } = await setup();
      assert.deepEqual(await api.read.minerRawPower([MINER]), [0n, "0x0800000000", false, true]);
      assert.deepEqual(await api.read.minerRawPower([4321n]), [EXIT_CODE.USR_ILLEGAL_ARGUMENT, "0x", false, false]);
    });

    it("MarketAPI deal getters (the library reads the actor's -1 as 0)", async () => {
      const { api, fevm } = await setup();
      assert.deepEqual(await api.read.getDealProvider([DEAL]), [0n, MINER]);
      assert.deepEqual(await api.read.getDealDataCommitment([DEAL]), [0n, concat(["0x00", piece.v1]), piece.paddedSize]);
      assert.deepEqual(await api.read.getDealTerm([DEAL]), [0n, 100n, 518_400n]);
      assert.deepEqual(await api.read.getDealActivation([DEAL]), [0n, 0n, 0n]);
      await fevm.setDealActivation(DEAL, 150n, 9000n);
      assert.deepEqual(await api.read.getDealActivation([DEAL]), [0n, 150n, 9000n]);
    });

    it("PrecompilesAPI resolve and lookup, and get_actor_type", async () => {
      const { api, fevm, owner, stranger } = await setup();
      const ownerId = fevm.actorIdOf(owner)!;
      assert.equal(await api.read.resolveEthAddress([owner]), ownerId);
      await assert.rejects(api.read.resolveEthAddress([stranger])); // empty answer: abi.decode fails
      assert.equal(await api.read.lookupDelegatedAddress([ownerId]), f410Address(owner).toLowerCase());
      assert.equal(await api.read.lookupDelegatedAddress([4242n]), "0x");
      assert.equal(await api.read.actorType([MINER]), BigInt(NATIVE_TYPE.STORAGE_PROVIDER));
      assert.equal(await api.read.actorType([ownerId]), BigInt(NATIVE_TYPE.ACCOUNT));
      assert.equal(await api.read.actorType([ACTOR_ID.MARKET]), BigInt(NATIVE_TYPE.SYSTEM));
      assert.equal(await api.read.actorType([4242n]), BigInt(NATIVE_TYPE.NON_EXISTENT));
    });
  });

  it("puts mock actors at the masked ID addresses", async () => {
    const { viem } = await setup();
    const publicClient = await viem.getPublicClient();
    assert.equal(maskedIdAddress(5n).toLowerCase(), "0xff00000000000000000000000000000000000005");
    assert.equal(maskedIdAddress(MINER).toLowerCase(), "0xff000000000000000000000000000000000004d2");
    for (const id of [ACTOR_ID.INIT, ACTOR_ID.POWER, ACTOR_ID.MARKET, MINER]) {
      const code = await publicClient.getCode({ address: maskedIdAddress(id) });
      assert.ok(code !== undefined && code.length > 2, `no code for actor ${id}`);
    }
  });
});
