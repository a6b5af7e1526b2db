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
import { addStake, bindMiner, jobMarketAbi, providerRegistryAbi, registerProvider, unbondStake, updateProvider, withdraw, withdrawStake } from "@shoal/sdk";
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

/** The signer and registry of a provider command, on the chain the config names. */
async function providerContext() {
  const config = configFrom(program.opts<Globals>());
  const account = await loadAccount(config);
  const { publicClient, walletClient } = clientsFor(config, account);
  await checkChainId(publicClient, config);
  const { registry, market } = addressesFor(config);
  const read = () => readContract(publicClient, { address: registry, abi: providerRegistryAbi, functionName: "provider", args: [account.address] });
  return { config, account, publicClient, walletClient, registry, market, read };
}

function capabilitiesOf(config: AgentConfig) {
  const engines = (config.engines.wasm.enabled ? 1 : 0) | (config.engines.docker.enabled ? 2 : 0);
  return { engines, cpus: config.policy.maxCpu, memoryMb: config.policy.maxMemoryMb, gpus: config.policy.gpus };
}

function parseMiner(text: string): bigint {
  const digits = text.replace(/^[ft]0/, "");
  if (!/^\d{1,19}$/.test(digits)) throw new Error(`miner ${text} is not an actor ID: use the number of its f0 address, e.g. 1234 or f01234`);
  return BigInt(digits);
}

function parseFil(text: string, what: string): bigint {
  let value: bigint;
  try {
    value = parseEther(text);
  } catch {
    throw new Error(`${what} must be an amount of FIL, e.g. 10 or 0.5 (got ${text})`);
  }
  if (value <= 0n) throw new Error(`${what} must be more than 0 FIL`);
  return value;
}

program
  .command("register")
  .description("register as a provider: stake, gateway URL and capabilities (and bind a miner); safe to re-run")
  .requiredOption("--stake <FIL>", "stake to deposit")
  .option("--gateway-url <url>", "public URL of the result gateway (default: config gateway.publicUrl or http://host:port)")
  .option("--miner <id>", "Filecoin miner actor ID (f0…) to bind; the key must control it")
  .action(async (options: { stake: string; gatewayUrl?: string; miner?: string }) => {
    const stake = parseFil(options.stake, "--stake");
    const minerId = options.miner === undefined ? undefined : parseMiner(options.miner);
    const { config, account, walletClient, registry, read } = await providerContext();
    const gatewayUrl = options.gatewayUrl ?? config.gateway.publicUrl ?? `http://${config.gateway.host}:${config.gateway.port}`;
    const before = await read();
    // Re-running after a failed miner binding must not fail on the registration that went through.
    if (before.active) {
      process.stdout.write(`already registered: ${account.address} with ${formatEther(before.stake)} FIL stake (add-stake adds more, set-gateway changes the URL)\n`);
    } else {
      await registerProvider(walletClient, { registry, account, gatewayUrl, stake, capabilities: capabilitiesOf(config) });
      process.stdout.write(`registered ${account.address} with ${options.stake} FIL stake, gateway ${gatewayUrl}\n`);
    }
    if (minerId !== undefined) {
      if (before.minerId === minerId) return void process.stdout.write(`miner f0${minerId} already bound\n`);
      try {
        await bindMiner(walletClient, { registry, account, minerId });
      } catch (error) {
        throw new Error(`registered, but binding miner f0${minerId} failed: ${describeError(error)}; fix that, then run: shoal-agent bind-miner ${minerId}`);
      }
      process.stdout.write(`bound miner f0${minerId}\n`);
    }
  });

program
  .command("bind-miner <id>")
  .description("bind the Filecoin miner actor (f0…) your key controls to this provider")
  .action(async (id: string) => {
    const minerId = parseMiner(id);
    const { account, walletClient, registry } = await providerContext();
    await bindMiner(walletClient, { registry, account, minerId });
    process.stdout.write(`bound miner f0${minerId} to ${account.address}\n`);
  });

program
  .command("set-gateway <url>")
  .description("change the gateway URL clients download results from (and the capabilities, from the config)")
  .action(async (url: string) => {
    if (!/^https?:\/\/\S+$/.test(url)) throw new Error(`gateway URL ${url} must be an http(s) URL`);
    const { config, account, walletClient, registry } = await providerContext();
    await updateProvider(walletClient, { registry, account, gatewayUrl: url, capabilities: capabilitiesOf(config) });
    process.stdout.write(`gateway of ${account.address} is now ${url}\n`);
  });

program
  .command("add-stake <FIL>")
  .description("add to your stake (collateral for the jobs you claim is locked from it)")
  .action(async (amount: string) => {
    const value = parseFil(amount, "the amount");
    const { account, walletClient, registry, read } = await providerContext();
    await addStake(walletClient, { registry, account, amount: value });
    process.stdout.write(`stake of ${account.address} is now ${formatEther((await read()).stake)} FIL\n`);
  });

program
  .command("unbond <FIL>")
  .description("start unbonding free stake; withdraw it with withdraw-stake once the unbonding delay has passed")
  .action(async (amount: string) => {
    const value = parseFil(amount, "the amount");
    const { account, walletClient, registry, read } = await providerContext();
    const p = await read();
    const free = p.stake - p.locked;
    if (value > free) throw new Error(`only ${formatEther(free)} FIL of the stake is free (${formatEther(p.locked)} FIL is locked as collateral of open jobs)`);
    await unbondStake(walletClient, { registry, account, amount: value });
    const after = await read();
    process.stdout.write(`unbonding ${formatEther(after.unbonding)} FIL, withdrawable from ${new Date(Number(after.unbondingEndsAt) * 1000).toISOString()}\n`);
  });

program
  .command("withdraw-stake")
  .description("withdraw stake whose unbonding delay has passed")
  .action(async () => {
    const { account, publicClient, walletClient, registry, read } = await providerContext();
    const p = await read();
    if (p.unbonding === 0n) throw new Error("nothing is unbonding: run unbond <FIL> first");
    const now = (await publicClient.getBlock()).timestamp;
    if (now < p.unbondingEndsAt) throw new Error(`${formatEther(p.unbonding)} FIL unbonds at ${new Date(Number(p.unbondingEndsAt) * 1000).toISOString()}; try again then`);
    await withdrawStake(walletClient, { registry, account });
    process.stdout.write(`withdrew ${formatEther(p.unbonding)} FIL of stake to ${account.address}\n`);
  });

program
  .command("withdraw")
  .description("withdraw the pay (and any refunds) the market owes this provider")
  .action(async () => {
    const { account, walletClient, market } = await providerContext();
    const { amount, jobIds } = await withdraw(walletClient, { market, account });
    process.stdout.write(amount === 0n ? "nothing is owed\n" : `withdrew ${formatEther(amount)} FIL from ${jobIds.length} job(s) to ${account.address}\n`);
  });

program
  .command("run")
  .description("run the agent until SIGINT/SIGTERM")
  .action(async () => {
    const config = configFrom(program.opts<Globals>());
    const agent = await startAgent(config);
    for (const warning of agent.warnings) process.stderr.write(`shoal-agent: warning: ${warning}\n`);
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
    const { config, account, publicClient, market, read } = await providerContext();
    const store = openStore(join(resolve(config.stateDir), "agent.db"));
    let jobs: ReturnType<typeof store.allJobs>;
    try {
      store.claimOwner(account.address, resolve(config.stateDir), { bind: false });
      jobs = store.allJobs();
    } finally {
      store.close();
    }
    const inFlight = jobs.filter((j) => !TERMINAL_STATES.has(j.state));
    let owed = 0n;
    for (const j of jobs.filter((j) => j.state === "settled")) {
      owed += await readContract(publicClient, { address: market, abi: jobMarketAbi, functionName: "owed", args: [j.jobId, account.address] });
    }
    const p = await read();
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
