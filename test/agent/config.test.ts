import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfigText, loadConfig } from "../../agent/src/config/config.js";

describe("agent config", function () {
  it("resolves relative paths in a config file from the file's directory, whatever the current directory", async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-config-"));
    const file = join(dir, "shoal-agent.json");
    await writeFile(file, defaultConfigText()); // "./pieces", "./modules", "./.shoal", "./.shoal/results"
    assert.notEqual(process.cwd(), dir);
    const config = loadConfig({ file, env: {} });
    assert.equal(config.data.pieceDir, join(dir, "pieces"));
    assert.equal(config.engines.wasm.moduleDir, join(dir, "modules"));
    assert.equal(config.stateDir, join(dir, ".shoal"));
    assert.equal(config.results.dir, join(dir, ".shoal/results"));
  });

  it("keeps absolute paths, and env and flag values relative to the current directory", async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-config-"));
    const file = join(dir, "shoal-agent.json");
    await writeFile(file, JSON.stringify({ data: { pieceDir: "/srv/pieces" }, keys: { keystore: "key.json" } }));
    const config = loadConfig({ file, env: { SHOAL_AGENT_STATE_DIR: "state" }, flags: { "results.dir": "out" } });
    assert.equal(config.data.pieceDir, "/srv/pieces");
    assert.equal(config.keys.keystore, join(dir, "key.json"));
    assert.equal(config.stateDir, "state");
    assert.equal(config.results.dir, "out");
  });
});
