/**
 * `shoal-agent`: init (write a commented config), register (stake, gateway, capabilities, miner),
 * run (the daemon) and status (jobs in flight, earnings, stake). Config comes from the file, then
 * SHOAL_AGENT_* env vars, then flags; a bad config stops it with one line naming the key.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { formatEther, parseEther } from "viem";
import { readContract } from "viem/actions";
import { bindMiner, jobMarketAbi, providerRegistryAbi, registerProvider } from "@shoal/sdk";
import { describeError } from "../chain/errors.js";
import { addressesFor, checkChainId, clientsFor, loadAccount, startAgent } from "../agent.js";
import { type AgentConfig, defaultConfigText, loadConfig } from "../config/config.js";
import { openStore, TERMINAL_STATES } from "../store/store.js";

type Globals = {
  config?: string;
  rpc?: string;
  chainId?: string;
  market?: string;
  registry?: string;
  stateDir?: string;
  gatewayPort?: string;
  logLevel?: string;
  minPrice?: string;
};

function configFrom(globals: Globals): AgentConfig {
  const file = globals.config ?? (existsSync("shoal-agent.json") ? "shoal-agent.json" : undefined);
  return loadConfig({
    file,
    flags: {
      "chain.rpcUrls": globals.rpc?.split(","),
      "chain.chainId": globals.chainId === undefined ? undefined : Number(globals.chainId),
      "chain.market": globals.market,
      "chain.registry": globals.registry,
      stateDir: globals.stateDir,
      "gateway.port": globals.gatewayPort === undefined ? undefined : Number(globals.gatewayPort),
      logLevel: globals.logLevel,
      "policy.minPrice": globals.minPrice,
    },
  });
}

const program = new Command("shoal-agent")
  .description("Shoal provider agent: runs compute jobs beside the data you store and gets paid on chain")
  .option("-c, --config <file>", "config file (default ./shoal-agent.json when present)")
  .option("--rpc <urls>", "RPC URL(s), comma-separated; later ones are fallbacks")
  .option("--chain-id <id>", "chain ID (31337 local, 314159 Calibration, 314 mainnet)")
  .option("--market <address>", "JobMarket address")
  .option("--registry <address>", "ProviderRegistry address")
  .option("--state-dir <dir>", "where the agent keeps its database and work files")
  .option("--gateway-port <port>", "port of the result gateway")
  .option("--log-level <level>", "trace, debug, info, warn, error, silent")
  .option("--min-price <FIL>", "lowest price per replica to accept")
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith("error:") ? `shoal-agent: ${s.slice(7)}` : s) });

program
  .command("init")
  .description("write a commented config file")
  .option("-o, --output <file>", "where to write it", "shoal-agent.json")
  .option("--force", "overwrite an existing file")
  .action((options: { output: string; force?: boolean }) => {
    if (existsSync(options.output) && !options.force) throw new Error(`${options.output} exists: pass --force to overwrite it`);
    writeFileSync(options.output, defaultConfigText());
    process.stdout.write(`wrote ${resolve(options.output)}\n`);
  });

program
  .command("register")
  .description("register as a provider: stake, gateway URL and capabilities (and bind a miner)")
  .requiredOption("--stake <FIL>", "stake to deposit")
  .option("--gateway-url <url>", "public URL of the result gateway (default: config gateway.publicUrl or http://host:port)")
  .option("--miner <id>", "Filecoin miner actor ID (f0…) to bind; the key must control it")
  .action(async (options: { stake: string; gatewayUrl?: string; miner?: string }) => {
    const config = configFrom(program.opts<Globals>());
    const account = await loadAccount(config);
    const { publicClient: reader, walletClient } = clientsFor(config, account);
    await checkChainId(reader, config);
    const { registry } = addressesFor(config);
    const engines = (config.engines.wasm.enabled ? 1 : 0) | (config.engines.docker.enabled ? 2 : 0);
    const gatewayUrl = options.gatewayUrl ?? config.gateway.publicUrl ?? `http://${config.gateway.host}:${config.gateway.port}`;
    await registerProvider(walletClient, {
      registry, account, gatewayUrl, stake: parseEther(options.stake),
      capabilities: { engines, cpus: config.policy.maxCpu, memoryMb: config.policy.maxMemoryMb, gpus: config.policy.gpus },
    });
    process.stdout.write(`registered ${account.address} with ${options.stake} FIL stake, gateway ${gatewayUrl}\n`);
    if (options.miner) {
      await bindMiner(walletClient, { registry, account, minerId: BigInt(options.miner.replace(/^[ft]0/, "")) });
      process.stdout.write(`bound miner f0${options.miner.replace(/^[ft]0/, "")}\n`);
    }
  });

program
  .command("run")
  .description("run the agent until SIGINT/SIGTERM")
  .action(async () => {
    const config = configFrom(program.opts<Globals>());
    const agent = await startAgent(config);
    process.stdout.write(`shoal-agent ${agent.account.address} running; gateway ${agent.gateway.url}\n`);
    // SIGTERM (docker stop, systemctl stop) or SIGINT: stop taking work, let each transaction in
    // flight get its receipt and be recorded, close the gateway and the store, exit 0. A second
    // signal exits at once; the next start resumes every job from the store and the chain.
    const signal = await new Promise<NodeJS.Signals>((done) => {
      process.once("SIGINT", () => done("SIGINT"));
      process.once("SIGTERM", () => done("SIGTERM"));
    });
    const inFlight = agent.pipeline.inFlight();
    process.stderr.write(`shoal-agent: ${signal}: stopping; finishing ${inFlight} job step(s) in flight (send ${signal} again to exit now)\n`);
    const again = (s: NodeJS.Signals) => {
      process.stderr.write(`shoal-agent: ${s} again: exiting now; the next start resumes from the store\n`);
      process.exit(130);
    };
    process.once("SIGINT", again);
    process.once("SIGTERM", again);
    await agent.stop();
    process.stderr.write("shoal-agent: stopped\n");
  });

program
  .command("status")
  .description("jobs in flight, earnings owed and stake")
  .option("--json", "machine-readable output")
  .action(async (options: { json?: boolean }) => {
    const config = configFrom(program.opts<Globals>());
    const account = await loadAccount(config);
    const { publicClient } = clientsFor(config, account);
    await checkChainId(publicClient, config);
    const { market, registry } = addressesFor(config);
    const store = openStore(join(resolve(config.stateDir), "agent.db"));
    const jobs = store.allJobs();
    store.close();
    const inFlight = jobs.filter((j) => !TERMINAL_STATES.has(j.state));
    let owed = 0n;
    for (const j of jobs.filter((j) => j.state === "settled")) {
      owed += await readContract(publicClient, { address: market, abi: jobMarketAbi, functionName: "owed", args: [j.jobId, account.address] });
    }
    const p = await readContract(publicClient, { address: registry, abi: providerRegistryAbi, functionName: "provider", args: [account.address] });
    const byState: Record<string, number> = {};
    for (const j of jobs) byState[j.state] = (byState[j.state] ?? 0) + 1;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ provider: account.address, registered: p.active, stake: p.stake.toString(), locked: p.locked.toString(), owed: owed.toString(), jobs: byState, inFlight: inFlight.map((j) => ({ jobId: j.jobId.toString(), state: j.state, slot: j.slot ?? null })) })}\n`,
      );
      return;
    }
    process.stdout.write(`provider ${account.address} ${p.active ? "registered" : "NOT registered"}\n`);
    process.stdout.write(`stake ${formatEther(p.stake)} FIL, locked ${formatEther(p.locked)} FIL, miner ${p.minerId ? `f0${p.minerId}` : "none"}\n`);
    process.stdout.write(`earnings owed ${formatEther(owed)} FIL\n`);
    process.stdout.write(`jobs: ${Object.entries(byState).map(([s, n]) => `${s} ${n}`).join(", ") || "none"}\n`);
    for (const j of inFlight) process.stdout.write(`  job ${j.jobId}  ${j.state}${j.slot !== undefined ? `  slot ${j.slot}` : ""}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.stderr.write(`shoal-agent: ${describeError(error)}\n`);
  process.exit(1);
}
