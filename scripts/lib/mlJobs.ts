// Runs the ML kernels (ml/modules/*.wasm) the way a provider does: through the agent's
// WasmExecutor, its worker threads reused from job to job as the agent's are, inputs mounted read-only under /inputs and the
// outputs in a new directory. Shared by scripts/bench-ml.ts and test/ml.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { buildSpec } from "@shoal/sdk";
import { rawCid } from "@shoal/sdk/ml";
import { createWasmExecutor, type WasmExecutor } from "../../agent/src/executors/wasm/index.js";

export type MlModule = "train" | "aggregate" | "evaluate" | "infer";
export type Mount = { mount: string; hostPath: string };
export type MlRun = { outputDir: string; durationMs: number; wallMs: number; stdout: string; stderr: string };

const MODULES_DIR = new URL("../../ml/modules/", import.meta.url);
// Input CIDs only travel in the spec here; the executor runs on already-verified host paths.
const INPUT_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

/** The built modules, by name and by CID, and an executor that resolves them. */
export async function mlRunner(options: { modulesDir?: URL; tempDir?: string; jobsPerWorker?: number } = {}) {
  const byCid = new Map<string, Uint8Array>();
  const cids = {} as Record<MlModule, string>;
  for (const name of ["train", "aggregate", "evaluate", "infer"] as const) {
    const bytes = await readFile(new URL(`${name}.wasm`, options.modulesDir ?? MODULES_DIR));
    cids[name] = await rawCid(bytes);
    byCid.set(cids[name], bytes);
  }
  const executor: WasmExecutor = createWasmExecutor({
    tempDir: options.tempDir,
    jobsPerWorker: options.jobsPerWorker,
    resolveModule: async (spec) => {
      const bytes = byCid.get((spec.engine as { module: string }).module);
      if (bytes === undefined) throw new Error("unknown module");
      return bytes;
    },
  });
  /** Runs `module` with `args` over `mounts`; rejects with the executor's error on a failed run. */
  const run = async (module: MlModule, args: string[], mounts: Mount[], jobId = 1n): Promise<MlRun> => {
    const spec = buildSpec({
      version: 1,
      engine: { type: "wasm", module: cids[module], args },
      inputs: mounts.map(({ mount }) => ({ cid: INPUT_CID, mount })),
      resources: { memoryMb: 512, timeoutSec: 300 },
    });
    const outputDir = await mkdtemp(join(options.tempDir ?? tmpdir(), `shoal-ml-${module}-`));
    const started = performance.now();
    const result = await executor.run({ jobId, spec, inputs: mounts, outputDir });
    return { outputDir, durationMs: result.durationMs, wallMs: performance.now() - started, stdout: result.stdout, stderr: result.stderr };
  };
  return { cids, executor, run };
}
