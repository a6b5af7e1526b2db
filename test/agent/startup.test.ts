import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import { describeError } from "../../agent/src/chain/errors.js";
import { lockStateDir, StateDirLockedError } from "../../agent/src/store/lock.js";
import { parseEther } from "viem";
import { registerProvider } from "../../sdk/src/index.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { freePort } from "../helpers/net.js";

// Start-up refusals of the agent: a state directory another agent holds, an RPC of another chain.

describe("agent start-up checks", function () {
  this.timeout(60_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let dir: string;

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-startup-"));
    process.env.SHOAL_TEST_STARTUP_KEY = KEYS[2];
  });
  after(async () => chain?.close());

  const config = (stateDir: string, extra: Record<string, unknown> = {}) =>
    loadConfig({
      env: {},
      flags: {
        "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": 100,
        "keys.privateKeyEnv": "SHOAL_TEST_STARTUP_KEY", stateDir, "results.dir": join(stateDir, "results"), "gateway.port": 0, logLevel: "silent",
        ...extra,
      },
    });

  it("a second agent on the same state directory refuses, naming the directory and the holder's PID; it starts once the first stops", async function () {
    const stateDir = join(dir, "shared");
    const first = await startAgent(config(stateDir), { logger: createLogger("silent") });
    try {
      await assert.rejects(startAgent(config(stateDir), { logger: createLogger("silent") }), (error: unknown) => {
        assert.ok(error instanceof StateDirLockedError);
        assert.match(error.message, new RegExp(`state directory ${stateDir} is in use by another shoal-agent \\(PID ${process.pid}\\)`));
        return true;
      });
    } finally {
      await first.stop();
    }
    const second = await startAgent(config(stateDir), { logger: createLogger("silent") });
    await second.stop();
  });

  it("refuses a lock held by another live process, and takes over one whose process is gone", async function () {
    const stateDir = join(dir, "other");
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      lockStateDir(stateDir).release(); // creates the directory
      await writeFile(join(stateDir, "agent.lock"), `${sleeper.pid}\n`);
      assert.throws(() => lockStateDir(stateDir), (e: unknown) => e instanceof StateDirLockedError && e.pid === sleeper.pid);
    } finally {
      sleeper.kill("SIGKILL");
      await new Promise((r) => sleeper.once("exit", r));
    }
    // The holder died (as after kill -9): its lock is stale and is taken over.
    const lock = lockStateDir(stateDir);
    assert.equal((await readFile(lock.path, "utf8")).trim(), String(process.pid));
    lock.release();
  });

  it("refuses an RPC that serves another chain than the config says, naming both chain IDs and the URL", async function () {
    await assert.rejects(startAgent(config(join(dir, "wrong-chain"), { "chain.chainId": 314159 }), { logger: createLogger("silent") }), (error: unknown) => {
      assert.match(String((error as Error).message), new RegExp(`the RPC ${chain.rpcUrl} serves chain 31337, but the config says chain 314159`));
      return true;
    });
  });

  it("describes a failed transaction in one line that says what failed, not only viem's first line", async function () {
    const { createWalletClient, http, parseEther } = await import("viem");
    const { generatePrivateKey, privateKeyToAccount } = await import("viem/accounts");
    const { hardhat } = await import("viem/chains");
    const unfunded = createWalletClient({ chain: hardhat, transport: http(chain.rpcUrl), account: privateKeyToAccount(generatePrivateKey()) });
    const error = await unfunded.sendTransaction({ to: unfunded.account.address, value: parseEther("1") }).catch((e: unknown) => e);
    const line = describeError(error);
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /fund|balance|insufficient/i, line);
  });

  it("an RPC that stops answering is named in the logs, /healthz (503) and the metrics; the agent backs off and recovers", async function () {
    // A proxy in front of the chain that can be switched off (HTTP 503), as an overloaded node is.
    let down = false;
    const proxy = createServer(async (req, res) => {
      if (down) return void res.writeHead(503).end("overloaded");
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const rpcUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const agent = await startAgent(config(join(dir, "rpc-down"), { "chain.rpcUrls": [rpcUrl] }), { logger: createLogger("silent") });
    const health = async () => {
      const response = await fetch(`${agent.gateway.url}/healthz`);
      return { status: response.status, body: (await response.json()) as { details: { chain: { ok: boolean; error?: string; failures?: number } } } };
    };
    const until = async (check: () => Promise<boolean>, what: string) => {
      for (let t = 0; t < 300; t++) if (await check()) return;
      else await new Promise((r) => setTimeout(r, 100));
      assert.fail(`timed out waiting for ${what}`);
    };
    try {
      await until(async () => (await health()).status === 200, "a healthy agent");
      down = true;
      const started = Date.now();
      await until(async () => (await health()).status === 503, "/healthz to report the RPC down");
      const { body } = await health();
      assert.equal(body.details.chain.ok, false);
      assert.equal(body.details.chain.error, `the RPC ${rpcUrl}/ did not answer (HTTP 503)`);
      const metrics = await (await fetch(`${agent.gateway.url}/metrics`)).text();
      assert.match(metrics, /^shoal_chain_up 0$/m);
      const failures = Number(metrics.match(/^shoal_chain_sync_failures_total (\d+)$/m)?.[1]);
      // Backoff (100 ms doubling): a handful of attempts in the time it took, not one per poll.
      const elapsed = Date.now() - started;
      console.log(`      figure: RPC down ${elapsed} ms: ${failures} failed sync passes (poll 100 ms, backoff doubling)`);
      assert.ok(failures >= 3 && failures <= 2 + Math.log2(elapsed / 100) + 2, `${failures} failures in ${elapsed} ms`);
      down = false;
      await until(async () => (await health()).status === 200, "recovery once the RPC answers again");
      assert.match(await (await fetch(`${agent.gateway.url}/metrics`)).text(), /^shoal_chain_up 1$/m);
    } finally {
      await agent.stop();
      await new Promise((r) => proxy.close(r));
    }
  });

  it("the CLI names an RPC that does not answer, in one line", async function () {
    const bin = fileURLToPath(new URL("../../agent/bin/shoal-agent.mjs", import.meta.url));
    const port = await freePort(); // nothing listens there
    const run = spawnSync(process.execPath, [bin, "status", "--rpc", `http://127.0.0.1:${port}`, "--state-dir", join(dir, "cli")], {
      env: { PATH: process.env.PATH, SHOAL_AGENT_PRIVATE_KEY: KEYS[2] },
      encoding: "utf8",
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`^shoal-agent: the RPC http://127\\.0\\.0\\.1:${port}/ did not answer \\(ECONNREFUSED\\)\n$`));
  });

  it("warns at start, with the fix, about what would make it refuse every job: no registration, missing directories, no data source", async function () {
    const stateDir = join(dir, "preflight");
    const first = await startAgent(config(stateDir, { "data.pieceDir": join(dir, "no-such-pieces"), "engines.wasm.moduleDir": join(dir, "no-such-modules") }), { logger: createLogger("silent") });
    await first.stop();
    const address = first.account.address;
    assert.deepEqual(first.warnings, [
      `${address} is not registered as a provider on chain 31337: it can claim no job until you run \`shoal-agent register --stake <FIL>\``,
      `data.pieceDir ${join(dir, "no-such-pieces")} is not a directory: no stored piece will be found there`,
      `engines.wasm.moduleDir ${join(dir, "no-such-modules")} is not a directory: modules will only come from the specs' sources`,
    ]);
    await registerProvider(chain.wallet(2), { registry: chain.registry, stake: parseEther("10"), gatewayUrl: "http://127.0.0.1:1", capabilities: { engines: 1, cpus: 1, memoryMb: 64, gpus: 0 } });
    const second = await startAgent(config(stateDir), { logger: createLogger("silent") });
    await second.stop();
    assert.deepEqual(second.warnings, ["no data source is configured (data.pieceDir, data.pieceHttp or data.ipfsHttp): every job with inputs will be refused"]);
  });

  it("a state directory belongs to the key that first used it: another key is refused by run and status", async function () {
    const stateDir = join(dir, "owned");
    const first = await startAgent(config(stateDir), { logger: createLogger("silent") });
    await first.stop();
    process.env.SHOAL_TEST_STARTUP_OTHER_KEY = KEYS[3];
    const other = { "keys.privateKeyEnv": "SHOAL_TEST_STARTUP_OTHER_KEY" };
    await assert.rejects(startAgent(config(stateDir, other), { logger: createLogger("silent") }), (error: unknown) => {
      assert.match((error as Error).message, new RegExp(`state directory ${stateDir} belongs to provider ${first.account.address.toLowerCase()}, not to this key's 0x`));
      return true;
    });
    const bin = fileURLToPath(new URL("../../agent/bin/shoal-agent.mjs", import.meta.url));
    // Not spawnSync: the chain answers from this process.
    const status = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, "status", "--rpc", chain.rpcUrl, "--state-dir", stateDir], {
        env: { PATH: process.env.PATH, SHOAL_AGENT_PRIVATE_KEY: KEYS[3] },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ status: code, stderr }));
    });
    assert.equal(status.status, 1);
    assert.match(status.stderr, /^shoal-agent: state directory .* belongs to provider 0x[0-9a-f]{40}, not to this key's 0x[0-9a-fA-F]{40}: give each key its own stateDir \(--state-dir\)\n$/);
    const again = await startAgent(config(stateDir), { logger: createLogger("silent") }); // its owner still starts
    await again.stop();
  });
});
