import { cancelJob, getJob } from "../../src/index.js";
import { connect, type GlobalOptions } from "../context.js";
import { out, outJson } from "../io.js";

/** `shoal job cancel <id>`: cancels a job nobody claimed; its escrow becomes withdrawable. */
export async function cancelCommand(jobId: bigint, global: GlobalOptions): Promise<void> {
  const context = await connect(global, true);
  await getJob(context.publicClient, { jobId, market: context.market }); // an unknown job fails here, clearly
  const { hash } = await cancelJob(context.walletClient, { jobId, market: context.market });
  if (context.json) return outJson({ jobId, hash });
  out(`job ${jobId} cancelled  tx ${hash}`);
  out("its escrow is refundable: shoal withdraw");
}
