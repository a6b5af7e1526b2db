import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import { describeError } from "../../agent/src/pipeline/pipeline.js";
import { lockStateDir, StateDirLockedError } from "../../agent/src/store/lock.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";

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
});
