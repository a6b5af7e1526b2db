import { network } from "hardhat";
import { sha256, toHex, concatHex, parseEther, zeroAddress, zeroHash, type Address, type Hex } from "viem";
import { deployShoal, type DeployOptions } from "../../scripts/lib/deploy.js";
import { computeCommitment } from "../../sdk/src/commitment.js";
import { installFevm } from "./fevm.js";

export const FIL = (x: string) => parseEther(x);
export const Status = { None: 0, Open: 1, Revealing: 2, Settled: 3, Expired: 4, Cancelled: 5, Failed: 6 } as const;

export type PieceRef = { root: Hex; paddedSize: bigint };
export type JobRequest = {
  spec: Hex;
  inputs: readonly PieceRef[];
  locality: boolean;
  replicas: number;
  quorum: number;
  token: Address;
  price: bigint;
  collateral: bigint;
  deadline: number;
  commitWindow: number;
  revealWindow: number;
  callback: Address;
  callbackGas: number;
  allowlistRoot: Hex;
  distinctMiners: boolean;
};

/** A compact, realistic job spec (the SDK's canonical JSON) used where the bytes do not matter. */
export const SAMPLE_SPEC = toHex(
  JSON.stringify({
    v: 1,
    engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", entrypoint: "_start", args: ["/inputs/data.csv"] },
    inputs: [{ piece: "baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq", mount: "/inputs/data.csv", locality: false }],
    outputs: { path: "/outputs" },
    resources: { cpu: 1, memoryMb: 256, gpu: 0, timeoutSec: 60, maxOutputBytes: 1048576 },
    network: "none",
    deterministic: true,
  }),
);

/** A binary CIDv1 (raw, sha2-256) over `content`, as a result CID. */
export function resultCid(content: string): Hex {
  return concatHex(["0x01551220", sha256(toHex(content))]);
}

/**
 * Spins up a fresh EDR chain with Shoal deployed and `providerCount` registered providers. With
 * `locality`, the FEVM actor emulator and a PDPVerifier stand-in are installed and both locality
 * adapters are wired into the market.
 */
export async function setup(
  options: DeployOptions & { providerCount?: number; stake?: bigint; locality?: boolean } = {},
) {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const [admin, client, outsider, ...rest] = wallets;
  let locality;
  if (options.locality) {
    const fevm = await installFevm(viem);
    const pdp = await viem.deployContract("PDPVerifierStandIn");
    const pdpLocality = await viem.deployContract("PdpLocality", [pdp.address, 5_760n]);
    const dealLocality = await viem.deployContract("DealLocality");
    options = { ...options, pdpLocality: pdpLocality.address, dealLocality: dealLocality.address };
    locality = { fevm, pdp, pdpLocality, dealLocality };
  }
  const { registry, market } = await deployShoal(viem, options);
  const providers = rest.slice(0, options.providerCount ?? 8);
  for (const [i, p] of providers.entries()) {
    await registry.write.register(
      [`http://127.0.0.1:${7000 + i}`, { engines: 3, cpus: 4, memoryMb: 8192, gpus: 0 }],
      { account: p.account, value: options.stake ?? FIL("10") },
    );
  }

  const now = async () => Number((await publicClient.getBlock()).timestamp);

  async function request(overrides: Partial<JobRequest> = {}): Promise<JobRequest> {
    return {
      spec: SAMPLE_SPEC,
      inputs: [],
      locality: false,
      replicas: 3,
      quorum: 2,
      token: zeroAddress,
      price: FIL("1"),
      collateral: FIL("0.5"),
      deadline: (await now()) + 3600,
      commitWindow: 600,
      revealWindow: 600,
      callback: zeroAddress,
      callbackGas: 0,
      allowlistRoot: zeroHash,
      distinctMiners: false,
      ...overrides,
    };
  }

  const feeBps = Number(await market.read.feeBps());
  function escrowOf(r: Pick<JobRequest, "replicas" | "price">, fee = feeBps) {
    const work = BigInt(r.replicas) * r.price;
    return work + (work * BigInt(fee)) / 10_000n;
  }

  /** Submits `r` from `client` and returns the new job's ID. */
  async function submit(r: JobRequest, from = client): Promise<bigint> {
    const value = r.token === zeroAddress ? escrowOf(r) : 0n;
    const hash = await market.write.submit([r], { account: from.account, value });
    await publicClient.waitForTransactionReceipt({ hash });
    return (await market.read.jobCount()) as bigint;
  }

  async function claim(jobId: bigint, slot: number, from: (typeof wallets)[number]) {
    return market.write.claim([jobId, BigInt(slot), [], [], []], { account: from.account });
  }

  async function commit(jobId: bigint, slot: number, from: (typeof wallets)[number], cid: Hex) {
    const { hash, seal } = computeCommitment({ jobId, provider: from.account.address, resultCid: cid });
    return market.write.commit([jobId, BigInt(slot), hash, seal], { account: from.account });
  }

  async function reveal(jobId: bigint, slot: number, from: (typeof wallets)[number], cid: Hex) {
    return market.write.reveal([jobId, BigInt(slot), cid], { account: from.account });
  }

  async function job(jobId: bigint) {
    return market.read.getJob([jobId]);
  }

  return {
    connection, viem, networkHelpers, publicClient, wallets, admin, client, outsider, providers, locality,
    registry, market, feeBps, now, request, escrowOf, submit, claim, commit, reveal, job,
  };
}

export type Shoal = Awaited<ReturnType<typeof setup>>;
