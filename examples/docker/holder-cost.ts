// What the size-limited output volume costs per job, step by step (issue 9 item 11, issue 12):
// create the tmpfs volume, create and start the holder, read the (empty) output's archive, remove
// the holder and the volume. The executor overlaps the holder's start with the job container's
// creation, so the sum is an upper bound on what it adds to run().
//
//   npx tsx examples/docker/holder-cost.ts [runs=20]
import Dockerode from "dockerode";

import { createOutputVolume, ensureHolderImage, removeOutputVolume, startHolder } from "../../agent/src/executors/docker/holder.js";

const runs = Number(process.argv[2] ?? 20);
const docker = new Dockerode({ socketPath: "/var/run/docker.sock" });
const holderImage = await ensureHolderImage(docker);
const steps: Record<string, number[]> = { "create volume": [], "create + start holder": [], "archive of the output": [], "remove holder": [], "remove volume": [], total: [] };
for (let i = 0; i < runs; i++) {
  const settings = { name: `shoal-job-cost-${process.pid}-${i}-out`, jobId: 0n, agent: "holder-cost", maxBytes: 1 << 20, maxEntries: 100 };
  const begin = performance.now();
  let t = begin;
  const lap = (step: string) => {
    const now = performance.now();
    steps[step]!.push(now - t);
    t = now;
  };
  await createOutputVolume(docker, { ...settings, owner: { uid: 65534, gid: 65534 } });
  lap("create volume");
  const holder = await startHolder(docker, { ...settings, holderImage });
  lap("create + start holder");
  const stream = await holder.getArchive({ path: "/outputs" });
  for await (const chunk of stream as AsyncIterable<Buffer>) void chunk;
  lap("archive of the output");
  await holder.remove({ force: true });
  lap("remove holder");
  await removeOutputVolume(docker, settings.name);
  lap("remove volume");
  steps.total!.push(performance.now() - begin);
}
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
console.log(`output volume + holder, ${runs} runs`);
for (const [step, values] of Object.entries(steps)) {
  console.log(`${step.padEnd(24)} p50 ${pct(values, 50).toFixed(1).padStart(7)} ms   p95 ${pct(values, 95).toFixed(1).padStart(7)} ms`);
}
