/**
 * An agent for tests, started in this process against a local chain the way a provider would run
 * it: loaded from config flags, its key passed through an environment variable, then registered.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseEther } from "viem";

import { type Agent, startAgent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import { registerProvider } from "../../sdk/src/index.js";
import { KEYS, type startLocalChain } from "./localChain.js";

type LocalChain = Awaited<ReturnType<typeof startLocalChain>>;

export type TestAgentOptions = {
  chain: LocalChain;
  /** Hardhat account index of the provider (2 and up: #0 deploys, #1 is the client). */
  key: number;
  /**
   * Modules are read from `<dir>/modules` and pieces from `<dir>/pieces` (both made here if
   * missing); the agent's state and results go to `<dir>/agent<key>`.
   */
  dir: string;
  /** The RPC the agent talks to: the chain's own by default (a fault proxy in front of it, say). */
  rpcUrl?: string;
  /** More config flags, or others in place of the defaults (`undefined` drops one). */
  flags?: Record<string, unknown>;
  /** Register the provider once its gateway is up (10 FIL of stake, 4 CPUs, 4 GiB). Default true. */
  register?: boolean;
};

/**
 * Starts an agent: polling every 100 ms, gateway on a free port, a 5 s safety margin, silent
 * (SHOAL_TEST_LOG=info, say, to see its log). The caller stops it (`agent.stop()`).
 */
export async function startTestAgent(options: TestAgentOptions): Promise<Agent> {
  const { chain, key, dir } = options;
  await mkdir(join(dir, "modules"), { recursive: true });
  await mkdir(join(dir, "pieces"), { recursive: true });
  const keyEnv = `SHOAL_TEST_AGENT_KEY_${key}`;
  process.env[keyEnv] = KEYS[key];
  const flags: Record<string, unknown> = {
    "chain.rpcUrls": [options.rpcUrl ?? chain.rpcUrl],
    "chain.market": chain.market,
    "chain.registry": chain.registry,
    "chain.pollIntervalMs": 100,
    "keys.privateKeyEnv": keyEnv,
    "engines.wasm.moduleDir": join(dir, "modules"),
    "data.pieceDir": join(dir, "pieces"),
    stateDir: join(dir, `agent${key}`),
    "results.dir": join(dir, `agent${key}`, "results"),
    "gateway.port": 0,
    logLevel: "silent",
    "policy.safetyMarginSec": 5,
    ...options.flags,
  };
  for (const [name, value] of Object.entries(flags)) if (value === undefined) delete flags[name];
  const level = (process.env.SHOAL_TEST_LOG ?? "silent") as Parameters<typeof createLogger>[0];
  const agent = await startAgent(loadConfig({ env: {}, flags }), { logger: createLogger(level) });
  if (options.register ?? true) {
    try {
      await registerProvider(chain.wallet(key), {
        registry: chain.registry,
        stake: parseEther("10"),
        gatewayUrl: agent.gateway.url,
        capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 },
      });
    } catch (error) {
      await agent.stop().catch(() => {});
      throw error;
    }
  }
  return agent;
}
