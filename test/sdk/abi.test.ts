import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { EXPORTED, renderAbi } from "../../scripts/export-abis.js";

describe("SDK ABIs", function () {
  for (const entry of EXPORTED) {
    it(`sdk/src/abi/${entry.file} matches the compiled ${entry.artifact.split("/").pop()} (run npm run abis after a contract change)`, async function () {
      const committed = await readFile(new URL(`../../sdk/src/abi/${entry.file}`, import.meta.url), "utf8");
      assert.equal(committed, await renderAbi(entry));
    });
  }
});
