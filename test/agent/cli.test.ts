import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { providerRegistryAbi } from "../../sdk/src/index.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";

// The provider's commands of the real `shoal-agent` binary: registration that can be re-run, and
// stake, gateway, miner and earnings without reaching for the client CLI.

const BIN = fileURLToPath(new URL("../../agent/bin/shoal-agent.mjs", import.meta.url));

describe("shoal-agent provider commands (the real binary, against a local chain)", function () {
  this.timeout(120_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let dir: string;
  const key = KEYS[5]!;
  const address = privateKeyToAccount(key).address;

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-agent-cli-"));
  });
  after(async () => chain?.close());

  function agent(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, "--rpc", chain.rpcUrl, "--state-dir", join(dir, "state")], {
        env: { PATH: process.env.PATH, SHOAL_AGENT_PRIVATE_KEY: key },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }
  const ok = async (...args: string[]) => {
    const run = await agent(...args);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout;
  };
  const oneLineError = async (pattern: RegExp, ...args: string[]) => {
    const run = await agent(...args);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^shoal-agent: [^\n]+\n$/);
    assert.match(run.stderr, pattern);
  };
  const provider = () => chain.publicClient.readContract({ address: chain.registry, abi: providerRegistryAbi, functionName: "provider", args: [address] });

  it("register with a miner that cannot be bound keeps the registration and says how to finish; a re-run does not fail on it", async function () {
    await oneLineError(/RegistryStakeTooLow: stake at least 1 FIL \(this sent 0\.5 FIL\)/, "register", "--stake", "0.5");
    await oneLineError(/registered, but binding miner f01234 failed: .+; fix that, then run: shoal-agent bind-miner 1234/, "register", "--stake", "10", "--miner", "f01234");
    assert.equal((await provider()).active, true);
    assert.equal((await provider()).stake, parseEther("10"));
    assert.match(await ok("register", "--stake", "10"), /already registered: .* with 10 FIL stake/);
    assert.equal((await provider()).stake, parseEther("10"), "a re-run stakes nothing more");
    await oneLineError(/ActorNotFound/, "bind-miner", "1234"); // no such miner on this chain
    await oneLineError(/miner abc is not an actor ID/, "bind-miner", "abc");
  });

  it("add-stake, set-gateway, unbond, withdraw-stake and withdraw", async function () {
    assert.match(await ok("add-stake", "5"), /stake of .* is now 15 FIL/);
    assert.match(await ok("set-gateway", "https://sp.example/shoal"), /gateway of .* is now https:\/\/sp\.example\/shoal/);
    assert.equal((await provider()).gatewayUrl, "https://sp.example/shoal");
    await oneLineError(/only 15 FIL of the stake is free/, "unbond", "16");
    assert.match(await ok("unbond", "3"), /unbonding 3 FIL, withdrawable from \d{4}-/);
    await oneLineError(/3 FIL unbonds at \d{4}-.*; try again then/, "withdraw-stake");
    await chain.publicClient.request({ method: "evm_increaseTime" as never, params: [8 * 24 * 3600] as never });
    await chain.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    const before = await chain.publicClient.getBalance({ address });
    assert.match(await ok("withdraw-stake"), /withdrew 3 FIL of stake/);
    assert.ok((await chain.publicClient.getBalance({ address })) > before + parseEther("2.99"));
    assert.equal((await provider()).stake, parseEther("12"));
    assert.match(await ok("withdraw"), /nothing is owed/);
    await oneLineError(/the amount must be an amount of FIL/, "add-stake", "lots");
    await oneLineError(/gateway URL ftp:\/\/x must be an http\(s\) URL/, "set-gateway", "ftp://x");
  });
});
