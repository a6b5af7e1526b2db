import assert from "node:assert/strict";
import { setup } from "../helpers/shoal.js";
import { installFevm, maskedIdAddress, NATIVE_TYPE } from "../helpers/fevm.js";
import { expectRevert } from "../helpers/revert.js";

describe("ProviderRegistry.bindMiner", function () {
  async function fixture() {
    const s = await setup({ providerCount: 3 });
    const fevm = await installFevm(s.viem);
    const [alice, bob, carol] = s.providers;
    return { s, fevm, alice, bob, carol };
  }

  it("binds a miner whose controlling addresses include the caller's f410 address", async function () {
    const { s, fevm, alice } = await fixture();
    await fevm.addMiner(1234n, { owner: s.outsider.account.address, controllers: [alice.account.address] });
    await s.registry.write.bindMiner([1234n], { account: alice.account });
    assert.equal((await s.registry.read.provider([alice.account.address])).minerId, 1234n);
    assert.equal((await s.registry.read.minerOwner([1234n])).toLowerCase(), alice.account.address.toLowerCase());
    const events = await s.registry.getEvents.MinerBound({}, { fromBlock: 0n });
    assert.equal(events.length, 1);
    assert.equal(events[0].args.minerId, 1234n);
  });

  it("refuses a caller that does not control the miner", async function () {
    const { s, fevm, alice, bob } = await fixture();
    await fevm.addMiner(1234n, { owner: alice.account.address });
    await fevm.bindAddress(bob.account.address);
    await assert.rejects(s.registry.write.bindMiner([1234n], { account: bob.account }), /RegistryNotMinerController/);
  });

  it("refuses a spoofed miner: an EVM contract that answers 'yes' to everything but has no power claim", async function () {
    const { s, fevm, alice } = await fixture();
    const spoof = await s.viem.deployContract("SpoofMinerActor");
    const code = await s.publicClient.getCode({ address: spoof.address });
    const testClient = await s.viem.getTestClient();
    await testClient.setCode({ address: maskedIdAddress(6666n), bytecode: code! });
    await fevm.init.write.setActor([6666n, NATIVE_TYPE.EVM_CONTRACT, "0x"]);
    await fevm.bindAddress(alice.account.address);
    await assert.rejects(s.registry.write.bindMiner([6666n], { account: alice.account }), /RegistryNotAMiner/);
  });

  it("refuses a miner the power actor does not know, even when the caller controls it", async function () {
    const { s, fevm, alice } = await fixture();
    await fevm.addMiner(1300n, { owner: alice.account.address, inPowerTable: false });
    await assert.rejects(s.registry.write.bindMiner([1300n], { account: alice.account }), /RegistryNotAMiner/);
  });

  it("refuses a miner with no raw power (an empty miner proves no storage and costs next to nothing)", async function () {
    const { s, fevm, alice } = await fixture();
    await fevm.addMiner(1400n, { owner: alice.account.address, rawPower: 0n });
    await expectRevert(s.registry.write.bindMiner([1400n], { account: alice.account }), "RegistryMinerHasNoPower", [1400n]);
    await fevm.setRawPower(1400n, 32n << 30n);
    await s.registry.write.bindMiner([1400n], { account: alice.account });
    assert.equal((await s.registry.read.provider([alice.account.address])).minerId, 1400n);
  });

  it("refuses a miner another provider already bound, a zero ID, and unregistered callers", async function () {
    const { s, fevm, alice, bob } = await fixture();
    await fevm.addMiner(1234n, { owner: alice.account.address, controllers: [bob.account.address] });
    await s.registry.write.bindMiner([1234n], { account: alice.account });
    await assert.rejects(s.registry.write.bindMiner([1234n], { account: bob.account }), /RegistryMinerAlreadyBound/);
    await assert.rejects(s.registry.write.bindMiner([0n], { account: bob.account }), /RegistryInvalidMinerId/);
    await assert.rejects(s.registry.write.bindMiner([1234n], { account: s.outsider.account }), /RegistryNotRegistered/);
  });
});
