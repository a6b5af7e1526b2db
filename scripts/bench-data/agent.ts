/**
 * A stored piece of N MiB (default 4 GiB, generated, deleted afterwards) run through a real agent
 * process as a WASM job and a Docker job that read all of it, on a local chain with the PDP
 * stand-in, so the job requires locality and the agent's claim proves it:
 * - time from the claim to the job's first read (Docker: the container reads /proc/uptime just
 *   before its first read; WASM, whose clocks are fixed: the claim to the input being mounted);
 * - bytes the agent copied (its metrics), and its peak RSS (VmHWM) against a 64 MiB piece;
 * - the job's read throughput next to `cat` of the same file, and the background verification.
 *
 * Runs under Hardhat (the chain), from `npm run bench:data` (scripts/bench-data.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import Dockerode from "dockerode";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther } from "viem";

import { type SpecInput, submitJob, waitForResult } from "../../sdk/src/index.js";
import { fetchResult, pieceCidOfFile } from "../../sdk/src/node.js";
import { buildWordcountImage } from "../../test/helpers/docker.js";
import { KEYS, startLocalChain } from "../../test/helpers/localChain.js";
import { freePort } from "../../test/helpers/net.js";
import { demoProcesses } from "../lib/demoProcesses.js";

export type Row = { figure: string; value: string; baseline: string; ratio: string };

const root = fileURLToPath(new URL("../..", import.meta.url));
const MiB = 1 << 20;
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Writes `mebibytes` of pseudo-random bytes (a random MiB, each copy stamped with its index). */
async function generate(path: string, mebibytes: number): Promise<void> {
  const block = randomBytes(MiB);
  const out = createWriteStream(path);
  for (let i = 0; i < mebibytes; i++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32LE(i, 0);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

type Scenario = {
  wasm: { claimToMountMs: number; jobMs: number; runMs: number };
  docker?: { claimToMountMs: number; claimToFirstReadMs: number; readMs: number; runMs: number };
  verifyMs: number | undefined;
  copiedBytes: number;
  peakRssMb: number;
  catMs: number;
  hashMs: number;
};

/** One agent process over one stored piece of `mebibytes`: the WASM job, then the Docker job. */
async function scenario(mebibytes: number, withDocker: boolean): Promise<Scenario> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-data-"));
  const processes = demoProcesses();
  const chain = await startLocalChain({ pdp: true });
  try {
    const pieces = join(dir, "pieces");
    await mkdir(pieces);
    const file = join(dir, "piece.tmp");
    await generate(file, mebibytes);
    let t = performance.now();
    const piece = await pieceCidOfFile(file);
    const hashMs = performance.now() - t;
    const stored = join(pieces, piece.v2);
    await rename(file, stored);
    t = performance.now();
    execFileSync("cat", [stored], { stdio: ["ignore", "ignore", "inherit"] });
    const catMs = performance.now() - t;
    await chain.addPdpPiece(2, 1n, piece.v2);

    const wasm = await readFile(join(root, "examples/wasm/readseq.wasm"));
    const moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(join(root, "examples/wasm/readseq.wasm"), join(dir, "modules", `${moduleCid}.wasm`));
    const image = withDocker ? await buildWordcountImage(new Dockerode()) : undefined;

    const gatewayPort = await freePort();
    const config = {
      chain: { rpcUrls: [chain.rpcUrl], chainId: 31337, market: chain.market, registry: chain.registry, pollIntervalMs: 100, confirmations: 0 },
      policy: { minPrice: "0.001", maxCpu: 2, maxMemoryMb: 2048, gpus: 0, maxTimeoutSec: 3600, safetyMarginSec: 10 },
      engines: { wasm: { enabled: true, moduleDir: join(dir, "modules") }, docker: { enabled: image !== undefined, allowedImages: image ? ["shoal-test/busybox"] : [] } },
      data: { pieceDir: pieces },
      locality: [{ piece: piece.v2, kind: "pdp", dataSetId: 1, pieceId: 0 }],
      results: { dir: join(dir, "results"), retentionSeconds: 3600 },
      gateway: { host: "127.0.0.1", port: gatewayPort },
      stateDir: join(dir, "state"),
      logLevel: "info",
    };
    await writeFile(join(dir, "agent.json"), JSON.stringify(config, null, 2));
    const agent = await processes.startAgent({ label: "provider", config: join(dir, "agent.json"), privateKey: KEYS[2]!, registerArgs: ["--stake", "10"] });
    const logs: Array<{ time: number; msg: string; ms?: number }> = [];
    let partial = "";
    agent.stdout!.on("data", (data: Buffer) => {
      const lines = (partial + data.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line));
        } catch {
          // not a log line
        }
      }
    });
    const logTime = (pattern: RegExp) => logs.find((l) => pattern.test(l.msg))?.time;

    const run = async (spec: SpecInput) => {
      const { jobId } = await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01"), market: chain.market, commitWindow: 900, revealWindow: 900 });
      try {
        await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000 + mebibytes * 100, pollingInterval: 200 });
      } catch (error) {
        const tail = logs.slice(-15).map((l) => `  ${JSON.stringify(l)}`).join("\n");
        throw new Error(`job ${jobId} did not settle (${(error as Error).message.split("\n")[0]}); the agent's last log lines:\n${tail}`);
      }
      const out = join(dir, `result-${jobId}`);
      await fetchResult(chain.publicClient, { jobId, outDir: out, market: chain.market });
      const at = (to: string) => logTime(new RegExp(`^job ${jobId}: \\S+ → ${to}$`));
      const ran = logs.find((l) => l.msg === `job ${jobId} ran`) as { ms: number; runMs: number } | undefined;
      return { out, claimed: at("claimed")!, mounted: at("inputs_ready")!, executed: at("executed")!, ran: ran! };
    };
    const base = { version: 1 as const, outputs: { path: "/outputs" }, network: "none" as const, deterministic: true };
    const wasmJob = await run({
      ...base,
      engine: { type: "wasm", module: moduleCid, args: ["/inputs/piece.bin", "1048576", "/outputs/report.txt"] },
      inputs: [{ piece: piece.v2, mount: "/inputs/piece.bin", locality: true }],
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 600, maxOutputBytes: 1 << 16 },
    });
    const report = await readFile(join(wasmJob.out, "report.txt"), "utf8");
    if (!report.startsWith(`${mebibytes * MiB} bytes`)) throw new Error(`the WASM job read ${report}`);
    const verifyMs = logs.find((l) => l.msg === "stored piece verified")?.ms;

    let docker: Scenario["docker"];
    if (image) {
      // Host uptime and epoch time, to place the container's /proc/uptime reading on the log's clock.
      const uptimeOffset = Date.now() - Number((await readFile("/proc/uptime", "utf8")).split(" ")[0]) * 1000;
      const job = await run({
        ...base,
        engine: {
          type: "docker", image: image.ref,
          command: ["/bin/sh", "-c", "read a _ < /proc/uptime; dd if=/inputs/piece.bin of=/dev/null bs=1048576 2>/dev/null; read b _ < /proc/uptime; echo $a $b > /outputs/uptime"],
        },
        inputs: [{ piece: piece.v2, mount: "/inputs/piece.bin", locality: true }],
        resources: { cpu: 1, memoryMb: 128, timeoutSec: 600, maxOutputBytes: 1 << 16 },
      });
      const [a, b] = (await readFile(join(job.out, "uptime"), "utf8")).trim().split(" ").map(Number);
      docker = { claimToMountMs: job.mounted - job.claimed, claimToFirstReadMs: uptimeOffset + a! * 1000 - job.claimed, readMs: (b! - a!) * 1000, runMs: job.ran.runMs };
    }

    const metrics = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text();
    const copiedBytes = metrics
      .split("\n")
      .filter((line) => line.startsWith("shoal_input_bytes_copied_total"))
      .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    const status = await readFile(`/proc/${agent.pid}/status`, "utf8");
    const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    return {
      wasm: { claimToMountMs: wasmJob.mounted - wasmJob.claimed, jobMs: wasmJob.ran.ms, runMs: wasmJob.ran.runMs },
      docker, verifyMs, copiedBytes, peakRssMb, catMs, hashMs,
    };
  } finally {
    await processes.cleanup();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The section's rows: the big piece against a 64 MiB one (for RSS) and against `cat`. */
export async function benchStoredPiece({ mebibytes = 4096 }: { mebibytes?: number } = {}): Promise<Row[]> {
  const withDocker = spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;
  const small = await scenario(64, false);
  const big = await scenario(mebibytes, withDocker);
  const size = `${fmt(mebibytes / 1024, mebibytes < 1024 ? 2 : 0)} GiB`;
  const rate = (ms: number) => (mebibytes / (ms / 1000));
  const rows: Row[] = [
    { figure: `stored piece ${size}, WASM job: claim → input mounted`, value: `${fmt(big.wasm.claimToMountMs)} ms`, baseline: "goal < 2,000 ms to first read", ratio: "" },
  ];
  if (big.docker)
    rows.push({
      figure: `stored piece ${size}, Docker job: claim → first read`,
      value: `${fmt(big.docker.claimToFirstReadMs)} ms (mounted at ${fmt(big.docker.claimToMountMs)} ms)`,
      baseline: "goal < 2,000 ms", ratio: "",
    });
  rows.push(
    { figure: `stored piece ${size}: bytes the agent copied`, value: fmt(big.copiedBytes), baseline: `${fmt(mebibytes * MiB)} before (a verified copy)`, ratio: "" },
    { figure: `agent peak RSS, ${size} piece`, value: `${fmt(big.peakRssMb)} MB`, baseline: `${fmt(small.peakRssMb)} MB at 64 MiB`, ratio: `${fmt(big.peakRssMb / small.peakRssMb, 2)}×` },
    { figure: `WASM job reading ${size} (readseq.wasm, executor run)`, value: `${fmt(rate(big.wasm.jobMs))} MiB/s`, baseline: `cat: ${fmt(rate(big.catMs))} MiB/s`, ratio: `${fmt(big.wasm.jobMs / big.catMs, 2)}×` },
  );
  if (big.docker)
    rows.push({ figure: `Docker job reading ${size} (dd bs=1M)`, value: `${fmt(rate(big.docker.readMs))} MiB/s`, baseline: `cat: ${fmt(rate(big.catMs))} MiB/s`, ratio: `${fmt(big.docker.readMs / big.catMs, 2)}×` });
  rows.push(
    { figure: `agent's background verification of ${size}`, value: big.verifyMs === undefined ? "not seen" : `${fmt(rate(big.verifyMs))} MiB/s (${fmt(big.verifyMs / 1000, 1)} s)`, baseline: `pieceCidOfFile: ${fmt(rate(big.hashMs))} MiB/s`, ratio: "" },
  );
  return rows;
}
