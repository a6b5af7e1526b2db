// The runtime config: `shoal.config.json`, fetched from the app's base URL at start, names the
// chains the dapp can use and Shoal's contracts on each. A static build therefore serves any chain
// without a rebuild: the launcher (scripts/app/start.ts) writes the file for the local chain.
import { type Address, isAddress } from "viem";

/** One chain entry of shoal.config.json. */
export type ChainEntry = {
  id: number;
  name: string;
  rpcUrl: string;
  /** The node's WebSocket endpoint (ws:// or wss://): calls go over it first, and the job page reads as each head arrives. */
  wsUrl?: string;
  market: Address;
  registry: Address;
  /** FederatedAveraging coordinators to show on the training page. */
  federated?: Address[];
  /** Where event scans start (the market's deployment block), as a decimal string. */
  fromBlock?: string;
  /** Milliseconds between polls (at most the chain's block time). */
  pollingIntervalMs?: number;
  /** A gateway to try first for results. */
  gatewayHint?: string;
};

export type RuntimeConfig = { chains: ChainEntry[] };

/** Thrown when shoal.config.json is present but malformed: one line naming the bad member. */
export class RuntimeConfigError extends Error {
  constructor(message: string) {
    super(`shoal.config.json: ${message}`);
    this.name = "RuntimeConfigError";
  }
}

/** Checks a parsed shoal.config.json and returns it typed; throws RuntimeConfigError naming the first bad member. */
export function parseRuntimeConfig(value: unknown): RuntimeConfig {
  if (value === null || typeof value !== "object" || !Array.isArray((value as { chains?: unknown }).chains))
    throw new RuntimeConfigError("expected an object with a `chains` array");
  const chains = (value as { chains: unknown[] }).chains.map((raw, i): ChainEntry => {
    const at = `chains[${i}]`;
    if (raw === null || typeof raw !== "object") throw new RuntimeConfigError(`${at} must be an object`);
    const c = raw as Record<string, unknown>;
    if (!Number.isSafeInteger(c.id) || (c.id as number) <= 0) throw new RuntimeConfigError(`${at}.id must be a positive chain ID`);
    if (typeof c.rpcUrl !== "string" || !/^https?:\/\//.test(c.rpcUrl)) throw new RuntimeConfigError(`${at}.rpcUrl must be an http(s) URL`);
    if (c.wsUrl !== undefined && !(typeof c.wsUrl === "string" && /^wss?:\/\//.test(c.wsUrl))) throw new RuntimeConfigError(`${at}.wsUrl must be a ws(s) URL`);
    for (const key of ["market", "registry"] as const)
      if (typeof c[key] !== "string" || !isAddress(c[key] as string)) throw new RuntimeConfigError(`${at}.${key} must be an address`);
    const federated = c.federated ?? [];
    if (!Array.isArray(federated) || !federated.every((a) => typeof a === "string" && isAddress(a)))
      throw new RuntimeConfigError(`${at}.federated must be a list of addresses`);
    if (c.fromBlock !== undefined && !(typeof c.fromBlock === "string" && /^\d+$/.test(c.fromBlock)))
      throw new RuntimeConfigError(`${at}.fromBlock must be a decimal string`);
    if (c.pollingIntervalMs !== undefined && !(Number.isSafeInteger(c.pollingIntervalMs) && (c.pollingIntervalMs as number) > 0))
      throw new RuntimeConfigError(`${at}.pollingIntervalMs must be a positive integer`);
    return {
      id: c.id as number,
      name: typeof c.name === "string" && c.name !== "" ? c.name : `Chain ${c.id}`,
      rpcUrl: c.rpcUrl,
      ...(c.wsUrl !== undefined ? { wsUrl: c.wsUrl as string } : {}),
      market: c.market as Address,
      registry: c.registry as Address,
      federated: federated as Address[],
      ...(c.fromBlock !== undefined ? { fromBlock: c.fromBlock as string } : {}),
      ...(c.pollingIntervalMs !== undefined ? { pollingIntervalMs: c.pollingIntervalMs as number } : {}),
      ...(typeof c.gatewayHint === "string" ? { gatewayHint: c.gatewayHint } : {}),
    };
  });
  return { chains };
}

/** Fetches shoal.config.json next to index.html; a missing file means no extra chains. */
export async function loadRuntimeConfig(base: string = document.baseURI): Promise<RuntimeConfig> {
  const response = await fetch(new URL("shoal.config.json", base), { cache: "no-store" });
  if (response.status === 404) return { chains: [] };
  if (!response.ok) throw new RuntimeConfigError(`the server answered HTTP ${response.status}`);
  // A dev server answers unknown paths with index.html: that is a missing file, not a bad one.
  if (!(response.headers.get("content-type") ?? "").includes("json")) return { chains: [] };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new RuntimeConfigError("it is not valid JSON");
  }
  return parseRuntimeConfig(body);
}
