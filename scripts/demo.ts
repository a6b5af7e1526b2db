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
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { decodeFunctionData, formatEther, type Hex, parseEther, toHex } from "viem";
import { jobMarketAbi } from "../sdk/src/abi/jobMarket.js";
import { submitJob, waitForResult, type JobEvent, type SpecInput } from "../sdk/src/index.js";
import { fetchResult } from "../sdk/src/node.js";
import { demoProcesses } from "./lib/demoProcesses.js";
import { startLocalShoal } from "./lib/localShoal.js";

const demo = demoProcesses();
let workDir: string | undefined;

const t0 = Date.now();
const say = (line: string) => console.log(line);
try {
  // 1-4. Chain, contracts, three providers storing the piece, their agents (scripts/lib/localShoal.ts).
  const shoal = await startLocalShoal({ processes: demo, log: say });
  const { publicClient, market, piece, moduleCid, image, dockerNote, providers, client } = shoal;
  workDir = shoal.workDir;
  const names = new Map(providers.map((p) => [p.address.toLowerCase(), p.label]));
  const nameOf = (a: string) => names.get(a.toLowerCase()) ?? a;
  names.set(client.account.address.toLowerCase(), "client");

  // 5. The jobs.
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
