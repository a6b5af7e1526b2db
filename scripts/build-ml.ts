// `npm run build:ml [-- --out DIR]`: compiles every ML kernel (ml/kernels/<name>.ts) with
// AssemblyScript and fixed flags into ml/modules/<name>.wasm (or DIR), writes modules.json
// (name → raw CID) beside them and prints each module's size and raw CID (bafkrei…, the CID a
// job spec names in engine.module). The same sources and flags give the same bytes:
// test/ml/build.test.ts rebuilds into a temporary directory and compares with the committed files.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { rawCid } from "@shoal/sdk/ml";

const root = fileURLToPath(new URL("../", import.meta.url));
const ASC = join(root, "node_modules/assemblyscript/bin/asc.js");
const run = promisify(execFile);

/** The kernel modules, in build order. */
export const ML_MODULES = ["train", "aggregate", "evaluate", "infer"] as const;

/** The compiler flags of every module (changing one changes every module's bytes and CID). */
export const ML_ASC_FLAGS = [
  "--config", "node_modules/@assemblyscript/wasi-shim/asconfig.json",
  "--optimizeLevel", "3",
  "--shrinkLevel", "0",
  "--enable", "simd", // 128-bit SIMD for element-wise loops only (lib/net.ts: same bits as scalar)
  "--runtime", "stub", // no GC: a kernel allocates its arrays once and exits; a collector cost 8x the run time
];

/** Builds every module into `outDir`; returns name → raw CID. */
export async function buildMlModules(outDir: string): Promise<Record<string, string>> {
  await mkdir(outDir, { recursive: true });
  const cids: Record<string, string> = {};
  // Two compilers at a time (each is single-threaded); the results do not depend on the order.
  const queue = [...ML_MODULES];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const outFile = join(outDir, `${name}.wasm`);
      try {
        await run(process.execPath, [ASC, `ml/kernels/${name}.ts`, ...ML_ASC_FLAGS, "--outFile", outFile], { cwd: root });
      } catch (error) {
        throw new Error(`asc failed on ml/kernels/${name}.ts:\n${(error as { stderr?: string }).stderr ?? String(error)}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  for (const name of ML_MODULES) cids[name] = await rawCid(await readFile(join(outDir, `${name}.wasm`)));
  await writeFile(join(outDir, "modules.json"), `${JSON.stringify(cids, null, 2)}\n`);
  return cids;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--out");
  const outDir = resolve(at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : join(root, "ml/modules"));
  const cids = await buildMlModules(outDir);
  for (const [name, cid] of Object.entries(cids)) {
    const size = (await readFile(join(outDir, `${name}.wasm`))).length;
    console.log(`${`${name}.wasm`.padEnd(15)} ${String(size).padStart(6)} bytes  ${cid}`);
  }
}
