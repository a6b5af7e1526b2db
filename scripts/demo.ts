/**
 * The main job: Shoal end to end on the embedded chain, in one command (`npm run demo`).
 *
 *  1. starts a local Hardhat chain (EDR) with the FEVM actor emulator installed, served over HTTP;
 *  2. deploys the contracts (registry, market, PDP and f05 locality adapters) as a deployment does;
 *  3. creates three storage providers holding a real dataset piece (examples/data): two in PDP data
 *     sets of a PDPVerifier stand-in, one in an f05 deal of its miner in the emulated market actor;
 *  4. starts three `shoal-agent` processes, registered with the agent's own CLI;
 *  5. submits a WASM word-frequency job over the piece through the SDK: 3 replicas, quorum 2,
 *     locality required; then a Docker job when a Docker engine answers.
 * It shows live progress per provider, then the result CID, the result (downloaded from a provider
 * and verified), the gas of each step and who was paid what. Every child process is stopped on
 * exit, including Ctrl-C.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import Dockerode from "dockerode";
import { type Address, createPublicClient, decodeFunctionData, formatEther, type Hex, http, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { jobMarketAbi } from "../sdk/src/abi/jobMarket.js";
import { pieceCid, submitJob, waitForResult, watchJob, type JobEvent, type SpecInput } from "../sdk/src/index.js";
import { fetchResult } from "../sdk/src/node.js";
import { deployShoal } from "./lib/deploy.js";
import { demoProcesses } from "./lib/demoProcesses.js";
import { installFevm } from "../test/helpers/fevm.js";
import { buildWordcountImage } from "../test/helpers/docker.js";
import { KEYS } from "../test/helpers/localChain.js";
import { freePort, serveRpc } from "../test/helpers/net.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const demo = demoProcesses();
let workDir: string | undefined;

const t0 = Date.now();
const say = (line: string) => console.log(line);
try {
  // 1. The chain, with the FEVM actor emulator, served over HTTP for the agent processes.
  const connection = await network.create();
  const { viem } = connection;
  const rpcServer = await serveRpc(connection.provider);
  demo.owned.rpcServer = rpcServer;
  const rpcUrl = rpcServer.url;
  const publicClient = createPublicClient({ chain: hardhat, transport: http(rpcUrl), pollingInterval: 100 });
  const fevm = await installFevm(viem);
  say(`Local chain (Hardhat EDR) at ${rpcUrl}, FEVM actor emulator installed`);

  // 2. Contracts.
  const pdp = await viem.deployContract("PDPVerifierStandIn");
  const pdpLocality = await viem.deployContract("PdpLocality", [pdp.address, 5_760n]); // proofs at most 2 days (5,760 epochs) old
  const dealLocality = await viem.deployContract("DealLocality");
  const { registry, market } = await deployShoal(viem, { pdpLocality: pdpLocality.address, dealLocality: dealLocality.address });
  say(`JobMarket ${market.address}, ProviderRegistry ${registry.address}`);

  // 3. The dataset piece and three providers that store it.
  const payload = new Uint8Array(await readFile(join(root, "examples/data/harbor-log.txt")));
  const piece = pieceCid(payload);
  say(`Dataset examples/data/harbor-log.txt (${payload.length} bytes): piece ${piece.v2}`);
  workDir = await mkdtemp(join(tmpdir(), "shoal-demo-"));
  demo.owned.workDir = workDir;
  const wasm = await readFile(join(root, "examples/wasm/wordfreq.wasm"));
  const moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();
  let image: { ref: string } | undefined;
  let dockerNote = "";
  try {
    const docker = new Dockerode({ socketPath: "/var/run/docker.sock" });
    await docker.ping();
    image = await buildWordcountImage(docker);
  } catch {
    dockerNote = "no Docker engine reachable: skipping the Docker job (start dockerd to include it)";
  }

  const providers = [2, 3, 4].map((i) => ({ i, address: privateKeyToAccount(KEYS[i]!).address as Address }));
  const names = new Map(providers.map((p, n) => [p.address.toLowerCase(), `provider ${n + 1}`]));
  const nameOf = (a: string) => names.get(a.toLowerCase()) ?? a;
  names.set(privateKeyToAccount(KEYS[1]!).address.toLowerCase(), "client");
  for (const [n, p] of providers.entries()) {
    const home = join(workDir, `sp${n + 1}`);
    await mkdir(join(home, "pieces"), { recursive: true });
    await mkdir(join(home, "modules"), { recursive: true });
    await writeFile(join(home, "pieces", piece.v2), payload);
    await copyFile(join(root, "examples/wasm/wordfreq.wasm"), join(home, "modules", `${moduleCid}.wasm`));
    let locality: Record<string, unknown>;
    if (n < 2) {
      await pdp.write.setDataSet([BigInt(n + 1), p.address, true]);
      await pdp.write.setPiece([BigInt(n + 1), 0n, toHex(CID.parse(piece.v2).bytes), true]);
      locality = { piece: piece.v2, kind: "pdp", dataSetId: n + 1, pieceId: 0 };
    } else {
      await fevm.addMiner(1000n + BigInt(n), { owner: p.address });
      await fevm.addDeal(77n, { provider: 1000n + BigInt(n), pieceCid: toHex(CID.parse(piece.v1).bytes), size: BigInt(piece.paddedSize) });
      locality = { piece: piece.v2, kind: "deal", dealId: 77 };
    }
    const config = {
      chain: { rpcUrls: [rpcUrl], chainId: 31337, market: market.address, registry: registry.address, pollIntervalMs: 200 },
      policy: { minPrice: "0.01", maxCpu: 2, maxMemoryMb: 2048, gpus: 0, maxTimeoutSec: 300, safetyMarginSec: 10 },
      engines: { wasm: { enabled: true, moduleDir: join(home, "modules") }, docker: { enabled: image !== undefined, allowedImages: image ? ["shoal-test/busybox"] : [] } },
      data: { pieceDir: join(home, "pieces") },
      locality: [locality],
      results: { dir: join(home, "results"), retentionSeconds: 3600 },
      gateway: { host: "127.0.0.1", port: await freePort() },
      stateDir: join(home, "state"),
      logLevel: "warn",
    };
    await writeFile(join(home, "shoal-agent.json"), JSON.stringify(config, null, 2));
    await demo.startAgent({
      label: `provider ${n + 1}`, config: join(home, "shoal-agent.json"), privateKey: KEYS[p.i]!,
      registerArgs: ["--stake", "10", ...(n === 2 ? ["--miner", String(1000 + n)] : [])],
    });
    const proof = n < 2 ? `PDP data set ${n + 1}` : `f05 deal 77 of miner f0${1000 + n}`;
    say(`${`provider ${n + 1}`.padEnd(11)} ${p.address}  stores the piece (${proof}); agent running`);
  }

  // 5. The jobs.
  const client = await viem.getWalletClients().then((w) => w[1]!);
  async function runJob(title: string, spec: SpecInput, quorum: number, replicas: number, read: (dir: string) => Promise<string>) {
    const locality = spec.inputs?.some((i) => i.locality) ?? false;
    say(`\n${title}: ${replicas} replicas, quorum ${quorum}, 0.1 FIL per replica`);
    const { jobId, hash } = await submitJob(client, { spec, replicas, quorum, price: parseEther("0.1"), market: market.address, commitWindow: 300, revealWindow: 300 });
    const fromBlock = (await publicClient.getTransactionReceipt({ hash })).blockNumber;
    say(`  job ${jobId} submitted`);
    const describe = (e: JobEvent) => {
      switch (e.type) {
        case "claimed": return `  ${nameOf(e.provider).padEnd(11)} claimed slot ${e.slot}${locality ? " (its locality proof checked on chain)" : ""}`;
        case "committed": return `  ${nameOf(e.provider).padEnd(11)} committed its result (hash + seal)`;
        case "quorum": return "  quorum reached: reveals open";
        case "revealed": return `  ${nameOf(e.provider).padEnd(11)} revealed ${CID.decode(Buffer.from(e.resultCid.slice(2), "hex")).toString()}`;
        case "finalized": return "  finalized: payouts owed, collateral released";
        default: return undefined;
      }
    };
    const { resultCid } = await waitForResult(publicClient, {
      jobId, market: market.address, timeout: 90_000, pollingInterval: 100, fromBlock,
      onProgress: (e) => {
        const line = describe(e);
        if (line) say(line);
      },
    });
    const out = join(workDir!, `result-${jobId}`);
    const fetched = await fetchResult(publicClient, { jobId, outDir: out, market: market.address });
    say(`  result CID ${resultCid}`);
    say(`  downloaded from ${fetched.gateway} and verified block by block (${fetched.files} file, ${fetched.size} bytes):`);
    say(await read(out));

    // Gas of each step, from the job's transactions.
    const logs = (await publicClient.request({
      method: "eth_getLogs",
      params: [{ address: market.address, fromBlock: toHex(fromBlock), toBlock: "latest", topics: [null, toHex(jobId, { size: 32 })] }],
    } as never)) as { transactionHash: Hex }[];
    const seen = new Set<Hex>();
    let total = 0n;
    say("  gas per step:");
    for (const log of logs) {
      if (seen.has(log.transactionHash)) continue;
      seen.add(log.transactionHash);
      const [tx, receipt] = await Promise.all([publicClient.getTransaction({ hash: log.transactionHash }), publicClient.getTransactionReceipt({ hash: log.transactionHash })]);
      const { functionName } = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
      total += receipt.gasUsed;
      say(`    ${functionName.padEnd(8)} ${nameOf(tx.from).padEnd(11)} ${receipt.gasUsed.toString().padStart(8)}`);
    }
    say(`    ${"total".padEnd(20)} ${total.toString().padStart(8)}`);
    say("  who is owed what (pulled with withdraw):");
    for (const p of providers) {
      const owed = await publicClient.readContract({ address: market.address, abi: jobMarketAbi, functionName: "owed", args: [jobId, p.address] });
      say(`    ${nameOf(p.address).padEnd(11)} ${formatEther(owed)} FIL`);
    }
    const refund = await publicClient.readContract({ address: market.address, abi: jobMarketAbi, functionName: "owed", args: [jobId, client.account.address] });
    say(`    ${"client".padEnd(11)} ${formatEther(refund)} FIL refund (unused replica and its fee)`);
  }

  const top = async (dir: string) => {
    const freq = JSON.parse(await readFile(join(dir, "wordfreq.json"), "utf8")) as { totalWords: number; words: Record<string, number> };
    const best = Object.entries(freq.words).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 6);
    return `    ${freq.totalWords} words; most frequent: ${best.map(([w, c]) => `${w} ${c}`).join(", ")}`;
  };
  await runJob(
    "WASM job: word frequencies over the stored piece, locality required",
    {
      version: 1,
      engine: { type: "wasm", module: moduleCid, args: [] },
      inputs: [{ piece: piece.v2, mount: "/inputs/harbor-log.txt", locality: true }],
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
    },
    2, 3, top,
  );
  if (image) {
    await runJob(
      "Docker job: the same count in a busybox container (no network, read-only root)",
      {
        version: 1,
        engine: { type: "docker", image: image.ref, args: [] },
        inputs: [{ piece: piece.v2, mount: "/inputs/harbor-log.txt", locality: false }],
        resources: { cpu: 1, memoryMb: 64, timeoutSec: 60 },
        deterministic: true,
      },
      2, 2,
      async (dir) => `    ${(await readFile(join(dir, "wordfreq.txt"), "utf8")).split("\n").slice(0, 3).join(" | ")} …`,
    );
  } else {
    say(`\n${dockerNote}`);
  }
  say(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exitCode = 1;
} finally {
  await demo.cleanup();
}
