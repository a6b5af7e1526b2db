/**
 * Measures what a dapp ships for Shoal: esbuild bundles (minified, tree-shaken, browser) of
 * viem's clients alone, then viem plus the SDK's `submitJob` + `waitForResult` — imported through
 * the built @shoal/sdk package (its exports map and "sideEffects": false) — and prints raw and gzip sizes, the SDK's
 * share, and the node: builtins and largest modules each bundle drags in.
 *
 * It exits non-zero when the SDK's share passes the goal ({@link GOAL_GZIP}) or the bundle imports
 * a node: builtin. test/sdk/bundleSize.test.ts runs the same measurement ({@link measureBundles})
 * in `npm test`, so CI fails when the SDK grows past the goal.
 *
 *   npm run bundle-size            (node scripts/bundle-size.ts)
 *   npm run bundle-size -- --json  (machine-readable)
 */
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";

import { recordFigure } from "./lib/figures.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The SDK's gzip share before the light SDK (0.2.0: full zod, whole ABIs), for comparison. */
export const BASELINE_GZIP = 61.2 * 1024;
/** The most a dapp should pay for submitJob + waitForResult, gzip. */
export const GOAL_GZIP = 15 * 1024;

const CLIENTS = `
import { createPublicClient, createWalletClient, http } from "viem";
const publicClient = createPublicClient({ transport: http("http://127.0.0.1:8545") });
const walletClient = createWalletClient({ transport: http("http://127.0.0.1:8545") });
`;
const USE_CLIENTS = `globalThis.shoal = { publicClient, walletClient };`;
const USE_SDK = `globalThis.shoal = { publicClient, walletClient, submitJob, waitForResult };`;

const ENTRIES = [
  { name: "viem (createPublicClient + createWalletClient + http)", code: `${CLIENTS}${USE_CLIENTS}` },
  {
    name: "viem + submitJob + waitForResult (from @shoal/sdk, the built package)",
    code: `${CLIENTS}import { submitJob, waitForResult } from "@shoal/sdk";\n${USE_SDK}`,
  },
] as const;

export type Measure = {
  name: string;
  raw: number;
  gzip: number;
  nodeBuiltins: string[];
  sdkModules: number;
  /** Bytes in the output (minified, before gzip) by package, or by SDK folder. */
  byPackage: Record<string, number>;
};

async function measure(entry: (typeof ENTRIES)[number]): Promise<Measure> {
  const result = await build({
    stdin: { contents: entry.code, resolveDir: root, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    minify: true,
    treeShaking: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    // Browsers have no node: modules; left external they show up as imports in the output.
    external: ["node:*"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const meta: Metafile = result.metafile;
  const output = Object.values(meta.outputs)[0]!;
  const nodeBuiltins = [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort();
  const inputs = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0);
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of inputs) {
    const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? (path.startsWith("sdk/") ? path.split("/").slice(0, 4).join("/") : path);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  return {
    name: entry.name,
    raw: code.byteLength,
    gzip: gzipSync(code, { level: 9 }).byteLength,
    nodeBuiltins,
    sdkModules: inputs.filter(([p]) => p.startsWith("sdk/")).length,
    byPackage: Object.fromEntries(byPackage),
  };
}

/** The two bundles and the SDK's share of the second, gzip. Needs the built SDK (`npx tsc -b sdk`). */
export async function measureBundles(): Promise<{ base: Measure; sdk: Measure; shareGzip: number }> {
  const [base, sdk] = [await measure(ENTRIES[0]), await measure(ENTRIES[1])];
  return { base, sdk, shareGzip: sdk.gzip - base.gzip };
}

export const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** What the SDK adds to the bundle by package or SDK folder, largest first (minified, before gzip). */
export function added({ base, sdk }: { base: Measure; sdk: Measure }): [string, number][] {
  return Object.entries(sdk.byPackage)
    .map(([p, n]) => [p, n - (base.byPackage[p] ?? 0)] as [string, number])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const measured = await measureBundles();
  const { base, sdk, shareGzip } = measured;
  const results = [base, sdk];
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ results, sdkShareGzip: shareGzip, baselineGzip: BASELINE_GZIP, goalGzip: GOAL_GZIP }, null, 2));
  } else {
    console.log("Bundle sizes (esbuild, minified, tree-shaken, platform browser, gzip -9)\n");
    for (const r of results) {
      const share = r === base ? "" : `   SDK share: +${kb(r.raw - base.raw)} raw, +${kb(r.gzip - base.gzip)} gzip`;
      console.log(`${r.name}\n  ${kb(r.raw)} raw, ${kb(r.gzip)} gzip${share}`);
      if (r !== base) {
        console.log(`  SDK modules: ${r.sdkModules}; node: builtins imported: ${r.nodeBuiltins.join(", ") || "none"}`);
        console.log(`  what the SDK adds (minified, before gzip): ${added(measured).slice(0, 10).map(([p, n]) => `${p} ${kb(n)}`).join(", ")}`);
      }
      console.log();
    }
    console.log(`SDK share: ${kb(shareGzip)} gzip; baseline ${kb(BASELINE_GZIP)} (0.2.0 before the light SDK); goal ≤ ${kb(GOAL_GZIP)}`);
  }

  recordFigure({
    section: "bundle", name: "SDK share of a browser bundle, viem + submitJob + waitForResult (esbuild, minified, gzip)",
    value: Number((shareGzip / 1024).toFixed(1)), unit: "KiB", better: "lower", goal: { op: "<=", value: GOAL_GZIP / 1024 },
    note: `whole bundle ${kb(sdk.gzip)}; before the light SDK ${kb(BASELINE_GZIP)}`,
  });

  if (shareGzip > GOAL_GZIP) {
    console.error(`bundle-size: the SDK adds ${kb(shareGzip)} gzip to a dapp, above the goal of ${kb(GOAL_GZIP)}: see what the SDK adds, above`);
    process.exitCode = 1;
  }

  // A browser bundle that needs a Node built-in breaks a dapp's build: fail here instead.
  const withNode = results.filter((r) => r.nodeBuiltins.length > 0);
  if (withNode.length) {
    console.error(`bundle-size: ${withNode.map((r) => `${r.name} imports ${r.nodeBuiltins.join(", ")}`).join("; ")}: move Node-only code to @shoal/sdk/node`);
    process.exitCode = 1;
  }
}
