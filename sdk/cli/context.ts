import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  isAddress,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { deployments } from "../src/index.js";
import { type ChainChoice, defaultRpc, parseChain } from "./chains.js";
import { CliError, firstLine, UsageError } from "./errors.js";
import { addSecret } from "./io.js";
import { loadAccount } from "./key.js";

/** The options every command takes (see `shoal --help`). */
export type GlobalOptions = {
  rpc?: string | undefined;
  chain?: string | undefined;
  market?: string | undefined;
  keystore?: string | undefined;
  json?: boolean | undefined;
};

export type Context = {
  choice: ChainChoice;
  chain: Chain;
  /** The RPC URL as it may be shown: no credentials, no query string. */
  rpcLabel: string;
  market: Address;
  json: boolean;
  publicClient: PublicClient<Transport, Chain>;
};
export type SignerContext = Context & {
  account: PrivateKeyAccount;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
};

/** Parses `value` as an address, or fails naming the option. */
export function parseAddress(value: string, what: string): Address {
  if (!isAddress(value, { strict: false })) throw new UsageError(`${what} must be a 0x address of 20 bytes, not "${value}"`);
  return getAddress(value);
}

function rpcLabel(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

/** Resolves chain, RPC, market and (if `signer`) the key; checks the RPC serves the chain and the market has code. */
export async function connect(options: GlobalOptions, signer: true): Promise<SignerContext>;
export async function connect(options: GlobalOptions, signer?: false): Promise<Context>;
export async function connect(options: GlobalOptions, signer = false): Promise<Context | SignerContext> {
  const env = process.env;
  const choice = parseChain(options.chain ?? env.SHOAL_CHAIN ?? "local");
  const rpc = options.rpc ?? env.SHOAL_RPC_URL ?? defaultRpc(choice);
  let url: URL;
  try {
    url = new URL(rpc);
  } catch {
    throw new UsageError("--rpc must be an http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("--rpc must be an http(s) URL");
  // Credentials in the URL (user:password@, ?token=) are never shown.
  for (const part of [url.password, url.username, url.search.slice(1)]) if (part) addSecret(decodeURIComponent(part));
  const marketValue = options.market ?? env.SHOAL_MARKET;
  const given = marketValue ? parseAddress(marketValue, options.market ? "--market" : "SHOAL_MARKET") : undefined;
  // The key is read before any network call: a missing key fails fast.
  const account = signer ? await loadAccount(options) : undefined;

  const transport = http(rpc, { retryCount: 1 });
  const pollingInterval = choice.local ? 250 : 4_000;
  const publicClient = createPublicClient({ chain: choice.chain, transport, pollingInterval });
  const label = rpcLabel(url);
  let actual: number;
  try {
    actual = await publicClient.getChainId();
  } catch (error) {
    const why = firstLine((error as { details?: string }).details ?? (error as Error).message ?? "");
    throw new CliError(`cannot reach the RPC at ${label}${why ? ` (${why})` : ""}: start the node, or pass --rpc or set SHOAL_RPC_URL`);
  }
  if (actual !== choice.chain.id) {
    throw new CliError(`the RPC at ${label} is chain ${actual}, not ${choice.label}: pass --chain or --rpc`);
  }
  const market = given ?? deployments[choice.chain.id]?.jobMarket;
  if (!market) throw new UsageError(`Shoal has no known deployment on ${choice.label}: pass --market <address> or set SHOAL_MARKET`);
  const code = await publicClient.getCode({ address: market });
  if (!code || code === "0x") {
    throw new CliError(`no contract at market ${market} on ${choice.label}: deploy Shoal there, or pass --market <address> or set SHOAL_MARKET`);
  }
  const context: Context = { choice, chain: choice.chain, rpcLabel: label, market, json: options.json ?? false, publicClient };
  if (!account) return context;
  const walletClient = createWalletClient({ chain: choice.chain, transport, account, pollingInterval });
  return { ...context, account, walletClient };
}
