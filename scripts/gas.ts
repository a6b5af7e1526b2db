/**
 * Prints the gas of every transaction of a whole job on the embedded chain (EDR), for n = 1 and
 * for n = 3 with k = 2, native FIL, fresh accounts (every first write is a zero-to-non-zero
 * store: the worst case). Run: `npm run gas`.
 */
import { network } from "hardhat";
import { parseEther, zeroAddress, zeroHash, type Hex } from "viem";
import { deployShoal } from "./lib/deploy.js";
import { computeCommitment } from "../sdk/src/commitment.js";
import { SAMPLE_SPEC, resultCid } from "../test/helpers/shoal.js";

type Row = { step: string; gas: bigint };

async function measure(n: number, k: number): Promise<Row[]> {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const [, client, ...providers] = await viem.getWalletClients();
  const { registry, market } = await deployShoal(viem);
  for (const p of providers.slice(0, n)) {
    await registry.write.register(["https://sp.example/gw", { engines: 3, cpus: 8, memoryMb: 16384, gpus: 0 }], {
      account: p.account,
      value: parseEther("10"),
    });
  }
  const rows: Row[] = [];
  const gasOf = async (step: string, hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${step} reverted`);
    rows.push({ step, gas: receipt.gasUsed });
  };
  const now = Number((await publicClient.getBlock()).timestamp);
  const price = parseEther("1");
  const request = {
    spec: SAMPLE_SPEC, inputs: [], locality: false, replicas: n, quorum: k, token: zeroAddress, price,
    collateral: parseEther("0.5"), deadline: now + 3600, commitWindow: 600, revealWindow: 600,
    callback: zeroAddress, callbackGas: 0, allowlistRoot: zeroHash,
  } as const;
  const work = BigInt(n) * price;
  await gasOf("submit", await market.write.submit([request], { account: client.account, value: work + work / 100n }));
  const jobId = await market.read.jobCount();
  for (let i = 0; i < n; i++) {
    await gasOf(`claim #${i + 1}`, await market.write.claim([jobId, BigInt(i), [], [], []], { account: providers[i].account }));
  }
  const cid = resultCid("gas");
  for (let i = 0; i < (n === 1 ? 0 : k); i++) {
    const { hash, seal } = computeCommitment({ jobId, provider: providers[i].account.address, resultCid: cid });
    await gasOf(`commit #${i + 1}${i === k - 1 ? " (quorum)" : ""}`, await market.write.commit([jobId, BigInt(i), hash, seal], { account: providers[i].account }));
  }
  for (let i = 0; i < k; i++) {
    await gasOf(`${n === 1 ? "direct " : ""}reveal #${i + 1}${i === k - 1 ? " (settles)" : ""}`, await market.write.reveal([jobId, BigInt(i), cid], { account: providers[i].account }));
  }
  return rows;
}

function print(title: string, rows: Row[], target: bigint) {
  const total = rows.reduce((a, r) => a + r.gas, 0n);
  console.log(`\n${title}`);
  for (const r of rows) console.log(`  ${r.step.padEnd(22)} ${r.gas.toString().padStart(9)}`);
  console.log(`  ${"total".padEnd(22)} ${total.toString().padStart(9)}   target <= ${target} ${total <= target ? "OK" : "OVER"}`);
}

print("n = 1, k = 1, native FIL", await measure(1, 1), 300_000n);
print("n = 3, k = 2, native FIL", await measure(3, 2), 600_000n);
