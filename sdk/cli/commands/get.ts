import { resolve } from "node:path";
import { getJob } from "../../src/index.js";
import { fetchResult, type ResultProgress } from "../../src/node.js";
import { connect, type GlobalOptions } from "../context.js";
import { out, outJson } from "../io.js";

/**
 * `shoal job get <id> -o <dir>`: downloads the result CAR (to `<dir>.car.part`, resuming one an
 * interrupted run left), verifies every block against the CID on chain as it arrives, unpacks it.
 * On a terminal, a progress line on stderr.
 */
export async function getCommand(jobId: bigint, options: { out: string }, global: GlobalOptions): Promise<void> {
  const context = await connect(global);
  await getJob(context.publicClient, { jobId, market: context.market }); // an unknown job fails here, clearly
  const progress = process.stderr.isTTY && !context.json ? progressLine(process.stderr) : undefined;
  let result;
  try {
    result = await fetchResult(context.publicClient, { jobId, outDir: resolve(options.out), market: context.market, onProgress: progress?.update });
  } finally {
    progress?.end();
  }
  const summary = { jobId, resultCid: result.cid.toString(), path: result.path, files: result.files, directories: result.directories, size: result.size, gateway: result.gateway, carSize: result.carSize, resumedFrom: result.resumedFrom };
  if (context.json) return outJson(summary);
  out(`wrote ${result.files} file(s), ${result.size} bytes, to ${result.path}`);
  if (result.resumedFrom > 0) out(`resumed an earlier download at ${mib(result.resumedFrom)} of ${mib(result.carSize)}`);
  out(`result ${summary.resultCid} (verified, from ${result.gateway})`);
}

/** One line on a terminal, rewritten at most every 200 ms: MiB verified, of the total, and MiB/s. */
export function progressLine(stream: NodeJS.WriteStream): { update: (progress: ResultProgress) => void; end: () => void } {
  const started = Date.now();
  let last = 0;
  let shown = false;
  let latest: ResultProgress | undefined;
  const draw = () => {
    if (latest === undefined) return;
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const of = latest.total === undefined ? "" : ` of ${mib(latest.total)} (${Math.floor((latest.bytes / Math.max(latest.total, 1)) * 100)}%)`;
    stream.write(`\r\x1b[2Kdownloading ${mib(latest.bytes)}${of}, ${(latest.bytes / 1_048_576 / seconds).toFixed(1)} MiB/s, verified block by block`);
    shown = true;
  };
  return {
    update(progress) {
      latest = progress;
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      draw();
    },
    end() {
      draw();
      if (shown) stream.write("\n");
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
