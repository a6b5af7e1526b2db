import { getJob } from "../../src/index.js";
import { FIL_UNIT, unitOf } from "../amounts.js";
import { connect, type GlobalOptions } from "../context.js";
import { out, outJson } from "../io.js";
import { amount, isoTime } from "../output.js";

/** `shoal job status <id>`: the job as the market holds it. */
export async function statusCommand(jobId: bigint, global: GlobalOptions): Promise<void> {
  const context = await connect(global);
  const job = await getJob(context.publicClient, { jobId, market: context.market });
  if (context.json) return outJson(job);

  const unit = await unitOf(context, job.token);
  const now = Number((await context.publicClient.getBlock()).timestamp);
  const late = job.status === "Open" && now >= job.deadline;
  const rows: [string, string][] = [
    ["status", late ? "Open, deadline passed: anyone can expire it, then the client withdraws the refund" : job.status],
    ["client", job.client],
    ["replicas", `${job.replicas} (quorum ${job.quorum}, ${job.claimed} claimed)`],
    ["price", `${amount(job.price, unit)} per replica`],
    ["collateral", amount(job.collateral, FIL_UNIT)],
    ["deadline", isoTime(job.deadline)],
  ];
  if (job.locality) rows.push(["locality", "claimants prove they store the inputs"]);
  if (job.distinctMiners) rows.push(["miners", "each slot under a distinct bound Filecoin miner"]);
  if (job.consensusAt) rows.push(["quorum at", isoTime(job.consensusAt)]);
  if (job.winners.length) rows.push(["winners", `slot ${job.winners.join(", ")}`]);
  if (job.resultCid) rows.push(["result", job.resultCid]);
  out(`job ${jobId}`);
  for (const [key, value] of rows) out(`  ${key.padEnd(11)} ${value}`);
}
