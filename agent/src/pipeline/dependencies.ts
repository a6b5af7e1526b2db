/**
 * Pipeline inputs: a spec input `{ "job": "42", "mount": … }` takes job 42's settled result. Before
 * claiming, the agent checks every such job on chain: settled → go; still open or revealing →
 * wait (re-evaluated when it settles); failed, expired, cancelled, unknown, or not earlier than
 * the job itself → refuse with that reason. When the job runs, the result is fetched from the
 * gateways (as registered on chain) of the providers that revealed it, and verified block by
 * block against the CID settled on chain by the input resolver.
 */
import type { Address, Client } from "viem";
import { readContract } from "viem/actions";
import { getJob, JobNotFoundError, providerRegistryAbi, jobMarketAbi, type Spec } from "@shoal/sdk";
import { ipfsHttp, type CidSource } from "../data/index.js";

export type DependencyCheck =
  | { kind: "ready" }
  | { kind: "waiting"; on: bigint; status: string }
  | { kind: "refused"; detail: string };

/** The job IDs a spec takes results from, in spec order. */
export function dependenciesOf(spec: Spec): bigint[] {
  return spec.inputs.flatMap((input) => (input.job === undefined ? [] : [BigInt(input.job)]));
}

/** Whether every job `jobId`'s spec takes a result from has settled (the first that has not decides). */
export async function checkDependencies(client: Client, market: Address, jobId: bigint, spec: Spec): Promise<DependencyCheck> {
  for (const dep of dependenciesOf(spec)) {
    if (dep >= jobId)
      return { kind: "refused", detail: `input job ${dep} does not exist before job ${jobId}: a job can only take the result of an earlier job` };
    let status: string;
    try {
      status = (await getJob(client, { jobId: dep, market })).status;
    } catch (error) {
      if (error instanceof JobNotFoundError) return { kind: "refused", detail: `input job ${dep} does not exist` };
      throw error;
    }
    if (status === "Open" || status === "Revealing") return { kind: "waiting", on: dep, status };
    if (status !== "Settled") return { kind: "refused", detail: `input job ${dep} ended ${status}: it has no result` };
  }
  return { kind: "ready" };
}

/** Job `dep`'s settled result CID and the gateways of the providers that revealed it, as sources. */
export async function dependencyResult(client: Client, market: Address, registry: Address, dep: bigint): Promise<{ cid: string; sources: CidSource[] }> {
  const job = await getJob(client, { jobId: dep, market });
  if (job.status !== "Settled" || job.resultCid === undefined) throw new Error(`input job ${dep} is ${job.status}, not settled`);
  const sources: CidSource[] = [];
  for (const slot of job.winners) {
    const { provider } = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "getSlot", args: [dep, BigInt(slot)] });
    const gateway = await readContract(client, { address: registry, abi: providerRegistryAbi, functionName: "gatewayOf", args: [provider] });
    if (gateway !== "") sources.push(ipfsHttp({ baseUrl: gateway, name: `gateway of ${provider} (${gateway})` }));
  }
  return { cid: job.resultCid, sources };
}
