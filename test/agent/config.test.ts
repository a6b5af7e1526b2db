import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, defaultConfigText, loadConfig } from "../../agent/src/config/config.js";

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

  it("runs WASM jobs 100 to a worker thread by default, and refuses a jobsPerWorker under 1 naming the key", async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-config-"));
    const file = join(dir, "shoal-agent.json");
    await writeFile(file, JSON.stringify({}));
    assert.equal(loadConfig({ file, env: {} }).engines.wasm.jobsPerWorker, 100);
    await writeFile(file, JSON.stringify({ engines: { wasm: { jobsPerWorker: 0 } } }));
    assert.throws(() => loadConfig({ file, env: {} }), /engines\.wasm\.jobsPerWorker: Too small: expected number to be >=1/);
  });

  it("shoal-agent init writes every key of the config, optional ones commented out, and the file loads as written", async function () {
    const text = defaultConfigText();
    const missing = leaves(configSchema).filter((path) => !text.includes(`"${path.at(-1)}"`));
    assert.deepEqual(missing, [], "keys missing from the init config");
    // Uncommenting the optional keys still gives valid JSON (the commas sit on the commented lines).
    const dir = await mkdtemp(join(tmpdir(), "shoal-config-"));
    const uncommented = text.replace(/^(\s*)\/\/ (,? ?"(market|registry|fromBlock|keystore|pieceHttp|ipfsHttp|publicUrl)".*)$/gm, "$1$2").replace(/"0x…"/g, '"0x0000000000000000000000000000000000000001"');
    await writeFile(join(dir, "all.json"), uncommented);
    const all = loadConfig({ file: join(dir, "all.json"), env: {} });
    assert.equal(all.gateway.publicUrl, "https://sp.example.com/shoal");
    assert.equal(all.data.ipfsHttp, "http://127.0.0.1:8080");
    assert.equal(all.chain.fromBlock, 0);
  });
});

/** Every leaf key path of a zod object schema (through defaults, prefaults and optionals). */
function leaves(schema: unknown, prefix: string[] = []): string[][] {
  const def = (schema as { _zod?: { def?: { shape?: Record<string, unknown>; innerType?: unknown } } })._zod?.def;
  if (def?.shape) return Object.entries(def.shape).flatMap(([key, child]) => leaves(child, [...prefix, key]));
  if (def?.innerType) return leaves(def.innerType, prefix);
  return [prefix];
}
