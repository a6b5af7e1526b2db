/**
 * The main job, for now: deploys Shoal on the embedded chain (Hardhat's EDR), registers three
 * storage providers and walks one job (3 replicas, quorum 2) through its whole lifecycle, printing
 * each step, its gas, and who was paid what. One provider dissents and is slashed.
 *
 * Run: `npm run demo`.
 */
import { network } from "hardhat";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { formatEther, parseEther, toHex, zeroAddress, zeroHash, type Hex } from "viem";
import { deployShoal } from "./lib/deploy.js";
import { computeCommitment } from "../sdk/src/commitment.js";

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const [admin, client, ...providers] = await viem.getWalletClients();
const sps = providers.slice(0, 3);
const name = (addr: string) => {
  const i = sps.findIndex((p) => p.account.address.toLowerCase() === addr.toLowerCase());
  return i >= 0 ? `provider ${i + 1}` : addr === client.account.address ? "client" : addr;
};
let totalGas = 0n;
async function step(label: string, hash: Hex) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  totalGas += receipt.gasUsed;
  console.log(`  ${label.padEnd(58)} gas ${receipt.gasUsed.toString().padStart(7)}`);
}

console.log("Shoal demo on the embedded chain (Hardhat EDR)\n");
const { registry, market } = await deployShoal(viem);
console.log(`  JobMarket        ${market.address}\n  ProviderRegistry ${registry.address}\n`);

for (const [i, p] of sps.entries()) {
  await step(
    `provider ${i + 1} registers with 10 FIL stake`,
    await registry.write.register([`http://127.0.0.1:${7101 + i}`, { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 }], {
      account: p.account,
      value: parseEther("10"),
    }),
  );
}

// The job: count words of a text. Each provider "runs" it; the result is a real CIDv1 (raw, sha2-256).
const text = "the quick brown fox jumps over the lazy dog the end";
const counts: Record<string, number> = {};
for (const w of text.split(/\s+/)) counts[w] = (counts[w] ?? 0) + 1;
const output = new TextEncoder().encode(JSON.stringify(Object.fromEntries(Object.entries(counts).sort())));
const cidOf = async (bytes: Uint8Array) => CID.create(1, raw.code, await sha256.digest(bytes));
const good = await cidOf(output);
const bad = await cidOf(new TextEncoder().encode("{}"));
const spec = toHex(JSON.stringify({ v: 1, engine: { type: "wasm", entrypoint: "_start" }, outputs: { path: "/outputs" } }));

const now = Number((await publicClient.getBlock()).timestamp);
const price = parseEther("1");
const request = {
  spec, inputs: [], locality: false, replicas: 3, quorum: 2, token: zeroAddress, price,
  collateral: parseEther("0.5"), deadline: now + 3600, commitWindow: 600, revealWindow: 600,
  callback: zeroAddress, callbackGas: 0, allowlistRoot: zeroHash,
} as const;
const escrow = 3n * price + (3n * price * BigInt(await market.read.feeBps())) / 10_000n;
totalGas = 0n;
console.log(`\nJob: word count, 3 replicas, quorum 2, ${formatEther(price)} FIL per replica, escrow ${formatEther(escrow)} FIL`);
await step("client submits the job", await market.write.submit([request], { account: client.account, value: escrow }));
const jobId = await market.read.jobCount();

for (const [i, p] of sps.entries()) {
  await step(`provider ${i + 1} claims slot ${i} (locks 0.5 FIL collateral)`, await market.write.claim([jobId, BigInt(i), [], [], []], { account: p.account }));
}
const results = [good, bad, good];
for (const i of [0, 1, 2]) {
  const cid = toHex(results[i].bytes);
  const { hash, seal } = computeCommitment({ jobId, provider: sps[i].account.address, resultCid: cid });
  await step(`provider ${i + 1} commits ${i === 1 ? "a different result" : "its result"}`, await market.write.commit([jobId, BigInt(i), hash, seal], { account: sps[i].account }));
}
console.log(`  → quorum reached: status ${["None", "Open", "Revealing"][(await market.read.getJob([jobId])).status]}`);
for (const i of [0, 2]) {
  await step(`provider ${i + 1} reveals ${good.toString().slice(0, 20)}…`, await market.write.reveal([jobId, BigInt(i), toHex(good.bytes)], { account: sps[i].account }));
}
const job = await market.read.getJob([jobId]);
console.log(`  → settled; result CID on chain: ${CID.decode(Buffer.from(job.resultCid.slice(2), "hex")).toString()}`);
console.log(`  total gas, submit → settled: ${totalGas}\n`);

console.log("Who is owed what (pulled with withdraw):");
for (const who of [client, ...sps]) {
  const owed = await market.read.owed([jobId, who.account.address]);
  const rec = who === client ? undefined : await registry.read.provider([who.account.address]);
  console.log(`  ${name(who.account.address).padEnd(11)} owed ${formatEther(owed).padStart(5)} FIL${rec ? `   stake ${formatEther(rec.stake)} FIL, locked ${formatEther(rec.locked)}` : ""}`);
  if (owed > 0n) await market.write.withdraw([zeroAddress, [jobId]], { account: who.account });
}
console.log(`  treasury    fee  ${formatEther(await market.read.feesAccrued([zeroAddress]))} FIL; slashed to registry: ${formatEther(await registry.read.slashed())} FIL`);
await market.write.withdrawFees([zeroAddress], { account: admin.account });
console.log(`\nMarket balance after all withdrawals: ${formatEther(await publicClient.getBalance({ address: market.address }))} FIL`);
