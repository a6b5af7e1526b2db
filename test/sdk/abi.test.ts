import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { EXPORTED, FRAGMENTS, JSON_ONLY, renderAbi, renderAbiJson, renderDeployments, renderFragments, withoutInternalTypes } from "../../scripts/export-abis.js";

// The SDK (@shoal/sdk) and the contracts package (@shoal/contracts) ship the same ABIs and the same
// addresses: both are generated from the compiled artifacts and sdk/src/deployments.ts by
// `npm run abis`, and these tests fail when either drifts.

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

describe("ABIs and deployments shipped by the packages", function () {
  for (const entry of EXPORTED) {
    it(`sdk/src/abi/${entry.file} matches the compiled ${entry.artifact.split("/").pop()} (run npm run abis after a contract change)`, async function () {
      assert.equal(await read(`sdk/src/abi/${entry.file}`), await renderAbi(entry));
    });
  }
  it("sdk/src/abi/fragments.ts holds the items each client action uses, as compiled (run npm run abis after a contract change)", async function () {
    assert.equal(await read("sdk/src/abi/fragments.ts"), await renderFragments());
  });
  it("each fragment is a subset of its full ABI (less internalType), with every custom error where it names them", async function () {
    const fragments: Record<string, readonly { type: string; name?: string }[]> = await import("../../sdk/src/abi/fragments.js");
    const jobMarketAbi = withoutInternalTypes((await import("@shoal/sdk/abi")).jobMarketAbi) as { type: string; name?: string }[];
    for (const { name, items } of FRAGMENTS) {
      const fragment = fragments[name]!;
      for (const item of fragment) assert.ok(jobMarketAbi.some((full) => JSON.stringify(full) === JSON.stringify(item)), `${name}: ${item.name}`);
      const names = new Set(fragment.map((i) => i.name));
      for (const wanted of items) if (wanted !== "error") assert.ok(names.has(wanted), `${name} lacks ${wanted}`);
      if ((items as readonly string[]).includes("error"))
        assert.deepEqual(fragment.filter((i) => i.type === "error"), jobMarketAbi.filter((i) => i.type === "error"), name);
    }
  });
  for (const entry of [...EXPORTED, ...JSON_ONLY]) {
    it(`contracts/abi/${entry.json} matches the compiled artifact (run npm run abis after a contract change)`, async function () {
      assert.equal(await read(`contracts/abi/${entry.json}`), await renderAbiJson(entry));
    });
  }
  it("the SDK's ABIs equal the contracts package's JSON ABIs, as the built packages load them", async function () {
    const sdk = await import("@shoal/sdk/abi");
    for (const entry of EXPORTED) {
      const json = JSON.parse(await read(`contracts/abi/${entry.json}`));
      assert.deepEqual(sdk[entry.name], json, `${entry.name} vs contracts/abi/${entry.json}`);
    }
  });
  it("contracts/deployments.json holds the SDK's deployments (run npm run abis after recording an address)", async function () {
    assert.equal(await read("contracts/deployments.json"), await renderDeployments());
  });
});
