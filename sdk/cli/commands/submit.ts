import { readFile } from "node:fs/promises";
import { bytesToHex, erc20Abi, zeroAddress } from "viem";
import { readContract } from "viem/actions";
import {
  buildSpec,
  encodeSpec,
  jobMarketAbi,
  type Spec,
  type SpecInput,
  submitJob,
  toJobInputs,
  waitForResult,
} from "../../src/index.js";
import { type Unit, unitOf } from "../amounts.js";
import { connect, type GlobalOptions, parseAddress, type SignerContext } from "../context.js";
import { CliError, EXIT, fileProblem, UsageError } from "../errors.js";
import { note, out, outJson } from "../io.js";
import { checkReplication, parseCollateral, parsePrice } from "../terms.js";
import { amount, progressLine } from "../output.js";

export type SubmitOptions = {
  replicas: number;
  quorum: number;
  price: string;
  collateral?: string | undefined;
  ttl?: number | undefined;
  token?: string | undefined;
  distinctMiners?: boolean | undefined;
  wait?: boolean | undefined;
  timeout?: number | undefined;
};

/** Reads and validates the spec file (`-` = stdin) before anything touches the chain. */
export async function readSpec(file: string): Promise<Spec> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read spec file ${file}: ${fileProblem(error)}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`spec file ${file} is not JSON: ${(error as Error).message}`);
  }
  return buildSpec(input as SpecInput);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `shoal job submit <spec>`: posts the job, and with --wait follows it to its result CID. */
export async function submitCommand(file: string, options: SubmitOptions, global: GlobalOptions): Promise<void> {
  if (options.timeout !== undefined && !options.wait) throw new UsageError("--timeout only applies with --wait");
  checkReplication(options.replicas, options.quorum);
  const token = options.token ? parseAddress(options.token, "--token") : zeroAddress;
  const spec = await readSpec(file);
  const context = await connect(global, true);
  const { publicClient, walletClient, account, market } = context;

  const unit = await unitOf(context, token);
  const price = parsePrice(options.price, unit);
  const collateral = parseCollateral(options.collateral);
  if (token !== zeroAddress) await fundTokenEscrow(context, unit, BigInt(options.replicas) * price);

  const { inputs, locality } = toJobInputs(spec);
  const { jobId, hash, escrow } = await submitJob(walletClient, {
    spec: bytesToHex(encodeSpec(spec)),
    inputs,
    locality,
    replicas: options.replicas,
    quorum: options.quorum,
    price,
    collateral,
    ttl: options.ttl,
    token,
    distinctMiners: options.distinctMiners ?? false,
    market,
  });
  const summary = { jobId, hash, escrow, token, market, chainId: context.chain.id, client: account.address };
  if (!options.wait) {
    if (context.json) outJson(summary);
    else out(`job ${jobId} submitted  escrow ${amount(escrow, unit)}  tx ${hash}`);
    return;
  }
  // The job ID is on screen before the wait, so an interrupted wait never loses it.
  if (context.json) note(`job ${jobId} submitted; waiting for its result`);
  else out(`job ${jobId} submitted  escrow ${amount(escrow, unit)}  tx ${hash}`);
  const onInterrupt = () => {
    note(`shoal: stopped waiting; job ${jobId} goes on: shoal job status ${jobId}`);
    process.exit(EXIT.interrupted);
  };
  process.once("SIGINT", onInterrupt);
  try {
    const { resultCid } = await waitForResult(publicClient, {
      jobId,
      market,
      timeout: options.timeout === undefined ? undefined : options.timeout * 1000,
      onProgress: (event) => {
        const line = progressLine(event);
        if (line) note(line);
      },
    });
    if (context.json) outJson({ ...summary, resultCid });
    else out(`result ${resultCid}`);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** Token jobs pull replicas × price + fee with transferFrom: check the balance, approve if needed. */
async function fundTokenEscrow(context: SignerContext, unit: Unit, work: bigint): Promise<void> {
  const { publicClient, walletClient, market } = context;
  const owner = context.account.address;
  const feeBps = await readContract(publicClient, { address: market, abi: jobMarketAbi, functionName: "feeBps" });
  const escrow = work + (work * BigInt(feeBps)) / 10_000n;
  const [balance, allowance] = await Promise.all([
    publicClient.readContract({ address: unit.token, abi: erc20Abi, functionName: "balanceOf", args: [owner] }),
    publicClient.readContract({ address: unit.token, abi: erc20Abi, functionName: "allowance", args: [owner, market] }),
  ]);
  if (balance < escrow) {
    throw new CliError(`Insufficient escrow: send at least ${amount(escrow, unit)} (the account has ${amount(balance, unit)}). Fund the account or lower the price or replicas.`);
  }
  if (allowance >= escrow) return;
  const hash = await walletClient.writeContract({ address: unit.token, abi: erc20Abi, functionName: "approve", args: [market, escrow] });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new CliError(`approving ${amount(escrow, unit)} for the market failed (tx ${hash})`);
  note(`approved   ${amount(escrow, unit)} for the market  tx ${hash}`);
}
