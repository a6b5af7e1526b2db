import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { KERNEL_MODULES, rawCid } from "../../sdk/src/ml/index.js";
import { buildMlModules, ML_MODULES } from "../../scripts/build-ml.js";

const committed = new URL("../../ml/modules/", import.meta.url);

describe("ML module build (npm run build:ml)", function () {
  this.timeout(300_000);

  it("rebuilds the committed modules byte for byte, and modules.json names their raw CIDs", async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-ml-build-"));
    try {
      const cids = await buildMlModules(dir);
      assert.deepEqual(Object.keys(cids), [...ML_MODULES]);
      for (const name of ML_MODULES) {
        const built = await readFile(join(dir, `${name}.wasm`));
        const expected = await readFile(new URL(`${name}.wasm`, committed));
        assert.ok(built.equals(expected), `ml/modules/${name}.wasm is stale: run npm run build:ml and commit it`);
        assert.equal(cids[name], await rawCid(expected));
        assert.match(cids[name]!, /^bafkrei[a-z2-7]{52}$/);
      }
      assert.deepEqual(JSON.parse(await readFile(new URL("modules.json", committed), "utf8")), cids);
      assert.deepEqual({ ...KERNEL_MODULES }, cids, "the SDK's KERNEL_MODULES name the built modules: update sdk/src/ml/specs.ts");
      assert.deepEqual((await readdir(committed)).sort(), [...ML_MODULES.map((n) => `${n}.wasm`), "modules.json"].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
