/**
 * Agent configuration: a commented JSON file (`shoal-agent init` writes one), then environment
 * variables, then command-line flags, validated with zod at start. A bad value stops the agent
 * with one line naming the key. Keys are never part of the config: they come from an env var or
 * an encrypted keystore file (the config only says where).
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isAddress, parseEther } from "viem";
import { z } from "zod/v4";

const address = z.string().refine((v) => isAddress(v), { error: "must be a 0x address" });
const fil = z
  .string()
  .regex(/^\d+(\.\d{1,18})?$/, { error: "must be a decimal FIL amount, e.g. \"0.01\"", abort: true })
  .transform((v) => parseEther(v));

export const configSchema = z.strictObject({
  chain: z
    .strictObject({
      /** One or more RPC URLs; later ones are fallbacks. */
      rpcUrls: z.array(z.url()).min(1).default(["http://127.0.0.1:8545"]),
      /** WebSocket endpoint serving eth_subscribe: new heads start a sync pass at once (polling stays as the fallback). */
      wsUrl: z.url({ protocol: /^wss?$/, error: "must be a ws:// or wss:// URL" }).optional(),
      chainId: z.int().positive().default(31337),
      market: address.optional(),
      registry: address.optional(),
      /** Blocks behind the head before acting on a log (FEVM: use the finality you trust). */
      confirmations: z.int().min(0).max(1000).default(0),
      pollIntervalMs: z.int().min(50).max(600_000).default(2_000),
      fromBlock: z.int().min(0).optional(),
    })
    .prefault({}),
  keys: z
    .strictObject({
      privateKeyEnv: z.string().default("SHOAL_AGENT_PRIVATE_KEY"),
      keystore: z.string().optional(),
      passwordEnv: z.string().default("SHOAL_AGENT_KEYSTORE_PASSWORD"),
    })
    .prefault({}),
  policy: z
    .strictObject({
      minPrice: fil.default(0n as never),
      maxCpu: z.int().min(1).default(4),
      maxMemoryMb: z.int().min(16).default(4096),
      gpus: z.int().min(0).default(0),
      maxTimeoutSec: z.int().min(1).default(3600),
      safetyMarginSec: z.int().min(0).default(30),
      /** Longest timeout of a job run before claiming, then claimed with its commitment in one transaction (0: never). */
      oneTxMaxTimeoutSec: z.int().min(0).default(60),
    })
    .prefault({}),
  engines: z
    .strictObject({
      wasm: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Directory of job modules named <cid>.wasm; otherwise they are fetched from the spec's sources. */
          moduleDir: z.string().optional(),
          /** Module CIDs this agent runs (empty: any). */
          allowedModules: z.array(z.string()).default([]),
          /** Jobs one worker thread (one V8 isolate) runs in turn before it is replaced; 1: a fresh one per job. */
          jobsPerWorker: z.int().min(1).max(100_000).default(100),
        })
        .prefault({}),
      docker: z
        .strictObject({
          enabled: z.boolean().default(false),
          socketPath: z.string().default("/var/run/docker.sock"),
          allowedImages: z.array(z.string()).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  data: z
    .strictObject({
      pieceDir: z.string().optional(),
      pieceHttp: z.url().optional(),
      ipfsHttp: z.url().optional(),
      /**
       * `background`: a stored piece whose locality this provider proved on chain for the job
       * runs at once and is verified meanwhile (the result waits for the verdict); other pieces
       * are verified first. `before-use`: every piece is verified before any job reads it.
       */
      verify: z.enum(["background", "before-use"]).default("background"),
    })
    .prefault({}),
  /** Where this provider proves it stores each piece, for locality jobs. */
  locality: z
    .array(
      z.union([
        z.strictObject({ piece: z.string(), paddedSize: z.int().optional(), kind: z.literal("pdp"), dataSetId: z.int().min(0), pieceId: z.int().min(0) }),
        z.strictObject({ piece: z.string(), paddedSize: z.int().optional(), kind: z.literal("deal"), dealId: z.int().min(0) }),
      ]),
    )
    .default([]),
  results: z
    .strictObject({ dir: z.string().default("./.shoal/results"), retentionSeconds: z.int().min(60).default(7 * 24 * 3600) })
    .prefault({}),
  gateway: z
    .strictObject({
      host: z.string().default("127.0.0.1"),
      port: z.int().min(0).max(65535).default(7070),
      /** The URL clients use (registered on chain); defaults to http://host:port. */
      publicUrl: z.url().optional(),
    })
    .prefault({}),
  stateDir: z.string().default("./.shoal"),
  concurrency: z.int().min(1).max(64).default(2),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type AgentConfig = z.output<typeof configSchema>;
export type AgentConfigInput = z.input<typeof configSchema>;

/** A bad configuration: one line naming the key and the rule. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Environment variables and the config keys they set. */
export const ENV_KEYS: Record<string, string[]> = {
  SHOAL_AGENT_RPC_URLS: ["chain", "rpcUrls"],
  SHOAL_AGENT_WS_URL: ["chain", "wsUrl"],
  SHOAL_AGENT_CHAIN_ID: ["chain", "chainId"],
  SHOAL_AGENT_MARKET: ["chain", "market"],
  SHOAL_AGENT_REGISTRY: ["chain", "registry"],
  SHOAL_AGENT_CONFIRMATIONS: ["chain", "confirmations"],
  SHOAL_AGENT_POLL_INTERVAL_MS: ["chain", "pollIntervalMs"],
  SHOAL_AGENT_MIN_PRICE: ["policy", "minPrice"],
  SHOAL_AGENT_PIECE_DIR: ["data", "pieceDir"],
  SHOAL_AGENT_PIECE_HTTP: ["data", "pieceHttp"],
  SHOAL_AGENT_PIECE_VERIFY: ["data", "verify"],
  SHOAL_AGENT_GATEWAY_PORT: ["gateway", "port"],
  SHOAL_AGENT_GATEWAY_HOST: ["gateway", "host"],
  SHOAL_AGENT_GATEWAY_URL: ["gateway", "publicUrl"],
  SHOAL_AGENT_MODULE_DIR: ["engines", "wasm", "moduleDir"],
  SHOAL_AGENT_KEYSTORE: ["keys", "keystore"],
  SHOAL_AGENT_STATE_DIR: ["stateDir"],
  SHOAL_AGENT_RESULTS_DIR: ["results", "dir"],
  SHOAL_AGENT_CONCURRENCY: ["concurrency"],
  SHOAL_AGENT_LOG_LEVEL: ["logLevel"],
  SHOAL_AGENT_DOCKER: ["engines", "docker", "enabled"],
};

const NUMERIC = new Set(["chainId", "confirmations", "pollIntervalMs", "port", "concurrency"]);

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

/** Reads a JSON config file whose full-line `//` comments are ignored. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read config file ${path}: run \`shoal-agent init\` to write one`);
  }
  const json = text.split("\n").filter((l) => !/^\s*\/\//.test(l)).join("\n");
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Config keys that name files or directories. */
const PATH_KEYS = [["stateDir"], ["results", "dir"], ["data", "pieceDir"], ["engines", "wasm", "moduleDir"], ["keys", "keystore"]];

/**
 * Relative paths in a config file are relative to the file's own directory (so the agent finds
 * the same directories whatever directory it starts in); env and flag values stay relative to
 * the current directory, as paths typed in a shell are.
 */
function resolveFilePaths(raw: Record<string, unknown>, base: string): Record<string, unknown> {
  for (const path of PATH_KEYS) {
    let node: unknown = raw;
    for (const key of path.slice(0, -1)) node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
    const leaf = path.at(-1)!;
    if (node && typeof node === "object" && typeof (node as Record<string, unknown>)[leaf] === "string") {
      const value = (node as Record<string, string>)[leaf]!;
      if (!isAbsolute(value)) (node as Record<string, unknown>)[leaf] = resolve(base, value);
    }
  }
  return raw;
}

/** Merges file ← env ← flags and validates. `flags` are dotted keys, e.g. {"chain.market": "0x…"}. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown> } = {}): AgentConfig {
  const raw: Record<string, unknown> = options.file ? resolveFilePaths(readConfigFile(options.file), dirname(resolve(options.file))) : {};
  const env = options.env ?? process.env;
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const leaf = path.at(-1)!;
    setPath(raw, path, leaf === "rpcUrls" ? value.split(",") : NUMERIC.has(leaf) ? Number(value) : leaf === "enabled" ? value === "true" : value);
  }
  for (const [dotted, value] of Object.entries(options.flags ?? {})) if (value !== undefined) setPath(raw, dotted.split("."), value);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid config: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The commented config file `shoal-agent init` writes. */
export function defaultConfigText(): string {
  return `// Shoal agent configuration (JSON; lines starting with // are comments). Every key is here:
// optional ones are commented out. Each can also come from an environment variable
// (SHOAL_AGENT_*, see agent.env.example in @shoal/agent) or a flag; flags win over variables,
// variables over this file. Relative paths here are relative to this file's directory.
// Several agents on one machine: give each its own stateDir, results.dir and gateway.port.
{
  "chain": {
    // RPC URLs; later ones are fallbacks. Chain ID: 31337 local, 314159 Calibration, 314 mainnet.
    "rpcUrls": ["http://127.0.0.1:8545"],
    // A WebSocket endpoint serving eth_subscribe (Lotus: ws://127.0.0.1:1234/rpc/v1; a Hardhat
    // node: its HTTP port with ws://): each new head starts a sync pass at once and wakes receipt
    // waits. Polling (pollIntervalMs) stays as the fallback while the socket is down.
    // "wsUrl": "ws://127.0.0.1:8545",
    "chainId": 31337,
    // Contract addresses, only where the SDK records no deployment for the chain:
    // "market": "0x…",
    // "registry": "0x…",
    // First block to read events from (default: the deployment's block):
    // "fromBlock": 0,
    // Blocks behind the head before acting on an event (FEVM: use the finality you trust), and how often to poll.
    "confirmations": 0,
    "pollIntervalMs": 2000
  },
  "keys": {
    // The key is read from this environment variable, or from an encrypted JSON keystore file
    // whose password is in passwordEnv. It is never written here and never logged.
    "privateKeyEnv": "SHOAL_AGENT_PRIVATE_KEY",
    // "keystore": "./key.json",
    "passwordEnv": "SHOAL_AGENT_KEYSTORE_PASSWORD"
  },
  "policy": {
    // Which jobs to take: minimum price per replica in FIL, and the resources this machine offers.
    "minPrice": "0",
    "maxCpu": 4,
    "maxMemoryMb": 4096,
    "gpus": 0,
    "maxTimeoutSec": 3600,
    // Seconds of a job's windows the agent keeps in hand: it does not claim what it could not finish in time.
    "safetyMarginSec": 30,
    // Short deterministic jobs whose inputs are held here run before claiming, then claim with their
    // commitment in one transaction (settled a block sooner); the longest timeout that does (0: never).
    "oneTxMaxTimeoutSec": 60
  },
  "engines": {
    // WASM modules come from moduleDir (<cid>.wasm) or the spec's sources, always checked against their CID.
    // allowedModules: module CIDs this agent runs (empty: any). jobsPerWorker: jobs one worker
    // thread runs in turn, each with its own WASI instance and memory, before it is replaced (1: a fresh one per job).
    "wasm": { "enabled": true, "moduleDir": "./modules", "allowedModules": [], "jobsPerWorker": 100 },
    // Docker jobs need the engine's socket; images must be pinned by digest and listed here
    // (repository names or name@sha256: references).
    "docker": { "enabled": false, "socketPath": "/var/run/docker.sock", "allowedImages": [] }
  },
  "data": {
    // Where the data lives: a directory of unsealed pieces named by piece CID, and/or the
    // provider's piece endpoint (Curio/Boost: GET /piece/<pieceCid>), and/or a trustless gateway for CID inputs.
    "pieceDir": "./pieces",
    // When stored pieces are verified: "background" (proven pieces run at once, results wait for
    // the verdict) or "before-use" (every piece is hashed before a job reads it).
    "verify": "background"
    // , "pieceHttp": "http://127.0.0.1:12310"
    // , "ipfsHttp": "http://127.0.0.1:8080"
  },
  // Locality proofs: for each piece, the PDP data set and piece ID, or the f05 deal ID, that prove you store it.
  // e.g. { "piece": "bafkzcib…", "kind": "pdp", "dataSetId": 1, "pieceId": 0 } or { "piece": "baga…", "paddedSize": 2048, "kind": "deal", "dealId": 77 }
  "locality": [],
  // Results are kept as CARs for this long and served at the gateway (/ipfs/<cid>?format=car).
  "results": { "dir": "./.shoal/results", "retentionSeconds": 604800 },
  "gateway": {
    "host": "127.0.0.1",
    "port": 7070
    // The URL clients use, registered on chain (default http://host:port):
    // , "publicUrl": "https://sp.example.com/shoal"
  },
  // The job database: keep it across restarts and upgrades. One agent per stateDir.
  "stateDir": "./.shoal",
  // Jobs executing at once; log level: trace, debug, info, warn, error, fatal, silent.
  "concurrency": 2,
  "logLevel": "info"
}
`;
}
