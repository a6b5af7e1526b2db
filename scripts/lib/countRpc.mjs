/**
 * Preload for benchmarks (`node --import ./scripts/lib/countRpc.mjs`): counts the JSON-RPC calls
 * the process sends over fetch and over WebSockets (Node's own, which viem uses), by method, and
 * writes them as JSON to $SHOAL_RPC_COUNT_FILE at exit. eth_subscribe and eth_unsubscribe count
 * as calls; the notifications a subscription pushes are not calls. Used by `npm run bench:throughput` (BENCH_RPC_COUNT=1) to see what the agent asks per job.
 */
import { writeFileSync } from "node:fs";

const counts = {};
const count = (text) => {
  try {
    if (typeof text === "string") {
      const body = JSON.parse(text);
      for (const call of Array.isArray(body) ? body : [body]) counts[call.method] = (counts[call.method] ?? 0) + 1;
    }
  } catch {
    // not JSON-RPC
  }
};
const original = globalThis.fetch;
globalThis.fetch = (input, init) => {
  count(init?.body);
  return original(input, init);
};
if (globalThis.WebSocket) {
  const send = globalThis.WebSocket.prototype.send;
  globalThis.WebSocket.prototype.send = function (data) {
    count(data);
    return send.call(this, data);
  };
}
process.on("exit", () => {
  if (process.env.SHOAL_RPC_COUNT_FILE) writeFileSync(process.env.SHOAL_RPC_COUNT_FILE, JSON.stringify(counts));
});
