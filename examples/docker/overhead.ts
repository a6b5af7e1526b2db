// Docker executor overhead, side by side in one run (issue 12): the word-count job through the
// executor with its warm pool of output holders, through the executor without the pool (each job
// makes its own volume and holder), as `docker run --rm` of the same image with the same locks
// (no network, read-only root and inputs, nobody, memory limit; output to a bind mount), the
// same busybox script run directly on the host, and the engine's own floor: a container of the
// same image that runs `true`, read-only and without network as a job's, with no mounts or
// limits, created, started and waited for through the API (what any design that starts a
// container per job pays before the job's first instruction). Runs alternate, so a change in
// the machine's load touches each alike; between runs the executors finish their off-path work
// (removals, the pool's refill), as they do between jobs that come seconds apart.
//
//   scripts/ci/start-docker.sh
//   npx tsx examples/docker/overhead.ts [runs=9] [corpusKiB=64] [outputMount=volume|bind]
//
// Prints p50 and p95 wall times in milliseconds, where the executor's time goes (create, attach,
// start, wait, exit state with the output copy, removal off the path) and the load average.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import Dockerode from "dockerode";

import { createDockerExecutor, type DockerRunTimings } from "../../agent/src/executors/docker/index.js";
import { buildSpec } from "../../sdk/src/spec/index.js";
import { buildWordcountImage, BUSYBOX } from "../../test/helpers/docker.js";
import { recordFigure } from "../../scripts/lib/figures.js";

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 9);
const corpusKiB = Number(process.argv[3] ?? 64);
const outputMount = (process.argv[4] ?? "volume") as "volume" | "bind";
const script = fileURLToPath(new URL("./wordcount/wordcount.sh", import.meta.url));

const docker = new Dockerode({ socketPath: "/var/run/docker.sock" });
const image = await buildWordcountImage(docker);
const timings = { pooled: [] as DockerRunTimings[], unpooled: [] as DockerRunTimings[] };
const agent = `overhead-${process.pid}`;
const pooled = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], outputMount, agent, onTimings: (t) => timings.pooled.push(t) });
const unpooled = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], outputMount, agent, holderPool: 0, onTimings: (t) => timings.unpooled.push(t) });
await Promise.all([pooled.warm(), unpooled.warm()]);

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
const ms = { pooled: [] as number[], unpooled: [] as number[], cli: [] as number[], host: [] as number[], floor: [] as number[] };
const outputs = new Set<string>();
const load: number[] = [];
for (let i = 0; i < runs; i++) {
  load.push(loadavg()[0]!);
  for (const [name, executor] of [["pooled", pooled], ["unpooled", unpooled]] as const) {
    const out = join(base, `${name}-${i}`);
    await mkdir(out, { mode: 0o700 });
    const t = performance.now();
    await executor.run({ jobId: BigInt(i), spec, inputs: [{ mount: "/inputs/texts", hostPath: texts }], outputDir: out });
    ms[name].push(performance.now() - t);
    outputs.add(await readFile(join(out, "wordfreq.txt"), "utf8"));
    await executor.close().then(() => executor.warm()); // removals and the refill, off the timed path
  }

  // The CLI with the executor's locks; its output directory must be writable by nobody.
  const outCli = join(base, `cli-${i}`);
  await mkdir(outCli, { mode: 0o777 });
  await chmod(outCli, 0o777);
  let t = performance.now();
  await run("docker", [
    "run", "--rm", "--network", "none", "--read-only", "--user", "65534:65534", "--memory", "256m", "--memory-swap", "256m",
    "--pids-limit", "64", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--log-driver", "none",
    "--tmpfs", "/tmp:rw,nosuid,nodev,noexec,size=67108864,mode=1777",
    "--mount", `type=bind,source=${texts},target=/inputs/texts,readonly`, "--mount", `type=bind,source=${outCli},target=/outputs`,
    image.id,
  ]);
  ms.cli.push(performance.now() - t);
  outputs.add(await readFile(join(outCli, "wordfreq.txt"), "utf8"));

  // The engine's floor: create, start and wait for a container that exits at once.
  t = performance.now();
  // Read-only root and no network, as a job's: a writable layer doubles the start here.
  const bare = await docker.createContainer({
    Image: image.id, Entrypoint: ["/bin/true"], Cmd: [], NetworkDisabled: true,
    HostConfig: { NetworkMode: "none", ReadonlyRootfs: true, LogConfig: { Type: "none", Config: {} } },
  });
  await bare.start();
  await bare.wait();
  ms.floor.push(performance.now() - t);
  await bare.remove({ force: true });

  const outHost = join(base, `host-${i}`);
  await mkdir(outHost);
  t = performance.now();
  await run(BUSYBOX, ["sh", script, texts], { env: { PATH: bin, OUTPUT_DIR: outHost } });
  ms.host.push(performance.now() - t);
  outputs.add(await readFile(join(outHost, "wordfreq.txt"), "utf8"));
}
await Promise.all([pooled.close(), unpooled.close()]);
await rm(base, { recursive: true, force: true });

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const f = (n: number) => n.toFixed(1).padStart(7);
const row = (name: string, values: number[], ratio?: number) =>
  console.log(`${name.padEnd(44)} p50 ${f(pct(values, 50))} ms   p95 ${f(pct(values, 95))} ms${ratio === undefined ? "" : `   ${ratio.toFixed(2)}x docker run --rm`}`);
console.log(`word count over ${corpusKiB} KiB, ${runs} runs each, alternating, output ${outputMount}; all outputs the same: ${outputs.size === 1}; load average ${pct(load, 50).toFixed(1)} (1 min, median over the runs; ${(await import("node:os")).availableParallelism()} cores)`);
const cli = pct(ms.cli, 50);
row("docker run --rm (same image and locks)", ms.cli);
row("Docker executor run(), warm holder pool", ms.pooled, pct(ms.pooled, 50) / cli);
row("Docker executor run(), holder made per job", ms.unpooled, pct(ms.unpooled, 50) / cli);
row("host (busybox sh wordcount.sh)", ms.host);
row("engine floor: create + start + wait, `true`", ms.floor, pct(ms.floor, 50) / cli);
console.log(`where run()'s time goes (p50, ms):        pooled   per job`);
for (const key of ["imageMs", "createMs", "attachMs", "startMs", "waitMs", "inspectAndCopyMs", "total", "removeMs"] as const) {
  const label = {
    imageMs: "find the pinned image",
    createMs: "create the container (+ volume, holder)",
    attachMs: "attach to its logs",
    startMs: "start",
    waitMs: "started → exited, logs drained",
    inspectAndCopyMs: "exit state + output copy (overlapped)",
    total: "total",
    removeMs: "removal (off the path)",
  }[key];
  console.log(`  ${label.padEnd(40)} ${f(pct(timings.pooled.map((t) => t[key]), 50))} ${f(pct(timings.unpooled.map((t) => t[key]), 50))}`);
}
console.log(`  (pooled holders used: ${timings.pooled.filter((t) => t.pooled).length} of ${timings.pooled.length})`);
recordFigure({
  section: "docker", name: `Docker executor per job, word count over ${corpusKiB} KiB (warm holder pool), p50`, value: Number(pct(ms.pooled, 50).toFixed(1)), unit: "ms",
  better: "lower", baseline: { label: "docker run --rm, same image and locks", value: Number(cli.toFixed(1)) }, goal: { op: "<=", value: 100 },
  anchor: "Bacalhau ≈ 630 ms per no-op job",
  note: `holder made per job: p50 ${pct(ms.unpooled, 50).toFixed(0)} ms; engine start p50 ${pct(timings.pooled.map((t) => t.startMs), 50).toFixed(0)} ms; load average ${pct(load, 50).toFixed(1)}`,
});
recordFigure({
  section: "docker", name: "Docker engine floor: a read-only, networkless container of `true` created, started and waited for (API, no mounts), p50", value: Number(pct(ms.floor, 50).toFixed(1)),
  unit: "ms", better: "lower", baseline: { label: "docker run --rm, same image and locks", value: Number(cli.toFixed(1)) },
  note: "what a container per job costs before the job's first instruction, on this engine",
});
