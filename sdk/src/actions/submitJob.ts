import {
  type Account,
  type Address,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  type Transport,
  bytesToHex,
  isHex,
  parseEventLogs,
  zeroAddress,
  zeroHash,
} from "viem";
import { getBalance, getBlock, readContract } from "viem/actions";
import { submitJobAbi } from "../abi/fragments.js";
import { InsufficientEscrowError, type InsufficientEscrowErrorType, type MarketCallErrorType } from "../errors/client.js";
import { resolveMarket } from "../internal/contracts.js";
import { writeAndWait } from "../internal/write.js";
import type { PieceRef } from "../piece/toPieceRef.js";
import { toJobInputs } from "../piece/toJobInputs.js";
import { buildSpec } from "../spec/buildSpec.js";
import { encodeSpec } from "../spec/encodeSpec.js";
import type { SpecInput } from "../spec/schema.js";

export type SubmitJobParameters = {
  /** The job spec: an object (built and canonically encoded here) or already-encoded bytes. */
  spec: SpecInput | Uint8Array | Hex;
  /** Input pieces (default: derived from the spec's piece inputs). */
  inputs?: readonly PieceRef[] | undefined;
  /** Whether claimants must prove they store the inputs (default: any spec input asks for it). */
  locality?: boolean | undefined;
  /** Number of providers that run the job (1..16). */
  replicas: number;
  /** Number of matching results that settle it (1..replicas). */
  quorum: number;
  /** Paid to each provider of the accepted result, in attoFIL or token units. */
  price: bigint;
  /** FIL each claimant locks (default: the market's minimum). */
  collateral?: bigint | undefined;
  /** ERC-20 to pay in (default: native FIL). The market must be approved for the escrow. */
  token?: Address | undefined;
  /** Unix time by which the job must reach quorum (default: now + `ttl`). */
  deadline?: number | undefined;
  /** Seconds from now to the deadline when `deadline` is not given (default 3600). */
  ttl?: number | undefined;
  /** Seconds a claimant has to commit (default 600). */
  commitWindow?: number | undefined;
  /** Seconds the quorum has to reveal (default 600). */
  revealWindow?: number | undefined;
  /** Contract to call with the result, and the exact gas it gets. */
  callback?: { target: Address; gas: number } | undefined;
  /** Merkle root of allowed providers. */
  allowlistRoot?: Hex | undefined;
  /**
   * Sybil resistance: every claimant must have a Filecoin miner bound in the registry and no two
   * slots may be held under one miner, so one operator behind several addresses needs as many real
   * miners (default false: any registered provider may claim).
   */
  distinctMiners?: boolean | undefined;
  /** JobMarket address (default: the deployment on the client's chain). */
  market?: Address | undefined;
  /** Sender (default: the client's account). */
  account?: Account | Address | undefined;
};

export type SubmitJobReturnType = { jobId: bigint; hash: Hash; escrow: bigint };

export type SubmitJobErrorType = InsufficientEscrowErrorType | MarketCallErrorType;

/**
 * Posts a job and escrows `replicas × price` plus the protocol fee. Resolves once the transaction
 * is mined, with the new job's ID.
 *
 * @example
 * const { jobId } = await submitJob(walletClient, {
 *   spec: { version: 1, engine: { type: "wasm", module: "bafk…", args: [] }, inputs: [], outputs: {}, ... },
 *   replicas: 3, quorum: 2, price: parseEther("0.1"),
 * });
 */
export async function submitJob<chain extends Chain | undefined, account extends Account | undefined>(
  client: Client<Transport, chain, account>,
  parameters: SubmitJobParameters,
): Promise<SubmitJobReturnType> {
  const market = resolveMarket(client, parameters.market);
  let specBytes: Hex;
  let derived: { inputs: PieceRef[]; locality: boolean } = { inputs: [], locality: false };
  if (parameters.spec instanceof Uint8Array) specBytes = bytesToHex(parameters.spec);
  else if (typeof parameters.spec === "string" && isHex(parameters.spec)) specBytes = parameters.spec;
  else {
    const built = buildSpec(parameters.spec as SpecInput);
    specBytes = bytesToHex(encodeSpec(built));
    derived = toJobInputs(built);
  }

  const [feeBps, minCollateral, block] = await Promise.all([
    readContract(client, { address: market, abi: submitJobAbi, functionName: "feeBps" }),
    readContract(client, { address: market, abi: submitJobAbi, functionName: "minCollateral" }),
    getBlock(client),
  ]);
  const token = parameters.token ?? zeroAddress;
  const work = BigInt(parameters.replicas) * parameters.price;
  const escrow = work + (work * BigInt(feeBps)) / 10_000n;
  const request = {
    spec: specBytes,
    inputs: parameters.inputs ?? derived.inputs,
    locality: parameters.locality ?? derived.locality,
    replicas: parameters.replicas,
    quorum: parameters.quorum,
    token,
    price: parameters.price,
    collateral: parameters.collateral ?? minCollateral,
    deadline: parameters.deadline ?? Number(block.timestamp) + (parameters.ttl ?? 3600),
    commitWindow: parameters.commitWindow ?? 600,
    revealWindow: parameters.revealWindow ?? 600,
    callback: parameters.callback?.target ?? zeroAddress,
    callbackGas: parameters.callback?.gas ?? 0,
    allowlistRoot: parameters.allowlistRoot ?? zeroHash,
    distinctMiners: parameters.distinctMiners ?? false,
  } as const;

  const account = parameters.account ?? client.account;
  const from = typeof account === "string" ? account : account?.address;
  if (token === zeroAddress && from) {
    const balance = await getBalance(client, { address: from });
    if (balance < escrow) throw new InsufficientEscrowError({ required: escrow, balance });
  }
  const receipt = await writeAndWait(client as Client, {
    address: market,
    abi: submitJobAbi,
    functionName: "submit",
    args: [request],
    value: token === zeroAddress ? escrow : 0n,
    account,
  });
  const [posted] = parseEventLogs({ abi: submitJobAbi, eventName: "JobPosted", logs: receipt.logs });
  if (!posted) throw new Error(`transaction ${receipt.transactionHash} posted no job`);
  return { jobId: posted.args.jobId, hash: receipt.transactionHash, escrow };
}
