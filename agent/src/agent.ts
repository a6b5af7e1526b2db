/**
 * Builds a running agent from its configuration: chain clients (with fallback RPCs and a nonce
 * manager), the store, the executors, the data and result stores, the gateway, chain sync and
 * the pipeline — all sharing one context and one shutdown signal. `startAgent` returns once the
 * gateway listens and recovery has run; `stop()` shuts everything down in order.
 */
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeAbiParameters,
  fallback,
  formatEther,
  type Hex,
  http,
  type PublicClient,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { getChainId, readContract } from "viem/actions";
import { filecoin, filecoinCalibration, hardhat } from "viem/chains";
import { deployments, jobMarketAbi, providerRegistryAbi, socketFirst, toPieceRef } from "@shoal/sdk";
import { decryptKeystore } from "@shoal/sdk/node";
import { runSync, type SyncStatus } from "./chain/sync.js";
import { watchHeads } from "./chain/heads.js";
import type { AgentConfig } from "./config/config.js";
import { createLogger, createMetrics, type Logger, type Metrics } from "./context.js";
import { createInputResolver, ipfsHttp, pieceDirectory, pieceHttp, type InputSource } from "./data/index.js";
import type { Executor } from "./executors/types.js";
import { createGateway, type Gateway } from "./gateway/index.js";
import { createPipeline, type LocalityProofConfig, type Pipeline } from "./pipeline/pipeline.js";
import { createResultStore } from "./results/index.js";
import { lockStateDir, type StateDirLock } from "./store/lock.js";
import { type Store } from "./store/store.js";
import { openStoreChecked, ownSlots } from "./store/rebuild.js";
import { recover } from "./startup.js";

export type AgentDeps = {
  /** Executors by engine; built from the config when omitted. */
  executors?: Map<string, Executor>;
  logger?: Logger;
};

/** The viem chain for a chain ID. */
export function chainFor(chainId: number): Chain {
  if (chainId === hardhat.id) return hardhat;
  if (chainId === filecoinCalibration.id) return filecoinCalibration;
  if (chainId === filecoin.id) return filecoin;
  return defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "FIL", symbol: "FIL", decimals: 18 }, rpcUrls: { default: { http: [] } } });
}

/**
 * Loads the key from the env var the config names, or from the keystore; never logs it. Each
 * account gets a nonce manager of its own: viem's shared one keys its cache by address and chain
 * ID for the whole process, so a second agent (or a restarted one) in the same process with the
 * same key, on another chain with the same ID, would start from the first one's nonces.
 */
export async function loadAccount(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): Promise<Account> {
  const nonceManager = createNonceManager({ source: jsonRpc() });
  if (config.keys.keystore) {
    const password = env[config.keys.passwordEnv];
    if (!password) throw new Error(`keystore ${config.keys.keystore} needs its password in $${config.keys.passwordEnv}`);
    const key = await decryptKeystore({ json: await readFile(config.keys.keystore, "utf8"), password });
    return privateKeyToAccount(key, { nonceManager });
  }
  const key = env[config.keys.privateKeyEnv];
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new Error(`no private key: set $${config.keys.privateKeyEnv} to a 0x-prefixed 32-byte hex key, or configure keys.keystore`);
  }
  return privateKeyToAccount(key as Hex, { nonceManager });
}

/** The agent's chain clients: one chain, fallback RPCs, the agent's account on the wallet client. */
export type AgentClients = { chain: Chain; publicClient: PublicClient; walletClient: WalletClient };

export function clientsFor(config: AgentConfig, account: Account, options: { socket?: boolean } = {}): AgentClients & { close(): Promise<void> } {
  const chain = chainFor(config.chain.chainId);
  // Each URL retries twice; the fallback over all URLs once more. The chain sync and the pipeline
  // back off on their own above this, so an unreachable RPC is reported within seconds. A running
  // agent with chain.wsUrl sends its calls over that socket first (the SDK's socketFirst).
  const http_ = fallback(
    config.chain.rpcUrls.map((url) => http(url, { retryCount: 2, timeout: 20_000 })),
    { retryCount: 1 },
  );
  const socket = options.socket && config.chain.wsUrl ? socketFirst(config.chain.wsUrl, http_) : undefined;
  const transport = socket?.transport ?? http_;
  const publicClient = createPublicClient({ chain, transport, pollingInterval: config.chain.pollIntervalMs }) as PublicClient;
  const walletClient = createWalletClient({ chain, transport, account }) as WalletClient;
  return { chain, publicClient, walletClient, close: async () => socket?.close() };
}

/**
 * Refuses an RPC that serves another chain than the config names: every claim would fail, and
 * the addresses the agent would use are another chain's.
 */
export async function checkChainId(publicClient: PublicClient, config: AgentConfig): Promise<void> {
  const served = await getChainId(publicClient);
  if (served !== config.chain.chainId) {
    throw new Error(
      `the RPC ${config.chain.rpcUrls.join(", ")} serves chain ${served}, but the config says chain ${config.chain.chainId}: set chain.chainId (--chain-id) to ${served}, or use an RPC of chain ${config.chain.chainId}`,
    );
  }
}

export function addressesFor(config: AgentConfig): { market: Address; registry: Address; fromBlock: bigint } {
  const known = deployments[config.chain.chainId];
  const market = (config.chain.market ?? known?.jobMarket) as Address | undefined;
  const registry = (config.chain.registry ?? known?.providerRegistry) as Address | undefined;
  if (!market || !registry) {
    throw new Error(`Shoal is not deployed on chain ${config.chain.chainId}: set chain.market and chain.registry`);
  }
  return { market, registry, fromBlock: config.chain.fromBlock !== undefined ? BigInt(config.chain.fromBlock) : (known?.fromBlock ?? 0n) };
}

function localityProofs(config: AgentConfig): LocalityProofConfig[] {
  return config.locality.map((l) => {
    const ref = toPieceRef({ piece: l.piece, paddedSize: l.paddedSize });
    const data =
      l.kind === "pdp"
        ? encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [BigInt(l.dataSetId), BigInt(l.pieceId)])
        : encodeAbiParameters([{ type: "uint64" }], [BigInt(l.dealId)]);
    return { root: ref.root, paddedSize: ref.paddedSize, kind: l.kind === "pdp" ? 0 : 1, data };
  });
}

/**
 * `label`: the Docker executor's `shoal.agent` label, the provider's address, so an agent's
 * start-up clean-up (removeOrphans) never touches another provider's containers on a shared engine.
 */
async function defaultExecutors(config: AgentConfig, label: string): Promise<Map<string, Executor>> {
  const executors = new Map<string, Executor>();
  if (config.engines.wasm.enabled) {
    const { createWasmExecutor } = await import("./executors/wasm/index.js");
    const moduleDir = config.engines.wasm.moduleDir;
    executors.set(
      "wasm",
      createWasmExecutor({
        allowedModules: config.engines.wasm.allowedModules.length ? config.engines.wasm.allowedModules : undefined,
        jobsPerWorker: config.engines.wasm.jobsPerWorker,
        resolveModule: async (spec) => {
          if (spec.engine.type !== "wasm") throw new Error("not a wasm spec");
          if (moduleDir) {
            const bytes = await readFile(join(moduleDir, `${spec.engine.module}.wasm`)).catch(() => undefined);
            if (bytes) return new Uint8Array(bytes);
          }
          for (const url of spec.engine.sources ?? []) {
            const response = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch(() => undefined);
            if (response?.ok) return new Uint8Array(await response.arrayBuffer());
          }
          throw new Error(`module ${spec.engine.module} is neither in ${moduleDir ?? "a module directory"} nor at its sources`);
        },
      }) as Executor,
    );
  }
  if (config.engines.docker.enabled) {
    const { createDockerExecutor } = await import("./executors/docker/index.js");
    executors.set(
      "docker",
      createDockerExecutor({
        socketPath: config.engines.docker.socketPath,
        allowedImages: config.engines.docker.allowedImages,
        gpus: config.policy.gpus,
        agent: label,
      }) as Executor,
    );
  }
  return executors;
}

/** A running agent (see {@link startAgent}). */
export type Agent = {
  account: Account;
  market: Address;
  registry: Address;
  /** What the start-up checks found that would make the agent refuse every job (see {@link preflight}). */
  warnings: string[];
  gateway: Gateway;
  store: Store;
  metrics: Metrics;
  pipeline: Pipeline;
  publicClient: PublicClient;
  walletClient: WalletClient;
  /** Stops following the chain, lets the transaction in flight finish, closes the gateway and the store. */
  stop(): Promise<void>;
};

/**
 * Start-up checks for the mistakes that leave an agent running but refusing everything: a key
 * that is not registered, free stake below the market's minimum collateral, a piece or module
 * directory that does not exist. Each warning says what to do. (The agent still starts: a
 * provider may register after starting, as the registration needs the gateway's URL.)
 */
export async function preflight(
  config: AgentConfig,
  o: { publicClient: PublicClient; account: Address; market: Address; registry: Address },
): Promise<string[]> {
  const warnings: string[] = [];
  const [p, minCollateral] = await Promise.all([
    readContract(o.publicClient, { address: o.registry, abi: providerRegistryAbi, functionName: "provider", args: [o.account] }),
    readContract(o.publicClient, { address: o.market, abi: jobMarketAbi, functionName: "minCollateral" }),
  ]);
  if (!p.active) {
    warnings.push(`${o.account} is not registered as a provider on chain ${config.chain.chainId}: it can claim no job until you run \`shoal-agent register --stake <FIL>\``);
  } else if (p.stake - p.locked < minCollateral) {
    warnings.push(`free stake ${formatEther(p.stake - p.locked)} FIL is below the market's minimum collateral ${formatEther(minCollateral)} FIL: no job can be claimed until you run \`shoal-agent add-stake <FIL>\``);
  }
  const dirs: [string, string | undefined][] = [["data.pieceDir", config.data.pieceDir], ["engines.wasm.moduleDir", config.engines.wasm.enabled ? config.engines.wasm.moduleDir : undefined]];
  for (const [key, dir] of dirs) {
    if (dir !== undefined && !(await stat(dir).then((st) => st.isDirectory(), () => false))) {
      warnings.push(`${key} ${resolve(dir)} is not a directory: ${key === "data.pieceDir" ? "no stored piece will be found there" : "modules will only come from the specs' sources"}`);
    }
  }
  if (!config.data.pieceDir && !config.data.pieceHttp && !config.data.ipfsHttp) {
    warnings.push("no data source is configured (data.pieceDir, data.pieceHttp or data.ipfsHttp): every job with inputs will be refused");
  }
  return warnings;
}

/** Starts an agent; resolves once it serves its gateway and follows the chain. */
export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<Agent> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const controller = new AbortController();
  const account = await loadAccount(config);
  const { publicClient, walletClient, close: closeClients } = clientsFor(config, account, { socket: true });
  try {
    const { market, registry, fromBlock } = addressesFor(config);
    await checkChainId(publicClient, config);
    const stateDir = resolve(config.stateDir);
    const lock = lockStateDir(stateDir);
    try {
      return await startLocked(config, deps, { logger, metrics, controller, account, publicClient, walletClient, closeClients, market, registry, fromBlock, stateDir, lock });
    } catch (error) {
      lock.release();
      throw error;
    }
  } catch (error) {
    await closeClients();
    throw error;
  }
}

type Started = {
  logger: Logger;
  metrics: Metrics;
  controller: AbortController;
  account: Account;
  publicClient: PublicClient;
  walletClient: WalletClient;
  /** Closes the RPC socket (chain.wsUrl), if one was opened. */
  closeClients: () => Promise<void>;
  market: Address;
  registry: Address;
  fromBlock: bigint;
  stateDir: string;
  lock: StateDirLock;
};

async function startLocked(config: AgentConfig, deps: AgentDeps, started: Started): Promise<Agent> {
  const { logger, metrics, controller, account, publicClient, walletClient, closeClients, market, registry, fromBlock, stateDir, lock } = started;
  const workDir = join(stateDir, "work");
  await mkdir(workDir, { recursive: true });
  const { store, fresh } = openStoreChecked(join(stateDir, "agent.db"), logger);
  let adopt = new Set<bigint>();
  try {
    store.claimOwner(account.address, stateDir);
    if (fresh) {
      // A new (or replaced) database: the chain says which jobs this provider holds slots in.
      adopt = await ownSlots(publicClient, market, account.address, fromBlock);
      if (adopt.size) {
        logger.warn(
          { jobs: [...adopt].map(String) },
          "new state database, but this provider holds slots on chain: rebuilding those jobs from the chain as their JobPosted events are read (an unrevealed result is recomputed by running the job again)",
        );
      }
    }
  } catch (error) {
    store.close();
    throw error;
  }
  const executors = deps.executors ?? (await defaultExecutors(config, account.address.toLowerCase()));

  const sources: InputSource[] = [];
  if (config.data.pieceDir) sources.push(pieceDirectory({ dir: config.data.pieceDir }));
  if (config.data.pieceHttp) sources.push(pieceHttp({ baseUrl: config.data.pieceHttp }));
  if (config.data.ipfsHttp) sources.push(ipfsHttp({ baseUrl: config.data.ipfsHttp }));
  const resolver = createInputResolver({
    sources, workDir, logger,
    verify: config.data.verify,
    onResolved: ({ kind, source, bytes, copied }) => {
      metrics.inputBytes.inc({ kind, source }, Number(bytes));
      metrics.inputBytesCopied.inc({ kind, source }, Number(copied));
    },
    onVerified: ({ result, bytes }) => {
      metrics.pieceVerifications.inc({ result });
      if (result === "ok") metrics.pieceVerifiedBytes.inc(Number(bytes));
      metrics.piecesFailed.set(resolver.failed().length);
    },
  });
  metrics.piecesFailed.set(0);
  const results = createResultStore({ dir: resolve(config.results.dir), retentionSeconds: config.results.retentionSeconds, logger });

  await recover({ store, logger, workDir, executors });
  // After recover (which removes orphaned containers): set-up the first job would wait for.
  for (const executor of executors.values()) void executor.warm?.();
  // The pieces this provider proves it stores get their verdicts now, in the background, one at a
  // time; a job that comes first shares the verification under way.
  void resolver.verifyStoredPieces(localityProofs(config).map(({ root, paddedSize }) => ({ root, paddedSize })));

  // New heads pushed over WebSocket (chain.wsUrl) start sync passes and receipt lookups at once.
  metrics.chainSubscriptionUp.set(0);
  const heads = config.chain.wsUrl
    ? watchHeads({ url: config.chain.wsUrl, logger, signal: controller.signal, onStatus: (up) => metrics.chainSubscriptionUp.set(up ? 1 : 0) })
    : undefined;

  const pipeline = createPipeline({
    heads,
    store, logger, metrics, publicClient, walletClient, account, market, registry, executors,
    inputs: {
      resolve: (input, options) => resolver.resolve(input, options),
      has: async (input) =>
        input.piece !== undefined
          ? resolver.has(toPieceRef({ piece: input.piece, paddedSize: input.size }))
          : input.job !== undefined || config.data.ipfsHttp !== undefined, // a job's result comes from its providers' gateways
    },
    results: { put: (dir, maxBytes) => results.put(dir, { maxBytes }) },
    policy: { ...config.policy, tokens: undefined },
    adopt,
    locality: localityProofs(config),
    concurrency: config.concurrency,
    workDir,
    signal: controller.signal,
  });

  let chain: SyncStatus = { ok: true, cursor: store.cursor() ?? 0n };
  const gateway = await createGateway({
    results,
    metrics: metrics.registry,
    host: config.gateway.host,
    port: config.gateway.port,
    logger,
    // Unhealthy while stopping, or while the chain has not answered for three passes in a row.
    health: () => ({
      ok: !controller.signal.aborted && (chain.ok || chain.failures < 3),
      details: {
        cursor: store.cursor()?.toString() ?? null,
        inFlight: pipeline.inFlight(),
        ...(heads ? { subscription: { url: config.chain.wsUrl, up: heads.up() } } : {}),
        chain: chain.ok
          ? { ok: true, rpcUrls: config.chain.rpcUrls }
          : { ok: false, rpcUrls: config.chain.rpcUrls, error: chain.error, failures: chain.failures, retryInMs: chain.retryInMs },
      },
    }),
  });

  const syncing = runSync({
    heads,
    onPass: (trigger) => metrics.chainSyncPasses.inc({ trigger }),
    onStatus: (status) => {
      chain = status;
      metrics.chainUp.set(status.ok ? 1 : 0);
      if (status.ok) metrics.chainCursor.set(Number(status.cursor));
      else metrics.chainSyncFailures.inc();
    },
    client: publicClient, market, store, logger, confirmations: config.chain.confirmations, fromBlock,
    pollIntervalMs: config.chain.pollIntervalMs, signal: controller.signal,
    onEvents: (events) => pipeline.onEvents(events),
    onReorg: (_ancestor, dropped) => pipeline.forget(dropped),
  });
  const scheduling = pipeline.run(config.chain.pollIntervalMs);
  const pruneTimer = setInterval(() => void results.prune().catch(() => {}), 3_600_000);
  const warnings = await preflight(config, { publicClient, account: account.address, market, registry });
  for (const warning of warnings) logger.warn({ warning }, "check your setup");
  logger.info({ provider: account.address, market, gateway: gateway.url }, "shoal agent running");

  return {
    account,
    market,
    registry,
    warnings,
    gateway,
    store,
    metrics,
    pipeline,
    publicClient,
    walletClient,
    async stop() {
      controller.abort();
      clearInterval(pruneTimer);
      await Promise.allSettled([syncing, scheduling, heads?.closed]);
      // Containers and volumes of finished jobs, and the warm pool's holders, are removed before the agent says it stopped.
      await Promise.allSettled([...executors.values()].map(async (executor) => (executor.close ? executor.close() : executor.settled?.())));
      await resolver.close();
      await gateway.close();
      store.close();
      await rm(join(workDir, "jobs"), { recursive: true, force: true });
      lock.release();
      await closeClients();
      logger.info("shoal agent stopped");
    },
  };
}
