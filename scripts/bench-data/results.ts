/**
 * Large results: a generated result (default 1 GiB of incompressible bytes in one file, deleted
 * afterwards) packed by the agent's result store, served by its gateway, and downloaded with
 * block-by-block verification then unpacked by the SDK, each side in its own process so its peak
 * RSS is its own. Baselines: `dd` of the same bytes (pack, unpack), the result CID computed alone
 * (the importer's work, which packing cannot skip), `curl` of the same CAR to a
 * file with no verification (download), and each process idle with the same modules loaded (RSS). Run alone or from scripts/bench-data.ts:
 *
 *   npx tsc -b sdk agent && node --import tsx/esm scripts/bench-data/results.ts [mebibytes]
 */
import { execFileSync, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { open, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

type Row = { figure: string; value: string; baseline: string; ratio: string };

const MiB = 1_048_576;
const child = fileURLToPath(new URL("resultsChild.mjs", import.meta.url));

/** Runs the benchmark; returns its figures as table rows. */
export async function benchResults(options: { mebibytes?: number } = {}): Promise<Row[]> {
  const mebibytes = options.mebibytes ?? 1024;
  const dir = await mkdtemp(join(tmpdir(), "shoal-results-bench-"));
  try {
    const outputs = join(dir, "outputs");
    await mkdir(outputs);
    const source = join(outputs, "result.bin");
    await generate(source, mebibytes);
    const bytes = mebibytes * MiB;

    // dd moves the bytes through user space like the packer does (cp may copy inside the kernel).
    const cp = timed(() => execFileSync("dd", [`if=${source}`, `of=${join(dir, "copy.bin")}`, "bs=1M", "status=none"]));
    await rm(join(dir, "copy.bin"));

    const packed = JSON.parse(await run(["pack", outputs, join(dir, "store")])) as { cidMs: number; ms: number; maxRssKb: number; cid: string; size: number };
    const server = spawnChild(["serve", join(dir, "store")]);
    const url = `${await server.line()}/ipfs/${packed.cid}?format=car`;
    const curl = timed(() => execFileSync("curl", ["-sS", "-o", join(dir, "curl.car"), "-H", "accept: application/vnd.ipld.car", url]));
    await rm(join(dir, "curl.car"));
    const fetched = JSON.parse(await run(["download", url, packed.cid, join(dir, "download")])) as {
      fetchOnlyMs: number;
      downloadMs: number;
      unpackMs: number;
      maxRssKb: number;
    };
    const serverStats = JSON.parse(await server.finish()) as { maxRssKb: number };
    const idle = async (side: string) => (JSON.parse(await run(["idle", side])) as { maxRssKb: number }).maxRssKb;
    const floors = { pack: await idle("pack"), serve: await idle("serve"), download: await idle("download") };

    const mibps = (ms: number) => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
    const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const label = mebibytes >= 1024 ? `${(mebibytes / 1024).toFixed(mebibytes % 1024 ? 1 : 0)} GiB` : `${mebibytes} MiB`;
    return [
      { figure: `result ${label}: pack (store put)`, value: `${secs(packed.ms)}, ${mibps(packed.ms)}`, baseline: `dd ${secs(cp)}`, ratio: ratio(packed.ms, cp) },
      { figure: "result: pack (store put)", value: secs(packed.ms), baseline: `CID only ${secs(packed.cidMs)}`, ratio: ratio(packed.ms, packed.cidMs) },
      { figure: "result: serve + download + verify", value: `${secs(fetched.downloadMs)}, ${mibps(fetched.downloadMs)}`, baseline: `curl to a file, unverified ${secs(curl)}`, ratio: ratio(fetched.downloadMs, curl) },
      { figure: "result: serve + download + verify", value: secs(fetched.downloadMs), baseline: `Node fetch to a file, unverified ${secs(fetched.fetchOnlyMs)}`, ratio: ratio(fetched.downloadMs, fetched.fetchOnlyMs) },
      { figure: "result: unpack to a directory", value: `${secs(fetched.unpackMs)}, ${mibps(fetched.unpackMs)}`, baseline: `dd ${secs(cp)}`, ratio: ratio(fetched.unpackMs, cp) },
      // Target ≤ 300 MB each; the baseline is the same process with its modules loaded and no work.
      { figure: "result: packer (agent) peak RSS", value: mb(packed.maxRssKb), baseline: `idle ${mb(floors.pack)}`, ratio: ratio(packed.maxRssKb, floors.pack) },
      { figure: "result: gateway (agent) peak RSS", value: mb(serverStats.maxRssKb), baseline: `idle ${mb(floors.serve)}`, ratio: ratio(serverStats.maxRssKb, floors.serve) },
      { figure: "result: client (SDK) peak RSS", value: mb(fetched.maxRssKb), baseline: `idle ${mb(floors.download)}`, ratio: ratio(fetched.maxRssKb, floors.download) },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `mebibytes` of random bytes (no two chunks alike, so nothing deduplicates), written 8 MiB at a time. */
async function generate(path: string, mebibytes: number): Promise<void> {
  const file = await open(path, "w");
  const buffer = Buffer.allocUnsafe(8 * MiB);
  try {
    for (let left = mebibytes * MiB; left > 0; left -= buffer.length) {
      const piece = buffer.subarray(0, Math.min(left, buffer.length));
      randomFillSync(piece);
      await file.write(piece);
    }
  } finally {
    await file.close();
  }
}

function timed(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

function spawnChild(args: string[]): { line: () => Promise<string>; finish: () => Promise<string> } {
  // Plain JavaScript on the built packages, as the agent runs in production: no TypeScript
  // loader inflating the RSS measured.
  const proc = spawn(process.execPath, [child, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve, reject) =>
    proc.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench child ${args[0]} exited with ${code}`)))),
  );
  const line = async () => {
    const next = await lines.next();
    if (next.done) throw new Error(`bench child ${args[0]} said nothing`);
    return next.value;
  };
  return {
    line,
    finish: async () => {
      proc.stdin.end(); // the server child stops when its stdin closes
      const last = await line();
      await exited;
      return last;
    },
  };
}

async function run(args: string[]): Promise<string> {
  return spawnChild(args).finish();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  console.table(await benchResults({ mebibytes: argv[0] === undefined ? undefined : Number(argv[0]) }));
}
