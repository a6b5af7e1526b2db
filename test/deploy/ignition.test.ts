import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import hre, { network } from "hardhat";
import { filecoin, filecoinCalibration } from "viem/chains";
import ShoalFilecoin, { ShoalCore } from "../../ignition/modules/Shoal.js";
import { deployments } from "../../sdk/src/deployments.js";

describe("deployment (Hardhat Ignition)", function () {
  it("deploys ShoalCore on a fresh local chain at the addresses the SDK records for chain 31337, linked", async function () {
    const { ignition, viem } = await network.create();
    const { registry, market } = await ignition.deploy(ShoalCore);
    assert.equal(registry.address.toLowerCase(), deployments[31337]!.providerRegistry.toLowerCase());
    assert.equal(market.address.toLowerCase(), deployments[31337]!.jobMarket.toLowerCase());
    const reg = await viem.getContractAt("ProviderRegistry", registry.address);
    const mkt = await viem.getContractAt("JobMarket", market.address);
    assert.equal((await reg.read.market()).toLowerCase(), market.address.toLowerCase());
    assert.equal((await mkt.read.registry()).toLowerCase(), registry.address.toLowerCase());
    assert.equal(await mkt.read.feeBps(), 100);
  });

  it("deploys ShoalFilecoin with its locality adapters over a PDPVerifier, with the Calibration parameters' shape", async function () {
    const { ignition, viem } = await network.create();
    const pdp = await viem.deployContract("PDPVerifierStandIn");
    const params = JSON.parse(await readFile(new URL("../../ignition/parameters/calibration.json", import.meta.url), "utf8"));
    const { market, pdpLocality, dealLocality } = await ignition.deploy(ShoalFilecoin, {
      parameters: { ShoalFilecoin: { ...params.ShoalFilecoin, pdpVerifier: pdp.address } },
    });
    const mkt = await viem.getContractAt("JobMarket", market.address);
    assert.equal((await mkt.read.pdpLocality()).toLowerCase(), pdpLocality.address.toLowerCase());
    assert.equal((await mkt.read.dealLocality()).toLowerCase(), dealLocality.address.toLowerCase());
    assert.equal(await mkt.read.maxCallbackGas(), BigInt(params.ShoalFilecoin.maxCallbackGas));
  });

  it("builds for a deployment (the production profile) without the test doubles under contracts/test; other builds keep them", async function () {
    const double = fileURLToPath(new URL("../../contracts/test/tokens/TestToken.sol", import.meta.url));
    const library = fileURLToPath(new URL("../../contracts/libraries/ResultCid.sol", import.meta.url));
    const built = async (buildProfile: string) => {
      const result = await hre.solidity.build([double, library], { buildProfile, quiet: true });
      assert.ok(result instanceof Map, "the build failed");
      return [...result.keys()].sort();
    };
    assert.deepEqual(await built("production"), [library]);
    assert.deepEqual(await built("default"), [double, library].sort());
  });

  it("configures Calibration (314159) and mainnet (314) with estimated gas and headroom, and the PDPVerifier proxies", async function () {
    const networks = hre.config.networks as Record<string, { chainId?: number; gas?: unknown; gasMultiplier?: number; type: string }>;
    assert.equal(networks.calibration!.chainId, filecoinCalibration.id);
    assert.equal(networks.mainnet!.chainId, filecoin.id);
    for (const name of ["calibration", "mainnet"]) {
      assert.equal(networks[name]!.gas, "auto");
      assert.ok((networks[name]!.gasMultiplier ?? 1) > 1);
    }
    const mainnet = JSON.parse(await readFile(new URL("../../ignition/parameters/mainnet.json", import.meta.url), "utf8"));
    assert.equal(mainnet.ShoalFilecoin.pdpVerifier, "0xBADd0B92C1c71d02E7d520f64c0876538fa2557F");
  });
});
