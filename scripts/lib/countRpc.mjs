/**
 * Preload for benchmarks (`node --import ./scripts/lib/countRpc.mjs`): counts the JSON-RPC calls
 * the process sends over fetch, by method, and writes them as JSON to $SHOAL_RPC_COUNT_FILE at
 * exit. Used by `npm run bench:throughput` (BENCH_RPC_COUNT=1) to see what the agent asks per job.
 */
import { writeFileSync } from "node:fs";

const counts = {};
const original = globalThis.fetch;
globalThis.fetch = (input, init) => {
  try {
    if (typeof init?.body === "string") {
      const body = JSON.parse(init.body);
      for (const call of Array.isArray(body) ? body : [body]) counts[call.method] = (counts[call.method] ?? 0) + 1;
    }
  } catch {
    // not JSON-RPC
  }
  return original(input, init);
};
process.on("exit", () => {
  if (process.env.SHOAL_RPC_COUNT_FILE) writeFileSync(process.env.SHOAL_RPC_COUNT_FILE, JSON.stringify(counts));
});
