import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptKeystoreJson } from "ethers";
import { type Address, erc20Abi, parseEther, parseUnits } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { claimSlot, commitResult, deployments, resultCidBytes, revealResult } from "../../sdk/src/index.js";
import { packResult } from "../../sdk/src/node.js";
import { type Chain, hardhatAccount, type Run, runCli, startChain, startCli } from "./harness.js";

const WASM_SPEC = {
  version: 1,
  engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", args: ["/inputs"] },
  outputs: { path: "/outputs" },
  resources: { cpu: 1, memoryMb: 128, timeoutSec: 30 },
};
const CLIENT = hardhatAccount(1); // private key 0x59c6995e…690d
const OTHER = hardhatAccount(2);
const KEYSTORE_PASSWORD = "correct horse battery staple";

/** Every secret a run was given: none may ever appear in its output. */
const secrets = new Set<string>([CLIENT.privateKey, OTHER.privateKey, KEYSTORE_PASSWORD]);

function assertNoSecrets(run: Run) {
  const all = `${run.stdout}\n${run.stderr}`.toLowerCase();
  for (const secret of secrets) {
    assert.ok(!all.includes(secret.toLowerCase()), "a secret was printed");
    if (secret.startsWith("0x")) assert.ok(!all.includes(secret.slice(2).toLowerCase()), "a key (without 0x) was printed");
  }
}

/** A failed run: non-zero exit, exactly one line on stderr, `shoal: …`, no stack trace. */
function assertOneLineError(run: Run, pattern: RegExp, code?: number) {
  assert.notEqual(run.code, 0, `expected a failure; stdout: ${run.stdout}`);
  if (code !== undefined) assert.equal(run.code, code, run.stderr);
  const lines = run.stderr.replace(/\n$/, "").split("\n");
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^shoal: \S/);
  assert.ok(!run.stderr.includes("    at "), "stack trace on stderr");
  assert.match(lines[0]!, pattern);
  assertNoSecrets(run);
}

/** A result directory, its CID (string and binary) and CAR. */
async function result(text: string) {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cli-result-"));
  await mkdir(join(dir, "sub"));
  await writeFile(join(dir, "counts.json"), text);
  await writeFile(join(dir, "sub", "note.txt"), "deterministic");
  const { cid, carBytes } = await packResult(dir);
  return { cid: cid.toString(), binary: resultCidBytes(cid), car: carBytes };
}

/** A fake provider gateway serving `car` at /ipfs/<cid>?format=car. */
async function gateway(cid: string, car: Uint8Array): Promise<{ url: string; server: Server; downloads: () => number }> {
  let downloads = 0;
  const server = createServer((req, res) => {
    downloads++;
    if (req.url === `/ipfs/${cid}?format=car`) res.writeHead(200, { "content-type": "application/vnd.ipld.car" }).end(car);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, downloads: () => downloads };
}

describe("shoal CLI (the real binary, against a local chain over HTTP)", function () {
  // Every run starts a Node process that loads viem and the SDK: allow for a loaded machine.
  this.timeout(300_000);
  let chain: Chain;
  let dir: string;
  let specFile: string;

  /** Runs shoal as the client (account #1) against the test chain, and checks no secret leaked. */
  async function shoal(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    const run = await runCli(args, { SHOAL_RPC_URL: chain.url, SHOAL_PRIVATE_KEY: CLIENT.privateKey, ...env });
    assertNoSecrets(run);
    return run;
  }
  function ok(run: Run): Run {
    assert.equal(run.code, 0, `shoal failed: ${run.stderr}`);
    return run;
  }
  async function submitJson(extra: readonly string[] = []): Promise<bigint> {
    const run = ok(await shoal(["job", "submit", specFile, "--replicas", "3", "--quorum", "2", "--price", "0.1", "--json", ...extra]));
    return BigInt(JSON.parse(run.stdout).jobId);
  }
  /** Providers 0..2 claim; 0 and 1 commit and reveal `binary`: the job settles. */
  async function settle(jobId: bigint, binary: `0x${string}`) {
    const market = chain.market.address;
    for (const [i, p] of chain.providers.entries()) await claimSlot(p, { jobId, slot: i, market });
    for (const i of [0, 1]) {
      await commitResult(chain.providers[i]!, { jobId, slot: i, resultCid: binary, provider: chain.providers[i]!.account.address, market });
    }
    for (const i of [0, 1]) await revealResult(chain.providers[i]!, { jobId, slot: i, resultCid: binary, market });
  }

  before(async function () {
    chain = await startChain({ providerCount: 3 });
    for (const p of chain.providers) secrets.add(hardhatAccount(3 + chain.providers.indexOf(p)).privateKey);
    // Deployed from account #0 on a fresh chain: at the local addresses the SDK knows, so no --market.
    assert.equal(chain.market.address.toLowerCase(), deployments[31337]!.jobMarket.toLowerCase());
    dir = await mkdtemp(join(tmpdir(), "shoal-cli-"));
    specFile = join(dir, "spec.json");
    await writeFile(specFile, JSON.stringify(WASM_SPEC));
  });

  after(async function () {
    await chain?.server.close();
  });

  it("starts with the Node 22 binary from any directory", async function () {
    const run = await runCli(["--version"], {}, tmpdir());
    assert.equal(run.code, 0, run.stderr);
    const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
    assert.equal(run.stdout.trim(), version);
    assert.equal(run.stderr, "");
  });

  it("submits a job and shows its status, for people and as JSON", async function () {
    const submitted = ok(await shoal(["job", "submit", specFile, "--replicas", "3", "--quorum", "2", "--price", "0.1"]));
    const match = submitted.stdout.match(/^job (\d+) submitted {2}escrow 0\.303 FIL {2}tx 0x[0-9a-f]{64}\n$/);
    assert.ok(match, submitted.stdout);
    const jobId = match[1]!;

    const status = ok(await shoal(["job", "status", jobId]));
    assert.match(status.stdout, new RegExp(`^job ${jobId}\\n`));
    assert.match(status.stdout, /status {6}Open\n/);
    assert.match(status.stdout, /replicas {4}3 \(quorum 2, 0 claimed\)\n/);
    assert.match(status.stdout, /price {7}0\.1 FIL per replica\n/);
    assert.match(status.stdout, new RegExp(`client {6}${CLIENT.account.address}\\n`));

    const json = ok(await shoal(["--json", "job", "status", jobId]));
    const job = JSON.parse(json.stdout);
    assert.equal(job.id, jobId);
    assert.equal(job.status, "Open");
    assert.equal(job.price, parseEther("0.1").toString());
    assert.equal(job.replicas, 3);
    assert.equal(json.stdout.trim().split("\n").length, 1);

    assert.equal(job.distinctMiners, false);

    // --json after the subcommand, with collateral, ttl and distinct miners.
    const before = Number((await chain.publicClient.getBlock()).timestamp);
    const other = await submitJson(["--collateral", "0.25", "--ttl", "7200", "--distinct-miners"]);
    assert.equal(other, BigInt(jobId) + 1n);
    const otherJob = JSON.parse(ok(await shoal(["job", "status", String(other), "--json"])).stdout);
    assert.equal(otherJob.collateral, parseEther("0.25").toString());
    assert.equal(otherJob.distinctMiners, true);
    assert.match(ok(await shoal(["job", "status", String(other)])).stdout, /miners {6}each slot under a distinct bound Filecoin miner\n/);
    assert.ok(Math.abs(otherJob.deadline - (before + 7200)) < 30, `deadline ${otherJob.deadline}`);
  });

  it("submit --wait shows claimed, committed, revealed and finalized as they happen, then the result CID", async function () {
    const { cid, binary } = await result('{"the":2}');
    const running = startCli(["job", "submit", specFile, "--replicas", "3", "--quorum", "2", "--price", "0.1", "--wait", "--timeout", "120"], {
      SHOAL_RPC_URL: chain.url,
      SHOAL_PRIVATE_KEY: CLIENT.privateKey,
    });
    const [, id] = await running.waitFor("stdout", /^job (\d+) submitted/m);
    await settle(BigInt(id!), binary);
    const run = await running.done;
    assertNoSecrets(run);
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout.trim().split("\n");
    assert.equal(out.length, 2, run.stdout);
    assert.equal(out[1], `result ${cid}`);

    const progress = run.stderr.trim().split("\n");
    const p = chain.providers.map((w) => w.account.address);
    const expected = [
      `claimed    slot 0  ${p[0]}`,
      `claimed    slot 1  ${p[1]}`,
      `claimed    slot 2  ${p[2]}`,
      `committed  slot 0  ${p[0]}`,
      `committed  slot 1  ${p[1]}`,
      `revealed   slot 0  ${p[0]}  ${cid}`,
      `revealed   slot 1  ${p[1]}  ${cid}`,
      "finalized  Settled  winners: slot 0, 1",
    ];
    const seen = expected.map((line) => progress.indexOf(line));
    assert.deepEqual(expected.filter((_, i) => seen[i]! < 0), [], `progress:\n${run.stderr}`);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, "progress out of order");
    assert.ok(progress.some((l) => /^quorum {5}reveals due by \d{4}-\d\d-\d\dT/.test(l)), run.stderr);
  });

  it("submit --wait --json prints one JSON object with the result CID; progress stays on stderr", async function () {
    const { cid, binary } = await result("json");
    const running = startCli(["--json", "job", "submit", specFile, "--replicas", "3", "--quorum", "2", "--price", "0.1", "--wait"], {
      SHOAL_RPC_URL: chain.url,
      SHOAL_PRIVATE_KEY: CLIENT.privateKey,
    });
    // In JSON mode stdout holds only the final object: the job ID is announced on stderr.
    const [, id] = await running.waitFor("stderr", /^job (\d+) submitted; waiting for its result$/m);
    const jobId = BigInt(id!);
    await settle(jobId, binary);
    const run = await running.done;
    assertNoSecrets(run);
    assert.equal(run.code, 0, run.stderr);
    const parsed = JSON.parse(run.stdout);
    assert.equal(parsed.jobId, jobId.toString());
    assert.equal(parsed.resultCid, cid);
    assert.equal(parsed.escrow, parseEther("0.303").toString());
    assert.equal(parsed.client, CLIENT.account.address);
    assert.match(run.stderr, /^finalized {2}Settled/m);
  });

  it("job get downloads the result from a winner's gateway, verifies it and unpacks it", async function () {
    const { cid, binary, car } = await result('{"words":42}');
    const jobId = await submitJson();
    await settle(jobId, binary);
    const served = await gateway(cid, car);
    try {
      await chain.setGateway(0, served.url);
      await chain.setGateway(1, served.url);
      const out = join(dir, `result-${jobId}`);
      const run = ok(await shoal(["job", "get", String(jobId), "-o", out]));
      assert.match(run.stdout, new RegExp(`^wrote 2 file\\(s\\), \\d+ bytes, to ${out}\\nresult ${cid} \\(verified, from ${served.url}\\)\\n$`));
      assert.equal(await readFile(join(out, "counts.json"), "utf8"), '{"words":42}');
      assert.equal(await readFile(join(out, "sub", "note.txt"), "utf8"), "deterministic");

      const json = JSON.parse(ok(await shoal(["job", "get", String(jobId), "--out", join(dir, `json-${jobId}`), "--json"])).stdout);
      assert.deepEqual([json.resultCid, json.files, json.gateway], [cid, 2, served.url]);

      // Unpacking never overwrites: the same directory again is refused in one line, before any download.
      const downloads = served.downloads();
      assertOneLineError(await shoal(["job", "get", String(jobId), "-o", out]), /exists and is not an empty directory/);
      assert.equal(served.downloads(), downloads, "refused before downloading");
    } finally {
      served.server.close();
    }
  });

  it("job get resumes a download a dropped connection left, with Range, and refuses a corrupt CAR in one line", async function () {
    const source = await mkdtemp(join(tmpdir(), "shoal-cli-large-"));
    await writeFile(join(source, "model.bin"), randomBytes(6 * 1_048_576 + 99));
    const packed = await packResult(source);
    const cid = packed.cid.toString();
    const car = Buffer.from(packed.carBytes);
    const jobId = await submitJson();
    await settle(jobId, resultCidBytes(packed.cid));
    // Every response stops after 2.5 MiB (the connection drops); ranges are honoured.
    const ranges: (string | undefined)[] = [];
    let corrupt = false;
    const server = createServer((req, res) => {
      ranges.push(req.headers.range);
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
      const body = Buffer.from(car.subarray(start));
      if (corrupt) body[body.length - 1000] ^= 0xff;
      res.writeHead(start > 0 ? 206 : 200, {
        "content-length": body.length,
        ...(start > 0 ? { "content-range": `bytes ${start}-${car.length - 1}/${car.length}` } : {}),
      });
      res.write(body.subarray(0, 2.5 * 1_048_576), () => res.socket?.destroy());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await chain.setGateway(0, url);
      await chain.setGateway(1, url);
      const out = join(dir, `large-${jobId}`);
      const run = ok(await shoal(["job", "get", String(jobId), "-o", out]));
      assert.equal(ranges[0], undefined);
      assert.ok(ranges.length >= 3 && ranges.slice(1).every((r) => /^bytes=[1-9]\d*-$/.test(r ?? "")), ranges.join(", "));
      assert.match(run.stdout, new RegExp(`^wrote 1 file\\(s\\), ${6 * 1_048_576 + 99} bytes, to ${out}\n`));
      assert.ok((await readFile(join(out, "model.bin"))).equals(await readFile(join(source, "model.bin"))));
      assert.equal(run.stderr, ""); // no progress line off a terminal
      await assert.rejects(readFile(`${out}.car.part`), /ENOENT/); // removed once unpacked

      corrupt = true;
      ranges.length = 0;
      const bad = join(dir, `corrupt-${jobId}`);
      assertOneLineError(await shoal(["job", "get", String(jobId), "-o", bad]), /Could not download result/);
      assert.ok((await readFile(`${bad}.car.part`)).equals(car.subarray(0, (await readFile(`${bad}.car.part`)).length)), "unverified bytes kept");
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it("cancels an unclaimed job, then withdraw returns its escrow once", async function () {
    const jobId = await submitJson();
    const cancelled = ok(await shoal(["job", "cancel", String(jobId)]));
    assert.match(cancelled.stdout, new RegExp(`^job ${jobId} cancelled {2}tx 0x[0-9a-f]{64}\\nits escrow is refundable: shoal withdraw\\n$`));
    assert.equal(JSON.parse(ok(await shoal(["job", "status", String(jobId), "--json"])).stdout).status, "Cancelled");

    const balanceBefore = await chain.publicClient.getBalance({ address: CLIENT.account.address });
    const withdrawn = JSON.parse(ok(await shoal(["withdraw", "--json"])).stdout);
    assert.equal(withdrawn.account, CLIENT.account.address);
    assert.ok(withdrawn.jobIds.includes(String(jobId)), withdrawn.jobIds);
    assert.ok(BigInt(withdrawn.amount) >= parseEther("0.303"));
    assert.match(withdrawn.hash, /^0x[0-9a-f]{64}$/);
    assert.ok((await chain.publicClient.getBalance({ address: CLIENT.account.address })) > balanceBefore);

    const again = ok(await shoal(["withdraw"]));
    assert.equal(again.stdout, `nothing to withdraw for ${CLIENT.account.address} in FIL\n`);

    // A winning provider collects its pay the same way.
    const provider = ok(await shoal(["withdraw"], { SHOAL_PRIVATE_KEY: hardhatAccount(3).privateKey }));
    assert.match(provider.stdout, /^withdrew 0\.\d+ FIL from jobs? [\d, ]+ {2}tx 0x[0-9a-f]{64}\n$/);
  });

  it("pays in an ERC-20 with --token: approves, escrows, refunds", async function () {
    const token = await chain.deploy("TestToken");
    const tokenAddress = token.address as Address;
    await chain.admin.writeContract({ address: tokenAddress, abi: [{ type: "function", name: "mint", inputs: [{ name: "to", type: "address" }, { name: "amount", type: "uint256" }], outputs: [], stateMutability: "nonpayable" }] as const, functionName: "mint", args: [CLIENT.account.address, parseUnits("100", 18)] });
    const balance = () => chain.publicClient.readContract({ address: tokenAddress, abi: erc20Abi, functionName: "balanceOf", args: [CLIENT.account.address] });

    const submitted = ok(await shoal(["job", "submit", specFile, "--replicas", "2", "--quorum", "1", "--price", "5", "--token", tokenAddress]));
    assert.match(submitted.stderr, /^approved {3}10\.1 TUSD for the market {2}tx 0x[0-9a-f]{64}\n$/);
    const [, jobId] = submitted.stdout.match(/^job (\d+) submitted {2}escrow 10\.1 TUSD/)!;
    assert.equal(await balance(), parseUnits("89.9", 18));
    assert.match(ok(await shoal(["job", "status", jobId!])).stdout, /price {7}5 TUSD per replica/);

    ok(await shoal(["job", "cancel", jobId!]));
    const refund = ok(await shoal(["withdraw", "--token", tokenAddress]));
    assert.match(refund.stdout, new RegExp(`^withdrew 10\\.1 TUSD from job ${jobId}  tx 0x`));
    assert.equal(await balance(), parseUnits("100", 18));
  });

  it("signs with an encrypted JSON keystore and never shows the key or the password", async function () {
    const keystore = join(dir, "keystore.json");
    await writeFile(keystore, await encryptKeystoreJson({ address: OTHER.account.address, privateKey: OTHER.privateKey }, KEYSTORE_PASSWORD, { scrypt: { N: 1024 } }));
    const env = { SHOAL_PRIVATE_KEY: undefined, SHOAL_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD };
    const run = ok(await shoal(["withdraw", "--keystore", keystore], env));
    assert.equal(run.stdout, `nothing to withdraw for ${OTHER.account.address} in FIL\n`);

    assertOneLineError(await shoal(["withdraw", "--keystore", keystore], { ...env, SHOAL_KEYSTORE_PASSWORD: "wrong" }), /cannot decrypt keystore .*: wrong password/, 2);
    // No password and no terminal to ask on (stdin is not a TTY here).
    assertOneLineError(await shoal(["withdraw", "--keystore", keystore], { SHOAL_PRIVATE_KEY: undefined }), /set SHOAL_KEYSTORE_PASSWORD/, 2);
    assertOneLineError(await shoal(["withdraw", "--keystore", join(dir, "missing.json")], env), /cannot read keystore .*missing\.json: no such file/, 2);
  });

  describe("errors: one line on stderr, non-zero exit, no stack trace, never the key", function () {
    it("a bad spec names the field and the rule", async function () {
      const bad = join(dir, "bad-spec.json");
      await writeFile(bad, JSON.stringify({ ...WASM_SPEC, engine: { type: "docker", image: "ubuntu:22.04" } }));
      const run = await shoal(["job", "submit", bad, "--replicas", "1", "--quorum", "1", "--price", "0.1"]);
      assertOneLineError(run, /^shoal: Invalid job spec: engine\.image: must be pinned by digest .*\(see docs\/job-spec\.md#engine\)$/, 2);

      const typo = join(dir, "typo-spec.json");
      await writeFile(typo, JSON.stringify({ ...WASM_SPEC, resources: { cpus: 2 } }));
      assertOneLineError(await shoal(["job", "submit", typo, "--replicas", "1", "--quorum", "1", "--price", "0.1"]), /resources\.cpus/, 2);

      const notJson = join(dir, "not-json.json");
      await writeFile(notJson, "{ version: 1");
      assertOneLineError(await shoal(["job", "submit", notJson, "--replicas", "1", "--quorum", "1", "--price", "0.1"]), /is not JSON/, 2);
    });

    it("a wrong chain says which chain the RPC serves", async function () {
      const run = await shoal(["job", "status", "1", "--chain", "calibration"]);
      assertOneLineError(run, new RegExp(`^shoal: the RPC at ${chain.url} is chain 31337, not calibration \\(314159\\): pass --chain or --rpc$`), 1);
      assertOneLineError(await shoal(["job", "status", "1", "--chain", "314"]), /is chain 31337, not mainnet \(314\)/);
      assertOneLineError(await shoal(["job", "status", "1", "--chain", "goerli"]), /--chain must be local, calibration, mainnet or a chain ID/, 2);
    });

    it("no funds: a fresh key with 0 FIL is told how much escrow to send", async function () {
      const empty = generatePrivateKey();
      secrets.add(empty);
      const run = await shoal(["job", "submit", specFile, "--replicas", "3", "--quorum", "2", "--price", "0.1"], { SHOAL_PRIVATE_KEY: empty });
      assertOneLineError(run, /^shoal: insufficient escrow: send at least 0\.303 FIL \(the account has 0 FIL\)\. .*Fund the account/i, 1);
      assert.equal(await chain.publicClient.getBalance({ address: privateKeyToAccount(empty).address }), 0n);
    });

    it("an unknown job is named, whatever the command", async function () {
      assertOneLineError(await shoal(["job", "status", "999"]), /^shoal: Job 999 does not exist\. Check the job ID/, 1);
      assertOneLineError(await shoal(["job", "cancel", "999"]), /Job 999 does not exist/, 1);
      assertOneLineError(await shoal(["job", "get", "999", "-o", join(dir, "none")]), /Job 999 does not exist/, 1);
      assertOneLineError(await shoal(["--json", "job", "status", "999"]), /Job 999 does not exist/, 1);
    });

    it("the contract's refusals say what to do", async function () {
      const jobId = await submitJson();
      const run = await shoal(["job", "cancel", String(jobId)], { SHOAL_PRIVATE_KEY: OTHER.privateKey });
      assertOneLineError(run, /^shoal: NotCancellable: only the client can cancel, and only before any slot is claimed$/, 1);
      // (--replicas 17 is refused locally now, as a usage error: see below.)
      const collateral = await shoal(["job", "submit", specFile, "--replicas", "1", "--quorum", "1", "--price", "0.1", "--collateral", "0.000001"]);
      assertOneLineError(collateral, /CollateralTooLow: raise the collateral to the market's minimum/, 1);
    });

    it("waiting past --timeout reports the job, which goes on", async function () {
      const run = await shoal(["job", "submit", specFile, "--replicas", "1", "--quorum", "1", "--price", "0.1", "--wait", "--timeout", "2"]);
      const [, jobId] = run.stdout.match(/^job (\d+) submitted/)!;
      assertOneLineError(run, new RegExp(`^shoal: Timed out after 2 s waiting for job ${jobId} \\(status: Open\\)\\. The job goes on`), 1);
    });

    it("usage errors exit with 2", async function () {
      const base = ["job", "submit", specFile];
      assertOneLineError(await shoal([...base, "--replicas", "abc", "--quorum", "1", "--price", "1"]), /--replicas <n>' argument 'abc' is invalid: must be a positive integer/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "1", "--quorum", "1"]), /required option '--price <amount>' not specified/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "1", "--quorum", "2", "--price", "1"]), /--quorum \(2\) cannot exceed --replicas \(1\)/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "17", "--quorum", "1", "--price", "1"]), /--replicas must be 1\.\.16 \(got 17\)/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "1", "--quorum", "1", "--price", "0"]), /--price must be more than 0/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "1", "--quorum", "1", "--price", "2000000"]), /--price must be below 2\^80 units of FIL/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "1", "--quorum", "1", "--price", "1", "--timeout", "5"]), /--timeout only applies with --wait/, 2);
      assertOneLineError(await shoal([...base, "--replicas", "1", "--quorum", "1", "--price", "0.1234567890123456789"]), /--price has more than 18 decimals/, 2);
      assertOneLineError(await shoal(["job", "status", "x1"]), /<id> 'x1' is invalid: must be a job ID/, 2);
      assertOneLineError(await shoal(["job", "stats", "1"]), /unknown command 'stats'/, 2);
      assertOneLineError(await shoal(["job", "status", "1", "--market", "0x1234"]), /--market must be a 0x address/, 2);
      assertOneLineError(await shoal(["job", "submit", join(dir, "nope.json"), "--replicas", "1", "--quorum", "1", "--price", "1"]), /cannot read spec file .*nope\.json: no such file/, 2);
    });

    it("a missing or malformed key is refused without echoing it", async function () {
      const args = ["job", "cancel", "1"];
      assertOneLineError(await shoal(args, { SHOAL_PRIVATE_KEY: undefined }), /^shoal: no key: set SHOAL_PRIVATE_KEY, or pass --keystore <file>/, 2);
      const malformed = `${CLIENT.privateKey.slice(0, 40)}zz`;
      secrets.add(malformed);
      assertOneLineError(await shoal(args, { SHOAL_PRIVATE_KEY: malformed }), /^shoal: SHOAL_PRIVATE_KEY is not a private key: expected 32 bytes of hex$/, 2);
    });

    it("an unreachable RPC or a market without code says what to pass", async function () {
      assertOneLineError(await shoal(["job", "status", "1"], { SHOAL_RPC_URL: "http://127.0.0.1:9" }), /^shoal: cannot reach the RPC at http:\/\/127\.0\.0\.1:9 .*pass --rpc or set SHOAL_RPC_URL$/, 1);
      const nowhere = "0x000000000000000000000000000000000000dEaD";
      assertOneLineError(await shoal(["job", "status", "1", "--market", nowhere]), /no contract at market 0x000000000000000000000000000000000000dEaD on local \(31337\)/, 1);
    });
  });
});
