import { CarBlockIterator } from "@ipld/car/iterator";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import { type Address, type Client, encodeEventTopics, numberToHex, pad, parseEventLogs } from "viem";
import { readContract } from "viem/actions";
import {
  federatedAveragingAbi,
  getFederatedRun,
  type GetFederatedRunReturnType,
  getLogsChunked,
  jobMarketAbi,
  MemoryBlockstore,
  providerRegistryAbi,
  verifyBlock,
} from "@shoal/sdk";

export type RunSummary = { coordinator: Address; runId: bigint; owner: Address; shards: number; rounds: number };
export type Metrics = { accuracy: number; loss?: number | undefined };
export type RunDetail = GetFederatedRunReturnType & { runId: bigint };

/** Every run a coordinator started (its RunStarted events), newest first. */
export async function readRuns(client: Client, coordinator: Address, fromBlock: bigint): Promise<RunSummary[]> {
  const logs = await getLogsChunked(client, { address: coordinator, fromBlock });
  return parseEventLogs({ abi: federatedAveragingAbi, logs, eventName: "RunStarted" })
    .map((l) => ({ coordinator, runId: l.args.runId, owner: l.args.owner, shards: Number(l.args.shards), rounds: Number(l.args.rounds) }))
    .sort((a, b) => (a.runId < b.runId ? 1 : -1));
}

/** A run with every round it started: its jobs and the model and metrics CIDs on chain. */
export async function readRun(client: Client, coordinator: Address, runId: bigint): Promise<RunDetail> {
  return { ...(await getFederatedRun(client, { coordinator, runId })), runId };
}

/**
 * The test metrics of an evaluation job: its result (a directory holding metrics.json) downloaded
 * as a CAR from the gateway of a provider that revealed it, every block checked against its CID
 * before use, and the file read from the verified blocks only.
 */
export async function readMetrics(
  client: Client,
  { market, registry, fromBlock, jobId, metricsCid }: { market: Address; registry: Address; fromBlock: bigint; jobId: bigint; metricsCid: string },
): Promise<Metrics> {
  const [revealed] = encodeEventTopics({ abi: jobMarketAbi, eventName: "ResultRevealed" });
  const logs = await getLogsChunked(client, { address: market, fromBlock, topics: [revealed!, pad(numberToHex(jobId))] });
  const providers = [...new Set(parseEventLogs({ abi: jobMarketAbi, logs, eventName: "ResultRevealed" }).map((l) => l.args.provider))];
  if (providers.length === 0) throw new Error(`No provider revealed job ${jobId}'s result yet.`);
  const root = CID.parse(metricsCid);
  let lastError: unknown;
  for (const provider of providers) {
    try {
      const gateway = await readContract(client, { address: registry, abi: providerRegistryAbi, functionName: "gatewayOf", args: [provider] });
      const response = await fetch(`${gateway.replace(/\/$/, "")}/ipfs/${metricsCid}?format=car`, { headers: { accept: "application/vnd.ipld.car" } });
      if (!response.ok) throw new Error(`gateway ${gateway} answered ${response.status}`);
      const blocks = new MemoryBlockstore();
      for await (const block of await CarBlockIterator.fromBytes(new Uint8Array(await response.arrayBuffer()))) {
        await verifyBlock(block.cid, block.bytes);
        await blocks.put(block.cid, block.bytes);
      }
      const entry = await exporter(`${root}/metrics.json`, blocks);
      if (entry.type !== "file" && entry.type !== "raw") throw new Error("metrics.json is not a file");
      const chunks: Uint8Array[] = [];
      for await (const chunk of entry.content()) chunks.push(chunk);
      const metrics = JSON.parse(new TextDecoder().decode(concat(chunks))) as { accuracy?: unknown; loss?: unknown };
      if (typeof metrics.accuracy !== "number") throw new Error("metrics.json has no accuracy");
      return { accuracy: metrics.accuracy, loss: typeof metrics.loss === "number" ? metrics.loss : undefined };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
