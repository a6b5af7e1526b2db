// Docker executor overhead: the word-count job through the executor (create, start, wait,
// inspect, remove, output checks) against the same busybox script run directly on the host.
//
//   scripts/ci/start-docker.sh
//   npx tsx examples/docker/overhead.ts [runs=9] [corpusKiB=64] [outputMount=volume|bind]
//
// Prints p50 and p95 wall times in milliseconds, and the executor's own durationMs (the
// container's StartedAt → FinishedAt).
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import Dockerode from "dockerode";

import { createDockerExecutor } from "../../agent/src/executors/docker/index.js";
import { buildSpec } from "../../sdk/src/spec/index.js";
import { buildWordcountImage, BUSYBOX } from "../../test/helpers/docker.js";

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 9);
const corpusKiB = Number(process.argv[3] ?? 64);
const outputMount = (process.argv[4] ?? "volume") as "volume" | "bind";
const script = fileURLToPath(new URL("./wordcount/wordcount.sh", import.meta.url));

const docker = new Dockerode({ socketPath: "/var/run/docker.sock" });
const image = await buildWordcountImage(docker);
const executor = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], outputMount });

const base = await mkdtemp(join(tmpdir(), "shoal-overhead-"));
await chmod(base, 0o755);
const texts = join(base, "texts");
await mkdir(texts, { mode: 0o755 });
const words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "data", "piece", "filecoin", "shoal"];
let corpus = "";
for (let i = 0; corpus.length < corpusKiB * 1024; i++) corpus += `${words[(i * 7) % words.length]}${i % 13 === 0 ? ".\n" : " "}`;
await writeFile(join(texts, "corpus.txt"), corpus);
await chmod(join(texts, "corpus.txt"), 0o644);

// The host run gets busybox's applets first on PATH, as the image has them.
const bin = join(base, "bin");
await mkdir(bin);
for (const applet of (await run(BUSYBOX, ["--list"])).stdout.split("\n").filter(Boolean)) {
  await symlink(BUSYBOX, join(bin, applet));
}

const spec = buildSpec({ version: 1, engine: { type: "docker", image: image.ref }, resources: { memoryMb: 256, timeoutSec: 60 } });
const docker_ms: number[] = [];
const inner_ms: number[] = [];
const host_ms: number[] = [];
let dockerOut = "";
let hostOut = "";
for (let i = 0; i < runs; i++) {
  const outA = join(base, `docker-${i}`);
  await mkdir(outA, { mode: 0o700 });
  let t = performance.now();
  const result = await executor.run({ jobId: BigInt(i), spec, inputs: [{ mount: "/inputs/texts", hostPath: texts }], outputDir: outA });
  docker_ms.push(performance.now() - t);
  inner_ms.push(result.durationMs);
  dockerOut = await readFile(join(outA, "wordfreq.txt"), "utf8");

  const outB = join(base, `host-${i}`);
  await mkdir(outB);
  t = performance.now();
  await run(BUSYBOX, ["sh", script, texts], { env: { PATH: bin, OUTPUT_DIR: outB } });
  host_ms.push(performance.now() - t);
  hostOut = await readFile(join(outB, "wordfreq.txt"), "utf8");
}
await rm(base, { recursive: true, force: true });

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const row = (name: string, values: number[]) =>
  console.log(`${name.padEnd(34)} p50 ${pct(values, 50).toFixed(1).padStart(7)} ms   p95 ${pct(values, 95).toFixed(1).padStart(7)} ms`);
console.log(`word count over ${corpusKiB} KiB, ${runs} runs, output ${outputMount}; same output: ${dockerOut === hostOut}`);
row("host (busybox sh wordcount.sh)", host_ms);
row("Docker executor run()", docker_ms);
row("  of which the container ran", inner_ms);
console.log(`overhead p50: ${(pct(docker_ms, 50) - pct(host_ms, 50)).toFixed(1)} ms`);
