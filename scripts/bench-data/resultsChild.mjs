// One side of scripts/bench-data/results.ts, in its own process so that its peak RSS is its own:
//   pack <outputs> <store>          the agent's result store packs <outputs>, then the result CID alone
//   serve <store>                   the agent's gateway serves <store> until stdin closes
//   download <url> <cid> <out>      the SDK downloads (verifying) to <out>.car.part and unpacks to <out>
//   idle <pack|serve|download>      loads what that side loads, does nothing: the RSS floor
// Each prints one JSON line (serve prints its URL first). Needs `npx tsc -b sdk agent`.
import { createWriteStream, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const [mode, ...args] = process.argv.slice(2);

// This process's own peak RSS: VmHWM belongs to the process image since exec. (getrusage's maxRSS
// keeps the parent's RSS at fork, so a child of a large process would report its parent's size.)
const maxRssKb = () => {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return hwm === undefined ? process.resourceUsage().maxRSS : Number(hwm);
};

const load = {
  pack: async () => ({ results: await import("../../agent/dist/results/index.js"), sdk: await import("../../sdk/dist/src/node.js") }),
  serve: async () => ({
    results: await import("../../agent/dist/results/index.js"),
    gateway: await import("../../agent/dist/gateway/index.js"),
    prom: await import("prom-client"),
  }),
  download: async () => ({
    cid: await import("multiformats/cid"),
    download: await import("../../sdk/dist/src/result/downloadResultCar.js"),
    unpack: await import("../../sdk/dist/src/result/unpackResult.js"),
  }),
};

if (mode === "idle") {
  await load[args[0]]();
  console.log(JSON.stringify({ maxRssKb: maxRssKb() }));
} else if (mode === "pack") {
  const { results, sdk } = await load.pack();
  const store = results.createResultStore({ dir: args[1], retentionSeconds: 3600 });
  let started = performance.now();
  const { cid, size } = await store.put(args[0]);
  const ms = performance.now() - started;
  started = performance.now(); // second, with the importer's code warm: a baseline that favours it
  await sdk.computeResultCid(args[0]);
  const cidMs = performance.now() - started;
  console.log(JSON.stringify({ cidMs, ms, maxRssKb: maxRssKb(), cid, size }));
} else if (mode === "serve") {
  const { results, gateway: gateways, prom } = await load.serve();
  const gateway = await gateways.createGateway({
    results: results.createResultStore({ dir: args[0], retentionSeconds: 3600 }),
    metrics: new prom.Registry(),
    health: () => ({ ok: true }),
  });
  console.log(gateway.url);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once("end", resolve));
  await gateway.close();
  console.log(JSON.stringify({ maxRssKb: maxRssKb() }));
} else if (mode === "download") {
  const { cid: cids, download, unpack } = await load.download();
  const [url, cid, out] = args;
  const expectedCid = cids.CID.parse(cid);
  const partPath = `${out}.car.part`;
  let started = performance.now();
  await download.downloadResultCar({ url, expectedCid, partPath });
  const downloadMs = performance.now() - started;
  started = performance.now();
  await unpack.unpackResult(partPath, out, { expectedCid });
  const unpackMs = performance.now() - started;
  // Then the same download by Node's fetch into a file, nothing verified (warm: favours it).
  started = performance.now();
  await pipeline(Readable.fromWeb((await fetch(url)).body), createWriteStream(`${out}.plain`));
  const fetchOnlyMs = performance.now() - started;
  await rm(`${out}.plain`);
  console.log(JSON.stringify({ fetchOnlyMs, downloadMs, unpackMs, maxRssKb: maxRssKb() }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
