// A local chain served over HTTP (as a real node would be) with Shoal deployed and providers
// registered, and a runner for the real `shoal` binary in a child process.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { artifacts, network } from "hardhat";
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  getContract,
  type Hex,
  http,
  parseEther,
  toHex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { deployShoal } from "../../scripts/lib/deploy.js";
import { providerRegistryAbi, registerProvider } from "../../sdk/src/index.js";

export const BIN = fileURLToPath(new URL("../../sdk/cli/bin.mjs", import.meta.url));
const MNEMONIC = "test test test test test test test test test test test junk";

/** Hardhat default account `i`, and its private key. */
export function hardhatAccount(i: number) {
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: i });
  return { account, privateKey: toHex(account.getHdKey().privateKey!) };
}

const CAPS = { engines: 3, cpus: 4, memoryMb: 8192, gpus: 0 };

/**
 * Serves a fresh EDR chain over HTTP (`network.createServer`), deploys Shoal from account #0
 * (so at the addresses `deployments[31337]` lists) and registers accounts 3.. as providers.
 */
export async function startChain({ providerCount = 3 } = {}) {
  const server = await network.createServer(undefined, "127.0.0.1");
  const { address, port } = await server.listen();
  const url = `http://${address}:${port}`;
  const transport = http(url);
  const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 });
  const wallet = (i: number) => createWalletClient({ chain: hardhat, transport, account: hardhatAccount(i).account, pollingInterval: 50 });
  const admin = wallet(0);

  async function deploy(name: string, args: readonly unknown[] = []) {
    const { abi, bytecode } = await artifacts.readArtifact(name);
    const hash = await admin.deployContract({ abi: abi as Abi, bytecode: bytecode as Hex, args });
    const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash });
    return getContract({ address: contractAddress!, abi: abi as Abi, client: { public: publicClient, wallet: admin } });
  }
  // deployShoal takes a hardhat-viem `viem`; this is the part of it that it uses, over HTTP.
  const { registry, market } = await deployShoal({ getWalletClients: async () => [admin], deployContract: deploy });

  const providers = Array.from({ length: providerCount }, (_, i) => wallet(3 + i));
  for (const [i, p] of providers.entries()) {
    await registerProvider(p, { gatewayUrl: `http://127.0.0.1:${7000 + i}`, capabilities: CAPS, stake: parseEther("10"), registry: registry.address });
  }

  /** Points provider `i`'s gateway at `gatewayUrl`. */
  async function setGateway(i: number, gatewayUrl: string) {
    const hash = await providers[i]!.writeContract({ address: registry.address, abi: providerRegistryAbi, functionName: "update", args: [gatewayUrl, CAPS] });
    await publicClient.waitForTransactionReceipt({ hash });
  }

  return { server, url, publicClient, wallet, admin, deploy, registry, market, providers, setGateway };
}

export type Chain = Awaited<ReturnType<typeof startChain>>;

export type Run = { code: number | null; stdout: string; stderr: string };

/** A running `shoal`: its output so far, a way to wait for a line, and its end. */
export type Running = {
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in the stream's output so far or to come. */
  waitFor(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<Run>;
};

/** Spawns `node sdk/cli/bin.mjs ...args` with only the given environment (no inherited SHOAL_*). */
export function startCli(args: readonly string[], env: Record<string, string | undefined> = {}, cwd?: string): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const w of waiters) w();
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return {
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    done,
    waitFor(stream, pattern, timeoutMs = 60_000) {
      const text = () => (stream === "stdout" ? stdout : stderr);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} on ${stream} in ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs);
        const check = () => {
          const match = text().match(pattern);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          }
        };
        waiters.push(check);
        check();
        void done.then(() => {
          clearTimeout(timer);
          const match = text().match(pattern);
          if (match) resolve(match);
          else reject(new Error(`shoal exited without ${pattern} on ${stream}; stdout: ${stdout}; stderr: ${stderr}`));
        });
      });
    },
  };
}

/** Runs `shoal` to the end. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<Run> {
  return startCli(args, env, cwd).done;
}
