import { resolve } from "node:path";
import { getJob } from "../../src/index.js";
import { fetchResult } from "../../src/node.js";
import { connect, type GlobalOptions } from "../context.js";
import { out, outJson } from "../io.js";

/** `shoal job get <id> -o <dir>`: downloads the result CAR, verifies it against the CID on chain, unpacks it. */
export async function getCommand(jobId: bigint, options: { out: string }, global: GlobalOptions): Promise<void> {
  const context = await connect(global);
  await getJob(context.publicClient, { jobId, market: context.market }); // an unknown job fails here, clearly
  const result = await fetchResult(context.publicClient, { jobId, outDir: resolve(options.out), market: context.market });
  const summary = { jobId, resultCid: result.cid.toString(), path: result.path, files: result.files, directories: result.directories, size: result.size, gateway: result.gateway };
  if (context.json) return outJson(summary);
  out(`wrote ${result.files} file(s), ${result.size} bytes, to ${result.path}`);
  out(`result ${summary.resultCid} (verified, from ${result.gateway})`);
}
