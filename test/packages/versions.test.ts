import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { ENV_KEYS } from "../../agent/src/config/config.js";

// Versioning and the agent's service files stay consistent with the code they describe.

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");
const pkg = async (dir: string) => JSON.parse(await read(`${dir}/package.json`)) as { name: string; version: string; dependencies?: Record<string, string>; files?: string[] };

describe("versions and changelogs", function () {
  it("the three packages share one semver version, and the agent depends on exactly that SDK", async function () {
    const [sdk, contracts, agent] = await Promise.all([pkg("sdk"), pkg("contracts"), pkg("agent")]);
    assert.match(sdk.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    assert.equal(contracts.version, sdk.version);
    assert.equal(agent.version, sdk.version);
    assert.equal(agent.dependencies?.["@shoal/sdk"], sdk.version);
  });

  it("each package's CHANGELOG.md has an entry for its version and is published with it", async function () {
    for (const dir of ["sdk", "contracts", "agent"]) {
      const { name, version, files } = await pkg(dir);
      assert.match(await read(`${dir}/CHANGELOG.md`), new RegExp(`^## ${version.replaceAll(".", "\\.")} `, "m"), `${name}: no "## ${version}" entry`);
      assert.ok(files?.includes("CHANGELOG.md"), `${name} does not publish CHANGELOG.md`);
    }
  });
});

describe("the agent's service files", function () {
  const KEY_VARS = ["SHOAL_AGENT_PRIVATE_KEY", "SHOAL_AGENT_KEYSTORE_PASSWORD"];
  const known = new Set([...Object.keys(ENV_KEYS), ...KEY_VARS]);
  const varsIn = (text: string) => [...new Set([...text.matchAll(/\b(SHOAL_AGENT_[A-Z_]+)=/g)].map((m) => m[1]!))];

  it("agent.env.example documents every SHOAL_AGENT_* variable the agent reads, and only those", async function () {
    const documented = varsIn(await read("agent/deploy/agent.env.example"));
    assert.deepEqual(documented.filter((v) => !known.has(v)), [], "unknown variables in agent.env.example");
    assert.deepEqual([...known].filter((v) => !documented.includes(v)), [], "variables missing from agent.env.example");
  });

  it("the Dockerfile sets only variables the agent reads, and starts the package's bin", async function () {
    const dockerfile = await read("agent/deploy/Dockerfile");
    assert.deepEqual(varsIn(dockerfile).filter((v) => !known.has(v)), []);
    assert.match(dockerfile, /node_modules\/@shoal\/agent\/bin\/shoal-agent\.mjs/);
    const { bin } = JSON.parse(await read("agent/package.json")) as { bin: Record<string, string> };
    assert.equal(bin["shoal-agent"], "bin/shoal-agent.mjs");
  });

  it("the systemd unit starts the package's bin with SIGTERM as its stop signal", async function () {
    const unit = await read("agent/deploy/shoal-agent.service");
    assert.match(unit, /^ExecStart=.*\/node_modules\/@shoal\/agent\/bin\/shoal-agent\.mjs run$/m);
    assert.match(unit, /^KillSignal=SIGTERM$/m);
    assert.match(unit, /^EnvironmentFile=\/etc\/shoal\/agent\.env$/m);
  });
});
