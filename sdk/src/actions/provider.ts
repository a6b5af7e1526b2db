import type { Account, Address, Client, Hash, Hex } from "viem";
import { jobMarketAbi } from "../abi/jobMarket.js";
import { providerRegistryAbi } from "../abi/providerRegistry.js";
import { computeCommitment } from "../commitment.js";
import { resolveMarket, resolveRegistry } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { PieceRef } from "../piece/toPieceRef.js";

type Common = { account?: Account | Address | undefined; gas?: bigint | undefined };
type OnMarket = Common & { market?: Address | undefined };
type OnRegistry = Common & { registry?: Address | undefined };

/** What a provider can run. `engines`: 1 = WASM, 2 = Docker (bit set). */
export type Capabilities = { engines: number; cpus: number; memoryMb: number; gpus: number };

/**
 * Registers the account as a provider with `stake` FIL, its gateway URL and capabilities.
 *
 * @example
 * await registerProvider(walletClient, { gatewayUrl: "https://sp.example", stake: parseEther("10"),
 *   capabilities: { engines: 3, cpus: 16, memoryMb: 65536, gpus: 0 } });
 */
export async function registerProvider(
  client: Client,
  p: OnRegistry & { gatewayUrl: string; capabilities: Capabilities; stake: bigint },
): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "register",
    args: [p.gatewayUrl, p.capabilities], value: p.stake, account: p.account,
  });
  return { hash: r.transactionHash };
}

/** Binds the Filecoin miner actor `minerId` (f0…) the account controls. */
export async function bindMiner(client: Client, p: OnRegistry & { minerId: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "bindMiner", args: [p.minerId], account: p.account,
  });
  return { hash: r.transactionHash };
}

/** Adds `amount` FIL to the account's stake. */
export async function addStake(client: Client, p: OnRegistry & { amount: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveRegistry(client, p.registry), abi: providerRegistryAbi, functionName: "addStake", args: [], value: p.amount, account: p.account,
  });
  return { hash: r.transactionHash };
}

/** Claims `slot` of job `jobId`, with locality proofs when the job asks for them. */
export async function claimSlot(
  client: Client,
  p: OnMarket & {
    jobId: bigint; slot: number; inputs?: readonly PieceRef[];
    proofs?: readonly { kind: number; data: Hex }[]; allowProof?: readonly Hex[];
  },
): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "claim",
    args: [p.jobId, BigInt(p.slot), [...(p.inputs ?? [])], [...(p.proofs ?? [])], [...(p.allowProof ?? [])]],
    account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}

/** Commits to `resultCid` (binary CID) for `slot`: sends hash and seal, never the CID. */
export async function commitResult(
  client: Client,
  p: OnMarket & { jobId: bigint; slot: number; resultCid: Hex; provider: Address },
): Promise<{ hash: Hash }> {
  const { hash, seal } = computeCommitment({ jobId: p.jobId, provider: p.provider, resultCid: p.resultCid });
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "commit",
    args: [p.jobId, BigInt(p.slot), hash, seal], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}

/** Reveals `resultCid` (binary CID) for `slot`; the quorum-th reveal settles the job. */
export async function revealResult(
  client: Client,
  p: OnMarket & { jobId: bigint; slot: number; resultCid: Hex },
): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "reveal",
    args: [p.jobId, BigInt(p.slot), p.resultCid], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}

/** Settles a job whose reveal window is over. Anyone may call. */
export async function finalizeJob(client: Client, p: OnMarket & { jobId: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "finalize", args: [p.jobId], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}

/** Expires a job past its deadline without quorum, refunding the client. Anyone may call. */
export async function expireJob(client: Client, p: OnMarket & { jobId: bigint }): Promise<{ hash: Hash }> {
  const r = await writeAndWait(client, {
    address: resolveMarket(client, p.market), abi: jobMarketAbi, functionName: "expire", args: [p.jobId], account: p.account, gas: p.gas,
  });
  return { hash: r.transactionHash };
}
