import { type Address, type Client, parseEventLogs } from "viem";
import { federatedAveragingAbi, getFederatedRun, type GetFederatedRunReturnType, getLogsChunked, getResultFiles } from "@shoal/sdk";

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
 * from the gateway of a provider that revealed it and verified block by block against the CID
 * settled on chain (the SDK's getResultFiles), then read.
 */
export async function readMetrics(
  client: Client,
  { market, registry, jobId }: { market: Address; registry: Address; jobId: bigint },
): Promise<Metrics> {
  const { files } = await getResultFiles(client, { jobId, market, registry, maxBytes: 1 << 20 });
  const file = files.find((f) => f.path === "metrics.json");
  if (!file) throw new Error(`Job ${jobId}'s result holds no metrics.json.`);
  const metrics = JSON.parse(new TextDecoder().decode(file.bytes)) as { accuracy?: unknown; loss?: unknown };
  if (typeof metrics.accuracy !== "number") throw new Error(`Job ${jobId}'s metrics.json has no accuracy.`);
  return { accuracy: metrics.accuracy, loss: typeof metrics.loss === "number" ? metrics.loss : undefined };
}
