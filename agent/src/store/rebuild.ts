/**
 * A state database that is missing or corrupt at start. A corrupt one is moved aside (never
 * deleted: it may hold what an operator wants to look at) and a new one opened. A new database
 * knows nothing, but the chain knows which jobs this provider holds slots in: their SlotClaimed
 * events name it. The pipeline adopts those jobs from the chain as their JobPosted events are read
 * again ({@link ownSlots}), so the agent finishes what it started and withdraws what it is owed,
 * without sending any transaction twice (each step checks the chain first).
 */
import { existsSync, renameSync } from "node:fs";
import { type Address, type Client, encodeEventTopics, type Hex } from "viem";
import { getLogsChunked, jobMarketAbi } from "@shoal/sdk";
import type { Logger } from "../context.js";
import { openStore, type Store } from "./store.js";

/** Opens the store at `path`; a file that is not a sound SQLite database is moved aside and replaced. */
export function openStoreChecked(path: string, logger: Logger): { store: Store; fresh: boolean } {
  let store: Store | undefined;
  let problem: string | undefined;
  try {
    store = openStore(path);
    const check = store.db.prepare("PRAGMA quick_check").all() as { quick_check: string }[];
    if (check.length !== 1 || check[0]?.quick_check !== "ok") problem = check.map((r) => r.quick_check).slice(0, 3).join("; ");
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (problem === undefined && store) return { store, fresh: store.cursor() === undefined };
  try {
    store?.close();
  } catch {}
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  for (const suffix of ["", "-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  logger.error({ path, movedTo: aside, problem }, "the state database is corrupt: moved aside; rebuilding this provider's jobs from the chain");
  return { store: openStore(path), fresh: true };
}

/** The jobs in which `provider` claimed a slot, from the market's SlotClaimed events (provider is indexed). */
export async function ownSlots(client: Client, market: Address, provider: Address, fromBlock: bigint): Promise<Set<bigint>> {
  const topics = encodeEventTopics({ abi: jobMarketAbi, eventName: "SlotClaimed", args: { provider } });
  const logs = await getLogsChunked(client, { address: market, fromBlock, topics: topics as (Hex | null)[] });
  return new Set(logs.map((log) => BigInt(log.topics[1]!)));
}
