/**
 * End to end across processes: a local chain served over HTTP (EDR behind Hardhat's JSON-RPC
 * server, as `hardhat node` serves it), three `shoal-agent run` processes registered with the
 * `shoal-agent register` CLI, and a client using the SDK. Covers a WASM job with locality proved
 * through PDP data sets, a Docker job on the real engine, an agent killed with SIGKILL after it
 * commits, and a provider that claims and disappears.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { type Address, decodeFunctionData, parseEther, parseEventLogs, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { jobMarketAbi } from "../../sdk/src/abi/jobMarket.js";
import { claimSlot, getJob, pieceCid, registerProvider, submitJob, waitForResult, type SpecInput } from "../../sdk/src/index.js";
import { fetchResult } from "../../sdk/src/node.js";
import { artifact, deployArtifact, deployShoalViem } from "../../scripts/lib/deploy-viem.js";
import { buildWordcountImage, ensureDockerEngine } from "../helpers/docker.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { freePort } from "../helpers/net.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const AGENT_BIN = join(root, "agent/bin/shoal-agent.mjs");
const TEXT = "compute over data on filecoin\nthe data stays where it is stored\n".repeat(30);
const PROVIDERS = [2, 3, 4];

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("end to end: three agent processes, a client, a local chain", function () {
  this.timeout(300_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let dir: string;
  let moduleCid: string;
  let piece: ReturnType<typeof pieceCid>;
  let image: { ref: string } | undefined;
  const agents = new Map<number, { child: ChildProcess; config: string; log: string[] }>();

  const configOf = (i: number) => join(dir, `agent${i}`, "shoal-agent.json");
  const envOf = (i: number) => ({ SHOAL_AGENT_PRIVATE_KEY: KEYS[i] });

  async function startAgentProcess(i: number) {
    const log: string[] = [];
    const child = spawn(process.execPath, [AGENT_BIN, "run", "-c", configOf(i)], {
      env: { ...process.env, ...envOf(i) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => log.push(String(d)));
    child.stderr!.on("data", (d) => log.push(String(d)));
    agents.set(i, { child, config: configOf(i), log });
    // Ready when it prints its banner (up to 60 s: a loaded 2-core host starts Node slowly).
    for (let t = 0; t < 1200 && !log.join("").includes("running") && child.exitCode === null; t++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(log.join("").includes("running"), `agent ${i} did not start: ${log.join("")}`);
  }

  async function stopAll() {
    for (const { child } of agents.values()) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    }
  }

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "shoal-e2e-"));
    const payload = new TextEncoder().encode(TEXT);
    piece = pieceCid(payload);

    // Chain: a PDPVerifier stand-in (test double) behind the real PdpLocality adapter, wired into the market.
    chain = await startLocalChain();
    const pdpHere = await deployArtifact(chain.wallet(0), chain.publicClient, "contracts/test/pdp/PDPVerifierStandIn.sol/PDPVerifierStandIn.json");
    const adapterHere = await deployArtifact(chain.wallet(0), chain.publicClient, "contracts/locality/PdpLocality.sol/PdpLocality.json", [pdpHere, 5_760n]);
    Object.assign(chain, await deployShoalViem(chain.wallet(0), chain.publicClient, { pdpLocality: adapterHere }));
    const { abi: pdpAbi } = await artifact("contracts/test/pdp/PDPVerifierStandIn.sol/PDPVerifierStandIn.json");

    const wasm = await readFile(join(root, "examples/wasm/wordfreq.wasm"));
    moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();

    const engine = await ensureDockerEngine();
    if (engine.docker) image = await buildWordcountImage(engine.docker);

    for (const [n, i] of PROVIDERS.entries()) {
      const home = join(dir, `agent${i}`);
      await mkdir(join(home, "pieces"), { recursive: true });
      await mkdir(join(home, "modules"), { recursive: true });
      await writeFile(join(home, "pieces", piece.v2), payload);
      await copyFile(join(root, "examples/wasm/wordfreq.wasm"), join(home, "modules", `${moduleCid}.wasm`));
      const provider = privateKeyToAccount(KEYS[i]!).address;
      // Data set n+1 of the stand-in holds the piece for this provider.
      const w = chain.wallet(0);
      const tx1 = await w.writeContract({ address: pdpHere, abi: pdpAbi, functionName: "setDataSet", args: [BigInt(n + 1), provider, true], account: w.account!, chain: w.chain });
      await chain.publicClient.waitForTransactionReceipt({ hash: tx1 });
      const tx2 = await w.writeContract({ address: pdpHere, abi: pdpAbi, functionName: "setPiece", args: [BigInt(n + 1), 0n, toHex(CID.parse(piece.v2).bytes), true], account: w.account!, chain: w.chain });
      await chain.publicClient.waitForTransactionReceipt({ hash: tx2 });
      const port = await freePort();
      const config = {
        chain: { rpcUrls: [chain.rpcUrl], chainId: 31337, market: chain.market, registry: chain.registry, pollIntervalMs: 150 },
        policy: { minPrice: "0", maxCpu: 2, maxMemoryMb: 2048, gpus: 0, maxTimeoutSec: 120, safetyMarginSec: 5 },
        engines: {
          wasm: { enabled: true, moduleDir: join(home, "modules") },
          docker: { enabled: image !== undefined, allowedImages: image ? ["shoal-test/busybox"] : [] },
        },
        data: { pieceDir: join(home, "pieces") },
        locality: [{ piece: piece.v2, kind: "pdp", dataSetId: n + 1, pieceId: 0 }],
        results: { dir: join(home, "results"), retentionSeconds: 3600 },
        gateway: { host: "127.0.0.1", port },
        stateDir: join(home, "state"),
        concurrency: 2,
        logLevel: "info",
      };
      await writeFile(configOf(i), `// e2e agent ${i}\n${JSON.stringify(config, null, 2)}\n`);
      const registered = await run(["register", "-c", configOf(i), "--stake", "10"], envOf(i));
      assert.equal(registered.code, 0, registered.stderr);
      await startAgentProcess(i);
    }
  });

  after(async function () {
    await stopAll();
    await chain?.close();
  });

  const wasmSpec = (): SpecInput => ({
    version: 1,
    engine: { type: "wasm", module: moduleCid, args: [] },
    inputs: [{ piece: piece.v2, mount: "/inputs/corpus.txt", locality: true }],
    outputs: { path: "/outputs" },
    resources: { cpu: 1, memoryMb: 64, timeoutSec: 20, maxOutputBytes: 1 << 20 },
    network: "none",
    deterministic: true,
  });

  it("runs a WASM job with locality (PDP proofs) to quorum 2 of 3; providers are paid; the client downloads and verifies the result", async function () {
    const client = chain.wallet(1);
    const { jobId } = await submitJob(client, { spec: wasmSpec(), replicas: 3, quorum: 2, price: parseEther("0.1"), market: chain.market, commitWindow: 120, revealWindow: 120 });
    const { resultCid } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    const out = join(dir, "wasm-result");
    await fetchResult(chain.publicClient, { jobId, outDir: out, market: chain.market });
    const freq = JSON.parse(await readFile(join(out, "wordfreq.json"), "utf8"));
    assert.equal(freq.words.data, 60);
    const job = await getJob(chain.publicClient, { jobId, market: chain.market });
    assert.equal(job.status, "Settled");
    assert.equal(job.winners.length, 2);
    assert.ok(job.locality);
    assert.equal(job.resultCid, resultCid);
  });

  it("runs a Docker job on the real engine to quorum", async function () {
    if (!image) this.skip();
    const spec: SpecInput = {
      version: 1,
      engine: { type: "docker", image: image!.ref, args: [] },
      inputs: [{ piece: piece.v2, mount: "/inputs/corpus.txt", locality: false }],
      outputs: { path: "/outputs" },
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 30, maxOutputBytes: 1 << 20 },
      network: "none",
      deterministic: true,
    };
    const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 2, quorum: 2, price: parseEther("0.1"), market: chain.market, commitWindow: 120, revealWindow: 120 });
    await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 120_000, pollingInterval: 100 });
    const out = join(dir, "docker-result");
    await fetchResult(chain.publicClient, { jobId, outDir: out, market: chain.market });
    assert.match(await readFile(join(out, "wordfreq.txt"), "utf8"), /data/);
  });

  it("resumes after kill -9 right after its commit: the agent reveals on restart and is paid, with no duplicate transaction", async function () {
    const victim = PROVIDERS[0]!;
    const address = privateKeyToAccount(KEYS[victim]!).address;
    const { jobId } = await submitJob(chain.wallet(1), { spec: wasmSpec(), replicas: 3, quorum: 3, price: parseEther("0.1"), market: chain.market, commitWindow: 120, revealWindow: 120 });
    const firstBlock = await chain.publicClient.getBlockNumber();
    // Kill the victim as soon as its commit is on chain.
    let committed = false;
    for (let t = 0; t < 1200 && !committed; t++) {
      const logs = await chain.publicClient.getLogs({ address: chain.market, fromBlock: 0n });
      committed = parseEventLogs({ abi: jobMarketAbi, logs, eventName: "ResultCommitted" }).some(
        (e) => e.args.jobId === jobId && e.args.provider.toLowerCase() === address.toLowerCase(),
      );
      if (!committed) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(committed, "the victim committed");
    agents.get(victim)!.child.kill("SIGKILL");
    await new Promise((r) => agents.get(victim)!.child.once("exit", r));
    // Without the victim's reveal the job cannot settle (quorum 3).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await getJob(chain.publicClient, { jobId, market: chain.market })).status, "Revealing");

    await startAgentProcess(victim);
    await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    const owed = await chain.publicClient.readContract({ address: chain.market, abi: jobMarketAbi, functionName: "owed", args: [jobId, address] });
    assert.equal(owed, parseEther("0.1"));
    // Exactly one successful claim, commit and reveal from the victim: nothing was sent twice.
    // (A claim that lost a race to another agent's claim of the same slot reverts; it is not a duplicate.)
    const calls: string[] = [];
    const last = await chain.publicClient.getBlockNumber();
    for (let b = firstBlock; b <= last; b++) {
      const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.from.toLowerCase() !== address.toLowerCase() || tx.to?.toLowerCase() !== chain.market.toLowerCase()) continue;
        const receipt = await chain.publicClient.getTransactionReceipt({ hash: tx.hash });
        if (receipt.status !== "success") continue;
        const { functionName, args } = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
        if (args?.[0] === jobId) calls.push(functionName);
      }
    }
    // A short deterministic job takes the one-transaction path (claimAndCommit), else claim then commit.
    assert.ok(
      [["claim", "commit", "reveal"], ["claimAndCommit", "reveal"]].some((path) => JSON.stringify(path) === JSON.stringify(calls.sort())),
      `the victim's successful calls: ${calls.join(", ")}`,
    );
  });

  it("reopens the slot of a provider that claims and disappears, and another agent completes the job", async function () {
    const rogueIndex = 5;
    const rogue = chain.wallet(rogueIndex);
    await registerProvider(rogue, { registry: chain.registry, stake: parseEther("10"), gatewayUrl: "http://127.0.0.1:9", capabilities: { engines: 1, cpus: 1, memoryMb: 512, gpus: 0 } });
    const spec = { ...wasmSpec(), inputs: [{ piece: piece.v2, mount: "/inputs/corpus.txt", locality: false }] };
    const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 2, quorum: 2, price: parseEther("0.1"), market: chain.market, commitWindow: 60, revealWindow: 120 });
    // The rogue grabs a slot right away and never commits.
    const claimed = (await getJob(chain.publicClient, { jobId, market: chain.market })).claimed;
    await claimSlot(rogue, { jobId, slot: claimed, market: chain.market }).catch(async () => {
      await claimSlot(rogue, { jobId, slot: claimed + 1, market: chain.market });
    });
    // Wait until the agent holding the other slot has committed, then let the rogue's window run out.
    for (let t = 0; t < 600; t++) {
      const j = await getJob(chain.publicClient, { jobId, market: chain.market });
      const slots = await Promise.all([0, 1].map((s) => chain.publicClient.readContract({ address: chain.market, abi: jobMarketAbi, functionName: "getSlot", args: [jobId, BigInt(s)] })));
      if (j.claimed === 2 && slots.some((s) => s.committed)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await chain.publicClient.request({ method: "evm_increaseTime" as never, params: [61] as never });
    await chain.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    const { job } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    const rogueAddress = rogue.account!.address as Address;
    assert.equal(job.status, "Settled");
    const registry = await artifact("contracts/registry/ProviderRegistry.sol/ProviderRegistry.json");
    const record = (await chain.publicClient.readContract({ address: chain.registry, abi: registry.abi, functionName: "provider", args: [rogueAddress] })) as { stake: bigint };
    assert.equal(record.stake, parseEther("10") - parseEther("0.1"), "the silent claimant was slashed its collateral");
  });
});
