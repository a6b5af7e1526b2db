/**
 * Preload for benchmarks (`node --expose-gc --import ./scripts/lib/gcProbe.mjs`): on SIGUSR2 the
 * process runs a full garbage collection of its main thread and writes its memory use (Node's
 * process.memoryUsage(), in bytes) as JSON to $SHOAL_GC_PROBE_FILE. `npm run bench:throughput`
 * reads the agent's RSS both as it is after a batch and after such a collection: what the heap
 * still holds apart from garbage V8 has not collected yet.
 */
import { renameSync, writeFileSync } from "node:fs";

const file = process.env.SHOAL_GC_PROBE_FILE;
if (file && typeof globalThis.gc === "function") {
  process.on("SIGUSR2", () => {
    globalThis.gc();
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.tmp`, file);
  });
}
